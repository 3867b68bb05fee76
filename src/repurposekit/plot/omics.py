"""Figures for transcriptomics and biomarkers: score heatmap, enrichment, forest, KM, CNA frequency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, palette, tidy_axes

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
) -> Axes:
    """Forest plot of hazard ratios (per SD) with CIs, p and BH q per feature (log x axis)."""
    t = result.table
    if features is not None:
        t = (
            t.set_index("feature")
            .loc[[f for f in features if f in set(t["feature"])]]
            .reset_index()
        )
    else:
        t = t.sort_values("p_value").head(top)
    t = t.iloc[::-1]
    ax = get_ax(ax, figsize=(7.0, 0.32 * len(t) + 1.3))
    y = np.arange(len(t))
    sig = (t["q_value"] < 0.05).to_numpy()
    col = np.where(sig, palette(3)[2], palette(2)[1])
    ax.hlines(y, t["hr_lower"], t["hr_upper"], color=col, lw=1.5)
    ax.scatter(t["hr"], y, color=col, s=22, zorder=3)
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullLocator

    lo = float(np.nanmin(t["hr_lower"])) if len(t) else 0.5
    hi = float(np.nanmax(t["hr_upper"])) if len(t) else 2.0
    ticks = [v for v in (0.1, 0.2, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10) if lo / 1.3 <= v <= hi * 1.3]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{v:g}" for v in ticks])
    names = [labels.get(f, _short(f)) if labels else _short(f) for f in t["feature"]]
    ax.set_yticks(y, names, fontsize="x-small")
    ax.set_ylim(-0.7, len(t) - 0.3)
    for yi, p, q in zip(y, t["p_value"], t["q_value"], strict=True):
        ax.text(
            1.02,
            yi,
            f"p={p:.2g}  q={q:.2g}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize="x-small",
        )
    ax.set_xlabel("hazard ratio per SD (95 % CI), log scale")
    ax.set_title("Univariate Cox: HR per SD (orange: BH q < 0.05)", fontsize="medium")
    return tidy_axes(ax)


def _km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order]
    ut = np.unique(t)
    s = 1.0
    xs, ys = [0.0], [1.0]
    cens_t, cens_s = [], []
    for u in ut:
        n = (t >= u).sum()
        d = ((t == u) & (e == 1)).sum()
        c = ((t == u) & (e == 0)).sum()
        if d:
            s *= 1 - d / n
        xs.append(float(u))
        ys.append(s)
        if c:
            cens_t.append(float(u))
            cens_s.append(s)
    return np.array(xs), np.array(ys), np.array([cens_t, cens_s])


def _km_axes(
    ax: Axes,
    groups: list[tuple[str, np.ndarray, np.ndarray]],
    time_label: str,
    *,
    legend_below: bool = False,
) -> None:
    cols = palette(len(groups) + 1)[1:]
    for (lab, t, e), c in zip(groups, cols, strict=True):
        xs, ys, cz = _km(t, e)
        ax.step(
            xs,
            ys,
            where="post",
            color=c,
            lw=1.6,
            label=f"{lab} (n={t.size}, {int(e.sum())} events)",
        )
        if cz.size:
            ax.plot(cz[0], cz[1], "|", color=c, ms=6, mew=1)
    ax.set_ylim(0, 1.03)
    ax.set_xlim(left=0)
    ax.set_xlabel(time_label)
    ax.set_ylabel("survival probability")
    if legend_below:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize="x-small", ncol=2)
    else:
        ax.legend(loc="lower left", fontsize="x-small")


def cutpoint_km(result: Any, *, ax: Axes | None = None, time_label: str | None = None) -> Axes:
    """Kaplan–Meier curves of the high/low groups of a cut-point analysis, with the p-values."""
    g = result.groups
    tcol = next(c for c in g.columns if c not in ("sample", "value", "group"))
    ecol = [c for c in g.columns if c not in ("sample", "value", "group")][1]
    ax = get_ax(ax, figsize=(5.2, 3.8))
    groups = [
        (
            lab,
            g.loc[g["group"] == lab, tcol].to_numpy(float),
            g.loc[g["group"] == lab, ecol].to_numpy(int),
        )
        for lab in ("low", "high")
    ]
    _km_axes(ax, groups, time_label or tcol)
    txt = f"log-rank p = {result.p_value:.3g}"
    if result.method == "optimal":
        txt = f"optimal cut: nominal p = {result.p_value:.3g}\ncorrected ({result.correction.replace('_', '–').title()}) p = {result.p_corrected:.3g}"
    ax.text(0.98, 0.97, txt, transform=ax.transAxes, ha="right", va="top", fontsize="x-small")
    ax.set_title(f"{_short(result.feature, 45)}: {result.method} split", fontsize="medium")
    return tidy_axes(ax)


def strata_km(result: Any, *, ax: Axes | None = None, time_label: str | None = None) -> Axes:
    """Kaplan–Meier curves per biomarker stratum, with the log-rank p across strata."""
    a = result.assignments
    ax = get_ax(ax, figsize=(6.2, 4.2))
    groups = [
        (
            s,
            a.loc[a["stratum"] == s, result.time].to_numpy(float),
            a.loc[a["stratum"] == s, result.event].to_numpy(int),
        )
        for s in result.table["stratum"]
    ]
    _km_axes(ax, groups, time_label or result.time, legend_below=True)
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
    return tidy_axes(ax)


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
