"""Figures of xenograft studies: growth curves, spaghetti, waterfall, body weight, synergy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from repurposekit.plot._style import get_ax, margin_label, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "allocation",
    "body_weight",
    "endpoint_km",
    "growth_curves",
    "power_curve",
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


def _treatment_band(ax: Axes, treatment: tuple[float, float] | None, *, label: bool = True) -> None:
    """Shade the treatment period (days ``[start, end)``) and label it at the top."""
    if treatment is None:
        return
    lo, hi = (float(x) for x in treatment)
    ax.axvspan(lo, hi, color="0.92", zorder=0, lw=0)
    if label:
        ax.annotate(
            "treatment",
            ((lo + hi) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize="x-small",
            color="0.35",
        )


def _plain_log_ticks(ax: Axes) -> None:
    """1-2-5 ticks written as plain numbers (not 10^k) on a log y axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _day_ticks(ax: Axes, last_day: float, *, max_ticks: int = 11) -> None:
    """Ticks every 7, 14 or 28 days on the day axis (at most ``max_ticks``)."""
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    for step in (7, 14, 28):
        if last_day / step + 1 <= max_ticks:
            ax.xaxis.set_major_locator(MultipleLocator(step))
            return
    ax.xaxis.set_major_locator(MaxNLocator(max_ticks - 1, integer=True))


def growth_curves(
    result: Any,
    *,
    ax: Axes | None = None,
    log: bool = False,
    endpoint: bool = True,
    treatment: tuple[float, float] | None = None,
) -> Axes:
    """Group mean ± SEM over time (a :class:`repurposekit.invivo.GrowthCurves`).

    The legend (below the axes) gives each group's n; a curve's last point is where its
    remaining animals were last measured, and points where animals had been removed are
    drawn hollow. ``treatment``: (first day, day after the last dose) shaded in grey.
    """
    ax = get_ax(ax, figsize=(6.2, 4.6))
    _treatment_band(ax, treatment)
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
        _plain_log_ticks(ax)
    ax.set_xlabel("Day")
    _day_ticks(ax, float(t["day"].max()))
    ax.set_ylabel(_LABELS.get(result.value, result.value) + ", mean ± SEM")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=2,
        fontsize="x-small",
        columnspacing=1.2,
    )
    if (t["n_removed"] > 0).any():
        min_n = result.settings.get("min_n", 1) if hasattr(result, "settings") else 1
        stop = f"; curves stop at < {min_n} animals" if min_n > 1 else ""
        ax.set_title(
            f"open symbols: some animals removed at the endpoint{stop}",
            fontsize="x-small",
            loc="right",
        )
    return tidy_axes(ax)


def spaghetti(
    growth: Any,
    *,
    ax: Axes | None = None,
    value: str = "volume_mm3",
    groups: list[str] | None = None,
    log: bool = True,
    treatment: tuple[float, float] | None = None,
) -> Axes:
    """Every animal's curve, coloured by group (a :class:`repurposekit.invivo.GrowthData`).

    ``treatment`` (first day, day after the last dose) is shaded; the legend sits below.
    """
    ax = get_ax(ax, figsize=(6.2, 4.6))
    _treatment_band(ax, treatment)
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
        _plain_log_ticks(ax)
    ax.set_xlabel("Day")
    _day_ticks(ax, float(d["day"].max()))
    ax.set_ylabel(_LABELS.get(value, value))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="x-small")
    return tidy_axes(ax)


def spaghetti_panel(
    growth: Any,
    *,
    value: str = "volume_mm3",
    log: bool = True,
    treatment: tuple[float, float] | None = None,
) -> Figure:
    """One panel per group with every animal (shared axes); flagged points are circled.

    A cross marks the last measurement of an animal removed at the humane endpoint;
    ``treatment`` (first day, day after the last dose) is shaded.
    """
    import matplotlib.pyplot as plt

    groups = list(growth.groups)
    n = len(groups)
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(2.8 * ncol, 2.8 * nrow + 0.3),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    col = _colors(groups)
    d = growth.data
    flags = growth.flags[growth.flags["flag"] == "volume_jump"]
    ended = set()
    if value == "volume_mm3":
        reached = d[d["volume_mm3"] >= growth.endpoint_mm3]
        ended = set(reached["subject"])
    last_day = float(d["day"].max())
    for k, (ax, g) in enumerate(zip(axes.flat, groups, strict=False)):
        _treatment_band(ax, treatment, label=k == 0)
        sub = d[d["group"] == g]
        n_end = 0
        for s_, a in sub.groupby("subject", sort=False):
            ax.plot(a["day"], a[value], color=col[g], lw=0.9, marker=".", ms=3)
            if s_ in ended:
                n_end += 1
                ax.plot(a["day"].iloc[-1], a[value].iloc[-1], "x", color=col[g], ms=5, mew=1.2)
        fl = sub.merge(flags[["subject", "day"]], on=["subject", "day"])
        if len(fl):
            ax.scatter(
                fl["day"], fl[value], s=60, facecolor="none", edgecolor="#D55E00", lw=1.2, zorder=4
            )
        if value == "volume_mm3":
            ax.axhline(growth.endpoint_mm3, color="0.5", ls=":", lw=1)
        n_g = sub["subject"].nunique()
        ax.set_title(f"{g}\n(n={n_g}, {n_end} at endpoint)", fontsize="small")
        if log:
            ax.set_yscale("log")
        _day_ticks(ax, last_day, max_ticks=6)
        ax.tick_params(labelsize="x-small")
        tidy_axes(ax)
    if value == "volume_mm3":
        # label the endpoint line where no curve is: right end of the panel whose animals
        # left earliest
        last = sorted(groups, key=lambda g: float(d.loc[d["group"] == g, "day"].max()))[0]
        margin_label(
            axes.flat[groups.index(last)],
            growth.endpoint_mm3,
            f"endpoint {growth.endpoint_mm3:g} mm³",
            inside=True,
            color="0.35",
        )
    if log:
        for ax in axes.flat:
            _plain_log_ticks(ax)
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
    t = result.table
    by_group = "group" in t.columns and t["group"].nunique() > 1
    if by_group:
        # one block per group (study order), sorted within the block, a gap between blocks
        groups = list(dict.fromkeys(t["group"]))
        blocks = [
            t[t["group"] == g].sort_values("best_response_pct", ascending=False) for g in groups
        ]
        xs, x0, centres = [], 0, []
        for b in blocks:
            xs.append(np.arange(x0, x0 + len(b)))
            centres.append(x0 + (len(b) - 1) / 2)
            x0 += len(b) + 1
        x = np.concatenate(xs)
        t = pd.concat(blocks, ignore_index=True)
    else:
        t = t.sort_values("best_response_pct", ascending=False).reset_index(drop=True)
        x = np.arange(len(t))
    colors = [_CALL_COLORS.get(c, "0.6") for c in t["mrecist"]]
    y = t["best_response_pct"].clip(upper=200)
    ax.bar(x, y, color=colors, width=0.85)
    for thr, lab in ((35, "+35 % (PD)"), (-50, "−50 % (PR)"), (-95, "−95 % (CR)")):
        ax.axhline(thr, color="0.4", ls=":", lw=0.9)
        margin_label(ax, thr, lab)
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
        ncol=4 if by_group else 1,
        bbox_to_anchor=(1.0, 1.12) if by_group else None,
        handlelength=1.0,
        columnspacing=1.0,
    )
    if by_group:
        n = t.groupby("group", sort=False).size()
        ax.set_xticks(centres, [f"{g}\n(n={n[g]})" for g in groups], fontsize="x-small", wrap=True)
        ax.tick_params(axis="x", length=0)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"animals (n={len(t)}), sorted")
    ax.set_xlim(x.min() - 0.8, x.max() + 0.8)
    ax.set_ylabel("Best response, ΔV from baseline (%)")
    if (t["best_response_pct"] > 200).any():
        ax.set_title("bars clipped at +200 %", fontsize="x-small", loc="left")
    return tidy_axes(ax)


def body_weight(
    result: Any,
    *,
    ax: Axes | None = None,
    treatment: tuple[float, float] | None = None,
    min_n: int = 1,
) -> Axes:
    """Mean ± SEM body-weight change (%) per group, with the −15 % and −20 % lines.

    ``treatment`` (first day, day after the last dose) is shaded; a group's curve stops on
    days where fewer than ``min_n`` animals were weighed.
    """
    ax = get_ax(ax, figsize=(6.2, 4.0))
    _treatment_band(ax, treatment)
    gs = result.groups
    gs = gs[gs["n"] >= min_n]
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
        ax.axhline(thr, color="0.3", ls=ls, lw=1)
        margin_label(ax, thr, f"−{-thr} % loss")
    n15 = int(result.animals["loss_ge_15"].sum())
    n20 = int(result.animals["loss_ge_20"].sum())
    stop = f"; curves stop when < {min_n} animals remain" if min_n > 1 else ""
    ax.set_title(
        f"animals with ≥ 15 % loss: {n15}, ≥ 20 %: {n20}{stop}", fontsize="x-small", loc="right"
    )
    ax.set_xlabel("Day")
    _day_ticks(ax, float(gs["day"].max()))
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
                    (r.day, r.ci_low),
                    xytext=(0, -2),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize="small",
                )
        ax.set_xlabel("Day (model refitted on data up to this day)")
        _day_ticks(ax, float(t["day"].max()))
        name = {"bliss": "Bliss", "hsa": "HSA", "ra": "Response-additivity"}.get(
            result.method, result.method
        )
        ax.set_ylabel(f"{name} combination index (log scale)")
        margin_label(ax, 1.0, "additive", inside=True, color="0.35")
        ax.set_title(
            f"{result.arms.combination}: CI < 1 synergy; {'robust CR2' if t['robust'].iloc[0] else 'model'} SE; "
            "* p<.05 ** p<.01 *** p<.001",
            fontsize="x-small",
        )
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

        lo = float(np.nanmin(np.r_[t["ci_low"].to_numpy(float), 1.0]))
        hi = float(np.nanmax(np.r_[t["ci_high"].to_numpy(float), 1.0]))
        decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
        cands = np.array([m * 10**d for d in decades for m in (1, 2, 5)])
        ticks = cands[(cands >= lo / 1.3) & (cands <= hi * 1.3)]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(lo / 1.45, hi * 1.25)
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


def _fmt_median(r) -> str:
    if not np.isfinite(r["median"]):
        return "not reached"
    lo = "NA" if not np.isfinite(r.get("lower", np.nan)) else f"{r['lower']:g}"
    hi = "NA" if not np.isfinite(r.get("upper", np.nan)) else f"{r['upper']:g}"
    return f"{r['median']:g} d ({lo}–{hi})"


def endpoint_km(
    result: Any,
    *,
    ax: Axes | None = None,
    treatment: tuple[float, float] | None = None,
    risk_every: float = 7.0,
    ci: bool = False,
    **kwargs: Any,
) -> Axes:
    """Kaplan–Meier of time to the volume endpoint with medians and the log-rank test.

    Draws :func:`repurposekit.plot.survival.km_plot` (numbers at risk every ``risk_every``
    days, dotted guides to each reached median) for a
    :class:`repurposekit.invivo.EndpointSurvival` and adds a box with each group's median
    (95 % CI; "not reached" when S(t) stays above 0.5) and the overall log-rank χ² and p.
    ``ci``: shade pointwise CIs (off by default: four overlapping bands hide the curves).
    """
    from repurposekit.plot.survival import km_plot

    tmax = float(result.times["time"].max()) if len(result.times) else 1.0
    kwargs.setdefault("xlabel", "Days from the first dose")
    kwargs.setdefault("ylabel", f"Fraction of animals below {result.threshold_mm3:g} mm³")
    kwargs.setdefault("show_median", True)
    kwargs.setdefault("risk_times", np.arange(0.0, tmax + 1e-9, risk_every))
    if ax is None:
        ax = get_ax(None, figsize=(8.4, 4.6 + 0.18 * len(result.km.groups)))
    if treatment is not None:
        _treatment_band(ax, treatment)
    km_plot(result.km, ax=ax, ci=ci, **kwargs)
    med = result.medians()
    lines = ["Median time to endpoint (95 % CI):"]
    lines += [f"  {r['group']}: {_fmt_median(r)}" for _, r in med.iterrows()]
    lr = result.logrank
    p = f"{lr.p_value:.2g}" if lr.p_value >= 1e-4 else f"{lr.p_value:.1e}"
    lines.append(f"Log-rank χ² = {lr.chisq:.1f} (df {lr.df}), p = {p}")
    ax.annotate(
        "\n".join(lines),
        xy=(1.02, 0.52),
        xycoords="axes fraction",
        ha="left",
        va="top",
        fontsize="x-small",
        bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.75", "lw": 0.8},
    )
    ax.set_title(
        f"Time to {result.threshold_mm3:g} mm³: log-rank p = {p}", fontsize="small", loc="left"
    )
    return ax


def power_curve(result: Any, *, ax: Axes | None = None, target: float = 0.8) -> Axes:
    """Power of the synergy test against animals per group (a
    :class:`repurposekit.invivo.SynergyPower`): simulated power ± 95 % Monte Carlo
    interval, the closed-form curve and the ``target`` line."""
    ax = get_ax(ax, figsize=(5.2, 3.6))
    t = result.table
    ax.errorbar(
        t["n_per_group"],
        t["power"],
        yerr=1.96 * t["power_se"],
        color="#0072B2",
        marker="o",
        capsize=3,
        label="simulated (refitted LMM)",
    )
    ax.plot(t["n_per_group"], t["power_analytic"], color="0.4", ls="--", lw=1, label="closed form")
    ax.axhline(target, color="#D55E00", ls=":", lw=1)
    margin_label(ax, target, f"{target:.0%}", color="#D55E00")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(t["n_per_group"])
    ax.set_xlabel("Animals per group")
    ax.set_ylabel("Power")
    r0 = t.iloc[0]
    ax.set_title(
        f"{result.method.upper() if result.method == 'hsa' else 'Bliss'} synergy, day "
        f"{r0['day']:g}: effect {r0['effect']:.3g}/day "
        f"(combination index {r0['combination_index']:.2g})",
        fontsize="x-small",
    )
    ax.legend(fontsize="x-small", loc="lower right")
    return tidy_axes(ax)
