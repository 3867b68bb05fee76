"""Figures of the synergy stage: dose-response matrix, synergy heatmap/contour and 3D surface,
Fa–CI plot, isobolograms and DRI plot."""

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
