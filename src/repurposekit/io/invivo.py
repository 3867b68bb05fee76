"""Readers for tumour-growth tables (long and invivoSyn wide) and study designs (TOML/YAML).

Units are converted once here: ``cm`` → mm, ``cm³``/``mL`` → mm³, ``kg`` → g, weeks → days.
The original names and units are recorded in ``DataFrame.attrs["converted"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import read_table, where
from repurposekit.invivo import StudyDesign

__all__ = ["growth_from_wide", "read_design", "read_growth_table", "read_wide_growth"]

# accepted column names (lower case) -> (canonical, factor)
_ALIASES: dict[str, tuple[str, float]] = {
    "subject": ("subject", 1.0),
    "mouse": ("subject", 1.0),
    "animal": ("subject", 1.0),
    "animal_id": ("subject", 1.0),
    "sampleid": ("subject", 1.0),
    "id": ("subject", 1.0),
    "group": ("group", 1.0),
    "treatment": ("group", 1.0),
    "arm": ("group", 1.0),
    "day": ("day", 1.0),
    "days": ("day", 1.0),
    "time": ("day", 1.0),
    "time_day": ("day", 1.0),
    "week": ("day", 7.0),
    "volume_mm3": ("volume_mm3", 1.0),
    "tumorvolume": ("volume_mm3", 1.0),
    "tumourvolume": ("volume_mm3", 1.0),
    "tv": ("volume_mm3", 1.0),
    "volume": ("volume_mm3", 1.0),
    "volume_cm3": ("volume_mm3", 1000.0),
    "volume_ml": ("volume_mm3", 1000.0),
    "length_mm": ("length_mm", 1.0),
    "length_cm": ("length_mm", 10.0),
    "width_mm": ("width_mm", 1.0),
    "width_cm": ("width_mm", 10.0),
    "body_weight_g": ("body_weight_g", 1.0),
    "body_weight": ("body_weight_g", 1.0),
    "bw": ("body_weight_g", 1.0),
    "weight_g": ("body_weight_g", 1.0),
    "body_weight_kg": ("body_weight_g", 1000.0),
    "tumour_weight_g": ("tumour_weight_g", 1.0),
    "tumor_weight_g": ("tumour_weight_g", 1.0),
    "tumour_weight_mg": ("tumour_weight_g", 1e-3),
    "tumor_weight_mg": ("tumour_weight_g", 1e-3),
}


def _is_wide(df: pd.DataFrame) -> bool:
    cols = [str(c) for c in df.columns]
    numeric = 0
    for c in cols:
        try:
            float(c)
            numeric += 1
        except ValueError:
            pass
    return numeric >= 2


def read_growth_table(path: str | Path, *, sep: str | None = None) -> pd.DataFrame:
    """Read a tumour-growth table (long, or invivoSyn's wide layout) into canonical long form.

    Parameters
    ----------
    path : str or Path
        CSV/TSV. Long: ``subject, group, day`` and ``volume_mm3`` or ``length_mm`` +
        ``width_mm`` (plus optional ``body_weight_g``); common alternatives (``Mouse``,
        ``Treatment``, ``Time``, ``TumorVolume``, ``*_cm``, ``body_weight_kg``) are renamed
        and converted. Wide (invivoSyn): ``Treatment, Mouse`` then one column per day.
    sep : str, optional

    Returns
    -------
    pandas.DataFrame
        Canonical long table (pass it to :func:`repurposekit.invivo.prepare_growth_data`).
    """
    df = read_table(path, sep=sep)
    if _is_wide(df):
        return growth_from_wide(df, source=path)
    out = pd.DataFrame(index=df.index)
    converted: dict[str, str] = {}
    for c in df.columns:
        key = str(c).strip().lower().replace(" ", "_")
        if key in _ALIASES:
            name, factor = _ALIASES[key]
            if name in out.columns:
                msg = f"{where(path)}columns {converted.get(name, name)!r} and {c!r} both mean {name!r}; keep one."
                raise DataValidationError(msg)
            col = df[c]
            if factor != 1.0:
                col = pd.to_numeric(col, errors="coerce") * factor
                converted[name] = f"{c} (×{factor:g})"
            elif str(c) != name:
                converted[name] = str(c)
            out[name] = col
        else:
            out[str(c)] = df[c]
    missing = [c for c in ("subject", "group", "day") if c not in out.columns]
    if missing:
        msg = (
            f"{where(path)}missing column(s) {missing}; the table has {list(map(str, df.columns))}. "
            "A long table needs subject, group, day and volume_mm3 (or length_mm and width_mm); "
            "a wide (invivoSyn) table needs Treatment, Mouse and one column per day."
        )
        raise DataValidationError(msg)
    out.attrs["converted"] = converted
    out.attrs["source"] = str(path)
    return out


def growth_from_wide(
    data: pd.DataFrame,
    *,
    treatment: str = "Treatment",
    mouse: str = "Mouse",
    rebase_days: bool = False,
    source: str | Path | None = None,
) -> pd.DataFrame:
    """Convert invivoSyn's wide table (``Treatment, Mouse, <day>…``) to the long form.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified. Empty cells / ``NA`` = not measured (animal removed).
    treatment, mouse : str
        Column names.
    rebase_days : bool
        Shift days so the first is 0 (invivoSyn does this: day −1 → 0).
    source : str or Path, optional
        For messages.

    Returns
    -------
    pandas.DataFrame
        ``subject, group, day, volume_mm3``.

    Raises
    ------
    DataValidationError
        Missing columns, day columns that are not numbers or not increasing.
    """
    for c in (treatment, mouse):
        if c not in data.columns:
            msg = f"{where(source)}the wide table needs a {c!r} column; it has {list(map(str, data.columns))}."
            raise DataValidationError(msg)
    day_cols = [c for c in data.columns if c not in (treatment, mouse)]
    days = []
    for c in day_cols:
        try:
            days.append(float(c))
        except ValueError:
            msg = (
                f"{where(source)}column {c!r} is not a day number; in the wide layout every "
                "column after Treatment and Mouse is a measurement day."
            )
            raise DataValidationError(msg) from None
    diffs = np.diff(days)
    if (diffs <= 0).any():
        i = int(np.flatnonzero(diffs <= 0)[0])
        msg = (
            f"{where(source)}day columns are out of order: {day_cols[i]!r} is followed by "
            f"{day_cols[i + 1]!r}. Put the day columns in increasing order (each day once)."
        )
        raise DataValidationError(msg)
    long = data.melt(
        id_vars=[treatment, mouse], value_vars=day_cols, var_name="_day", value_name="volume_mm3"
    )
    long["day"] = long["_day"].map(dict(zip(day_cols, days, strict=False)))
    long["volume_mm3"] = pd.to_numeric(long["volume_mm3"], errors="coerce")
    bad = long["volume_mm3"].isna() & data.melt(id_vars=[treatment, mouse], value_vars=day_cols)[
        "value"
    ].map(lambda v: isinstance(v, str) and v.strip().upper() not in {"", "NA", "NAN"})
    if bad.any():
        r = long[bad].iloc[0]
        msg = f"{where(source)}mouse {r[mouse]}, day {r['_day']}: value is not a number."
        raise DataValidationError(msg)
    long = long.dropna(subset=["volume_mm3"])
    if rebase_days:
        long["day"] = long["day"] - min(days)
    out = pd.DataFrame(
        {
            "subject": long[mouse].astype(str).to_numpy(),
            "group": long[treatment].astype(str).to_numpy(),
            "day": long["day"].to_numpy(float),
            "volume_mm3": long["volume_mm3"].to_numpy(float),
        }
    )
    order = {g: i for i, g in enumerate(dict.fromkeys(data[treatment].astype(str)))}
    out = out.sort_values(
        ["group", "subject", "day"],
        key=lambda s: s.map(order) if s.name == "group" else s,
        kind="stable",
    )
    out = out.reset_index(drop=True)
    out.attrs["layout"] = "invivoSyn wide"
    return out


def read_wide_growth(
    path: str | Path,
    *,
    treatment: str = "Treatment",
    mouse: str = "Mouse",
    rebase_days: bool = False,
) -> pd.DataFrame:
    """Read an invivoSyn wide CSV (see :func:`growth_from_wide`)."""
    return growth_from_wide(
        read_table(path), treatment=treatment, mouse=mouse, rebase_days=rebase_days, source=path
    )


def _load_mapping(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10: the tomli backport has the same API
            import tomli as tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"{path}: not valid TOML ({exc})."
            raise DataValidationError(msg) from None
    if suffix in {".yaml", ".yml"}:
        import yaml

        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            msg = f"{path}: not valid YAML ({str(exc).splitlines()[0]})."
            raise DataValidationError(msg) from None
        if not isinstance(spec, Mapping):
            msg = f"{path}: the YAML file must be a mapping with study, groups … sections."
            raise DataValidationError(msg)
        return spec
    msg = f"{path}: a design file must end in .toml, .yaml or .yml."
    raise DataValidationError(msg)


def read_design(path: str | Path) -> StudyDesign:
    """Read a study design (TOML or YAML) into :class:`repurposekit.invivo.StudyDesign`.

    The file has a ``[study]`` table (``name, start_date, duration_days, endpoint_mm3,
    window_mm3``), one ``[[groups]]`` table per arm (``name, n`` and ``[[groups.agents]]``
    with ``agent, dose_mg_per_kg, route, schedule, dose_volume_ml_per_kg``), optional
    ``[measurements]`` (``caliper_per_week, weight_per_week``) and ``[combination]``
    (``control, a, b, combination``). See ``docs/invivo.md``.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found."
        raise DataValidationError(msg)
    return StudyDesign.from_dict(_load_mapping(p), source=str(p))
