"""Validation of survival inputs at the public boundary (the kernels do not re-check)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import (
    _row_label,
    check_nonnegative,
    coerce_numeric,
    require_columns,
)

__all__ = ["as_columns", "check_arrays", "survival_columns"]


def as_columns(cols: str | Sequence[str] | None) -> tuple[str, ...]:
    """``None`` → (), ``"a"`` → ("a",), a sequence → tuple."""
    if cols is None:
        return ()
    if isinstance(cols, str):
        return (cols,)
    return tuple(cols)


def _event_values(data: pd.DataFrame, event: str) -> np.ndarray:
    raw = data[event]
    if raw.dtype == bool:
        return raw.to_numpy(dtype=float)
    values = coerce_numeric(data, event)
    bad = ~values.isin([0.0, 1.0])
    if bad.any():
        i = bad.idxmax()
        msg = (
            f"column {event!r}, {_row_label(i, header_rows=1)}: {raw.loc[i]!r} is not a valid "
            f"event indicator; use 1 (event) or 0 (censored)."
        )
        raise DataValidationError(msg)
    return values.to_numpy(dtype=float)


def survival_columns(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    other: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``data`` and return (time, event) as float arrays.

    Raises DataValidationError for a missing column, a missing/non-numeric/negative/infinite
    time, an event not in {0, 1}, or a missing value in any ``other`` column, naming the
    column and the row.
    """
    cols = [time, event, *other]
    require_columns(
        data,
        cols,
        hint="Pass the right column names, e.g. time='day', event='dead', by='group'.",
    )
    if len(data) == 0:
        msg = "the survival table has no rows."
        raise DataValidationError(msg)
    t = coerce_numeric(data, time)
    inf = ~np.isfinite(t.to_numpy())
    if inf.any():
        i = t.index[int(np.argmax(inf))]
        msg = f"column {time!r}, {_row_label(i, header_rows=1)}: time is infinite."
        raise DataValidationError(msg)
    check_nonnegative(t, time)
    e = _event_values(data, event)
    for c in other:
        miss = data[c].isna()
        if miss.any():
            i = miss.idxmax()
            msg = (
                f"column {c!r}, {_row_label(i, header_rows=1)}: value is missing. Fill it in "
                f"or drop the row."
            )
            raise DataValidationError(msg)
    return t.to_numpy(dtype=float), e


def check_arrays(time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
    """Array-level checks for the batched kernel (names the index of the first bad entry)."""
    t = np.asarray(time, dtype=float).ravel()
    e_raw = np.asarray(event)
    e = e_raw.astype(float).ravel()
    if t.shape != e.shape:
        msg = f"`time` has {t.size} values but `event` has {e.size}; they must match."
        raise DataValidationError(msg)
    bad = ~np.isfinite(t)
    if bad.any():
        msg = f"`time`[{int(np.argmax(bad))}] is missing or infinite."
        raise DataValidationError(msg)
    if (t < 0).any():
        i = int(np.argmax(t < 0))
        msg = f"`time`[{i}] = {float(t[i])!r} is negative; survival times cannot be negative."
        raise DataValidationError(msg)
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        msg = f"`event`[{i}] = {e_raw.ravel()[i].item()!r} is not 0/1 (1 = event, 0 = censored)."
        raise DataValidationError(msg)
    return t, e
