"""Private log-rank kernels for cut-point searches (numpy only).

Cox fits use the shared :func:`repurposekit.survival.cox_univariate_batch`; what stays here is
the two-group log-rank statistic evaluated for many candidate splits at once (maximally
selected log-rank statistic), which the survival module does not need.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logrank_scan", "logrank_two_group"]


def _event_groups(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For time-sorted data: start index of each distinct event time's risk set, and deaths."""
    ev_times = np.unique(time[event == 1])
    start = np.searchsorted(time, ev_times, side="left")
    return ev_times, start, np.searchsorted(time, ev_times, side="right")


def logrank_two_group(
    time: np.ndarray, event: np.ndarray, group: np.ndarray
) -> tuple[float, float, float]:
    """Two-group log-rank: (O − E for group 1, variance, chi-square)."""
    o, ex, v = logrank_scan(time, event, group[:, None].astype(bool))
    chisq = float(o[0] - ex[0]) ** 2 / v[0] if v[0] > 0 else np.nan
    return float(o[0] - ex[0]), float(v[0]), chisq


def logrank_scan(
    time: np.ndarray, event: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and hypergeometric variance of group-1 events for many splits.

    ``groups`` is n × K boolean (True = group 1). Matches R ``survdiff`` for two groups.
    """
    t = np.asarray(time, float)
    e = np.asarray(event, int)
    g = np.asarray(groups, bool)
    order = np.argsort(t, kind="stable")
    t, e, g = t[order], e[order], g[order].astype(float)
    _, start, stop = _event_groups(t, e)
    n = t.size
    n_risk = n - start
    at_risk1 = np.cumsum(g[::-1], axis=0)[::-1][start]  # T × K
    dd = np.array([e[a:b].sum() for a, b in zip(start, stop, strict=True)], float)
    d1 = np.vstack([(g[a:b] * e[a:b, None]).sum(axis=0) for a, b in zip(start, stop, strict=True)])
    nr = n_risk[:, None].astype(float)
    expected = (dd[:, None] * at_risk1 / nr).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(
            nr > 1,
            dd[:, None] * (at_risk1 / nr) * (1 - at_risk1 / nr) * (nr - dd[:, None]) / (nr - 1),
            0.0,
        ).sum(axis=0)
    return d1.sum(axis=0), expected, var
