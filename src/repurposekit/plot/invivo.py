"""Figures of xenograft studies: growth curves, spaghetti, waterfall, body weight, synergy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "allocation",
    "body_weight",
    "growth_curves",
    "spaghetti",
    "spaghetti_panel",
    "synergy_over_time",
    "waterfall",
]

_LABELS = {
    "volume_mm3": "Tumour volume (mm³)",
    "rtv": "Relative tumour volume (V/V₀)",
    "delta_volume_mm3": "ΔV = V − V₀ (mm³)",
    "log_rtv": "log relative tumour volume",
}


def _colors(groups) -> dict[str, str]:
    return dict(zip(groups, palette(len(groups)), strict=False))


def growth_curves(
    result: Any, *, ax: Axes | None = None, log: bool = False, endpoint: bool = True
) -> Axes:
    """Group mean ± SEM over time (a :class:`repurposekit.invivo.GrowthCurves`).

    The legend gives each group's n; a curve's last point is where its remaining animals
    were last measured, and points where animals had been removed are drawn hollow.
    """
    ax = get_ax(ax, figsize=(5.6, 3.9))
    t = result.table
    groups = list(result.growth.groups)
    col = _colors(groups)
    for g in groups:
        sub = t[t["group"] == g]
        if sub.empty:
            continue
        n0 = int(sub["n_total"].iloc[0])
        ax.errorbar(
            sub["day"],
            sub["mean"],
            yerr=sub["sem"],
            color=col[g],
            marker="o",
            ms=4,
            lw=1.6,
            capsize=2.5,
            label=f"{g} (n={n0})",
        )
        rem = sub[sub["n_removed"] > 0]
        ax.scatter(
            rem["day"], rem["mean"], s=40, facecolor="white", edgecolor=col[g], lw=1.3, zorder=5
        )
    if endpoint and result.value == "volume_mm3":
        ax.axhline(result.growth.endpoint_mm3, color="0.5", ls=":", lw=1)
        ax.text(
            1.01,
            result.growth.endpoint_mm3,
            f"endpoint\n{result.growth.endpoint_mm3:g} mm³",
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize="x-small",
            color="0.4",
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("Day")
    ax.set_ylabel(_LABELS.get(result.value, result.value) + ", mean ± SEM")
    ax.legend(loc="upper left", fontsize="x-small")
    if (t["n_removed"] > 0).any():
        ax.set_title("open symbols: some animals already removed", fontsize="x-small", loc="right")
    return tidy_axes(ax)


def spaghetti(
    growth: Any,
    *,
    ax: Axes | None = None,
    value: str = "volume_mm3",
    groups: list[str] | None = None,
    log: bool = True,
) -> Axes:
    """Every animal's curve, coloured by group (a :class:`repurposekit.invivo.GrowthData`)."""
    ax = get_ax(ax, figsize=(5.6, 3.9))
    d = growth.data
    gl = list(growth.groups) if groups is None else groups
    col = _colors(list(growth.groups))
    for g in gl:
        first = True
        for _, a in d[d["group"] == g].groupby("subject", sort=False):
            ax.plot(
                a["day"],
                a[value],
                color=col[g],
                lw=0.9,
                alpha=0.75,
                marker=".",
                ms=3,
                label=g if first else None,
            )
            first = False
    if value == "volume_mm3":
        ax.axhline(growth.endpoint_mm3, color="0.5", ls=":", lw=1)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("Day")
    ax.set_ylabel(_LABELS.get(value, value))
    ax.legend(loc="upper left", fontsize="x-small")
    return tidy_axes(ax)


def spaghetti_panel(growth: Any, *, value: str = "volume_mm3", log: bool = True) -> Figure:
    """One panel per group with every animal (shared axes); flagged points are circled."""
    import matplotlib.pyplot as plt

    groups = list(growth.groups)
    n = len(groups)
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(2.7 * ncol, 2.4 * nrow + 0.3),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    col = _colors(groups)
    d = growth.data
    flags = growth.flags[growth.flags["flag"] == "volume_jump"]
    for ax, g in zip(axes.flat, groups, strict=False):
        sub = d[d["group"] == g]
        for _, a in sub.groupby("subject", sort=False):
            ax.plot(a["day"], a[value], color=col[g], lw=0.9, marker=".", ms=3)
        fl = sub.merge(flags[["subject", "day"]], on=["subject", "day"])
        if len(fl):
            ax.scatter(
                fl["day"], fl[value], s=60, facecolor="none", edgecolor="#D55E00", lw=1.2, zorder=4
            )
        if value == "volume_mm3":
            ax.axhline(growth.endpoint_mm3, color="0.5", ls=":", lw=1)
        ax.set_title(f"{g} (n={sub['subject'].nunique()})", fontsize="small")
        if log:
            ax.set_yscale("log")
        tidy_axes(ax)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.supxlabel("Day", fontsize="small")
    fig.supylabel(_LABELS.get(value, value), fontsize="small")
    return fig


_CALL_COLORS = {"CR": "#009E73", "PR": "#56B4E9", "SD": "#E69F00", "PD": "#D55E00", "NA": "0.6"}


def waterfall(result: Any, *, ax: Axes | None = None) -> Axes:
    """Waterfall plot of per-animal response.

    For an :class:`repurposekit.invivo.MRecist`: best response (%), coloured by mRECIST call,
    with the PR (−50 %) and PD (+35 %) thresholds. For a :class:`repurposekit.invivo.TGIResult`:
    per-animal TGI (%) coloured by group, sorted within group.
    """
    ax = get_ax(ax, figsize=(6.4, 3.6))
    if hasattr(result, "per_animal"):
        pa = result.per_animal
        groups = list(dict.fromkeys(pa["group"]))
        col = dict(zip(groups, palette(len(groups) + 1)[1:], strict=False))
        x0 = 0
        for g in groups:
            sub = pa[pa["group"] == g].sort_values("tgi_pct", ascending=False)
            xs = np.arange(x0, x0 + len(sub))
            ax.bar(xs, sub["tgi_pct"], color=col[g], width=0.85, label=f"{g} (n={len(sub)})")
            x0 += len(sub) + 1
        ax.axhline(0, color="k", lw=0.8)
        ax.axhline(100, color="0.5", ls=":", lw=1)
        ax.set_ylabel(f"TGI per animal (%), day {result.day:g}")
        ax.set_title(
            f"vs {result.control}; 100 % = stasis, > 100 % = regression",
            fontsize="x-small",
            loc="right",
        )
        ax.legend(
            fontsize="x-small",
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncol=min(len(groups), 3),
        )
        ax.set_xticks([])
        return tidy_axes(ax)
    t = result.table.sort_values("best_response_pct", ascending=False).reset_index(drop=True)
    colors = [_CALL_COLORS.get(c, "0.6") for c in t["mrecist"]]
    y = t["best_response_pct"].clip(upper=200)
    ax.bar(np.arange(len(t)), y, color=colors, width=0.85)
    for thr, lab in ((35, "+35 % (PD)"), (-50, "−50 % (PR)"), (-95, "−95 % (CR)")):
        ax.axhline(thr, color="0.4", ls=":", lw=0.9)
        ax.annotate(
            lab,
            (len(t) - 0.5, thr),
            xytext=(2, 1),
            textcoords="offset points",
            fontsize="xx-small",
            color="0.3",
        )
    ax.axhline(0, color="k", lw=0.8)
    from matplotlib.patches import Patch

    counts = t["mrecist"].value_counts()
    ax.legend(
        handles=[
            Patch(color=_CALL_COLORS[k], label=f"{k} ({int(counts.get(k, 0))})")
            for k in ("CR", "PR", "SD", "PD")
        ],
        fontsize="x-small",
        loc="upper right",
    )
    ax.set_xticks([])
    ax.set_xlabel(f"animals (n={len(t)}), sorted")
    ax.set_ylabel("Best response, ΔV from baseline (%)")
    if (t["best_response_pct"] > 200).any():
        ax.set_title("bars clipped at +200 %", fontsize="x-small", loc="left")
    return tidy_axes(ax)


def body_weight(result: Any, *, ax: Axes | None = None) -> Axes:
    """Mean ± SEM body-weight change (%) per group, with the −15 % and −20 % lines."""
    ax = get_ax(ax, figsize=(5.6, 3.6))
    gs = result.groups
    groups = list(dict.fromkeys(gs["group"]))
    col = _colors(groups)
    for g in groups:
        sub = gs[gs["group"] == g]
        ax.errorbar(
            sub["day"],
            sub["mean_pct_change"],
            yerr=sub["sem"],
            color=col[g],
            marker="o",
            ms=3.5,
            capsize=2,
            label=g,
        )
    ax.axhline(0, color="k", lw=0.8)
    for thr, ls in ((-15, "--"), (-20, ":")):
        ax.axhline(thr, color="#D55E00", ls=ls, lw=1)
        ax.annotate(
            f"{thr} %",
            (ax.get_xlim()[1], thr),
            xytext=(-22, 2),
            textcoords="offset points",
            fontsize="x-small",
            color="#D55E00",
        )
    n15 = int(result.animals["loss_ge_15"].sum())
    n20 = int(result.animals["loss_ge_20"].sum())
    ax.set_title(f"animals with ≥15 % loss: {n15}, ≥20 %: {n20}", fontsize="x-small", loc="right")
    ax.set_xlabel("Day")
    ax.set_ylabel("Body-weight change (%), mean ± SEM")
    lo = min(-22.0, float((gs["mean_pct_change"] - gs["sem"].fillna(0)).min()) - 2)
    ax.set_ylim(lo, None)
    ax.legend(
        fontsize="x-small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=min(len(groups), 4),
    )
    return tidy_axes(ax)


def synergy_over_time(result: Any, *, ax: Axes | None = None) -> Axes:
    """Combination index over time with its CI (SynergyLMM), or the bootstrap distribution
    of the synergy score (invivoSyn TGI/AUC); the sign convention is printed on the figure."""
    ax = get_ax(ax, figsize=(5.6, 3.6))
    t = result.table
    if result.basis == "lmm_growth_rate":
        yerr = np.vstack(
            [t["combination_index"] - t["ci_low"], t["ci_high"] - t["combination_index"]]
        )
        ax.errorbar(
            t["day"],
            t["combination_index"],
            yerr=yerr,
            color="#0072B2",
            marker="o",
            capsize=3,
            lw=1.5,
        )
        ax.axhline(1, color="k", lw=0.8, ls="--")
        ax.set_yscale("log")
        for r in t.itertuples():
            star = (
                "***"
                if r.p_value < 0.001
                else "**"
                if r.p_value < 0.01
                else "*"
                if r.p_value < 0.05
                else ""
            )
            if star:
                ax.annotate(
                    star,
                    (r.day, r.ci_high),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize="small",
                )
        ax.set_xlabel("Day (model refitted on data up to this day)")
        ax.set_ylabel(f"{result.method.upper()} combination index")
        ax.set_title(
            f"{result.arms.combination}: CI < 1 synergy; {'robust CR2' if t['robust'].iloc[0] else 'model'} SE; "
            "* p<.05 ** p<.01 *** p<.001",
            fontsize="x-small",
        )
        from matplotlib.ticker import FormatStrFormatter

        ax.yaxis.set_major_formatter(FormatStrFormatter("%.2g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%.2g"))
        return tidy_axes(ax)
    boot = result.bootstrap
    r = t.iloc[0]
    if boot is None:
        ax.bar([0], [r["synergy_score"]], color="#0072B2")
    else:
        ax.hist(boot["synergy_score"].dropna(), bins=40, color="#56B4E9", edgecolor="white")
        ax.axvline(
            r["synergy_score"], color="#0072B2", lw=2, label=f"estimate {r['synergy_score']:.3g}"
        )
        ax.axvspan(r["ss_low"], r["ss_high"], color="#0072B2", alpha=0.12, label="bootstrap CI")
        ax.axvline(0, color="k", ls="--", lw=0.8)
        ax.legend(fontsize="x-small")
        ax.set_ylabel("bootstrap resamples")
    ax.set_xlabel(f"{result.method.upper()} synergy score ({result.basis}); > 0 synergy")
    ax.set_title(
        f"day {r['day']:g}; bootstrap p(no synergy) = {r['p_value']:.3g}", fontsize="x-small"
    )
    return tidy_axes(ax)


def allocation(result: Any, *, ax: Axes | None = None, variable: str = "volume_mm3") -> Axes:
    """Baseline values per allocated group (points) with mean ± SD and the ANOVA p."""
    ax = get_ax(ax, figsize=(5.0, 3.4))
    t = result.table
    groups = list(result.balance["group"])
    col = _colors(groups)
    rng = np.random.default_rng(0)  # jitter only
    for i, g in enumerate(groups):
        y = t.loc[t["group"] == g, variable].to_numpy()
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(y)), y, s=16, color=col[g], alpha=0.8)
        ax.errorbar(
            i + 0.3,
            y.mean(),
            yerr=y.std(ddof=1) if len(y) > 1 else 0,
            color="k",
            marker="_",
            ms=14,
            capsize=3,
        )
    ax.set_xticks(
        range(len(groups)),
        [f"{g}\n(n={n})" for g, n in zip(groups, result.balance["n"], strict=False)],
        fontsize="small",
    )
    p = result.tests.set_index("variable").loc[variable, "anova_p"]
    ax.set_title(
        f"ANOVA p = {p:.2f}; imbalance {result.score:.3g} (random median {result.score_random:.3g})",
        fontsize="x-small",
    )
    ax.set_ylabel(_LABELS.get(variable, variable) + " at randomisation")
    return tidy_axes(ax)
