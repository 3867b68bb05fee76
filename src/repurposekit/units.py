"""Canonical units and the conversions done at the IO boundary.

Inside RepurposeKit: concentration in molar, time in days, tumour volume in mm³, lengths in
mm, body weight in g, image spacing in µm/px, dose in mg/kg (animals) or mg (patients).
Readers call these functions once, when data come in, and record the unit they converted from.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from repurposekit._exceptions import DataValidationError

__all__ = [
    "CONCENTRATION_UNITS",
    "TIME_UNITS",
    "concentration_factor",
    "format_concentration",
    "normalise_unit",
    "to_days",
    "to_molar",
]

# factor that turns a value in the unit into molar
CONCENTRATION_UNITS: dict[str, float] = {
    "M": 1.0,
    "mM": 1e-3,
    "uM": 1e-6,
    "nM": 1e-9,
    "pM": 1e-12,
    "fM": 1e-15,
}

TIME_UNITS: dict[str, float] = {
    "d": 1.0,
    "h": 1.0 / 24.0,
    "min": 1.0 / 1440.0,
    "s": 1.0 / 86400.0,
    "wk": 7.0,
}

_ALIASES = {
    "molar": "M",
    "mol/l": "M",
    "µm": "uM",
    "μm": "uM",
    "um": "uM",
    "micromolar": "uM",
    "mm": "mM",
    "millimolar": "mM",
    "nm": "nM",
    "nanomolar": "nM",
    "pm": "pM",
    "picomolar": "pM",
    "fm": "fM",
    "m": "M",
    "day": "d",
    "days": "d",
    "hour": "h",
    "hours": "h",
    "hr": "h",
    "hrs": "h",
    "minutes": "min",
    "seconds": "s",
    "week": "wk",
    "weeks": "wk",
}


def normalise_unit(unit: str) -> str:
    """Return the canonical spelling of a unit (``"µM"``, ``"um"``, ``"micromolar"`` → ``"uM"``)."""
    u = str(unit).strip()
    if u in CONCENTRATION_UNITS or u in TIME_UNITS:
        return u
    key = u.lower()
    if key in _ALIASES:
        return _ALIASES[key]
    known = sorted(set(CONCENTRATION_UNITS) | set(TIME_UNITS))
    msg = f"Unknown unit {unit!r}. Known units: {', '.join(known)} (µM may be written uM)."
    raise DataValidationError(msg)


def concentration_factor(unit: str) -> float:
    """Factor that converts a concentration in ``unit`` to molar."""
    u = normalise_unit(unit)
    if u not in CONCENTRATION_UNITS:
        msg = f"{unit!r} is not a concentration unit; use one of {', '.join(CONCENTRATION_UNITS)}."
        raise DataValidationError(msg)
    return CONCENTRATION_UNITS[u]


def to_molar(values: ArrayLike, unit: str) -> np.ndarray:
    """Convert concentrations given in ``unit`` to molar.

    Examples
    --------
    >>> to_molar([1, 10], "uM")
    array([1.e-06, 1.e-05])
    """
    return np.asarray(values, dtype=float) * concentration_factor(unit)


def to_days(values: ArrayLike, unit: str) -> np.ndarray:
    """Convert times given in ``unit`` (``d``, ``h``, ``min``, ``s``, ``wk``) to days."""
    u = normalise_unit(unit)
    if u not in TIME_UNITS:
        msg = f"{unit!r} is not a time unit; use one of {', '.join(TIME_UNITS)}."
        raise DataValidationError(msg)
    return np.asarray(values, dtype=float) * TIME_UNITS[u]


def format_concentration(molar: float, unit: str | None = None) -> str:
    """Format a molar concentration in ``unit`` (or the most readable unit).

    Examples
    --------
    >>> format_concentration(2.5e-6)
    '2.5 µM'
    """
    if not np.isfinite(molar):
        return "n/a"
    if unit is None:
        unit = "M"
        for u in ("M", "mM", "uM", "nM", "pM"):
            if abs(molar) >= CONCENTRATION_UNITS[u] or u == "pM":
                unit = u
                break
    value = molar / concentration_factor(unit)
    label = normalise_unit(unit).replace("uM", "µM")
    return f"{value:.3g} {label}"
