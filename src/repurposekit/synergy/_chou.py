"""Chou–Talalay median-effect analysis: m, Dm, r; combination index (CI) and dose-reduction index (DRI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.synergy._calls import call_ci, grade_ci

__all__ = [
    "ChouTalalayResult",
    "chou_talalay",
    "combination_index_matrix",
    "median_effect_fit",
]

FA_LEVELS = (0.5, 0.75, 0.9, 0.95)


def median_effect_fit(dose: np.ndarray, fa: np.ndarray) -> dict[str, float]:
    """Median-effect line: OLS of ``log10(fa/(1−fa))`` on ``log10 D``.

    Points with ``fa`` outside (0, 1) or ``D ≤ 0`` are left out and counted in ``n_excluded``.

    Returns
    -------
    dict
        ``m`` (slope), ``Dm`` (median-effect dose, same unit as ``dose``), ``r`` (linear
        correlation), ``n`` (points used), ``n_excluded``.

    Examples
    --------
    >>> f = median_effect_fit([1, 2, 4], [0.2, 0.5, 0.8])
    >>> round(f["Dm"], 6), round(f["r"], 6)
    (2.0, 1.0)
    """
    dose = np.asarray(dose, dtype=float)
    fa = np.asarray(fa, dtype=float)
    ok = (fa > 0) & (fa < 1) & (dose > 0) & np.isfinite(fa) & np.isfinite(dose)
    n = int(ok.sum())
    if n < 2:
        return {"m": np.nan, "Dm": np.nan, "r": np.nan, "n": n, "n_excluded": int((~ok).sum())}
    x = np.log10(dose[ok])
    y = np.log10(fa[ok] / (1.0 - fa[ok]))
    m, icpt = np.polyfit(x, y, 1)
    r = float(np.corrcoef(x, y)[0, 1]) if n > 2 else 1.0
    return {
        "m": float(m),
        "Dm": float(10 ** (-icpt / m)),
        "r": r,
        "n": n,
        "n_excluded": int((~ok).sum()),
    }


def _dose_at(fa: np.ndarray, m: float, dm: float) -> np.ndarray:
    """Dose giving effect ``fa``: ``Dx = Dm (fa/(1−fa))^(1/m)``."""
    fa = np.asarray(fa, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return dm * (fa / (1.0 - fa)) ** (1.0 / m)


def _ci(parts: np.ndarray, *, exclusive: bool) -> np.ndarray:
    """CI from the terms d_i/Dx_i (last axis = drugs); non-exclusive adds all cross products."""
    ci = parts.sum(axis=-1)
    if not exclusive:
        k = parts.shape[-1]
        for size in range(2, k + 1):
            for combo in combinations(range(k), size):
                ci = ci + np.prod(parts[..., list(combo)], axis=-1)
    return ci


@dataclass(frozen=True, eq=False)
class ChouTalalayResult:
    """Chou–Talalay analysis of single agents and constant-ratio mixtures.

    Attributes
    ----------
    parameters : DataFrame
        One row per agent (single drug or mixture): ``m, Dm_molar, r, n, n_excluded`` and
        ``flag`` (``"r<0.9"``, ``"fa outside (0,1)"``).
    indices : DataFrame
        CI and DRI per mixture at the chosen Fa levels (``fa``, ``ci``, ``call``, ``grade``,
        ``dri_<drug>``).
    points : DataFrame
        CI and DRI at each measured mixture point (``source_row`` kept).
    settings : mapping
    """

    parameters: pd.DataFrame
    indices: pd.DataFrame
    points: pd.DataFrame
    ratios: pd.DataFrame
    exclusive: bool = True
    settings: Any = None

    def indices_at(self, fa_levels: Sequence[float]) -> pd.DataFrame:
        """CI and DRI of every mixture at any Fa levels (e.g. a fine grid for a Fa–CI plot)."""
        return _mixture_indices(
            self.parameters,
            self.ratios,
            np.asarray(fa_levels, dtype=float),
            exclusive=self.exclusive,
        )

    def to_frame(self) -> pd.DataFrame:
        """CI/DRI at the Fa levels (a copy)."""
        return self.indices.copy()

    def summary(self) -> str:
        """One line per mixture and Fa level."""
        lines = ["Chou–Talalay (CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism)"]
        for _, r in self.indices.iterrows():
            lines.append(f"{r['agent']} Fa={r['fa']:.2f}: CI={r['ci']:.3f} ({r['grade']})")
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Fa–CI plot (see :func:`repurposekit.plot.synergy.fa_ci_plot`)."""
        from repurposekit.plot.synergy import fa_ci_plot

        return fa_ci_plot(self, ax=ax, **kwargs)


def chou_talalay(
    data: pd.DataFrame,
    *,
    fa_levels: Sequence[float] = FA_LEVELS,
    exclusive: bool = True,
    min_r: float = 0.9,
) -> ChouTalalayResult:
    """Median-effect fits, CI and DRI for single agents and constant-ratio mixtures.

    Parameters
    ----------
    data : DataFrame
        ``agent, ratio_<drug>..., total_dose_molar, fa`` (see
        :func:`repurposekit.io.synergy.read_constant_ratio`). Single agents have one non-zero
        ratio; every drug of a mixture needs its own single-agent series.
    fa_levels : sequence of float
        Fraction-affected levels for CI/DRI (default 0.5, 0.75, 0.9, 0.95).
    exclusive : bool
        Mutually exclusive CI (default, Chou–Talalay's classical form); ``False`` adds the
        cross-product terms of mutually non-exclusive drugs.
    min_r : float
        Fits with linear correlation below this are flagged (default 0.9).

    Returns
    -------
    ChouTalalayResult

    Notes
    -----
    Median-effect equation :math:`f_a/f_u = (D/D_m)^m`; for a mixture at effect :math:`x`
    with total dose :math:`D_x` and drug fractions :math:`p_i`, :math:`d_i = p_i D_x` and

    .. math:: CI = \\sum_i d_i/(D_x)_i, \\qquad DRI_i = (D_x)_i / d_i,

    with :math:`(D_x)_i = D_{m,i} (x/(1-x))^{1/m_i}`.

    References
    ----------
    Chou TC, Talalay P (1984). Adv Enzyme Regul 22:27. doi:10.1016/0065-2571(84)90007-4
    Chou TC (2006). Pharmacol Rev 58:621. doi:10.1124/pr.58.3.10
    """
    ratio_cols = [c for c in data.columns if c.startswith("ratio_")]
    need = ["agent", "total_dose_molar", "fa"]
    missing = [c for c in need if c not in data.columns]
    if missing or not ratio_cols:
        msg = f"Chou–Talalay table needs agent, ratio_<drug>..., total_dose_molar, fa; missing {missing or 'ratio_<drug>'}."
        raise DataValidationError(msg)
    drugs = [c.removeprefix("ratio_") for c in ratio_cols]
    fa_levels = np.asarray(fa_levels, dtype=float)
    params = []
    ratios: dict[str, np.ndarray] = {}
    for agent, g in data.groupby("agent", sort=False):
        f = median_effect_fit(g["total_dose_molar"].to_numpy(), g["fa"].to_numpy())
        rat = g[ratio_cols].iloc[0].to_numpy(dtype=float)
        ratios[agent] = rat / rat.sum()
        flags = []
        if f["n_excluded"]:
            flags.append("fa outside (0,1)")
        if np.isfinite(f["r"]) and f["r"] < min_r:
            flags.append(f"r<{min_r:g}")
        params.append(
            {
                "agent": agent,
                "n_drugs": int((rat > 0).sum()),
                "m": f["m"],
                "Dm_molar": f["Dm"],
                "r": f["r"],
                "n": f["n"],
                "n_excluded": f["n_excluded"],
                "flag": "; ".join(flags),
            }
        )
    par = pd.DataFrame(params)
    ratio_df = pd.DataFrame(ratios, index=drugs).T.rename_axis("agent").reset_index()
    rows_df = _mixture_indices(par, ratio_df, fa_levels, exclusive=exclusive)
    pts = []
    single = _singles(par, ratio_df)
    for _, row in par[par["n_drugs"] > 1].iterrows():
        agent = row["agent"]
        p = ratio_df.set_index("agent").loc[agent].to_numpy(dtype=float)
        present = [i for i in range(len(drugs)) if p[i] > 0]
        g = data[data["agent"] == agent]
        fa_obs = g["fa"].to_numpy(dtype=float)
        d = g["total_dose_molar"].to_numpy(dtype=float)[:, None] * p[present][None, :]
        dx = np.stack([_dose_at(fa_obs, *single[drugs[i]]) for i in present], axis=1)
        ci = _ci(d / dx, exclusive=exclusive)
        for j in range(len(g)):
            rec = {
                "agent": agent,
                "total_dose_molar": g["total_dose_molar"].iloc[j],
                "fa": fa_obs[j],
                "ci": ci[j],
            }
            for k, i in enumerate(present):
                rec[f"dri_{drugs[i]}"] = dx[j, k] / d[j, k]
            rec["flag"] = "" if 0 < fa_obs[j] < 1 else "fa outside (0,1)"
            if "source_row" in g.columns:
                rec["source_row"] = g["source_row"].iloc[j]
            pts.append(rec)
    ind = rows_df
    pts_df = pd.DataFrame(pts)
    for df in (ind, pts_df):
        if len(df):
            df["call"] = call_ci(df["ci"].to_numpy())
            df["grade"] = grade_ci(df["ci"].to_numpy())
    return ChouTalalayResult(
        parameters=par,
        indices=ind,
        points=pts_df,
        ratios=ratio_df,
        exclusive=exclusive,
        settings=_settings(data, fa_levels=fa_levels.tolist(), exclusive=exclusive, min_r=min_r),
    )


def _singles(par: pd.DataFrame, ratio_df: pd.DataFrame) -> dict[str, tuple[float, float]]:
    drugs = [c for c in ratio_df.columns if c != "agent"]
    rat = ratio_df.set_index("agent")
    single = {}
    for _, row in par[par["n_drugs"] == 1].iterrows():
        i = int(np.argmax(rat.loc[row["agent"]].to_numpy(dtype=float)))
        single[drugs[i]] = (row["m"], row["Dm_molar"])
    return single


def _mixture_indices(
    par: pd.DataFrame, ratio_df: pd.DataFrame, fa_levels: np.ndarray, *, exclusive: bool
) -> pd.DataFrame:
    drugs = [c for c in ratio_df.columns if c != "agent"]
    rat = ratio_df.set_index("agent")
    single = _singles(par, ratio_df)
    rows = []
    for _, row in par[par["n_drugs"] > 1].iterrows():
        agent = row["agent"]
        p = rat.loc[agent].to_numpy(dtype=float)
        present = [i for i in range(len(drugs)) if p[i] > 0]
        lacking = [drugs[i] for i in present if drugs[i] not in single]
        if lacking:
            msg = f"mixture {agent!r}: no single-agent series for {lacking}; CI needs each drug alone."
            raise DataValidationError(msg)
        total = _dose_at(fa_levels, row["m"], row["Dm_molar"])
        d = total[:, None] * p[present][None, :]
        dx = np.stack([_dose_at(fa_levels, *single[drugs[i]]) for i in present], axis=1)
        ci = _ci(d / dx, exclusive=exclusive)
        for j, fa in enumerate(fa_levels):
            rec = {"agent": agent, "fa": float(fa), "ci": ci[j]}
            for k, i in enumerate(present):
                rec[f"dose_{drugs[i]}_molar"] = d[j, k]
                rec[f"dx_{drugs[i]}_molar"] = dx[j, k]
                rec[f"dri_{drugs[i]}"] = dx[j, k] / d[j, k]
            rows.append(rec)
    out = pd.DataFrame(rows)
    if len(out):
        out["call"] = call_ci(out["ci"].to_numpy())
        out["grade"] = grade_ci(out["ci"].to_numpy())
    return out


def combination_index_matrix(
    data: pd.DataFrame,
    *,
    exclusive: bool = True,
    min_r: float = 0.9,
) -> pd.DataFrame:
    """CI and DRI at every combination cell of dose matrices (non-constant-ratio designs).

    Parameters
    ----------
    data : DataFrame
        Tidy synergy table (``block_id, drug1, drug2, dose1_molar, dose2_molar,
        inhibition_pct``); fa = inhibition/100. Median-effect fits of each drug come from its
        monotherapy edge of the block.
    exclusive, min_r : see :func:`chou_talalay`.

    Returns
    -------
    DataFrame
        One row per combination cell: ``block_id, dose1_molar, dose2_molar, fa, ci,
        dri_1, dri_2, call, grade, flag``; block-level ``m_1, Dm_1, r_1, m_2, Dm_2, r_2``.
    """
    out = []
    for block_id, g in data.groupby("block_id", sort=False):
        cell = g.groupby(["dose1_molar", "dose2_molar"], as_index=False)["inhibition_pct"].mean()
        fa = cell["inhibition_pct"].to_numpy() / 100.0
        d1 = cell["dose1_molar"].to_numpy()
        d2 = cell["dose2_molar"].to_numpy()
        s1 = median_effect_fit(d1[d2 == 0], fa[d2 == 0])
        s2 = median_effect_fit(d2[d1 == 0], fa[d1 == 0])
        combo = (d1 > 0) & (d2 > 0)
        dx1 = _dose_at(fa[combo], s1["m"], s1["Dm"])
        dx2 = _dose_at(fa[combo], s2["m"], s2["Dm"])
        parts = np.stack([d1[combo] / dx1, d2[combo] / dx2], axis=1)
        ci = _ci(parts, exclusive=exclusive)
        flag = np.where((fa[combo] > 0) & (fa[combo] < 1), "", "fa outside (0,1)").astype(object)
        poor = [
            f"r<{min_r:g} ({name})"
            for name, s in (("drug1", s1), ("drug2", s2))
            if not s["r"] >= min_r
        ]
        if poor:
            flag = np.array(
                [("; ".join([f, *poor]) if f else "; ".join(poor)) for f in flag], dtype=object
            )
        out.append(
            pd.DataFrame(
                {
                    "block_id": block_id,
                    "drug1": g["drug1"].iloc[0],
                    "drug2": g["drug2"].iloc[0],
                    "dose1_molar": d1[combo],
                    "dose2_molar": d2[combo],
                    "fa": fa[combo],
                    "ci": ci,
                    "dri_1": dx1 / d1[combo],
                    "dri_2": dx2 / d2[combo],
                    "call": call_ci(ci),
                    "grade": grade_ci(ci),
                    "flag": flag,
                    "m_1": s1["m"],
                    "Dm_1_molar": s1["Dm"],
                    "r_1": s1["r"],
                    "m_2": s2["m"],
                    "Dm_2_molar": s2["Dm"],
                    "r_2": s2["r"],
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
