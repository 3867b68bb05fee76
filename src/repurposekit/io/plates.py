"""Plate-reader exports and plate maps → tidy long tables.

Readers never modify the file they read. Formats:

* **grid CSV**: the plate as a grid, a header row of column numbers ``1..12`` (96-well) or
  ``1..24`` (384-well) and one line per row letter ``A..H`` / ``A..P``; several plates may
  follow each other in one file, each grid preceded by a line naming it
  (``Plate: P1`` or just ``P1``).
* **vendor CSV**: the same grid exported with ``;`` separators and decimal commas, after any
  number of metadata lines (as European-locale Tecan/BMG/EnVision exports look).
* **long CSV**: one row per well, with ``well`` (``A1`` or ``A01``) or ``row`` + ``column``,
  a value column and optionally ``plate``.

Every reader returns ``plate, well, row, column, value`` (``well`` as ``A01``, ``row`` a
letter, ``column`` 1-based). Plate maps (:func:`read_plate_map`) give each well its role,
sample, compound and concentration; concentrations are converted to molar here.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import coerce_numeric, read_table, require_columns
from repurposekit.units import to_molar

__all__ = [
    "PLATE_FORMATS",
    "ROLES",
    "read_plate",
    "read_plate_map",
    "well_name",
]

# wells -> (rows, columns)
PLATE_FORMATS: dict[int, tuple[int, int]] = {
    6: (2, 3),
    24: (4, 6),
    96: (8, 12),
    384: (16, 24),
    1536: (32, 48),
}
ROLES = ("blank", "vehicle", "positive", "sample")
_ROLE_ALIASES = {
    "blank": "blank",
    "background": "blank",
    "medium": "blank",
    "media": "blank",
    "no cells": "blank",
    "vehicle": "vehicle",
    "negative": "vehicle",
    "negative control": "vehicle",
    "neg": "vehicle",
    "dmso": "vehicle",
    "solvent": "vehicle",
    "untreated": "vehicle",
    "positive": "positive",
    "positive control": "positive",
    "pos": "positive",
    "max kill": "positive",
    "kill": "positive",
    "sample": "sample",
    "treated": "sample",
    "compound": "sample",
    "test": "sample",
    "empty": "empty",
    "unused": "empty",
}
_WELL_RE = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,2})\s*$")


def _row_letters(n: int) -> list[str]:
    letters = [chr(ord("A") + i) for i in range(26)]
    return (letters + [f"A{c}" for c in letters])[:n]


def _row_index(letter: str) -> int:
    letter = letter.upper()
    return ord(letter) - ord("A") if len(letter) == 1 else 26 + ord(letter[1]) - ord("A")


def well_name(row: str, column: int) -> str:
    """Canonical well name, e.g. ``well_name("c", 7) == "C07"``."""
    return f"{str(row).upper()}{int(column):02d}"


def _parse_well(text: object, *, source: Path | str, line: int | None) -> tuple[str, int]:
    m = _WELL_RE.match(str(text))
    if m and not (_row_index(m.group(1)) < 32 and 1 <= int(m.group(2)) <= 48):
        m = None  # beyond a 1536-well plate (rows A..AF, columns 1..48)
    if not m:
        where_ = f", line {line}" if line else ""
        msg = f"{source}{where_}: {text!r} is not a well name (expected e.g. A1 or A01)."
        raise DataValidationError(msg)
    return m.group(1).upper(), int(m.group(2))


def _sniff(text: str) -> tuple[str, str]:
    """(separator, decimal mark) of a plate export."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    semi = sum(ln.count(";") for ln in lines)
    tab = sum(ln.count("\t") for ln in lines)
    comma = sum(ln.count(",") for ln in lines)
    if semi >= max(tab, 1) and semi >= comma / 4:
        return ";", ","
    if tab > comma:
        return "\t", "."
    return ",", "."


def _is_header(cells: list[str]) -> int:
    """Number of columns if ``cells`` is a grid header ``[label], 1, 2, ..., N``; else 0."""
    vals = [c.strip() for c in cells]
    while vals and vals[-1] == "":
        vals.pop()
    if len(vals) < 3:
        return 0
    nums = vals[1:] if not vals[0].isdigit() or vals[0] != "1" else vals
    try:
        ints = [int(v) for v in nums]
    except ValueError:
        return 0
    if ints == list(range(1, len(ints) + 1)) and len(ints) in {
        c for _, c in PLATE_FORMATS.values()
    }:
        return len(ints)
    return 0


def _read_grids(
    text: str, *, sep: str, decimal: str, source: Path, plate: str | None
) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    out: list[dict] = []
    i = 0
    n_grids = 0
    last_label = None
    while i < len(rows):
        cells = rows[i]
        ncol = _is_header(cells)
        if not ncol:
            nonempty = [c.strip() for c in cells if c.strip()]
            keyword = nonempty[0].lower().rstrip(":") if nonempty else ""
            if len(nonempty) == 2 and keyword in ("plate", "plate name", "plate id", "barcode"):
                last_label = nonempty[1]
            elif len(nonempty) == 1 and not nonempty[0].startswith("#"):
                text_ = nonempty[0]
                if text_.lower().startswith("plate:"):
                    text_ = text_[6:]
                last_label = text_.strip()
            i += 1
            continue
        n_grids += 1
        offset = 0 if cells[0].strip() == "1" else 1
        name = plate or last_label or source.stem
        if n_grids > 1 and (plate or not last_label):
            name = f"{name}_{n_grids}"
        nrow = {c: r for r, c in PLATE_FORMATS.values()}[ncol]
        letters = _row_letters(nrow)
        j = i + 1
        seen_rows = 0
        while j < len(rows) and seen_rows < nrow:
            line = rows[j]
            if not any(c.strip() for c in line):
                break
            letter = line[0].strip().upper() if offset else letters[seen_rows]
            if offset and letter not in letters:
                break
            for k in range(ncol):
                raw = line[k + offset].strip() if k + offset < len(line) else ""
                col = k + 1
                if raw == "":
                    out.append({"plate": name, "row": letter, "column": col, "value": np.nan})
                    continue
                txt = raw.replace(decimal, ".") if decimal != "." else raw
                try:
                    val = float(txt)
                except ValueError:
                    if raw.upper() in ("OVER", "OVRFLW", "OVERFLOW", "SATURATED"):
                        msg = (
                            f"{source}, line {j + 1}, well {well_name(letter, col)}: the reader "
                            f"reported {raw!r} (signal saturated). Re-read the plate with a lower "
                            "gain or mark the well empty."
                        )
                    else:
                        msg = (
                            f"{source}, line {j + 1}, well {well_name(letter, col)}: {raw!r} is "
                            f"not a number. Fix the cell (decimal mark here is {decimal!r})."
                        )
                    raise DataValidationError(msg) from None
                out.append({"plate": name, "row": letter, "column": col, "value": val})
            seen_rows += 1
            j += 1
        if seen_rows != nrow:
            msg = (
                f"{source}, line {i + 1}: the grid of plate {name!r} has {seen_rows} row(s) "
                f"but a {ncol}-column plate has {nrow} (rows {letters[0]}..{letters[-1]})."
            )
            raise DataValidationError(msg)
        last_label = None
        i = j
    if not out:
        msg = (
            f"{source}: no plate grid found (a header row of column numbers 1..12 or 1..24 "
            "followed by rows A.. was expected), and no 'well' column for a long table."
        )
        raise DataValidationError(msg)
    return pd.DataFrame(out)


def _read_long(
    df: pd.DataFrame, *, source: Path, value: str | None, plate: str | None
) -> pd.DataFrame:
    cols = {c.lower(): c for c in df.columns}
    if value is None:
        for cand in ("value", "signal", "luminescence", "rlu", "counts", "od", "fluorescence"):
            if cand in cols:
                value = cols[cand]
                break
    if value is None:
        require_columns(
            df, ["value"], source=source, hint="Name the reading column 'value' or pass value=."
        )
    require_columns(df, [value], source=source)
    if "well" in cols:
        parsed = [_parse_well(w, source=source, line=i + 2) for i, w in enumerate(df[cols["well"]])]
        rows = [p[0] for p in parsed]
        columns = [p[1] for p in parsed]
    elif "row" in cols and "column" in cols:
        rows = df[cols["row"]].astype(str).str.strip().str.upper().tolist()
        columns = coerce_numeric(df, cols["column"], source=source).astype(int).tolist()
    else:
        msg = f"{source}: a long plate table needs a 'well' column (A01) or 'row' and 'column' columns; it has {list(df.columns)}."
        raise DataValidationError(msg)
    vals = coerce_numeric(df, value, source=source, allow_missing=True)
    plates = (
        df[cols["plate"]].astype(str)
        if "plate" in cols
        else pd.Series(plate or source.stem, index=df.index)
    )
    return pd.DataFrame(
        {"plate": plates.to_numpy(), "row": rows, "column": columns, "value": vals.to_numpy()}
    )


def _finish(long: pd.DataFrame, *, source: Path) -> pd.DataFrame:
    long = long.copy()
    long["well"] = [well_name(r, c) for r, c in zip(long["row"], long["column"], strict=True)]
    dup = long.duplicated(["plate", "well"], keep=False)
    if dup.any():
        first = long[dup].iloc[0]
        msg = (
            f"{source}: well {first['well']} of plate {first['plate']!r} appears "
            f"{int(dup[(long['plate'] == first['plate']) & (long['well'] == first['well'])].sum())} "
            "times. Each well must be read once per plate: remove the duplicate or give the "
            "repeated read its own plate name."
        )
        raise DataValidationError(msg)
    for name, grp in long.groupby("plate", sort=False):
        if grp["value"].notna().sum() == 0:
            msg = f"{source}: plate {name!r} is empty (no well has a value). Check the export."
            raise DataValidationError(msg)
        nr = max(_row_index(r) for r in grp["row"]) + 1
        nc = int(grp["column"].max())
        if not any(nr <= r and nc <= c for r, c in PLATE_FORMATS.values()):
            msg = f"{source}: plate {name!r} has wells up to {well_name(_row_letters(nr)[-1], nc)}, beyond a 1536-well plate."
            raise DataValidationError(msg)
    long["n_wells"] = long.groupby("plate")["well"].transform(
        lambda s: _format_for(s, long.loc[s.index])
    )
    return long[["plate", "well", "row", "column", "value", "n_wells"]].reset_index(drop=True)


def _format_for(_: pd.Series, grp: pd.DataFrame) -> int:
    nr = max(_row_index(r) for r in grp["row"]) + 1
    nc = int(grp["column"].max())
    for wells, (r, c) in sorted(PLATE_FORMATS.items()):
        if nr <= r and nc <= c:
            return wells
    return 1536


def read_plate(
    path: str | Path,
    *,
    format: str = "auto",
    plate: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Read a plate-reader export (grid, vendor ``;``/decimal-comma grid, or long CSV).

    Parameters
    ----------
    path : str or Path
        The export; opened read-only.
    format : {"auto", "grid", "vendor", "long"}
        ``auto`` detects the separator and decimal mark and whether the file holds grids or a
        long table.
    plate : str, optional
        Plate name when the file does not name it (default: the file name without suffix).
    value : str, optional
        Reading column of a long table (default: the first of ``value``, ``signal``,
        ``luminescence``, ``rlu``, ``counts``).

    Returns
    -------
    pandas.DataFrame
        ``plate, well, row, column, value, n_wells``; empty wells have NaN values.

    Examples
    --------
    >>> from repurposekit.datasets import path
    >>> p = read_plate(path("screen", "plate_ENDO-A.csv"))
    >>> p.loc[0, "plate"], p.loc[0, "well"], int(p.loc[0, "n_wells"])
    ('ENDO-A', 'A01', 384)
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found."
        raise DataValidationError(msg)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = p.read_text(encoding="latin-1")
    if not text.strip():
        msg = f"{p}: the file is empty."
        raise DataValidationError(msg)
    sep, decimal = _sniff(text)
    if format == "vendor":
        sep, decimal = ";", ","
    elif format in ("grid", "long") and sep == ";":
        pass
    if format not in ("auto", "grid", "vendor", "long"):
        msg = f"unknown plate format {format!r}; use auto, grid, vendor or long."
        raise DataValidationError(msg)
    first = next(csv.reader(io.StringIO(text.lstrip()), delimiter=sep))
    lower = [c.strip().lower() for c in first]
    is_long = format == "long" or (
        format == "auto" and ("well" in lower or {"row", "column"} <= set(lower))
    )
    if is_long:
        df = read_table(p, sep=sep, decimal=decimal)
        long = _read_long(df, source=p, value=value, plate=plate)
    else:
        long = _read_grids(text, sep=sep, decimal=decimal, source=p, plate=plate)
    return _finish(long, source=p)


def read_plate_map(path: str | Path, *, default_unit: str | None = None) -> pd.DataFrame:
    """Read a plate map CSV: which well holds what.

    Columns: ``well`` (required), ``role`` (blank / vehicle / positive / sample; aliases
    such as ``DMSO``, ``negative control``, ``empty`` accepted), and optionally ``plate``
    (a map without it applies to every plate), ``sample`` (e.g. cell line), ``compound``,
    ``concentration`` with ``unit`` (or ``concentration_<unit>``), ``replicate`` and
    ``solvent`` (for solvent-matched vehicles).

    Returns
    -------
    pandas.DataFrame
        ``[plate,] well, role, sample, compound, dose_molar, dose_unit, replicate, solvent``.
        ``dose_molar`` is 0 for vehicle and blank wells.
    """
    p = Path(path)
    df = read_table(p, dtype=str, keep_default_na=False)
    cols = {c.lower(): c for c in df.columns}
    require_columns(df.rename(columns=str.lower), ["well"], source=p)
    out = pd.DataFrame(index=df.index)
    if "plate" in cols:
        out["plate"] = df[cols["plate"]].astype(str).str.strip()
    parsed = [_parse_well(w, source=p, line=i + 2) for i, w in enumerate(df[cols["well"]])]
    out["well"] = [well_name(r, c) for r, c in parsed]
    roles = []
    role_col = cols.get("role") or cols.get("type")
    for i in range(len(df)):
        raw = df.loc[i, role_col].strip().lower() if role_col else "sample"
        if raw not in _ROLE_ALIASES:
            msg = (
                f"{p}, line {i + 2}: role {df.loc[i, role_col]!r} is not one of blank, vehicle, "
                "positive, sample (or empty)."
            )
            raise DataValidationError(msg)
        roles.append(_ROLE_ALIASES[raw])
    out["role"] = roles
    for name in ("sample", "compound", "solvent"):
        out[name] = df[cols[name]].astype(str).str.strip() if name in cols else ""
    out["replicate"] = df[cols["replicate"]].astype(str).str.strip() if "replicate" in cols else ""

    conc_col = cols.get("concentration") or cols.get("conc") or cols.get("dose")
    unit_col = cols.get("unit") or cols.get("conc_unit") or cols.get("concentration_unit")
    if conc_col is None:
        for c in df.columns:
            m = re.match(r"^(?:concentration|conc|dose)_(\w+)$", c, flags=re.I)
            if m:
                conc_col, default_unit = c, m.group(1)
                break
    dose = np.zeros(len(df))
    units = [""] * len(df)
    if conc_col is not None:
        conc_raw = df[conc_col].replace({"": np.nan})
        conc = coerce_numeric(
            pd.DataFrame({conc_col: conc_raw}), conc_col, source=p, allow_missing=True
        )
        neg = np.flatnonzero(conc.fillna(0.0).to_numpy() < 0)
        if neg.size:
            i = int(neg[0])
            msg = f"{p}, line {i + 2}: concentration {conc.iloc[i]:g} is negative; doses cannot be negative."
            raise DataValidationError(msg)
        for i in range(len(df)):
            if np.isnan(conc.iloc[i]) or out["role"].iloc[i] in ("blank", "vehicle", "empty"):
                continue
            unit = df.loc[i, unit_col].strip() if unit_col else (default_unit or "")
            if not unit:
                msg = f"{p}, line {i + 2}: concentration {conc.iloc[i]:g} has no unit; add a 'unit' column (nM, uM …)."
                raise DataValidationError(msg)
            try:
                dose[i] = float(to_molar(conc.iloc[i], unit))
            except DataValidationError as exc:
                msg = f"{p}, line {i + 2}: {exc}"
                raise DataValidationError(msg) from None
            units[i] = unit
    bad = (out["role"] == "sample") & (dose <= 0)
    if conc_col is not None and bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"{p}, line {i + 2}: sample well {out['well'].iloc[i]} has no concentration; give one or mark it vehicle."
        raise DataValidationError(msg)
    out["dose_molar"] = dose
    out["dose_unit"] = units
    keys = ["plate", "well"] if "plate" in out.columns else ["well"]
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        msg = f"{p}, line {i + 2}: well {out['well'].iloc[i]} is listed more than once in the plate map."
        raise DataValidationError(msg)
    return out.reset_index(drop=True)
