"""Validation helpers used at public boundaries (never inside array kernels).

Every message names the place (file, row, column) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError

__all__ = [
    "check_nonnegative",
    "coerce_numeric",
    "read_table",
    "require_columns",
    "where",
]


def where(source: str | Path | None) -> str:
    """Prefix naming the input, e.g. ``"plate1.csv: "`` (empty when there is no file)."""
    return f"{source}: " if source else ""


def require_columns(
    data: pd.DataFrame,
    columns: Iterable[str],
    *,
    source: str | Path | None = None,
    hint: str = "",
) -> None:
    """Raise if ``data`` lacks any of ``columns``; the message lists what is there."""
    if not isinstance(data, pd.DataFrame):
        msg = f"{where(source)}expected a pandas DataFrame, got {type(data).__name__}."
        raise DataValidationError(msg)
    required = list(columns)
    missing = [c for c in required if c not in data.columns]
    if missing:
        msg = (
            f"{where(source)}missing column(s) {missing}; the table has {list(map(str, data.columns))}. "
            f"{hint or 'Rename the columns or pass the right names explicitly (e.g. --dose, --response).'}"
        )
        raise DataValidationError(msg)


def _row_label(index_value: object, *, header_rows: int) -> str:
    if isinstance(index_value, (int, np.integer)):
        return f"row {int(index_value) + 1 + header_rows}"
    return f"row {index_value!r}"


def coerce_numeric(
    data: pd.DataFrame,
    column: str,
    *,
    source: str | Path | None = None,
    allow_missing: bool = False,
    header_rows: int = 1,
) -> pd.Series:
    """Return ``data[column]`` as float, naming the first non-numeric cell if there is one.

    Row numbers in messages are file line numbers (1-based, counting ``header_rows``) when the
    frame has a default RangeIndex, as it does straight after ``read_csv``.
    """
    raw = data[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        i = bad.idxmax()
        msg = (
            f"{where(source)}column {column!r}, {_row_label(i, header_rows=header_rows)}: "
            f"{raw.loc[i]!r} is not a number. Fix the cell (numbers use '.' as the decimal "
            f"mark; plate-reader exports with decimal commas are read by `rk plates`)."
        )
        raise DataValidationError(msg)
    if not allow_missing and values.isna().any():
        i = values.isna().idxmax()
        msg = (
            f"{where(source)}column {column!r}, {_row_label(i, header_rows=header_rows)}: value is "
            f"missing. Fill it in or remove the row."
        )
        raise DataValidationError(msg)
    return values.astype(float)


def check_nonnegative(
    values: pd.Series, column: str, *, source: str | Path | None = None, header_rows: int = 1
) -> None:
    """Raise naming the first negative value in ``values``."""
    neg = values < 0
    if neg.any():
        i = neg.idxmax()
        msg = (
            f"{where(source)}column {column!r}, {_row_label(i, header_rows=header_rows)}: "
            f"{float(values.loc[i]):g} is negative; {column} cannot be negative."
        )
        raise DataValidationError(msg)


def read_table(
    path: str | Path,
    *,
    sep: str | None = None,
    decimal: str = ".",
    required: Sequence[str] = (),
    **kwargs: object,
) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzip) into a DataFrame with clear errors.

    The separator is inferred from the extension (``.tsv``/``.txt`` → tab) or sniffed when
    ``sep`` is None. The file is opened read-only and never modified.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found. Check the path (relative paths start from {Path.cwd()})."
        raise DataValidationError(msg)
    if p.is_dir():
        msg = f"{p}: is a folder, not a table file."
        raise DataValidationError(msg)
    name = p.name.lower().removesuffix(".gz")
    if sep is None:
        if name.endswith((".tsv", ".tab", ".txt")):
            sep = "\t"
        elif name.endswith(".csv"):
            sep = ","
    try:
        if name.endswith(".parquet"):
            df = pd.read_parquet(p)
        elif sep is None:
            df = pd.read_csv(p, sep=None, engine="python", decimal=decimal, **kwargs)
        else:
            df = pd.read_csv(p, sep=sep, decimal=decimal, **kwargs)
    except pd.errors.EmptyDataError:
        msg = f"{p}: the file is empty."
        raise DataValidationError(msg) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{p}: cannot be read as a table ({exc}). Save it as CSV (comma) or TSV (tab)."
        raise DataValidationError(msg) from None
    if df.empty:
        msg = f"{p}: the table has a header but no rows."
        raise DataValidationError(msg)
    df.columns = [str(c).strip() for c in df.columns]
    if required:
        require_columns(df, required, source=p)
    return df
