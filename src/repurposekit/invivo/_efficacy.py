"""Efficacy: tumour growth inhibition (TGI), T/C, group comparisons, tumour weights, mRECIST."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit.invivo._data import GrowthData
from repurposekit.invivo._growth import auc_growth_rate

__all__ = [
    "TGI_METHODS",
    "GroupComparison",
    "MRecist",
    "TGIResult",
    "compare_groups",
    "default_day",
    "mrecist",
    "mrecist_call",
    "response_counts",
    "tumour_growth_inhibition",
]

#: TGI variants: name -> description
TGI_METHODS: dict[str, str] = {
    "delta": "TGI = 1 − mean(ΔV_T)/mean(ΔV_C), ΔV = V_t − V_0 (group means; invivoSyn 'DeltaTV')",
    "rtv": "TGI = 1 − mean(RTV_T)/mean(RTV_C), RTV = V_t/V_0 (CombPDX / invivoSyn 'RTV')",
    "volume": "TGI = 1 − mean(V_T)/mean(V_C) = 1 − T/C (final volumes)",
    "auc": "TGI = 1 − mean(eGR_T)/mean(eGR_C), eGR = AUC-based growth rate up to the day (invivoSyn)",
}


def default_day(growth: GrowthData, *, min_fraction: float = 0.5) -> float:
    """Last measured day on which every group still has ≥ ``min_fraction`` of its animals.

    Used when no day is given for TGI or group comparisons, so that a group mean is never
    computed on the few animals left after the others reached the humane endpoint.

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.invivo import prepare_growth_data
    >>> df = pd.DataFrame({"subject": list("aabbb"), "group": list("VVTTT"),
    ...                    "day": [0, 7, 0, 7, 14], "volume_mm3": [100, 900, 100, 200, 300]})
    >>> default_day(prepare_growth_data(df))
    7.0
    """
    d = growth.data
    n = growth.animals.groupby("group")["subject"].size()
    best = growth.baseline_day
    for day in sorted(d["day"].unique()):
        have = d[d["day"] == day].groupby("group")["subject"].nunique()
        if all(have.get(g, 0) >= min_fraction * n[g] for g in n.index):
            best = float(day)
    return float(best)


def _day_table(growth: GrowthData, day: float) -> pd.DataFrame:
    d = growth.data
    t = d[d["day"] == day]
    if t.empty:
        days = sorted(d["day"].unique())
        msg = f"no measurements on day {day:g}; measured days are {[float(x) for x in days]}."
        raise DataValidationError(msg)
    return t


def _per_animal_value(growth: GrowthData, day: float, method: str) -> pd.DataFrame:
    if method == "auc":
        d = growth.data[growth.data["day"] <= day]
        rows = [
            {
                "subject": s,
                "group": g,
                "value": auc_growth_rate(a["day"].to_numpy(), a["volume_mm3"].to_numpy()),
                "volume_mm3": a["volume_mm3"].iloc[-1],
            }
            for (g, s), a in d.groupby(["group", "subject"], sort=False)
        ]
        return pd.DataFrame(rows).dropna(subset=["value"])
    t = _day_table(growth, day)
    col = {"delta": "delta_volume_mm3", "rtv": "rtv", "volume": "volume_mm3"}[method]
    out = t[["subject", "group", "volume_mm3"]].copy()
    out["value"] = t[col].to_numpy()
    return out.dropna(subset=["value"])


def _tgi_stat(values: np.ndarray, labels: np.ndarray, groups: list[str], control: str):
    mc = values[labels == control].mean()
    return np.array([1.0 - values[labels == g].mean() / mc for g in groups])


def _strat_boot_idx(labels: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    idx_by = [np.flatnonzero(labels == g) for g in pd.unique(labels)]
    out = np.empty((n_boot, len(labels)), dtype=int)
    pos = 0
    for ix in idx_by:
        out[:, pos : pos + len(ix)] = rng.choice(ix, size=(n_boot, len(ix)), replace=True)
        pos += len(ix)
    return out


@dataclass(frozen=True, eq=False)
class TGIResult:
    """Tumour growth inhibition of every group against the control on one day.

    ``table``: ``group, day, method, n, n_control, n_removed, tgi_pct, ci_low, ci_high,
    t_over_c_pct`` (T/C % of mean volumes that day). Sign: TGI > 0 = slower growth than
    control; 100 % = stasis (for ``delta``); > 100 % = regression.
    ``per_animal``: each treated animal's ``tgi_pct = 100 (1 − x_i / mean(x_C))`` (its mean is
    the group TGI for the mean-based methods), for waterfall plots.
    """

    table: pd.DataFrame
    per_animal: pd.DataFrame
    method: str
    day: float
    control: str
    settings: Mapping[str, Any]
    bootstrap: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        """Group table."""
        return self.table.copy()

    def summary(self) -> str:
        """One line per group."""
        lines = [f"TGI ({self.method}) on day {self.day:g} vs {self.control}:"]
        for r in self.table.itertuples():
            lines.append(
                f"  {r.group}: {r.tgi_pct:.4g} % [{r.ci_low:.4g}, {r.ci_high:.4g}], "
                f"T/C {r.t_over_c_pct:.4g} % (n={r.n})"
            )
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Waterfall of per-animal TGI (:func:`repurposekit.plot.invivo.waterfall`)."""
        from repurposekit.plot.invivo import waterfall

        return waterfall(self, ax=ax, **kwargs)


def tumour_growth_inhibition(
    growth: GrowthData,
    *,
    day: float | None = None,
    control: str | None = None,
    method: str = "delta",
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> TGIResult:
    """Tumour growth inhibition (TGI, %) and T/C (%) of each group against the control.

    Parameters
    ----------
    growth : GrowthData
    day : float, optional
        Measurement day (in the data's day scale). Default: :func:`default_day` (the last
        day on which every group keeps at least half of its animals).
    control : str, optional
        Reference group (default: the first group).
    method : {"delta", "rtv", "volume", "auc"}
        See :data:`TGI_METHODS`.
    n_boot : int
        Stratified bootstrap resamples (animals resampled within group, as invivoSyn's
        ``boot::boot(strata = Group)``); 0 disables the CI.
    confidence_level : float
        Percentile bootstrap interval.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    TGIResult

    Notes
    -----
    Animals removed before ``day`` (humane endpoint, death) are not in that day's means;
    ``n`` and ``n_removed`` report how many animals each mean rests on. Use an earlier day,
    or ``method="auc"`` (which uses each animal's whole follow-up up to ``day``), when a
    group has lost animals.

    .. math:: TGI_{delta} = 100 \\left(1 - \\frac{\\overline{V_t - V_0}_T}{\\overline{V_t - V_0}_C}\\right)

    References
    ----------
    Chen M. et al. (2024) invivoSyn. doi:10.1101/2023.10.13.562263 ;
    Hather G. et al. (2014) Cancer Inform 13:65–72.
    """
    if method not in TGI_METHODS:
        msg = f"method must be one of {sorted(TGI_METHODS)}, got {method!r}."
        raise DataValidationError(msg)
    day = default_day(growth) if day is None else float(day)
    control = growth.control if control is None else str(control)
    if control not in growth.groups:
        msg = f"control group {control!r} is not in the data (groups: {list(growth.groups)})."
        raise DataValidationError(msg)
    vals = _per_animal_value(growth, day, method)
    if control not in set(vals["group"]):
        msg = f"the control group {control!r} has no animal measured on day {day:g}."
        raise DataValidationError(msg)
    groups = [g for g in growth.groups if g != control and g in set(vals["group"])]
    x = vals["value"].to_numpy(float)
    lab = vals["group"].to_numpy()
    est = _tgi_stat(x, lab, groups, control)
    day_t = growth.data[growth.data["day"] == day]
    vc = day_t.loc[day_t["group"] == control, "volume_mm3"].mean()
    rng = np.random.default_rng(rng)
    boot = None
    lo = hi = np.full(len(groups), np.nan)
    if n_boot > 0:
        idx = _strat_boot_idx(lab, rng, n_boot)
        boot = np.array([_tgi_stat(x[i], lab[i], groups, control) for i in idx])
        a = (1 - confidence_level) / 2
        lo, hi = np.nanquantile(boot, [a, 1 - a], axis=0)
    n_total = growth.animals.groupby("group")["subject"].size()
    table = pd.DataFrame(
        {
            "group": groups,
            "day": float(day),
            "method": method,
            "n": [int((lab == g).sum()) for g in groups],
            "n_control": int((lab == control).sum()),
            "n_removed": [int(n_total[g] - (lab == g).sum()) for g in groups],
            "tgi_pct": 100 * est,
            "ci_low": 100 * lo,
            "ci_high": 100 * hi,
            "t_over_c_pct": [
                100 * day_t.loc[day_t["group"] == g, "volume_mm3"].mean() / vc for g in groups
            ],
        }
    )
    mc = x[lab == control].mean()
    pa = vals[vals["group"] != control].copy()
    pa["tgi_pct"] = 100 * (1 - pa["value"] / mc)
    pa = pa.rename(columns={"value": f"{method}_value"})
    return TGIResult(
        table=table,
        per_animal=pa.reset_index(drop=True),
        method=method,
        day=float(day),
        control=control,
        settings=_settings(
            day=day,
            control=control,
            method=method,
            n_boot=n_boot,
            confidence_level=confidence_level,
        ),
        bootstrap=boot,
    )


# ---------------------------------------------------------------------------- comparisons
@dataclass(frozen=True, eq=False)
class GroupComparison:
    """Group comparisons on one day.

    ``overall``: one-way ANOVA (and Welch's ANOVA) on log volume and Kruskal–Wallis.
    ``pairwise``: each group vs control: Welch t-test on log volume and Wilcoxon rank-sum
    (Mann–Whitney U) on volume, each with multiplicity-adjusted p-values.
    """

    overall: pd.DataFrame
    pairwise: pd.DataFrame
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Pairwise table."""
        return self.pairwise.copy()

    def summary(self) -> str:
        """Pairwise adjusted p-values."""
        lines = [
            f"{r.test}: statistic {r.statistic:.4g}, p {r.p_value:.3g}"
            for r in self.overall.itertuples()
        ]
        lines += [
            f"  {r.group} vs {r.control}: Welch p_adj {r.welch_p_adj:.3g}, Wilcoxon p_adj "
            f"{r.wilcoxon_p_adj:.3g}"
            for r in self.pairwise.itertuples()
        ]
        return "\n".join(lines)


def _welch_anova(groups: list[np.ndarray]) -> tuple[float, float, float, float]:
    k = len(groups)
    n = np.array([len(g) for g in groups], float)
    m = np.array([g.mean() for g in groups])
    v = np.array([g.var(ddof=1) for g in groups])
    w = n / v
    mw = (w * m).sum() / w.sum()
    a = (w * (m - mw) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    b = 1 + 2 * (k - 2) / (k**2 - 1) * lam
    f = a / b
    df2 = (k**2 - 1) / (3 * lam)
    return f, k - 1, df2, float(stats.f.sf(f, k - 1, df2))


def compare_groups(
    data: GrowthData | pd.DataFrame,
    *,
    day: float | None = None,
    value: str = "volume_mm3",
    control: str | None = None,
    correction: str = "holm",
) -> GroupComparison:
    """Compare groups on one day (or a per-animal table such as tumour weights).

    Parameters
    ----------
    data : GrowthData or pandas.DataFrame
        A GrowthData (``day`` defaults to :func:`default_day`) or a table with ``group`` and ``value``
        columns (one row per animal, e.g. ``tumour_weight_g`` at termination).
    day : float, optional
    value : str
        Column compared (log-transformed for the parametric tests; values ≤ 0 get
        ``log(x + 1)`` with a StatisticalWarning).
    control : str, optional
        Reference group (default: first group).
    correction : str
        ``statsmodels.stats.multitest.multipletests`` method (``holm``, ``bonferroni``,
        ``fdr_bh`` …) applied within each test family.

    Returns
    -------
    GroupComparison
    """
    if isinstance(data, GrowthData):
        day = default_day(data) if day is None else float(day)
        t = _day_table(data, day)
        order = [g for g in data.groups if g in set(t["group"])]
    else:
        t = data
        if "group" not in t.columns or value not in t.columns:
            msg = f"the table needs 'group' and {value!r} columns; it has {list(t.columns)}."
            raise DataValidationError(msg)
        order = list(dict.fromkeys(t["group"].astype(str)))
    t = t.dropna(subset=[value])
    control = order[0] if control is None else str(control)
    x = t[value].to_numpy(float)
    logx = np.log(x) if (x > 0).all() else np.log(x + 1.0)
    if not (x > 0).all():
        warn(
            f"{value} has values ≤ 0; log(x + 1) used for the parametric tests.", StatisticalWarning
        )
    lab = t["group"].astype(str).to_numpy()
    samples = [logx[lab == g] for g in order]
    overall = []
    if len(order) > 2 and all(len(s) >= 2 for s in samples):
        f = stats.f_oneway(*samples)
        overall.append({"test": "ANOVA (log)", "statistic": f.statistic, "p_value": f.pvalue})
        wf, _, _, wp = _welch_anova(samples)
        overall.append({"test": "Welch ANOVA (log)", "statistic": wf, "p_value": wp})
        kw = stats.kruskal(*[x[lab == g] for g in order])
        overall.append({"test": "Kruskal-Wallis", "statistic": kw.statistic, "p_value": kw.pvalue})
    rows = []
    for g in order:
        if g == control:
            continue
        a, c = logx[lab == g], logx[lab == control]
        w = stats.ttest_ind(a, c, equal_var=False) if min(len(a), len(c)) >= 2 else None
        u = stats.mannwhitneyu(x[lab == g], x[lab == control], alternative="two-sided")
        rows.append(
            {
                "group": g,
                "control": control,
                "n": len(a),
                "n_control": len(c),
                "ratio_geo_mean": float(np.exp(a.mean() - c.mean())),
                "welch_t": np.nan if w is None else w.statistic,
                "welch_p": np.nan if w is None else w.pvalue,
                "wilcoxon_u": u.statistic,
                "wilcoxon_p": u.pvalue,
            }
        )
    pw = pd.DataFrame(rows)
    for col in ("welch_p", "wilcoxon_p"):
        ok = pw[col].notna()
        adj = np.full(len(pw), np.nan)
        if ok.any():
            adj[ok.to_numpy()] = multipletests(pw.loc[ok, col], method=correction)[1]
        pw[col + "_adj"] = adj
    return GroupComparison(
        overall=pd.DataFrame(overall, columns=["test", "statistic", "p_value"]),
        pairwise=pw,
        settings=_settings(day=day, value=value, control=control, correction=correction),
    )


# --------------------------------------------------------------------------------- mRECIST
def mrecist_call(best_response_pct: float, best_avg_response_pct: float) -> str:
    """mRECIST call from best response and best average response (Gao et al. 2015).

    Examples
    --------
    >>> mrecist_call(-97.0, -50.0), mrecist_call(52.6, 35.2)
    ('CR', 'PD')
    """
    br, bar = best_response_pct, best_avg_response_pct
    if not (np.isfinite(br) and np.isfinite(bar)):
        return "NA"
    if br < -95 and bar < -40:
        return "CR"
    if br < -50 and bar < -20:
        return "PR"
    if br < 35 and bar < 30:
        return "SD"
    return "PD"


@dataclass(frozen=True, eq=False)
class MRecist:
    """Per-animal mRECIST: ``subject, group, best_response_pct, best_response_day,
    best_avg_response_pct, best_avg_response_day, mrecist, n_used``."""

    table: pd.DataFrame
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Per-animal table."""
        return self.table.copy()

    def counts(self) -> pd.DataFrame:
        """Animals per group and call (CR/PR/SD/PD)."""
        return response_counts(self.table)

    def summary(self) -> str:
        """Counts per group."""
        c = self.counts()
        return "mRECIST:\n" + "\n".join(f"  {r.group}: {r.text}" for r in c.itertuples())

    def plot(self, ax=None, **kwargs):
        """Waterfall of best response (:func:`repurposekit.plot.invivo.waterfall`)."""
        from repurposekit.plot.invivo import waterfall

        return waterfall(self, ax=ax, **kwargs)


def mrecist(
    growth: GrowthData | pd.DataFrame,
    *,
    min_day: float = 10.0,
    subject: str = "subject",
    day: str = "day",
    volume: str = "volume_mm3",
    group: str = "group",
    origin: float | None = None,
) -> MRecist:
    """mRECIST response per animal (Gao et al. 2015; Xeva's implementation).

    Parameters
    ----------
    growth : GrowthData or pandas.DataFrame
        A long table with ``subject, day, volume_mm3`` (and ``group``). :math:`V_0` is each
        animal's first measurement.
    min_day : float, days
        Responses are evaluated from this day (counted from ``origin``) on (10 in Gao et al.).
    subject, day, volume, group : str
        Column names when ``growth`` is a DataFrame.
    origin : float, optional
        Day 0 of treatment: default the baseline day of a GrowthData, 0 for a DataFrame
        (days as given, as Xeva does).

    Returns
    -------
    MRecist

    Notes
    -----
    :math:`\\Delta Vol_t = 100 (V_t - V_0)/V_0`; BestResponse = min of
    :math:`\\Delta Vol_t` over :math:`t \\ge 10`; AvgResponse_t = mean of
    :math:`\\Delta Vol` over measurements from day 0 to t; BestAvgResponse = its minimum over
    :math:`t \\ge 10`. CR: BR < −95 % and BAR < −40 %; PR: BR < −50 % and BAR < −20 %;
    SD: BR < 35 % and BAR < 30 %; otherwise PD. When no measurement is at
    :math:`t \\ge 10` all measurements are used (as Xeva's stored values do); ``n_used``
    says how many were.

    References
    ----------
    Gao H. et al. (2015) Nat Med 21:1318–1325. doi:10.1038/nm.3954
    """
    if isinstance(growth, GrowthData):
        d = growth.data[["subject", "group", "day", "volume_mm3"]]
        t0 = growth.baseline_day if origin is None else float(origin)
    else:
        t0 = 0.0 if origin is None else float(origin)
        cols = [subject, day, volume] + ([group] if group in growth.columns else [])
        missing = [c for c in [subject, day, volume] if c not in growth.columns]
        if missing:
            msg = f"mrecist: missing column(s) {missing}; the table has {list(growth.columns)}."
            raise DataValidationError(msg)
        d = growth[cols].rename(
            columns={subject: "subject", day: "day", volume: "volume_mm3", group: "group"}
        )
        if "group" not in d.columns:
            d = d.assign(group="")
    rows = []
    for (s, g), a in d.groupby(["subject", "group"], sort=False):
        a = a.sort_values("day")
        t = a["day"].to_numpy(float) - t0
        v = a["volume_mm3"].to_numpy(float)
        dv = 100.0 * (v - v[0]) / v[0]
        avg = np.cumsum(dv) / np.arange(1, len(dv) + 1)
        use = t >= min_day
        if not use.any():
            use = np.ones_like(use)
        ib = np.flatnonzero(use)[np.argmin(dv[use])]
        ia = np.flatnonzero(use)[np.argmin(avg[use])]
        rows.append(
            {
                "subject": s,
                "group": g,
                "best_response_pct": dv[ib],
                "best_response_day": t[ib],
                "best_avg_response_pct": avg[ia],
                "best_avg_response_day": t[ia],
                "mrecist": mrecist_call(dv[ib], avg[ia]),
                "n_used": int(use.sum()),
            }
        )
    return MRecist(table=pd.DataFrame(rows), settings=_settings(min_day=min_day, origin=t0))


def response_counts(
    table: pd.DataFrame, *, categories: Sequence[str] = ("CR", "PR", "SD", "PD")
) -> pd.DataFrame:
    """Counts of mRECIST calls per group, with "regression in k/n animals" text.

    Regression = CR or PR.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["combo"] * 6, "mrecist": ["PR"] * 4 + ["CR", "SD"]})
    >>> response_counts(t)["text"].iloc[0]
    'regression in 5/6 animals (CR 1, PR 4, SD 1, PD 0)'
    """
    rows = []
    for g, sub in table.groupby("group", sort=False):
        c = sub["mrecist"].value_counts()
        n = len(sub)
        reg = int(c.get("CR", 0) + c.get("PR", 0))
        parts = ", ".join(f"{k} {int(c.get(k, 0))}" for k in categories)
        row: dict[str, Any] = {"group": g, "n": n}
        row.update({k: int(c.get(k, 0)) for k in categories})
        row["regression"] = reg
        row["text"] = f"regression in {reg}/{n} animals ({parts})"
        rows.append(row)
    return pd.DataFrame(rows)
