"""Survival figures: Kaplan–Meier curves with a numbers-at-risk table, forest plots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from repurposekit.plot._style import get_ax, margin_label, palette, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forest_plot", "km_plot", "logrank_bars", "pairwise_heatmap"]


def _nice_times(tmax: float, n: int = 6) -> np.ndarray:
    """Round tick positions from 0 to about ``tmax``."""
    if tmax <= 0:
        return np.array([0.0])
    raw = tmax / (n - 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    return np.arange(0, tmax + step * 0.5, step)


def km_plot(
    result: Any,
    *,
    ax: Axes | None = None,
    ci: bool = True,
    censor_marks: bool = True,
    risk_table: bool = True,
    risk_times: Sequence[float] | None = None,
    colors: Sequence[str] | None = None,
    xlabel: str | None = None,
    ylabel: str = "Survival probability",
    show_median: bool = False,
    legend: bool = True,
) -> Axes:
    """Kaplan–Meier step curves with CI bands, censoring ticks and numbers at risk.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`repurposekit.survival.kaplan_meier`.
    ax : Axes, optional
        Draw here; a new figure otherwise.
    ci : bool
        Shade the pointwise confidence band (the result's ``conf_type`` and level).
    censor_marks : bool
        A "+" at each censoring time.
    risk_table : bool
        Numbers at risk per group under the x axis, at ``risk_times`` (default the ticks).
    risk_times : sequence of float, optional
    colors : sequence of str, optional
        One colour per group (default: the RepurposeKit palette, first group black).
    xlabel, ylabel : str
    show_median : bool
        Dotted guide lines at S = 0.5 down to each reached median.
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
    """
    figsize = (8.0, 4.4 + 0.18 * len(result.groups)) if risk_table else (7.0, 4.0)
    ax = get_ax(ax, figsize=figsize)
    curves = result._curves()
    cols = list(colors) if colors is not None else palette(len(curves))
    tmax = float(result.table["time"].max()) if len(result.table) else 1.0
    for (key, sub), col in zip(curves, cols, strict=False):
        t = np.concatenate(([0.0], sub["time"].to_numpy()))
        s = np.concatenate(([1.0], sub["survival"].to_numpy()))
        label = f"{key['group']} (n={int(sub['n_risk'].iloc[0]) if len(sub) else 0})"
        ax.step(t, s, where="post", color=col, lw=1.6, label=label)
        if ci:
            lo = np.concatenate(([1.0], sub["lower"].to_numpy()))
            hi = np.concatenate(([1.0], sub["upper"].to_numpy()))
            ok = ~(np.isnan(lo) | np.isnan(hi))
            ax.fill_between(t[ok], lo[ok], hi[ok], step="post", color=col, alpha=0.12, linewidth=0)
        if censor_marks:
            cens = sub["n_censor"].to_numpy() > 0
            ax.plot(
                sub["time"].to_numpy()[cens],
                sub["survival"].to_numpy()[cens],
                linestyle="none",
                marker="|",
                markersize=7,
                markeredgewidth=1.3,
                color=col,
            )
    if show_median:
        med = result.median()
        for (_, r), col in zip(med.iterrows(), cols, strict=False):
            if np.isfinite(r["median"]):
                ax.plot([0, r["median"], r["median"]], [0.5, 0.5, 0], ls=":", lw=0.9, color=col)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlim(0, tmax * 1.03)
    ticks = np.asarray(risk_times, dtype=float) if risk_times is not None else _nice_times(tmax)
    ticks = ticks[ticks <= tmax * 1.03]
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel or result.time)
    ax.set_ylabel(ylabel)
    tidy_axes(ax)
    if legend and len(curves) > 0:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    if risk_table:
        nar = result.number_at_risk(ticks)
        base = -(ax.xaxis.get_label().get_size() * 2.0 + 26)
        ax.annotate(
            "Number at risk",
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(-14, base),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize="small",
            fontweight="bold",
        )
        for i, ((key, _), col) in enumerate(zip(curves, cols, strict=False)):
            y = base - 12 * (i + 1)
            ax.annotate(
                str(key["group"]),
                xy=(0, 0),
                xycoords="axes fraction",
                xytext=(-14, y),
                textcoords="offset points",
                ha="right",
                va="top",
                fontsize="small",
                color=col,
            )
            row = nar.iloc[i].to_numpy()
            for x, v in zip(ticks, row, strict=False):
                ax.annotate(
                    str(int(v)),
                    xy=(x, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, y),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize="small",
                    color=col,
                )
    return ax


def _forest_frame(result: Any, top: int) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        df = result.copy()
        if "term" not in df.columns:
            df = df.rename(columns={"feature": "term"})
        need = {"term", "hr", "hr_lower", "hr_upper"}
        if not need <= set(df.columns):
            msg = f"forest_plot needs columns {sorted(need)}; got {list(df.columns)}."
            raise ValueError(msg)
        return df
    if hasattr(result, "coefficients"):  # CoxResult
        return result.coefficients.rename_axis("term").reset_index()
    # CoxBatchResult: Wald CIs, best `top` features by p
    df = result.to_frame().rename(columns={"feature": "term"})
    df = df[df["converged"]].nsmallest(top, "p_value")
    df["hr_lower"] = np.exp(df["coef"] - 1.959963984540054 * df["se"])
    df["hr_upper"] = np.exp(df["coef"] + 1.959963984540054 * df["se"])
    return df


def _log_ticks(ax: Axes, lo: float, hi: float) -> None:
    """Readable ticks (…, 0.1, 0.2, 0.5, 1, 2, 5, …) on a log hazard-ratio axis."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    cands = np.array([m * 10**d for d in decades for m in (1, 2, 5)])
    ticks = cands[(cands >= lo) & (cands <= hi)]
    if ticks.size > 7:
        ticks = np.array([10**d for d in decades if lo <= 10**d <= hi] or ticks[:: ticks.size // 5])
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def forest_plot(
    result: Any,
    *,
    ax: Axes | None = None,
    top: int = 30,
    annotate: bool = True,
    color: str = "#0072B2",
    xlabel: str = "Hazard ratio (log scale)",
) -> Axes:
    """Forest plot of hazard ratios with CIs on a log axis.

    Parameters
    ----------
    result : CoxResult, CoxBatchResult or pandas.DataFrame
        A DataFrame needs ``term`` (or ``feature``), ``hr``, ``hr_lower``, ``hr_upper`` and
        optionally ``p_value``. For a batch result the ``top`` features with the smallest
        p are drawn (95 % Wald CIs).
    ax : Axes, optional
    top : int
    annotate : bool
        Write "HR (lower–upper), p" at the right of each row.
    color : str
    xlabel : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    df = _forest_frame(result, top).reset_index(drop=True)
    k = len(df)
    ax = get_ax(ax, figsize=(6.4, 1.2 + 0.32 * max(k, 1)))
    y = np.arange(k)[::-1]
    hr = df["hr"].to_numpy(dtype=float)
    lo = df["hr_lower"].to_numpy(dtype=float)
    hi = df["hr_upper"].to_numpy(dtype=float)
    finite = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
    vals = np.concatenate((hr[np.isfinite(hr) & (hr > 0)], lo[finite], hi[finite]))
    lo_lim = min(vals.min(), 1.0) / 1.5 if vals.size else 0.1
    hi_lim = max(vals.max(), 1.0) * 1.5 if vals.size else 10
    ax.axvline(1.0, color="0.5", lw=0.8, ls="--", zorder=0)
    ax.hlines(y, np.clip(lo, lo_lim, hi_lim), np.clip(hi, lo_lim, hi_lim), color=color, lw=1.4)
    ax.plot(np.clip(hr, lo_lim, hi_lim), y, "s", color=color, markersize=6)
    ax.set_xscale("log")
    ax.set_xlim(lo_lim, hi_lim)
    _log_ticks(ax, lo_lim, hi_lim)
    ax.set_yticks(y)
    ax.set_yticklabels(df["term"].astype(str))
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_xlabel(xlabel)
    tidy_axes(ax)
    if annotate:
        for yi, (_, r) in zip(y, df.iterrows(), strict=False):
            txt = f"{r['hr']:.3g} ({r['hr_lower']:.3g}–{r['hr_upper']:.3g})"
            if "p_value" in df.columns and np.isfinite(r["p_value"]):
                txt += f", p={r['p_value']:.2g}"
            margin_label(ax, yi, txt, pad=6, color="black", fontsize="small")
    return ax


def logrank_bars(result: Any, *, ax: Axes | None = None) -> Axes:
    """Observed vs expected events per group (a :class:`LogRankResult`), with the test in the title."""
    ax = get_ax(ax)
    tab = result.table
    x = np.arange(len(tab))
    ax.bar(x - 0.2, tab["observed"], width=0.4, label="observed", color="#0072B2")
    ax.bar(x + 0.2, tab["expected"], width=0.4, label="expected", color="0.7")
    ax.set_xticks(x)
    ax.set_xticklabels(tab["group"].astype(str), rotation=20, ha="right")
    ax.set_ylabel("Events")
    ax.set_title(f"χ² = {result.chisq:.3g} on {result.df} df, p = {result.p_value:.3g}")
    ax.legend()
    return tidy_axes(ax)


def pairwise_heatmap(result: Any, *, ax: Axes | None = None) -> Axes:
    """Adjusted p-values of a :class:`PairwiseLogRankResult` as a lower-triangle heat map."""
    ax = get_ax(ax)
    tab = result.table
    levels = list(dict.fromkeys([*tab["group_a"], *tab["group_b"]]))
    k = len(levels)
    mat = np.full((k, k), np.nan)
    for _, r in tab.iterrows():
        i, j = levels.index(r["group_a"]), levels.index(r["group_b"])
        mat[max(i, j), min(i, j)] = r["p_adjusted"]
    mat = mat[1:, :-1]  # the strict lower triangle only
    with np.errstate(divide="ignore"):
        logp = -np.log10(mat)
    vmax = max(float(np.nanmax(logp)) if np.isfinite(logp).any() else 1.0, 2.0)
    im = ax.imshow(logp, cmap="Blues", vmin=0, vmax=vmax)
    for i in range(k - 1):
        for j in range(k - 1):
            if np.isfinite(mat[i, j]):
                dark = logp[i, j] > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{mat[i, j]:.2g}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(k - 1))
    ax.set_xticklabels(levels[:-1], rotation=30, ha="right")
    ax.set_yticks(range(k - 1))
    ax.set_yticklabels(levels[1:])
    ax.set_title(f"Pairwise log-rank, {result.method}-adjusted p")
    ax.figure.colorbar(im, ax=ax, label="−log10 p (adjusted)")
    return ax
