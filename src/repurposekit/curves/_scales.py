"""Response scales and the check that a declared scale agrees with the controls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import where

__all__ = ["SCALES", "Scale", "check_scale", "get_scale"]


@dataclass(frozen=True)
class Scale:
    """A response scale: its name, untreated level and what "50 %" means on it."""

    name: str
    label: str
    control: float | None  # response of untreated (vehicle) wells; None = raw
    full_effect: float | None  # response at complete effect (all cells dead / 100 % inhibition)
    increasing: bool  # True when the response grows with effect (inhibition)

    def half_effect(self, top: float) -> float:
        """The response level of the absolute IC50 (half-way between control and full effect)."""
        if self.control is None or self.full_effect is None:
            return 0.5 * top  # raw: half of the fitted untreated level (0 = no signal)
        return 0.5 * (self.control + self.full_effect)

    @property
    def reference(self) -> float | None:
        """Magnitude used to normalise the AUC (100 for %, 1 for fractions, None for raw)."""
        if self.control is None or self.full_effect is None:
            return None
        return abs(self.control - self.full_effect)


SCALES: dict[str, Scale] = {
    "raw": Scale("raw", "response", None, None, increasing=False),
    "fraction": Scale("fraction", "viability (fraction of vehicle)", 1.0, 0.0, increasing=False),
    "percent": Scale("percent", "viability (% of vehicle)", 100.0, 0.0, increasing=False),
    "inhibition": Scale("inhibition", "inhibition (%)", 0.0, 100.0, increasing=True),
}
_ALIASES = {
    "viability": "percent",
    "viability_percent": "percent",
    "%": "percent",
    "% viability": "percent",
    "viability_fraction": "fraction",
    "fraction_viability": "fraction",
    "inhibition_percent": "inhibition",
    "% inhibition": "inhibition",
    "none": "raw",
}


def get_scale(name: str | None) -> Scale:
    """Look up a scale by name (``None`` → ``"raw"``)."""
    key = "raw" if name is None else str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in SCALES:
        msg = (
            f"unknown response scale {name!r}; use one of {sorted(SCALES)} "
            "(fraction = viability fraction of vehicle, percent = % viability, "
            "inhibition = % inhibition, raw = any continuous response)."
        )
        raise DataValidationError(msg)
    return SCALES[key]


def _looks_like(level: float) -> str | None:
    if abs(level - 100.0) <= 30.0:
        return "% viability (vehicle ≈ 100)"
    if abs(level - 1.0) <= 0.3:
        return "a viability fraction (vehicle ≈ 1)"
    if abs(level) <= 15.0 and abs(level) > 0.3:
        return "% inhibition (vehicle ≈ 0)"
    return None


def check_scale(
    scale: Scale,
    control_values: np.ndarray,
    *,
    response: str,
    source: object = None,
) -> None:
    """Raise if the vehicle (zero-dose) responses contradict the declared scale.

    The vehicle mean must lie within 30 % of the scale's span from its control level
    (e.g. 70-130 for % viability, -30..30 for % inhibition, 0.7-1.3 for a fraction).
    """
    vals = np.asarray(control_values, dtype=float)
    vals = vals[np.isfinite(vals)]
    if scale.control is None or vals.size == 0:
        return
    mean = float(vals.mean())
    span = abs(scale.control - scale.full_effect)
    if abs(mean - scale.control) <= 0.3 * span:
        return
    guess = _looks_like(mean)
    hint = f": this looks like {guess}" if guess else ""
    declared = {"fraction": "a viability fraction", "percent": "% viability"}.get(
        scale.name, "% inhibition"
    )
    msg = (
        f"{where(source)}declared {declared} for column {response!r} but the vehicle "
        f"(zero-dose) wells average {mean:.3g}{hint}. Pass the scale that matches the data "
        f"(--scale fraction|percent|inhibition|raw); nothing is rescaled silently."
    )
    raise DataValidationError(msg)
