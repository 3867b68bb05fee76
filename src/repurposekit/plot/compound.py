"""Figures of the knowledge base: published potencies on a concentration axis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from repurposekit.plot._style import get_ax, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["potency_ranges"]


def potency_ranges(
    potency: pd.DataFrame,
    *,
    measured: pd.DataFrame | None = None,
    working_range: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Published IC50/EC50 values (points, ranges as bars) on a log-molar axis.

    Parameters
    ----------
    potency : DataFrame
        ``repurposekit.knowledge.published_potency(...)`` output.
    measured : DataFrame, optional
        Our fitted values to overlay: columns ``label`` and ``value_molar``.
    working_range : (low, high), molar, optional
        Shaded concentration range (e.g. the protocol's in vitro 1-10 µM).
    """
    ax = get_ax(
        ax, figsize=(6.4, 0.45 * (len(potency) + (0 if measured is None else len(measured))) + 1.4)
    )
    labels = [f"{r.quantity} {r.model}" for r in potency.itertuples()]
    y = np.arange(len(potency))[::-1]
    colours = palette(3)
    if working_range is not None:
        ax.axvspan(
            *working_range, color="#E69F00", alpha=0.15, lw=0, label="protocol working range"
        )
    for yi, r in zip(y, potency.itertuples(), strict=True):
        if r.low_molar != r.high_molar:
            ax.plot(
                [r.low_molar, r.high_molar],
                [yi, yi],
                color=colours[1],
                lw=5,
                solid_capstyle="butt",
                alpha=0.7,
            )
        ax.plot(r.value_molar, yi, "o", color=colours[1])
    ticks, names = list(y), labels
    if measured is not None and len(measured):
        ym = np.arange(-1, -len(measured) - 1, -1)
        ax.plot(measured["value_molar"], ym, "D", color=colours[2], label="this study (fitted)")
        ticks += list(ym)
        names += list(measured["label"])
    ax.set_xscale("log")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("concentration (M)")
    ax.set_title("published potency")
    ax.grid(axis="x", which="major", alpha=0.3)
    if working_range is not None or measured is not None:
        ax.legend(loc="lower left")
    ax.margins(x=0.08, y=0.08)
    return tidy_axes(ax)
