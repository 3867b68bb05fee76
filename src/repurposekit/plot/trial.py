"""Figures of trial endpoints: waterfall and swimmer plots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RESPONSE_COLOURS", "swimmer", "waterfall"]

RESPONSE_COLOURS = {
    "CR": "#009E73",
    "PR": "#0072B2",
    "SD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#999999",
}


def _legend(ax: Axes, present: list[str], **kwargs: Any) -> None:
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=RESPONSE_COLOURS[r], label=r) for r in RESPONSE_COLOURS if r in present
        ],
        title="best response",
        **kwargs,
    )


def waterfall(data: Any, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Waterfall plot of best % change in target lesions, one bar per patient.

    Parameters
    ----------
    data : DataFrame
        From :func:`repurposekit.clinic.waterfall_data` (``best_pct_change``, ``best_response``).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
    """
    ax = get_ax(ax, figsize=(7.0, 3.8))
    x = np.arange(len(data))
    colours = [RESPONSE_COLOURS[r] for r in data["best_response"]]
    ax.bar(x, data["best_pct_change"], color=colours, width=0.85)
    ax.axhline(20, color="#666666", ls="--", lw=0.8)
    ax.axhline(-30, color="#666666", ls="--", lw=0.8)
    ax.text(
        len(data) - 0.5,
        21,
        "+20% (PD)",
        ha="right",
        va="bottom",
        fontsize="x-small",
        color="#444444",
    )
    ax.text(-0.5, -31, "−30% (PR)", ha="left", va="top", fontsize="x-small", color="#444444")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([])
    ax.set_xlim(-0.7, len(data) - 0.3)
    ax.set_xlabel(f"patients (n = {len(data)})")
    ax.set_ylabel("best change in target lesions (%)")
    _legend(ax, list(data["best_response"].unique()), loc="lower left", ncol=5, fontsize="small")
    if title:
        ax.set_title(title, loc="left")
    return tidy_axes(ax)


def swimmer(
    data: Any, *, ax: Axes | None = None, title: str = "", unit_days: float = 30.4375
) -> Axes:
    """Swimmer plot: one bar per patient (time on treatment), response onset and progression marks.

    Parameters
    ----------
    data : DataFrame
        From :func:`repurposekit.clinic.swimmer_data`.
    ax : Axes, optional
    title : str
    unit_days : float
        Days per axis unit (default: months of 30.44 days).

    Returns
    -------
    Axes
    """
    from matplotlib.lines import Line2D

    ax = get_ax(ax, figsize=(7.0, 0.6 + 0.22 * len(data)))
    y = np.arange(len(data))
    t = data["treatment_days"].to_numpy() / unit_days
    colours = [RESPONSE_COLOURS[r] for r in data["best_response"]]
    ax.barh(y, t, color=colours, height=0.7)
    resp = data["response_day"].to_numpy() / unit_days
    prog = data["progression_day"].to_numpy() / unit_days
    ok = ~np.isnan(resp)
    ax.scatter(resp[ok], y[ok], marker="^", color="black", s=18, zorder=3)
    ok = ~np.isnan(prog)
    ax.scatter(prog[ok], y[ok], marker="x", color="black", s=20, zorder=3)
    ong = data["ongoing"].to_numpy()
    for yi, ti in zip(y[ong], t[ong], strict=True):
        ax.annotate(
            "", xy=(ti + 0.9, yi), xytext=(ti + 0.05, yi), arrowprops={"arrowstyle": "->", "lw": 1}
        )
    ax.set_yticks(y, data["patient"], fontsize=6)
    ax.set_xlim(0, (float(np.nanmax(t)) if len(t) else 1.0) * 1.08 + 1.0)
    ax.set_xlabel("months on treatment" if unit_days > 30 else "days on treatment")
    ax.set_ylim(-0.8, len(data) - 0.2)
    present = list(data["best_response"].unique())
    from matplotlib.patches import Patch

    handles = [Patch(color=RESPONSE_COLOURS[r], label=r) for r in RESPONSE_COLOURS if r in present]
    handles += [
        Line2D([], [], marker="^", ls="", color="black", label="response"),
        Line2D([], [], marker="x", ls="", color="black", label="progression"),
        Line2D(
            [], [], marker=r"$\rightarrow$", ls="", color="black", markersize=10, label="ongoing"
        ),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize="small")
    if title:
        ax.set_title(title, loc="left")
    return tidy_axes(ax)
