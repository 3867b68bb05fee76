"""Figures of the synergy stage: dose-response matrix, synergy heatmap/contour and 3D surface,
Fa–CI plot, isobolograms, DRI plot, and the MuSyC fit (surface slices, interaction parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, palette, tidy_axes
from repurposekit.units import format_concentration

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "dose_response_matrix",
    "dri_plot",
    "fa_ci_plot",
    "isobologram",
    "musyc_fit_plot",
    "musyc_parameter_plot",
    "synergy_heatmap",
    "synergy_surface",
]


def _block_cells(scores: Any, block: Any):
    cells = scores.cells
    if block is None:
        block = cells["block_id"].iloc[0]
    sub = cells[cells["block_id"] == block]
    if sub.empty:
        msg = f"no block {block!r} in the scores; blocks: {list(cells['block_id'].unique())[:10]}"
        raise ValueError(msg)
    return block, sub


def _matrix(sub, value: str):
    r = np.sort(sub["dose1_molar"].unique())
    c = np.sort(sub["dose2_molar"].unique())
    m = np.full((len(r), len(c)), np.nan)
    m[np.searchsorted(r, sub["dose1_molar"]), np.searchsorted(c, sub["dose2_molar"])] = sub[value]
    return r, c, m


def _labels(doses):
    return ["0" if d == 0 else format_concentration(d) for d in doses]


def _annotated(
    ax: Axes, m: np.ndarray, *, cmap: str, vmin: float, vmax: float, fmt: str = "{:.0f}"
):
    im = ax.imshow(m, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    if m.size <= 144:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                shade = (v - vmin) / (vmax - vmin) if vmax > vmin else 0.5
                color = "white" if shade > 0.75 or shade < 0.2 else "black"
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7, color=color)
    return im


def _axis_labels(ax: Axes, sub, r, c) -> None:
    ax.set_xticks(range(len(c)), _labels(c), rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(r)), _labels(r), fontsize=7)
    ax.set_xlabel(str(sub["drug2"].iloc[0]))
    ax.set_ylabel(str(sub["drug1"].iloc[0]))


def dose_response_matrix(scores: Any, *, block: Any = None, ax: Axes | None = None) -> Axes:
    """Heatmap of the observed % inhibition of one block (annotated cells)."""
    block, sub = _block_cells(scores, block)
    r, c, m = _matrix(sub, "inhibition_pct")
    ax = get_ax(ax, figsize=(5.2, 4.2))
    im = _annotated(
        ax, m, cmap="viridis", vmin=min(0.0, np.nanmin(m)), vmax=max(100.0, np.nanmax(m))
    )
    ax.figure.colorbar(im, ax=ax, label="% inhibition")
    _axis_labels(ax, sub, r, c)
    ax.set_title(f"Dose-response matrix, block {block} (mean {np.nanmean(m):.1f}%)")
    return ax


def synergy_heatmap(
    scores: Any,
    *,
    block: Any = None,
    method: str = "zip",
    ax: Axes | None = None,
    contour: bool = True,
) -> Axes:
    """Synergy map (observed − reference, % points; red = synergy, blue = antagonism) with contours."""
    block, sub = _block_cells(scores, block)
    r, c, m = _matrix(sub, f"{method}_synergy")
    ax = get_ax(ax, figsize=(5.2, 4.2))
    lim = max(10.0, float(np.nanmax(np.abs(m))))
    im = _annotated(ax, m, cmap="RdBu_r", vmin=-lim, vmax=lim)
    inner = m[1:, 1:]
    if contour and min(inner.shape) >= 3 and np.isfinite(inner).all():
        jj, ii = np.meshgrid(np.arange(1, m.shape[1]), np.arange(1, m.shape[0]))
        levels = [v for v in np.linspace(-lim, lim, 9) if v != 0]
        ax.contour(jj, ii, inner, levels=levels, colors="0.25", linewidths=0.6, alpha=0.7)
    ax.figure.colorbar(im, ax=ax, label=f"{method.upper()} synergy (% points)")
    _axis_labels(ax, sub, r, c)
    row = scores.blocks[scores.blocks["block_id"] == block]
    title = f"{method.upper()} synergy, block {block}"
    if len(row) and method in row:
        title += f": {row[method].iloc[0]:.2f} (p={row[f'{method}_p_value'].iloc[0]:.2g})"
    ax.set_title(title)
    flagged = (
        len(row) and method in ("zip", "loewe") and "fit_flag" in row and row["fit_flag"].iloc[0]
    )
    if flagged:  # the score rests on an ill-determined monotherapy fit: say so on the figure
        why = [
            f"{row[f'drug{i}'].iloc[0]}: {row[f'fit{i}_status'].iloc[0]}"
            for i in range(1, 4)
            if f"fit{i}_status" in row and row[f"fit{i}_status"].iloc[0] not in ("ok", None)
        ]
        import textwrap

        note = textwrap.fill("robustness case: " + "; ".join(why), width=70)
        txt = ax.text(
            0.5,
            1.01,
            note,
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="0.35",
        )
        txt.set_in_layout(False)  # a long note must not shrink the heatmap
        ax.set_title(title, pad=6 + 9 * (note.count("\n") + 1))
    return ax


def synergy_surface(
    scores: Any, *, block: Any = None, method: str = "zip", ax: Axes | None = None
) -> Axes:
    """3D synergy landscape over log dose indices (SynergyFinder-style surface)."""
    import matplotlib.pyplot as plt

    block, sub = _block_cells(scores, block)
    r, c, m = _matrix(sub, f"{method}_synergy")
    if ax is None:
        fig = plt.figure(figsize=(6, 4.8), layout="constrained")
        ax = fig.add_subplot(projection="3d")
    jj, ii = np.meshgrid(np.arange(len(c)), np.arange(len(r)))
    lim = max(10.0, float(np.nanmax(np.abs(m))))
    ax.plot_surface(
        jj, ii, m, cmap="RdBu_r", vmin=-lim, vmax=lim, edgecolor="0.4", linewidth=0.3, alpha=0.9
    )
    ax.set_xticks(range(len(c)), _labels(c), fontsize=6)
    ax.set_yticks(range(len(r)), _labels(r), fontsize=6)
    ax.set_xlabel(str(sub["drug2"].iloc[0]), fontsize=8, labelpad=8)
    ax.set_ylabel(str(sub["drug1"].iloc[0]), fontsize=8, labelpad=8)
    ax.set_zlabel(f"{method.upper()} (% points)", fontsize=8)
    ax.set_zlim(-lim, lim)
    ax.set_title(f"{method.upper()} synergy surface, block {block}")
    return ax


def fa_ci_plot(result: Any, *, ax: Axes | None = None, agents: list[str] | None = None) -> Axes:
    """Fa–CI (Chou–Talalay) plot: simulated CI over Fa for each mixture, measured points on top."""
    ax = get_ax(ax, figsize=(5.6, 4.0))
    grid = np.linspace(0.05, 0.97, 93)
    curve = result.indices_at(grid)
    names = agents or list(curve["agent"].unique())
    for name, col in zip(names, palette(len(names) + 1)[1:], strict=False):
        cu = curve[curve["agent"] == name]
        ax.plot(cu["fa"], cu["ci"], color=col, label=name)
        pt = result.points[result.points["agent"] == name] if len(result.points) else None
        if pt is not None and len(pt):
            ax.scatter(pt["fa"], pt["ci"], color=col, s=18, zorder=3)
    ax.axhspan(0.9, 1.1, color="0.85", zorder=0, label="additive (0.9–1.1)")
    ax.axhline(1.0, color="0.4", lw=0.8, ls="--")
    ax.set_xlim(0, 1)
    top = float(np.nanmax(curve["ci"])) if len(curve) else 2.0
    ax.set_ylim(0, min(max(2.0, top * 1.05), 5.0))
    ax.set_xlabel("Fraction affected (Fa)")
    ax.set_ylabel("Combination index (CI)")
    ax.set_title("Fa–CI plot (CI < 0.9 synergism, > 1.1 antagonism)")
    ax.legend(fontsize=7, loc="upper right")
    return tidy_axes(ax)


def isobologram(
    result: Any, *, agent: str | None = None, fa_levels=(0.5, 0.75, 0.9), ax: Axes | None = None
) -> Axes:
    """Normalised isobologram of a 2-drug mixture at several Fa levels.

    Each drug's dose is divided by the dose that alone gives the Fa level, so the line of
    additivity is the same diagonal for every level; points below it are synergistic.
    """
    ax = get_ax(ax, figsize=(4.4, 4.2))
    ind = result.indices_at(list(fa_levels))
    two = [
        a
        for a in ind["agent"].unique()
        if ind[ind["agent"] == a].filter(like="dri_").notna().sum(axis=1).max() == 2
    ]
    agent = agent or (two[0] if two else None)
    if agent is None:
        msg = "isobologram needs a 2-drug mixture"
        raise ValueError(msg)
    sub = ind[ind["agent"] == agent].dropna(axis=1, how="all")
    drugs = [c.removeprefix("dri_") for c in sub.columns if c.startswith("dri_")]
    ax.plot([0, 1], [1, 0], color="0.3", lw=1, label="additivity")
    for (_, row), col in zip(sub.iterrows(), palette(len(sub) + 1)[1:], strict=False):
        x = row[f"dose_{drugs[0]}_molar"] / row[f"dx_{drugs[0]}_molar"]
        y = row[f"dose_{drugs[1]}_molar"] / row[f"dx_{drugs[1]}_molar"]
        ax.scatter(
            [x], [y], color=col, s=40, zorder=3, label=f"Fa {row['fa']:.2f}: CI {row['ci']:.2f}"
        )
    lim = max(
        1.2,
        float(np.nanmax(sub.filter(like="dose_").to_numpy() / sub.filter(like="dx_").to_numpy()))
        * 1.1,
    )
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{drugs[0]} / D$_x$({drugs[0]} alone)")
    ax.set_ylabel(f"{drugs[1]} / D$_x$({drugs[1]} alone)")
    ax.set_title(f"Isobologram: {agent}")
    ax.legend(fontsize=7)
    return tidy_axes(ax)


def dri_plot(result: Any, *, agent: str | None = None, ax: Axes | None = None) -> Axes:
    """Dose-reduction index of each drug over Fa (log scale; DRI > 1 favourable)."""
    ax = get_ax(ax, figsize=(5.0, 3.8))
    grid = np.linspace(0.05, 0.97, 93)
    curve = result.indices_at(grid)
    agent = agent or curve["agent"].iloc[0]
    cu = curve[curve["agent"] == agent].dropna(axis=1, how="all")
    drugs = [c.removeprefix("dri_") for c in cu.columns if c.startswith("dri_")]
    for drug, col in zip(drugs, palette(len(drugs) + 1)[1:], strict=False):
        ax.plot(cu["fa"], cu[f"dri_{drug}"], color=col, label=drug)
    ax.axhline(1.0, color="0.4", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("Fraction affected (Fa)")
    ax.set_ylabel("Dose-reduction index (DRI)")
    ax.set_title(f"DRI: {agent}")
    ax.legend(fontsize=8)
    return tidy_axes(ax)


def _log_positions(doses: np.ndarray) -> tuple[np.ndarray, float]:
    """log10 dose, with dose 0 drawn one decade below the lowest non-zero dose."""
    pos = doses[doses > 0]
    zero_at = float(np.log10(pos.min())) - 1.0 if pos.size else 0.0
    with np.errstate(divide="ignore"):
        x = np.where(doses > 0, np.log10(np.where(doses > 0, doses, 1.0)), zero_at)
    return x, zero_at


def musyc_fit_plot(fit: Any, *, ax: Axes | None = None, cmap: str = "viridis") -> Axes:
    """Fitted MuSyC surface against the observations, as slices along drug 1.

    One colour per tested dose of drug 2: points are the observed effects (replicate means,
    bars = range), lines the fitted surface ``E(d1, d2)``. Dose 0 of drug 1 is drawn one
    decade below its lowest dose (axis break marked). E is on MuSyC's viability-fraction scale.
    """
    import matplotlib as mpl

    ax = get_ax(ax, figsize=(6.0, 4.2))
    data = fit.data
    d1_levels = np.sort(data["dose1_molar"].unique())
    d2_levels = np.sort(data["dose2_molar"].unique())
    pos = d1_levels[d1_levels > 0]
    _, zero_at = _log_positions(d1_levels)
    grid = np.logspace(np.log10(pos.min()) - 0.3, np.log10(pos.max()) + 0.3, 200)
    colours = mpl.colormaps[cmap](np.linspace(0.0, 0.9, len(d2_levels)))
    for d2, col in zip(d2_levels, colours, strict=True):
        sub = data[data["dose2_molar"] == d2]
        agg = sub.groupby("dose1_molar")["E_observed"].agg(["mean", "min", "max"])
        x, _ = _log_positions(agg.index.to_numpy(float))
        ax.errorbar(
            x,
            agg["mean"],
            yerr=[agg["mean"] - agg["min"], agg["max"] - agg["mean"]],
            fmt="o",
            ms=4,
            color=col,
            elinewidth=0.8,
            capsize=0,
            zorder=3,
        )
        label = "0" if d2 == 0 else format_concentration(d2)
        ax.plot(np.log10(grid), fit.predict(grid, d2), color=col, lw=1.4, label=label)
        ax.plot([zero_at], fit.predict(0.0, d2), marker="_", ms=12, mew=1.4, color=col)
    ticks = [zero_at, *np.log10(pos)]
    ax.set_xticks(ticks, ["0", *(format_concentration(d) for d in pos)], fontsize=7)
    brk = zero_at + 0.5
    ax.axvline(brk, color="0.6", lw=0.8, ls=(0, (2, 2)))
    ax.set_xlabel(f"{fit.drugs[0]} dose")
    ax.set_ylabel("effect E (viability fraction)")
    ax.legend(
        title=f"{fit.drugs[1]} dose",
        fontsize=7,
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    p = fit.params
    lines = [
        f"α12 = {p['alpha12']:.3g}, α21 = {p['alpha21']:.3g}",
        f"β = {fit.beta:.3g}",
    ]
    if fit.fit_gamma:
        lines.append(f"γ12 = {p['gamma12']:.3g}, γ21 = {p['gamma21']:.3g}")
    lines.append(f"R² = {fit.r_squared:.3f}")
    ax.text(
        0.98,
        0.97,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9},
    )
    ax.set_title(
        f"MuSyC fit: {fit.drugs[0]} + {fit.drugs[1]}\n(points observed, lines and dashes at 0 fitted)"
    )
    return tidy_axes(ax)


def musyc_parameter_plot(fit: Any, *, ax: Axes | None = None) -> Axes:
    """Synergy parameters of a MuSyC fit with their bootstrap intervals (forest plot).

    Potency and cooperativity are shown as ``log10(alpha)``, ``log10(gamma)`` and efficacy as
    ``beta``, so 0 means no interaction for every row; right of 0 is synergy.
    """
    ax = get_ax(ax, figsize=(5.6, 3.4))
    a, b = fit.drugs
    rows = [("alpha12", f"potency log10 α12\n({a} on {b})", True)]
    rows.append(("alpha21", f"potency log10 α21\n({b} on {a})", True))
    rows.append(("beta", "efficacy β", False))
    if fit.fit_gamma:
        rows.append(("gamma12", f"cooperativity log10 γ12\n({a} on {b})", True))
        rows.append(("gamma21", f"cooperativity log10 γ21\n({b} on {a})", True))
    est = {**fit.params, "beta": fit.beta}
    cols = palette(3)
    for i, (name, _label, logged) in enumerate(rows):
        y = len(rows) - 1 - i
        v = est[name]
        t = np.log10 if logged else (lambda z: z)
        xv = float(t(v)) if (not logged or v > 0) else np.nan
        col = cols[1] if xv >= 0 else cols[2]
        if fit.ci is not None:
            lo, hi = fit.ci[name]
            if not logged or (lo > 0 and hi > 0):
                ax.plot([t(lo), t(hi)], [y, y], color=col, lw=2.2, solid_capstyle="butt")
        ax.plot([xv], [y], "o", color=col, ms=7, zorder=3)
        text = f"{name.replace('alpha', 'α').replace('gamma', 'γ').replace('beta', 'β')} = {v:.3g}"
        if fit.ci is not None:
            text += f" [{fit.ci[name][0]:.3g}, {fit.ci[name][1]:.3g}]"
        ax.text(
            xv,
            y + 0.18,
            text,
            ha="center",
            va="bottom",
            fontsize=7,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85},
            zorder=4,
        )
    ax.axvline(0.0, color="0.4", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)), [r[1] for r in reversed(rows)], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.3)
    lim = max(0.5, *(abs(x) for x in ax.get_xlim()))
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("← antagonism    interaction (0 = none)    synergy →")
    level = f"{100 * fit.confidence_level:g} % bootstrap CI" if fit.ci is not None else "no CI"
    ax.set_title(f"MuSyC synergy: {fit.drugs[0]} + {fit.drugs[1]} ({level})")
    return tidy_axes(ax)
