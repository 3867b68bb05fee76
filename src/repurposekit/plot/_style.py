"""Shared look of RepurposeKit figures: palette, axes factory, log-dose formatting."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PALETTE", "get_ax", "palette", "tidy_axes"]

# colour-blind safe (Okabe–Ito), vehicle/control first
PALETTE = (
    "#000000",
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
)


def palette(n: int) -> list[str]:
    """``n`` colours, cycling the Okabe–Ito palette."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def get_ax(ax: Axes | None = None, *, figsize: tuple[float, float] = (5.0, 3.8)) -> Axes:
    """Return ``ax``, or a new Axes on a new Figure (not pyplot's current one)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def tidy_axes(ax: Axes) -> Axes:
    """Remove the top/right spines, as journals prefer."""
    ax.spines[["top", "right"]].set_visible(False)
    return ax


matplotlib.rcParams.update(
    {
        "axes.titlesize": "medium",
        "axes.labelsize": "medium",
        "legend.fontsize": "small",
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": 150,
    }
)


def margin_label(
    ax: Axes,
    y: float,
    text: str,
    *,
    inside: bool = False,
    pad: float = 3,
    color: str = "0.3",
    fontsize: str = "x-small",
) -> None:
    """Write ``text`` at height ``y`` (data units) on the right edge of ``ax``.

    Outside the axes (``inside=False``), vertically centred on ``y``: labels reference lines
    and rows of a forest plot. Inside (``inside=True``), right-aligned just above ``y``.
    """
    where = (
        {"xytext": (-2, 2), "ha": "right", "va": "bottom"}
        if inside
        else {"xytext": (pad, 0), "va": "center"}
    )
    ax.annotate(
        text,
        (1.0, y),
        xycoords=("axes fraction", "data"),
        textcoords="offset points",
        fontsize=fontsize,
        color=color,
        **where,
    )
