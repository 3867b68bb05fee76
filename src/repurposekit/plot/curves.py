"""Dose-response figures: fitted curves, data points and confidence bands on a log-dose axis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, palette, tidy_axes
from repurposekit.units import concentration_factor, normalise_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from repurposekit.curves import DoseResponseFit, DoseResponseFits

__all__ = ["dose_response", "dose_response_panel"]


def _fits(obj: Any) -> list[DoseResponseFit]:
    if isinstance(obj, (list, tuple)):
        return list(obj)
    return list(obj) if hasattr(obj, "table") and hasattr(obj, "keys") else [obj]


def _label(fit: DoseResponseFit) -> str:
    return " · ".join(str(k) for k in fit.key) or "fit"


def dose_response(
    fits: DoseResponseFit | DoseResponseFits,
    *,
    ax: Axes | None = None,
    unit: str = "uM",
    show_ci: bool = True,
    show_points: bool = True,
    show_ic50: bool = True,
    colors: list[str] | None = None,
    labels: list[str] | None = None,
    legend: bool = True,
    **line_kwargs: Any,
) -> Axes:
    """Plot fitted curves with their data points and pointwise CI band.

    Parameters
    ----------
    fits : DoseResponseFit, DoseResponseFits or list of DoseResponseFit
    ax : matplotlib Axes, optional
    unit : str
        Dose unit of the axis (``"nM"``, ``"uM"`` …); the fits are in molar.
    show_ci, show_points, show_ic50 : bool
        Draw the confidence band of the mean curve, the measured points (replicate means ±
        SD), and a tick at each absolute IC50.
    colors : list of str, optional
    labels : list of str, optional
        Legend labels (default: the curve keys).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Vehicle (zero-dose) points are drawn at a broken axis position one and a half decades
    below the lowest tested dose, labelled "0", as GraphPad Prism does.
    """
    ax = get_ax(ax)
    items = _fits(fits)
    factor = concentration_factor(unit)
    label_unit = normalise_unit(unit).replace("uM", "µM")
    colors = colors or palette(len(items) + 1)[1:]
    lo = np.nanmin([f.row["dose_min"] for f in items]) / factor
    hi = np.nanmax([f.row["dose_max"] for f in items]) / factor
    zero_x = lo / 10**1.5
    any_zero = False
    labels = labels or [_label(f) for f in items]
    for fit, color, name in zip(items, colors, labels, strict=False):
        d = fit.data
        if show_points and len(d):
            stats_ = d.groupby(fit.dose)[fit.response].agg(["mean", "std", "count"]).reset_index()
            x = stats_[fit.dose].to_numpy() / factor
            zero = x == 0
            any_zero |= bool(zero.any())
            x = np.where(zero, zero_x, x)
            ax.errorbar(
                x,
                stats_["mean"],
                yerr=stats_["std"].fillna(0.0),
                fmt="o",
                ms=4,
                color=color,
                capsize=2,
                lw=0.8,
                zorder=3,
            )
        if not np.isfinite(fit.coef).all():
            continue
        grid = np.logspace(np.log10(lo) - 0.3, np.log10(hi) + 0.3, 200)
        y = fit.predict(grid * factor)
        style = {"lw": 1.8} | line_kwargs
        flags = fit.flag_list
        extra = f" ({', '.join(flags)})" if flags else ""
        ic50 = fit.row["ic50"]
        ic_txt = f", IC50 {ic50 / factor:.3g} {label_unit}" if np.isfinite(ic50) else ""
        ax.plot(grid, y, color=color, label=f"{name}{ic_txt}{extra}", **style)
        if show_ci and np.isfinite(fit.cov).all():
            low, high = fit.band(grid * factor)
            ax.fill_between(grid, low, high, color=color, alpha=0.18, lw=0)
        if show_ic50 and np.isfinite(ic50):
            level = float(fit.predict(ic50))
            ax.plot([ic50 / factor], [level], marker="|", ms=14, mew=2, color=color)
    ax.set_xscale("log")
    from matplotlib.ticker import LogLocator

    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=20))
    if any_zero:
        ax.axvspan(zero_x / 10**0.35, zero_x * 10**0.35, color="0.93", zorder=0)
        ticks = [t for t in ax.get_xticks() if lo / 10**0.5 <= t <= hi * 10**0.5]
        ax.set_xticks([zero_x, *ticks])
        ax.set_xticklabels(["0", *(f"{t:g}" for t in ticks)])
        ax.set_xlim(zero_x / 10**0.5, hi * 10**0.5)
    ax.set_xlabel(f"dose ({label_unit}, log scale)")
    ax.set_ylabel(items[0].scale.label if items[0].scale.control is not None else items[0].response)
    if items[0].scale.name in ("percent", "inhibition"):
        ax.axhline(50, color="0.6", lw=0.7, ls=":")
    if legend and items:
        ax.legend(loc="best", fontsize="x-small")
    return tidy_axes(ax)


def dose_response_panel(
    fits: DoseResponseFits,
    *,
    panel_by: str,
    unit: str = "uM",
    ncols: int = 2,
    max_panels: int = 12,
    **kwargs: Any,
) -> Figure:
    """One panel per value of ``panel_by`` (a ``by`` column), the other curves overlaid.

    At most ``max_panels`` panels are drawn (the first values in the fits' order).
    """
    import matplotlib.pyplot as plt

    if panel_by not in fits.by:
        msg = f"panel_by {panel_by!r} is not one of the by columns {fits.by}"
        raise ValueError(msg)
    j = fits.by.index(panel_by)
    values = list(dict.fromkeys(k[j] for k in fits.keys))[:max_panels]
    nrows = int(np.ceil(len(values) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), layout="constrained", squeeze=False
    )
    for ax, value in zip(axes.flat, values, strict=False):
        items = [f for f in fits if f.key[j] == value]
        labels = [" · ".join(str(k) for i, k in enumerate(f.key) if i != j) for f in items]
        dose_response(items, ax=ax, unit=unit, labels=labels, **kwargs)
        ax.set_title(f"{panel_by} = {value}")
    for ax in list(axes.flat)[len(values) :]:
        ax.set_visible(False)
    return fig
