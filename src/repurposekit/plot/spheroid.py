"""Spheroid figures: QC overlays, contact sheets, invasion against dose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "areas_bar",
    "contact_sheet_panel",
    "invasion_dose",
    "invasion_fa_ci",
    "invasion_viability",
    "overlay",
]

_TOTAL = "#E69F00"  # orange
_CORE = "#56B4E9"  # sky blue


def _display(img: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(img, [0.5, 99.5])
    return float(lo), float(hi if hi > lo else lo + 1)


def overlay(
    analysis: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
    scale_bar_um: float | None = None,
    scale_bar: bool = True,
) -> Axes:
    """Image with the outlines of the total spheroid (orange) and its core (blue).

    Parameters
    ----------
    analysis : SpheroidAnalysis
        From :func:`repurposekit.imaging.analyse_plane` (uses its preview and outlines).
    ax : Axes, optional
    title : str, optional
        Default: areas and flags.
    legend : bool
        Draw the legend.
    scale_bar_um : float, optional
        Length of a scale bar, µm (needs a calibrated image); default: a round value.
    scale_bar : bool
        Draw the scale bar (calibrated images only).
    """
    ax = get_ax(ax, figsize=(4.2, 4.2))
    img = analysis.preview
    f = analysis.preview_scale
    lo, hi = _display(img)
    ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
    for key, colour, label in (("total", _TOTAL, "total"), ("core", _CORE, "core")):
        c = analysis.outlines.get(key)
        if c is not None and len(c):
            cc = (c + 0.5) / f - 0.5
            ax.plot(cc[:, 1], cc[:, 0], color=colour, lw=1.4, label=label)
    row = analysis.row
    sp = row.get("spacing_um", np.nan)
    if scale_bar and np.isfinite(sp):
        width_um = img.shape[1] * f * sp
        bar = scale_bar_um or float(10 ** np.floor(np.log10(width_um / 4)))
        if bar * 2 < width_um / 4 * 1.01:
            bar *= 2 if bar * 5 > width_um / 4 else 5
        px = bar / (sp * f)
        y = img.shape[0] * 0.93
        x0 = img.shape[1] * 0.05
        ax.plot([x0, x0 + px], [y, y], color="white", lw=3, solid_capstyle="butt")
        ax.text(
            x0 + px / 2,
            y - img.shape[0] * 0.03,
            f"{bar:g} µm",
            color="white",
            ha="center",
            va="bottom",
            fontsize="small",
        )
    if title is None:
        if np.isfinite(row.get("total_area_um2", np.nan)):
            title = f"total {row['total_area_um2'] / 1e6:.3f} mm², core {row['core_area_um2'] / 1e6:.3f} mm²"
        else:
            title = f"total {row['total_area_px']:.0f} px, core {row['core_area_px']:.0f} px"
        if row.get("flags"):
            title += f"\n[{row['flags']}]"
    ax.set_title(title, fontsize="small")
    ax.set_axis_off()
    if legend:
        ax.legend(loc="upper right", fontsize="x-small", frameon=True, framealpha=0.7)
    return ax


def contact_sheet_panel(
    batch: Any,
    *,
    columns: int | None = None,
    label: str = "well",
    days: list[float] | None = None,
) -> Figure:
    """Contact sheet of a plate: one row per well, one column per day, outlines drawn.

    Parameters
    ----------
    batch : BatchResult
        From :func:`repurposekit.imaging.measure_batch`.
    columns : int, optional
        Unused when days are laid out as columns (kept for a flat grid: ``columns=n``).
    label : str
        Column used to name rows (wells).
    days : list of float, optional
        Days to show (default: all).
    """
    import matplotlib.pyplot as plt

    t = batch.table
    all_days = sorted(t["day"].unique()) if days is None else list(days)
    wells = list(dict.fromkeys(t[label]))
    if columns:
        n = len(t)
        rows_n = int(np.ceil(n / columns))
        fig, axes = plt.subplots(
            rows_n,
            columns,
            figsize=(1.6 * columns, 1.7 * rows_n),
            squeeze=False,
            layout="constrained",
        )
        cells = [(i // columns, i % columns, idx) for i, idx in enumerate(t.index)]
    else:
        fig, axes = plt.subplots(
            len(wells),
            len(all_days),
            figsize=(1.5 * len(all_days) + 0.6, 1.5 * len(wells) + 0.4),
            squeeze=False,
            layout="constrained",
        )
        cells = []
        for idx, r in t.iterrows():
            if r["day"] in all_days:
                cells.append((wells.index(r[label]), all_days.index(r["day"]), idx))
    for ax in axes.ravel():
        ax.set_axis_off()
    for i, j, idx in cells:
        ax = axes[i, j]
        a = batch.analyses.get(idx)
        r = t.loc[idx]
        if a is None:
            ax.text(
                0.5,
                0.5,
                "unreadable",
                ha="center",
                va="center",
                color="#c62828",
                fontsize="small",
                transform=ax.transAxes,
            )
            continue
        overlay(a, ax=ax, title="", legend=False, scale_bar=False)
        flagged = bool(r.get("flags"))
        if flagged:
            for s in ax.spines.values():
                s.set_visible(True)
                s.set_color("#c62828")
                s.set_linewidth(2)
            ax.set_axis_on()
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(
                0.02,
                0.02,
                str(r["flags"]).replace(";", "\n"),
                color="#ffdddd",
                fontsize=5,
                transform=ax.transAxes,
                va="bottom",
            )
        if not columns:
            if i == 0:
                ax.set_title(f"day {all_days[j]:g}", fontsize="small")
            if j == 0:
                ax.text(
                    -0.08,
                    0.5,
                    str(r[label]),
                    transform=ax.transAxes,
                    rotation=90,
                    ha="right",
                    va="center",
                    fontsize="small",
                )
        else:
            ax.set_title(f"{r[label]} d{r['day']:g}", fontsize="x-small")
    return fig


def invasion_dose(result: Any, *, ax: Axes | None = None, log_x: bool = True) -> Axes:
    """Invasion relative to vehicle against dose, one colour per compound (mean ± SD)."""
    ax = get_ax(ax)
    t = result.table
    treated = t[t.get("role", "treated") != "vehicle"] if "role" in t.columns else t
    comps = [c for c in dict.fromkeys(treated.get("compound", [])) if c]
    colours = palette(len(comps) + 1)[1:]
    for comp, colour in zip(comps, colours, strict=False):
        g = treated[treated["compound"] == comp]
        stats = g.groupby("dose_molar")["invasion_rel_vehicle"].agg(["mean", "std"]).reset_index()
        x = stats["dose_molar"] * 1e6
        ax.errorbar(
            x,
            stats["mean"],
            yerr=stats["std"].fillna(0),
            marker="o",
            ms=4,
            capsize=2,
            color=colour,
            label=comp,
        )
        ax.scatter(g["dose_molar"] * 1e6, g["invasion_rel_vehicle"], s=8, color=colour, alpha=0.4)
    ax.axhline(1.0, color="black", lw=0.8, ls="--", label="vehicle")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("dose (µM; combinations: total)")
    ax.set_ylabel("invasion index / vehicle")
    ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    ax.legend(fontsize="small")
    return tidy_axes(ax)


def areas_bar(measurements: Any, *, ax: Axes | None = None) -> Axes:
    """Stacked core + invasive area per image."""
    ax = get_ax(ax)
    t = measurements.table
    use_um = np.isfinite(t["total_area_um2"]).all()
    core = t["core_area_um2"] / 1e6 if use_um else t["core_area_px"]
    inv = t["invasive_area_um2"] / 1e6 if use_um else t["invasive_area_px"]
    x = np.arange(len(t))
    ax.bar(x, core, color=_CORE, label="core")
    ax.bar(x, inv, bottom=core, color=_TOTAL, label="invasive")
    ax.set_ylabel("area (mm²)" if use_um else "area (px)")
    ax.set_xticks(x)
    ax.legend()
    return tidy_axes(ax)


def invasion_viability(result: Any, *, ax: Axes | None = None, log_x: bool = True) -> Axes:
    """Invasion and endpoint viability (both % of vehicle) against dose, per compound.

    Solid lines and filled circles: invasion index relative to vehicle; dashed lines and
    open squares: CellTiter-Glo viability. Invasion falling at doses where viability stays
    near 100 % is anti-invasive rather than cytotoxic.
    """
    from matplotlib.lines import Line2D

    ax = get_ax(ax, figsize=(5.6, 3.9))
    t = result.table
    if "viability_pct" not in t.columns:
        msg = "the invasion table has no viability_pct column: join a viability read first."
        raise ValueError(msg)
    treated = t[t["role"].astype(str).str.lower() != "vehicle"] if "role" in t.columns else t
    comps = [c for c in dict.fromkeys(treated.get("compound", [])) if c]
    colours = palette(len(comps) + 1)[1:]
    handles = []
    for comp, colour in zip(comps, colours, strict=False):
        g = treated[treated["compound"] == comp]
        m = g.groupby("dose_molar")[["invasion_rel_vehicle", "viability_pct"]].mean()
        x = m.index.to_numpy() * 1e6
        ax.plot(x, 100 * m["invasion_rel_vehicle"], "-o", color=colour, ms=5)
        ax.plot(x, m["viability_pct"], "--s", color=colour, ms=5, mfc="white")
        handles.append(Line2D([], [], color=colour, lw=6, label=comp))
    ax.axhline(100.0, color="0.4", lw=0.8, ls=":")
    handles += [
        Line2D([], [], color="0.2", marker="o", ls="-", label="invasion"),
        Line2D([], [], color="0.2", marker="s", mfc="white", ls="--", label="viability (CTG)"),
    ]
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("dose (µM; combinations: total)")
    ax.set_ylabel("% of vehicle")
    ax.set_ylim(0, max(120.0, ax.get_ylim()[1]))
    ax.legend(handles=handles, fontsize="x-small", loc="lower left", ncol=2)
    return tidy_axes(ax)


def invasion_fa_ci(synergy: Any, *, ax: Axes | None = None) -> Axes:
    """Fa–CI plot of invasion: CI of each constant-ratio mixture over Fa, wells as points.

    The grey band is the protocol's additive range (0.9–1.1); below it synergism.
    """
    ax = get_ax(ax, figsize=(5.2, 3.9))
    grid = np.linspace(0.05, 0.97, 93)
    names = list(dict.fromkeys([*synergy.chou, *synergy.wells.get("mixture", [])]))
    colours = palette(len(names) + 1)[1:]
    top = 1.5
    for name, colour in zip(names, colours, strict=False):
        res = synergy.chou.get(name)
        if res is not None:
            cu = res.indices_at(grid)
            cu = cu[cu["agent"] == name]
            ax.plot(cu["fa"], cu["ci"], color=colour, label=f"{name}, median-effect")
            lv = synergy.indices[synergy.indices["mixture"] == name]
            levels = "/".join(f"{f:g}" for f in lv["fa"])
            ax.scatter(
                lv["fa"],
                lv["ci"],
                marker="D",
                s=22,
                color=colour,
                zorder=3,
                label=f"CI at Fa {levels}",
            )
            top = max(top, float(np.nanmax(cu["ci"])))
        w = synergy.wells[synergy.wells["mixture"] == name]
        ax.scatter(
            w["fa"],
            w["ci"],
            s=30,
            facecolor="white",
            edgecolor=colour,
            zorder=4,
            label=f"{name}, wells",
        )
        for _, r in w.iterrows():
            if np.isfinite(r["ci"]):
                ax.annotate(
                    r["well"],
                    (r["fa"], r["ci"]),
                    fontsize=6,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
    ax.axhspan(0.9, 1.1, color="0.88", zorder=0, label="additive (0.9–1.1)")
    ax.axhline(1.0, color="0.4", lw=0.8, ls="--")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, min(top * 1.05, 5.0))
    ax.set_xlabel("Fa (invasion inhibition = 1 − invasion / vehicle)")
    ax.set_ylabel("combination index (CI)")
    ax.legend(fontsize="x-small", loc="upper right")
    return tidy_axes(ax)
