"""Figures for transcriptomics and biomarkers: score heatmap, enrichment, forest, KM, CNA frequency.

Kaplan–Meier and forest figures are drawn by :mod:`repurposekit.plot.survival` (``km_plot``,
``forest_plot``); the functions here add only what is specific to biomarker work: the cut
point in the group labels and the search-corrected p, strata log-rank p, BH q per feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from repurposekit.plot._style import get_ax, margin_label, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "association_forest",
    "cna_frequency",
    "cutpoint_km",
    "enrichment_bar",
    "gsea_plot",
    "score_heatmap",
    "strata_km",
    "volcano",
]


def _pfmt(p: float, n_perm: int) -> str:
    return f"< {1 / n_perm:.2g}" if p == 0 else f"= {p:.3g}"


def _short(name: str, width: int = 38) -> str:
    s = str(name).replace("HALLMARK_", "").replace("REACTOME_", "R_")
    return s if len(s) <= width else s[: width - 1] + "…"


def score_heatmap(
    scores: Any,
    *,
    ax: Axes | None = None,
    sets: Sequence[str] | None = None,
    order_by: str | None = None,
    standardize: bool = True,
    cmap: str = "RdBu_r",
) -> Axes:
    """Heatmap of signature scores (sets × samples), rows z-scored, samples ordered.

    Parameters
    ----------
    scores : SignatureScores
    sets : sequence of str, optional
        Rows to show (default all, at most 40).
    order_by : str, optional
        Set whose score orders the samples (default: first row).
    standardize : bool
        Show each row as z-scores (colour range ±2.5).
    """
    df = scores.scores
    if sets is not None:
        df = df.loc[[s for s in sets if s in df.index]]
    df = df.iloc[:40]
    key = order_by if order_by in df.index else df.index[0]
    df = df[df.loc[key].sort_values().index]
    vals = df.to_numpy(float)
    if standardize:
        vals = (vals - vals.mean(axis=1, keepdims=True)) / vals.std(axis=1, ddof=1, keepdims=True)
    ax = get_ax(ax, figsize=(7.5, 0.22 * len(df) + 1.6))
    im = ax.imshow(vals, aspect="auto", cmap=cmap, vmin=-2.5, vmax=2.5, interpolation="nearest")
    ax.set_yticks(range(len(df)), [_short(s) for s in df.index], fontsize="x-small")
    ax.set_xticks([])
    ax.set_xlabel(f"{df.shape[1]} samples, ordered by {_short(key)}")
    nice = {
        "ssgsea": "ssGSEA",
        "gsva": "GSVA",
        "zscore": "z-score",
        "plage": "PLAGE",
        "singscore": "singscore",
    }
    ax.set_title(
        f"{nice.get(scores.method, scores.method)} scores"
        + (" (row z-scores)" if standardize else "")
    )
    cb = ax.figure.colorbar(im, ax=ax, shrink=0.8, pad=0.01)
    cb.set_label("z" if standardize else "score")
    return ax


def enrichment_bar(result: Any, *, ax: Axes | None = None, top: int = 15) -> Axes:
    """Horizontal bars of −log10(q) for the top ORA sets, annotated with overlap k/K."""
    t = result.table.head(top).iloc[::-1]
    ax = get_ax(ax, figsize=(6.5, 0.3 * len(t) + 1.2))
    y = np.arange(len(t))
    val = -np.log10(t["q_value"].clip(lower=1e-300))
    colors = np.where(t["q_value"] < 0.05, palette(2)[1], "#999999")
    ax.barh(y, val, color=colors)
    for yi, v, k, K_ in zip(y, val, t["n_overlap"], t["n_set"], strict=True):
        ax.text(v, yi, f" {k}/{K_}", va="center", fontsize="x-small")
    ax.axvline(-np.log10(0.05), color="k", lw=0.8, ls="--")
    ax.set_yticks(y, [_short(s) for s in t["set"]], fontsize="x-small")
    ax.set_xlabel("−log10 BH q (dashed: q = 0.05)")
    ax.set_title("Over-representation (hypergeometric)")
    return tidy_axes(ax)


def gsea_plot(result: Any, name: str, *, ax: Axes | None = None) -> Axes:
    """GSEA enrichment plot: running enrichment score with the members' positions as a rug."""
    rs = result.running_sum(name)
    row = result.table.set_index("set").loc[name]
    n_perm = int(result.settings.get("permutations", 1000))
    ax = get_ax(ax, figsize=(6.0, 3.6))
    x = np.arange(1, rs.size + 1)
    ax.plot(x, rs, color=palette(3)[2], lw=1.6)
    ax.axhline(0, color="k", lw=0.6)
    lo = min(rs.min(), 0.0)
    hi = max(rs.max(), 0.0)
    span = hi - lo
    base = lo - 0.18 * span
    ax.vlines(result.hits[name] + 1, base, base + 0.12 * span, color="k", lw=0.5)
    ax.set_ylim(base - 0.03 * span, hi + 0.08 * span)
    ax.set_xlim(1, rs.size)
    ax.set_xlabel(f"rank in ordered list ({rs.size} genes; left = highest metric)")
    ax.set_ylabel("running enrichment score")
    ax.set_title(_short(name, 60), fontsize="medium")
    ax.text(
        0.98,
        0.95,
        f"ES = {row['es']:.3f}\nNES = {row['nes']:.2f}\np {_pfmt(row['p_value'], n_perm)}, FDR q {_pfmt(row['fdr_q'], n_perm)}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="small",
    )
    return tidy_axes(ax)


def association_forest(
    result: Any,
    *,
    ax: Axes | None = None,
    features: Sequence[str] | None = None,
    top: int = 20,
    labels: dict[str, str] | None = None,
    q: float = 0.05,
) -> Axes:
    """Forest plot of hazard ratios per SD with Wald CIs, p and BH q per feature.

    Draws with :func:`repurposekit.plot.survival.forest_plot` (log axis, HR = 1 line) and adds
    what is specific to a feature screen: features with BH q < ``q`` highlighted, and the
    p and q of every feature at the right.

    Parameters
    ----------
    result : SurvivalAssociation
    features : sequence of str, optional
        Features to show, in this order (top to bottom); default the ``top`` smallest p.
    top : int
    labels : dict, optional
        Display names for features (default: shortened set names).
    q : float
        BH threshold for highlighting.
    """
    from repurposekit.plot.survival import forest_plot

    t = result.table
    if features is not None:
        present = set(t["feature"])
        t = t.set_index("feature").loc[[f for f in features if f in present]].reset_index()
    else:
        t = t.sort_values("p_value").head(top)
    t = t.reset_index(drop=True)
    names = [labels.get(f, _short(f)) if labels else _short(f) for f in t["feature"]]
    df = pd.DataFrame(
        {"term": names, "hr": t["hr"], "hr_lower": t["hr_lower"], "hr_upper": t["hr_upper"]}
    )
    base, hit = "#7f7f7f", palette(3)[2]
    ax = forest_plot(
        df,
        ax=ax,
        annotate=False,
        color=base,
        xlabel="hazard ratio per SD (95 % CI), log scale",
    )
    ax.tick_params(axis="y", labelsize="x-small")
    y = np.arange(len(t))[::-1]  # forest_plot draws the first row at the top
    sig = (t["q_value"] < q).to_numpy()
    if sig.any():
        lo, hi = ax.get_xlim()
        ax.hlines(
            y[sig],
            np.clip(t["hr_lower"][sig], lo, hi),
            np.clip(t["hr_upper"][sig], lo, hi),
            color=hit,
            lw=1.6,
        )
        ax.plot(np.clip(t["hr"][sig], lo, hi), y[sig], "s", color=hit, markersize=6)
    for yi, p, qv in zip(y, t["p_value"], t["q_value"], strict=True):
        margin_label(ax, yi, f"p = {p:.2g}, q = {qv:.2g}", pad=6, color=hit if qv < q else "black")
    ax.set_title(f"Univariate Cox, HR per SD (orange: BH q < {q:g})", fontsize="medium")
    return ax


def _km_of_groups(
    time: np.ndarray, event: np.ndarray, labels: Sequence[str], order: Sequence[str]
) -> Any:
    from repurposekit.survival import kaplan_meier

    df = pd.DataFrame(
        {
            "time": np.asarray(time, float),
            "event": np.asarray(event, int),
            "group": pd.Categorical(list(labels), categories=list(order)),
        }
    )
    return kaplan_meier(df, by="group")


def cutpoint_km(
    result: Any,
    *,
    ax: Axes | None = None,
    time_label: str | None = None,
    risk_table: bool = True,
    ci: bool = False,
) -> Axes:
    """Kaplan–Meier curves of the low/high groups of a cut-point analysis.

    Curves, censoring marks and numbers at risk come from
    :func:`repurposekit.plot.survival.km_plot`; this adds the cut point to the group labels
    and the log-rank p (for an optimal cut: nominal and corrected for the search).

    Parameters
    ----------
    result : CutpointResult
    time_label : str, optional
        x-axis label (default the time column name).
    risk_table : bool
        Numbers at risk under the axis.
    ci : bool
        Shade pointwise 95 % CIs (off by default: two bands overlap heavily).
    """
    from repurposekit.plot.survival import km_plot

    g = result.groups
    tcol = result.settings.get("time", "time")
    ecol = result.settings.get("event", "event")
    lab = {"low": f"low, ≤ {result.cutpoint:.3g}", "high": f"high, > {result.cutpoint:.3g}"}
    km = _km_of_groups(g[tcol], g[ecol], g["group"].map(lab), [lab["low"], lab["high"]])
    ax = km_plot(
        km,
        ax=ax,
        ci=ci,
        risk_table=risk_table,
        xlabel=time_label or tcol,
        colors=palette(3)[1:],
        legend=False,
    )
    ax.legend(loc="lower left", fontsize="x-small")
    txt = f"log-rank p = {result.p_value:.3g}"
    if result.method == "optimal":
        corr = result.correction.replace("_", "–").title()
        txt = f"optimal cut: nominal p = {result.p_value:.3g}\ncorrected ({corr}) p = {result.p_corrected:.3g}"
    ax.text(0.98, 0.97, txt, transform=ax.transAxes, ha="right", va="top", fontsize="x-small")
    ax.set_title(f"{_short(result.feature, 45)}: {result.method} split", fontsize="medium")
    return ax


def strata_km(
    result: Any,
    *,
    ax: Axes | None = None,
    time_label: str | None = None,
    risk_table: bool = True,
    ci: bool = False,
) -> Axes:
    """Kaplan–Meier curves per biomarker stratum (via ``km_plot``), with the log-rank p across strata."""
    from repurposekit.plot.survival import km_plot

    a = result.assignments
    order = [str(s) for s in result.table["stratum"]]
    km = _km_of_groups(a[result.time], a[result.event], a["stratum"].astype(str), order)
    ax = km_plot(
        km,
        ax=ax,
        ci=ci,
        risk_table=risk_table,
        xlabel=time_label or result.time,
        colors=palette(len(order) + 1)[1:],
        legend=False,
    )
    ax.legend(loc="lower left", fontsize="x-small")  # inside: the curves leave that corner free
    ax.text(
        0.98,
        0.97,
        f"log-rank across strata p = {result.logrank_p:.3g}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="x-small",
    )
    ax.set_title("Outcome by biomarker stratum", fontsize="medium")
    return ax


def cna_frequency(result: Any, *, ax: Axes | None = None, by: str | None = "cohort") -> Axes:
    """Bars of gain/amplification frequency per gene (and cohort) with exact 95 % CIs."""
    f = result.frequency(by=by) if hasattr(result, "frequency") else result
    ax = get_ax(ax, figsize=(4.8, 3.4))
    labels = [f"{g}\n{c}" if c != "all" else g for g, c in zip(f["gene"], f["cohort"], strict=True)]
    x = np.arange(len(f))
    pct = f["percent"].to_numpy()
    err = np.vstack([pct - f["ci_low_percent"], f["ci_high_percent"] - pct])
    ax.bar(x, pct, color=palette(3)[1], width=0.6)
    ax.errorbar(x, pct, yerr=err, fmt="none", ecolor="k", capsize=4, lw=1)
    for xi, r in zip(x, f.itertuples(), strict=True):
        ax.text(
            xi,
            r.ci_high_percent + 2,
            f"{r.percent:.0f} %\n({r.n_altered}/{r.n})",
            ha="center",
            va="bottom",
            fontsize="x-small",
        )
    ax.set_xticks(x, labels, fontsize="small")
    ax.set_ylim(0, min(100, float(f["ci_high_percent"].max()) + 18))
    ax.set_ylabel("samples with gain/amplification (%)")
    th = result.thresholds if hasattr(result, "thresholds") else {}
    if th:
        ax.set_title(
            f"Copy-number gain (log2 ratio ≥ {th['gain']:g}) with exact 95 % CI", fontsize="medium"
        )
    return tidy_axes(ax)


def volcano(result: Any, *, ax: Axes | None = None, q: float = 0.05, label_top: int = 8) -> Axes:
    """Volcano plot: log2 fold change vs −log10 p; BH q < ``q`` highlighted, top genes labelled."""
    t = result.table.dropna(subset=["p_value"])
    ax = get_ax(ax, figsize=(5.0, 4.0))
    sig = (t["q_value"] < q).to_numpy()
    y = -np.log10(t["p_value"].clip(lower=1e-300))
    ax.scatter(t["log2_fold_change"][~sig], y[~sig], s=5, color="#aaaaaa", lw=0)
    ax.scatter(
        t["log2_fold_change"][sig], y[sig], s=7, color=palette(3)[2], lw=0, label=f"BH q < {q}"
    )
    for _, r in t.assign(_y=y).nlargest(label_top, "_y").iterrows():
        ax.text(r["log2_fold_change"], r["_y"], f" {r['gene']}", fontsize="xx-small")
    ax.set_xlabel(f"log2 fold change ({result.group} vs {result.reference})")
    ax.set_ylabel("−log10 p")
    ax.legend(loc="upper left", fontsize="x-small")
    return tidy_axes(ax)
