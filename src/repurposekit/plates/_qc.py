"""Plate quality control: Z′-factor, CV of controls, signal window, edge effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["QC_THRESHOLDS", "plate_qc", "z_prime"]

QC_THRESHOLDS = {
    "z_prime_min": 0.5,  # Zhang, Chung & Oldenburg 1999: 0.5 ≤ Z′ < 1 is an excellent assay
    "cv_max_percent": 20.0,  # vehicle CV; 20 % is the usual cell-based HTS limit
    "signal_window_min": 2.0,  # Iversen et al. 2006 (Assay Guidance Manual): SW ≥ 2
    "edge_effect_max": 0.15,  # |edge / interior − 1| of vehicle wells
}


def z_prime(high: np.ndarray, low: np.ndarray) -> float:
    """Z′-factor ``1 − 3 (σ_high + σ_low) / |μ_high − μ_low|`` (Zhang et al. 1999).

    Examples
    --------
    >>> round(z_prime(np.array([100.0, 102, 98]), np.array([10.0, 11, 9])), 3)
    0.9
    """
    high, low = np.asarray(high, float), np.asarray(low, float)
    if high.size < 2 or low.size < 2:
        return float("nan")
    gap = abs(high.mean() - low.mean())
    if gap == 0:
        return float("-inf")
    return float(1.0 - 3.0 * (high.std(ddof=1) + low.std(ddof=1)) / gap)


def _cv(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    if x.size < 2 or x.mean() == 0:
        return float("nan")
    return float(100.0 * x.std(ddof=1) / abs(x.mean()))


def _edge(grp: pd.DataFrame) -> float:
    """Relative difference of vehicle wells on the outer ring vs the interior."""
    veh = grp[grp["role"] == "vehicle"]
    if veh.empty:
        return float("nan")
    nrow = {96: 8, 384: 16, 1536: 32}.get(int(grp["n_wells"].iloc[0]), 8)
    ncol = {96: 12, 384: 24, 1536: 48}.get(int(grp["n_wells"].iloc[0]), 12)
    r = veh["row"].map(lambda s: ord(s[-1]) - ord("A") + (26 if len(s) == 2 else 0))
    c = veh["column"]
    edge = (r == 0) | (r == nrow - 1) | (c == 1) | (c == ncol)
    vals = veh["value_blanked"]
    if edge.sum() < 2 or (~edge).sum() < 2:
        return float("nan")
    inner = vals[~edge].mean()
    return float(vals[edge].mean() / inner - 1.0) if inner else float("nan")


def plate_qc(wells: pd.DataFrame, *, thresholds: dict | None = None) -> pd.DataFrame:
    """One QC row per plate from a normalised well table (see ``normalize_plates``).

    Parameters
    ----------
    wells : pandas.DataFrame
        Columns ``plate, role, row, column, n_wells, value, value_blanked``.
    thresholds : dict, optional
        Overrides of :data:`QC_THRESHOLDS`.

    Returns
    -------
    pandas.DataFrame
        ``plate, n_vehicle, n_positive, n_blank, vehicle_mean, low_control, z_prime,
        cv_vehicle_percent, cv_low_percent, signal_to_background, signal_window,
        edge_effect, passed, qc_flags``. ``low_control`` is the positive control when the
        plate has one, else the blank wells.

    Notes
    -----
    Z′ = 1 − 3(σ_v + σ_l)/|μ_v − μ_l| (vehicle vs low control). Signal window
    SW = (|μ_v − μ_l| − 3(σ_v + σ_l))/σ_v (Iversen et al. 2006). The edge effect is
    mean(edge vehicle)/mean(interior vehicle) − 1 on blank-subtracted values, computed when
    the map places at least two vehicle wells on the outer ring and two inside.
    A plate that fails any check is kept and flagged (``passed=False``), never dropped.

    References
    ----------
    Zhang JH, Chung TD, Oldenburg KR (1999) J Biomol Screen 4:67-73.
    doi:10.1177/108705719900400206
    Iversen PW et al. (2006) J Biomol Screen 11:247-252. doi:10.1177/1087057105285610
    """
    th = QC_THRESHOLDS | (thresholds or {})
    rows = []
    for plate, grp in wells.groupby("plate", sort=False):
        veh = grp.loc[grp["role"] == "vehicle", "value"].dropna().to_numpy()
        pos = grp.loc[grp["role"] == "positive", "value"].dropna().to_numpy()
        blank = grp.loc[grp["role"] == "blank", "value"].dropna().to_numpy()
        low, low_name = (pos, "positive") if pos.size >= 2 else (blank, "blank")
        zp = z_prime(veh, low) if low.size >= 2 else float("nan")
        sd_v = veh.std(ddof=1) if veh.size >= 2 else np.nan
        sd_l = low.std(ddof=1) if low.size >= 2 else np.nan
        mu_v = veh.mean() if veh.size else np.nan
        mu_l = low.mean() if low.size else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            sw = (abs(mu_v - mu_l) - 3 * (sd_v + sd_l)) / sd_v
            sb = mu_v / mu_l if low.size else np.nan
        edge = _edge(grp)
        flags = []
        if veh.size < 2:
            flags.append("too_few_vehicle_wells")
        if np.isfinite(zp) and zp < th["z_prime_min"]:
            flags.append(f"z_prime<{th['z_prime_min']}")
        elif not np.isfinite(zp):
            flags.append("z_prime_not_computable")
        cvv = _cv(veh)
        if np.isfinite(cvv) and cvv > th["cv_max_percent"]:
            flags.append(f"cv_vehicle>{th['cv_max_percent']:g}%")
        if np.isfinite(sw) and sw < th["signal_window_min"]:
            flags.append(f"signal_window<{th['signal_window_min']:g}")
        if np.isfinite(edge) and abs(edge) > th["edge_effect_max"]:
            flags.append(f"edge_effect>{th['edge_effect_max']:.0%}")
        rows.append(
            {
                "plate": plate,
                "n_vehicle": int(veh.size),
                "n_positive": int(pos.size),
                "n_blank": int(blank.size),
                "vehicle_mean": mu_v,
                "low_control": low_name,
                "low_mean": mu_l,
                "z_prime": zp,
                "cv_vehicle_percent": cvv,
                "cv_low_percent": _cv(low),
                "signal_to_background": sb,
                "signal_window": sw,
                "edge_effect": edge,
                "passed": not any(f for f in flags if f != "z_prime_not_computable"),
                "qc_flags": ";".join(flags),
            }
        )
    return pd.DataFrame(rows)
