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
