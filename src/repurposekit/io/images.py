"""Image readers (TIFF, multi-page/OME-TIFF z-stacks and time series, PNG) and file → well/day maps.

The pixel size comes from the file (OME-XML ``PhysicalSizeX``, ImageJ ``unit`` + resolution,
or a TIFF resolution in centimetres) or from the caller; it is never guessed. TIFF resolutions
in inches (72/96 dpi screen defaults written by most software) are ignored on purpose.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import coerce_numeric, read_table, require_columns
from repurposekit.imaging._stack import ImageStack
from repurposekit.units import to_molar

__all__ = [
    "DEFAULT_PATTERN",
    "map_images",
    "read_image",
    "read_mask",
    "read_viability",
    "well_name",
]

#: default file-name pattern: a well (A1/A01) and a day (d0, day4, D2) anywhere in the name
DEFAULT_PATTERN = r"(?<![A-Za-z0-9])(?P<well>[A-Pa-p]\d{1,2})(?!\d).*?(?<![A-Za-z])d(?:ay)?[_\-]?(?P<day>\d+(?:\.\d+)?)"

_UNIT_UM = {
    "micron": 1.0,
    "microns": 1.0,
    "um": 1.0,
    "µm": 1.0,
    "μm": 1.0,
    "\\u00b5m": 1.0,
    "nm": 1e-3,
    "mm": 1e3,
    "cm": 1e4,
    "m": 1e6,
}


def well_name(value: str) -> str:
    """Canonical well name: ``"a1"`` → ``"A01"``.

    Examples
    --------
    >>> well_name("b7"), well_name("H12")
    ('B07', 'H12')
    """
    m = re.fullmatch(r"\s*([A-Za-z]{1,2})\s*0*(\d{1,2})\s*", str(value))
    if not m:
        msg = f"{value!r} is not a well name like A1 or A01."
        raise DataValidationError(msg)
    return f"{m.group(1).upper()}{int(m.group(2)):02d}"


def _ome_spacing(xml: str) -> tuple[float | None, float | None, float | None]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None, None, None
    for el in root.iter():
        if el.tag.endswith("Pixels"):
            a = el.attrib
            sx = a.get("PhysicalSizeX")
            unit = a.get("PhysicalSizeXUnit", "µm")
            sz = a.get("PhysicalSizeZ")
            zunit = a.get("PhysicalSizeZUnit", "µm")
            dt = a.get("TimeIncrement")
            fx = _UNIT_UM.get(unit)
            fz = _UNIT_UM.get(zunit)
            spacing = float(sx) * fx if sx and fx else None
            zstep = float(sz) * fz if sz and fz else None
            tinc = float(dt) if dt else None
            return spacing, zstep, tinc
    return None, None, None


def _to_tzyx(arr: np.ndarray, axes: str, channel: int, source: str) -> np.ndarray:
    axes = axes.upper()
    if "S" in axes and arr.shape[axes.index("S")] in (3, 4):  # RGB(A) samples → grey
        i = axes.index("S")
        arr = np.take(arr, [0, 1, 2], axis=i).mean(axis=i)
        axes = axes.replace("S", "")
    if "C" in axes:
        i = axes.index("C")
        if not 0 <= channel < arr.shape[i]:
            msg = f"{source}: channel {channel} not in 0..{arr.shape[i] - 1}; pass --channel."
            raise DataValidationError(msg)
        arr = np.take(arr, channel, axis=i)
        axes = axes.replace("C", "")
    # anything else that is not TZYX (e.g. 'Q', 'I' for unknown pages) is treated as Z
    axes = "".join("Z" if a not in "TZYX" else a for a in axes)
    if axes.count("Z") > 1:
        idx = [i for i, a in enumerate(axes) if a == "Z"]
        arr = arr.reshape(*arr.shape[: idx[0]], -1, *arr.shape[idx[-1] + 1 :])
        axes = axes[: idx[0]] + "Z" + axes[idx[-1] + 1 :]
    for a in "TZ":
        if a not in axes:
            arr = arr[np.newaxis]
            axes = a + axes
    order = [axes.index(a) for a in "TZYX"]
    return np.transpose(arr, order)


def read_image(
    path: str | Path,
    *,
    spacing_um: float | None = None,
    channel: int = 0,
) -> ImageStack:
    """Read a TIFF/OME-TIFF/ImageJ-TIFF (plane, z-stack, time series) or PNG into an ImageStack.

    Parameters
    ----------
    path : str or Path
        The file (opened read-only).
    spacing_um : float, optional
        Pixel size in µm/px; overrides the metadata (recorded as ``spacing_source="given"``).
    channel : int
        Channel to keep in multi-channel files.

    Returns
    -------
    ImageStack
        ``data`` shaped (T, Z, Y, X); ``spacing_um`` None when neither the file nor the caller
        gives one.

    Notes
    -----
    Multi-page TIFFs without OME/ImageJ axes are read as a z-stack of their pages of the
    first page's shape; extra pages of another shape (thumbnails, e.g. the 160×120 RGB
    preview of Keyence files) are skipped and reported in ``metadata["skipped_pages"]``.
    """
    import tifffile

    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found."
        raise DataValidationError(msg)
    src = str(p)
    meta: dict = {}
    sp: float | None = None
    sp_src = "none"
    zstep: float | None = None
    suffix = p.suffix.lower()
    try:
        if suffix == ".png":
            from skimage import io as skio

            arr = np.asarray(skio.imread(src))
            axes = "YX" if arr.ndim == 2 else "YXS"
            data = _to_tzyx(arr, axes, channel, src)
        elif suffix in (".tif", ".tiff", ".btf", ".tf8"):
            with tifffile.TiffFile(src) as tf:
                series = tf.series[0]
                axes = series.axes
                if tf.is_ome and tf.ome_metadata:
                    sp, zstep, tinc = _ome_spacing(tf.ome_metadata)
                    if sp is not None:
                        sp_src = "ome"
                    if tinc is not None:
                        meta["time_increment"] = tinc
                    arr = series.asarray()
                elif tf.is_imagej and tf.imagej_metadata is not None:
                    ij = tf.imagej_metadata
                    unit = str(ij.get("unit", "")).strip().lower()
                    page = tf.pages[0]
                    xres = page.tags.get("XResolution")
                    if unit in _UNIT_UM and xres is not None:
                        num, den = xres.value
                        if num > 0:
                            sp = den / num * _UNIT_UM[unit]
                            sp_src = "imagej"
                    if ij.get("spacing") and unit in _UNIT_UM:
                        zstep = float(ij["spacing"]) * _UNIT_UM[unit]
                    arr = series.asarray()
                else:
                    first = tf.pages[0]
                    keep = [pg for pg in tf.pages if pg.shape == first.shape]
                    meta["skipped_pages"] = len(tf.pages) - len(keep)
                    arr = np.stack([pg.asarray() for pg in keep])
                    axes = "Z" + first.axes
                    res_unit = first.tags.get("ResolutionUnit")
                    xres = first.tags.get("XResolution")
                    if res_unit is not None and xres is not None and int(res_unit.value) == 3:
                        num, den = xres.value
                        if num > 0:
                            sp = 1e4 * den / num
                            sp_src = "tiff-resolution"
                meta["file_axes"] = axes
                data = _to_tzyx(np.asarray(arr), axes, channel, src)
        else:
            msg = f"{p}: unsupported image format {suffix!r}; use TIFF, OME-TIFF or PNG."
            raise DataValidationError(msg)
    except DataValidationError:
        raise
    except Exception as exc:
        msg = f"{p}: cannot be read as an image ({type(exc).__name__}: {exc})."
        raise DataValidationError(msg) from None
    if spacing_um is not None:
        sp, sp_src = float(spacing_um), "given"
    return ImageStack(
        data=data, spacing_um=sp, spacing_source=sp_src, z_step_um=zstep, source=src, metadata=meta
    )


def read_mask(path: str | Path) -> np.ndarray:
    """Read a binary mask (TIFF/PNG) as a boolean array, True = object.

    1-bit TIFFs with PhotometricInterpretation MinIsWhite store the object as 0: the
    photometric tag is honoured (as image viewers do), so True is always the object.
    """
    import tifffile

    p = Path(path)
    if p.suffix.lower() in (".tif", ".tiff"):
        with tifffile.TiffFile(p) as tf:
            page = tf.pages[0]
            arr = page.asarray()
            inverted = int(page.photometric) == 0  # MINISWHITE
        m = arr.astype(bool) if arr.dtype == bool else arr > (arr.max() / 2 if arr.max() else 0)
        return ~m if inverted else m
    return read_image(p).data[0, 0] > 0


def map_images(
    paths: Sequence[str | Path],
    *,
    layout: str | Path | pd.DataFrame | None = None,
    pattern: str | None = None,
    plate_map: str | Path | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Map image files to wells and days, joined to the plate map.

    Parameters
    ----------
    paths : sequence of path
        Image files.
    layout : CSV path or DataFrame, optional
        One row per file: ``file`` (name or path), ``well``, ``day`` and optionally
        ``timepoint`` (index in a time-series file), ``plate`` and plate-map columns. A file
        listed without ``timepoint`` that holds several time points is not expanded.
    pattern : str, optional
        Regular expression with named groups ``well`` and ``day`` (and optionally
        ``plate``) matched against file names when no layout is given
        (default :data:`DEFAULT_PATTERN`, e.g. ``B03_day4.tif``).
    plate_map : CSV path or DataFrame, optional
        ``well`` plus ``compound``, ``concentration`` + ``unit`` (or ``dose_molar``),
        ``role``, optionally ``compound_b``/``concentration_b`` for combinations. Plate-map
        columns may also sit in the layout itself.

    Returns
    -------
    DataFrame
        ``path``, ``file``, ``well`` (A01 form), ``day``, ``timepoint`` and plate-map columns
        ``compound``, ``dose_molar``, ``drug_a``, ``dose_a_molar``, ``drug_b``,
        ``dose_b_molar``, ``role``.

    Examples
    --------
    >>> map_images(["plate1/B3_day4.tif", "plate1/B03-d0.tif"])[["well", "day"]]
      well  day
    0  B03  4.0
    1  B03  0.0
    """
    files = [Path(p) for p in paths]
    if layout is not None:
        src = layout if isinstance(layout, pd.DataFrame) else Path(layout)
        lay = layout.copy() if isinstance(layout, pd.DataFrame) else read_table(layout)
        require_columns(
            lay,
            ["file", "well", "day"],
            source=None if isinstance(src, pd.DataFrame) else src,
            hint="The layout needs one row per image: file, well, day.",
        )
        lay["day"] = coerce_numeric(
            lay, "day", source=None if isinstance(src, pd.DataFrame) else src
        )
        by_name = {f.name: f for f in files}
        by_path = {str(f): f for f in files}
        found = []
        for _i, r in lay.iterrows():
            f = by_path.get(str(r["file"])) or by_name.get(Path(str(r["file"])).name)
            if f is None and not files:
                base = Path(src).parent if not isinstance(src, pd.DataFrame) else Path()
                f = base / str(r["file"])
            found.append(str(f) if f is not None else "")
        lay["path"] = found
        missing = lay.loc[lay["path"] == "", "file"].tolist()
        if missing and files:
            # files given but the layout names others: keep them, the batch reports them
            lay.loc[lay["path"] == "", "path"] = lay.loc[lay["path"] == "", "file"].astype(str)
        table = lay
    else:
        rx = re.compile(pattern or DEFAULT_PATTERN, re.IGNORECASE)
        rows = []
        for f in files:
            m = rx.search(f.name)
            if not m or "well" not in m.groupdict() or "day" not in m.groupdict():
                msg = (
                    f"{f}: file name does not match the pattern {rx.pattern!r} (needs a well and "
                    "a day, e.g. B03_day4.tif). Pass --pattern with named groups (?P<well>…) "
                    "and (?P<day>…), or a --layout CSV (file, well, day)."
                )
                raise DataValidationError(msg)
            rec = {
                "path": str(f),
                "file": f.name,
                "well": m.group("well"),
                "day": float(m.group("day")),
            }
            if "plate" in m.groupdict() and m.group("plate"):
                rec["plate"] = m.group("plate")
            rows.append(rec)
        table = pd.DataFrame(rows)
    table["well"] = [well_name(w) for w in table["well"]]
    if "timepoint" not in table.columns:
        table["timepoint"] = 0
    if plate_map is not None:
        psrc = None if isinstance(plate_map, pd.DataFrame) else Path(plate_map)
        pm = plate_map.copy() if isinstance(plate_map, pd.DataFrame) else read_table(plate_map)
        require_columns(pm, ["well"], source=psrc)
        pm["well"] = [well_name(w) for w in pm["well"]]
        keys = ["well"] + (["plate"] if "plate" in pm.columns and "plate" in table.columns else [])
        dup = [c for c in pm.columns if c in table.columns and c not in keys]
        table = table.drop(columns=dup).merge(pm, on=keys, how="left", validate="many_to_one")
    return _doses(table)


def _doses(table: pd.DataFrame) -> pd.DataFrame:
    t = table.copy()
    if "compound" not in t.columns:
        return t
    t["compound"] = t["compound"].fillna("").astype(str).str.strip()
    if "dose_molar" in t.columns:
        t["dose_a_molar"] = coerce_numeric(t, "dose_molar", allow_missing=True)
    elif "concentration" in t.columns:
        conc = coerce_numeric(t, "concentration", allow_missing=True).fillna(0.0)
        units = t["unit"] if "unit" in t.columns else pd.Series("M", index=t.index)
        t["dose_a_molar"] = [
            float(to_molar(c, u)) for c, u in zip(conc, units.fillna("M"), strict=False)
        ]
    else:
        t["dose_a_molar"] = 0.0
    t["drug_a"] = t["compound"]
    if "compound_b" in t.columns:
        t["drug_b"] = t["compound_b"].fillna("").astype(str).str.strip()
        if "concentration_b" in t.columns:
            conc_b = coerce_numeric(t, "concentration_b", allow_missing=True).fillna(0.0)
            units = (
                t["unit_b"]
                if "unit_b" in t.columns
                else t.get("unit", pd.Series("M", index=t.index))
            )
            t["dose_b_molar"] = [
                float(to_molar(c, u)) for c, u in zip(conc_b, units.fillna("M"), strict=False)
            ]
        else:
            t["dose_b_molar"] = 0.0
        combo = (t["drug_a"] != "") & (t["drug_b"] != "")
        only_b = (t["drug_a"] == "") & (t["drug_b"] != "")
        t.loc[only_b, "drug_a"] = t.loc[only_b, "drug_b"]
        t.loc[only_b, "dose_a_molar"] = t.loc[only_b, "dose_b_molar"]
        t.loc[only_b, ["drug_b"]] = ""
        t.loc[only_b, ["dose_b_molar"]] = 0.0
        t["compound"] = np.where(combo, t["drug_a"] + "+" + t["drug_b"], t["drug_a"])
        t["dose_molar"] = t["dose_a_molar"] + t["dose_b_molar"].fillna(0.0)
    else:
        t["drug_b"] = ""
        t["dose_b_molar"] = 0.0
        t["dose_molar"] = t["dose_a_molar"]
    if "role" not in t.columns:
        t["role"] = np.where(t["dose_molar"].fillna(0) > 0, "treated", "vehicle")
    t["role"] = t["role"].fillna("treated").astype(str).str.strip().str.lower()
    return t


_VIABILITY_COLUMNS = ("viability_pct", "viability_percent", "viability")


def read_viability(
    path: str | Path | pd.DataFrame, *, plate_map: str | Path | None = None
) -> pd.DataFrame:
    """Endpoint viability per well (CellTiter-Glo 3D), as % of vehicle.

    Parameters
    ----------
    path : CSV path or DataFrame
        Without ``plate_map``: a normalised per-well table with ``well`` (A1 or A01) and one
        of ``viability_pct``, ``viability_percent`` or ``viability`` (% of vehicle),
        optionally ``plate``. With ``plate_map``: a raw plate-reader export (any format
        :func:`repurposekit.io.plates.read_plate` reads), normalised with
        :func:`repurposekit.plates.normalize_plates` (blank-subtracted % of the vehicle
        wells).
    plate_map : CSV path, optional
        The viability plate's map (:func:`repurposekit.io.plates.read_plate_map`: ``well``,
        ``role`` = blank / vehicle / sample …).

    Returns
    -------
    DataFrame
        ``[plate,] well, viability_pct`` and, from a raw plate, ``viability_qc_passed``
        (the plate's QC verdict: Z′, CV of vehicle …). One row per well.

    Examples
    --------
    >>> import pandas as pd
    >>> read_viability(pd.DataFrame({"Well": ["b2", "B3"], "viability": [95.0, 40.0]}))
      well  viability_pct
    0  B02           95.0
    1  B03           40.0
    """
    if plate_map is not None:
        from repurposekit.io.plates import read_plate, read_plate_map
        from repurposekit.plates import annotate_plates, normalize_plates

        readings = read_plate(Path(path))
        pmap = read_plate_map(Path(plate_map))
        res = normalize_plates(annotate_plates(readings, pmap, source=path, map_source=plate_map))
        w = res.wells
        w = w[w["role"].isin(["vehicle", "sample", "positive"])]
        out = pd.DataFrame(
            {
                "plate": w["plate"].astype(str).to_numpy(),
                "well": w["well"].to_numpy(),
                "viability_pct": w["viability_percent"].astype(float).to_numpy(),
                "viability_qc_passed": w["qc_passed"].astype(bool).to_numpy(),
            }
        )
        return out.reset_index(drop=True)
    src = None if isinstance(path, pd.DataFrame) else Path(path)
    raw = path.copy() if isinstance(path, pd.DataFrame) else read_table(path)
    lower = {str(c).strip().lower(): c for c in raw.columns}
    col = next((lower[c] for c in _VIABILITY_COLUMNS if c in lower), None)
    if "well" not in lower or col is None:
        msg = (
            f"{src or 'viability table'}: needs columns well and one of "
            f"{', '.join(_VIABILITY_COLUMNS)} (% of vehicle); it has {list(raw.columns)}. "
            "For a raw plate-reader export, also give its plate map (--viability-map)."
        )
        raise DataValidationError(msg)
    df = pd.DataFrame({"well": raw[lower["well"]], "viability_pct": raw[col]})
    df["viability_pct"] = coerce_numeric(df, "viability_pct", source=src, allow_missing=True)
    df["well"] = [well_name(str(w)) for w in df["well"]]
    keys = ["well"]
    if "plate" in lower:
        df.insert(0, "plate", raw[lower["plate"]].astype(str).to_numpy())
        keys = ["plate", "well"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        msg = (
            f"{src or 'viability table'}, row {i + 2}: well {df['well'].iloc[i]} appears more "
            "than once; give one viability value per well (average replicate reads first)."
        )
        raise DataValidationError(msg)
    return df.reset_index(drop=True)
