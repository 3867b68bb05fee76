"""Calls (synergy / additive / antagonism) beside every score, with the protocol's thresholds."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["CI_GRADES", "call_ci", "call_score", "grade_ci"]

# Chou (2006) Pharmacol Rev 58:621, Table 5: symbols and descriptions of CI ranges.
CI_GRADES: tuple[tuple[float, float, str], ...] = (
    (0.0, 0.1, "very strong synergism"),
    (0.1, 0.3, "strong synergism"),
    (0.3, 0.7, "synergism"),
    (0.7, 0.85, "moderate synergism"),
    (0.85, 0.90, "slight synergism"),
    (0.90, 1.10, "nearly additive"),
    (1.10, 1.20, "slight antagonism"),
    (1.20, 1.45, "moderate antagonism"),
    (1.45, 3.3, "antagonism"),
    (3.3, 10.0, "strong antagonism"),
    (10.0, np.inf, "very strong antagonism"),
)


def call_ci(ci: ArrayLike, *, lower: float = 0.9, upper: float = 1.1) -> np.ndarray:
    """Protocol call for combination indices: CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism.

    Examples
    --------
    >>> call_ci([0.4, 1.0, 1.5, float("nan")]).tolist()
    ['synergism', 'additive', 'antagonism', 'n/a']
    """
    ci = np.asarray(ci, dtype=float)
    out = np.where(ci < lower, "synergism", np.where(ci > upper, "antagonism", "additive"))
    return np.where(np.isfinite(ci), out, "n/a").astype(object)


def grade_ci(ci: ArrayLike) -> np.ndarray:
    """Chou's finer grades of a CI (e.g. CI < 0.3 strong synergism; 0.3–0.7 synergism).

    Examples
    --------
    >>> grade_ci([0.2, 0.45, 0.95]).tolist()
    ['strong synergism', 'synergism', 'nearly additive']
    """
    ci = np.asarray(ci, dtype=float)
    out = np.full(ci.shape, "n/a", dtype=object)
    for lo, hi, name in CI_GRADES:
        out[(ci >= lo) & (ci < hi)] = name
    return out


def call_score(
    score: ArrayLike, *, p_value: ArrayLike | None = None, level: float = 0.05
) -> np.ndarray:
    """Call for excess-over-reference scores (Bliss, HSA, Loewe, ZIP): > 0 synergy, < 0 antagonism.

    With ``p_value`` given, a score whose p-value is ≥ ``level`` is called ``"not significant"``.

    Examples
    --------
    >>> call_score([12.0, -3.0, 0.0]).tolist()
    ['synergy', 'antagonism', 'additive']
    """
    s = np.asarray(score, dtype=float)
    out = np.where(s > 0, "synergy", np.where(s < 0, "antagonism", "additive")).astype(object)
    if p_value is not None:
        p = np.asarray(p_value, dtype=float)
        out = np.where(np.isfinite(p) & (p >= level), "not significant", out).astype(object)
    return np.where(np.isfinite(s), out, "n/a").astype(object)
