"""``fit_dose_response``: tidy table in, one LL.4 (or relative) fit per curve out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import ConvergenceWarning, DataValidationError, warn
from repurposekit._provenance import settings as _settings
from repurposekit._validate import coerce_numeric, require_columns, where
from repurposekit.curves._kernels import fit_ll4_batch, ll4
from repurposekit.curves._metrics import delta_se, metric_table, t_interval
from repurposekit.curves._result import DoseResponseFits
from repurposekit.curves._scales import Scale, check_scale, get_scale

__all__ = ["MODELS", "fit_dose_response"]

MODELS = {
    "LL.4": "four-parameter log-logistic (drc LL.4): b, c, d, e free",
    "LL.3": "three-parameter log-logistic, lower limit c fixed (drc LL.3; default c = 0)",
    "LL.3u": "three-parameter log-logistic, upper limit d fixed (drc LL.3u; default d = the "
    "scale's 100 % level)",
    "L.4": "four-parameter logistic on log-dose (drc L.4); zero doses placed 3 decades below "
    "the lowest tested dose",
}
MIN_DOSES = 4  # distinct doses needed for a 4-parameter curve (plus the vehicle helps)


def _as_tuple(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def _flags_for(
    frame: pd.DataFrame,
    curves: list[pd.DataFrame],
    *,
    dose: str,
    response: str,
    converged: np.ndarray,
    params: np.ndarray,
    rss: np.ndarray,
    df: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_doses: np.ndarray,
    flat_p: np.ndarray,
    ic50_defined: np.ndarray,
) -> list[str]:
    flags = []
    for i, cur in enumerate(curves):
        f: list[str] = []
        if n_doses[i] < MIN_DOSES or df[i] <= 0:
            f.append("too_few_points")
        if not converged[i]:
            f.append("not_converged")
        if np.isfinite(params[i, 0]) and abs(params[i, 0]) > 10:
            f.append("steep")
        if np.isfinite(flat_p[i]) and flat_p[i] > 0.05:
            f.append("flat")
        ic50 = frame.loc[i, "ic50"]
        if not ic50_defined[i]:
            pass
        elif not np.isfinite(ic50):
            f.append("ic50_not_reached")
        elif ic50 > hi[i] * (1 + 1e-9):
            f.append("ic50_above_range")
        elif ic50 < lo[i] * (1 - 1e-9):
            f.append("ic50_below_range")
        e = params[i, 3]
        if np.isfinite(e) and not (lo[i] <= e <= hi[i]):
            f.append("ec50_outside_range")
        # non-monotone data (from the data, not the fit): a step of the dose means against
        # the overall direction larger than 20 % of their range and than twice the pooled
        # replicate SD; ignored when the means span < 10 % of their level (a flat curve)
        grp = cur.groupby(dose, sort=True)[response]
        means = grp.mean().to_numpy()
        if means.size >= 3:
            spread = means.max() - means.min()
            direction = np.sign(means[-1] - means[0])
            against = -np.diff(means) * direction
            sd = grp.std(ddof=1).to_numpy()
            pooled = float(np.sqrt(np.nanmean(sd**2))) if np.isfinite(sd).any() else 0.0
            big = against > max(0.2 * spread, 2.0 * pooled)
            if direction != 0 and spread > 0.1 * np.abs(means).max() and big.any():
                f.append("non_monotone")
        flags.append(";".join(f))
    return flags


def fit_dose_response(
    data: pd.DataFrame,
    *,
    dose: str = "dose_molar",
    response: str = "response",
    by: str | Sequence[str] = (),
    model: str = "LL.4",
    weights: str | None = None,
    scale: str | None = None,
    bottom: float | None = None,
    top: float | None = None,
    average_replicates: bool = False,
    confidence_level: float = 0.95,
    source: str | Path | None = None,
) -> DoseResponseFits:
    """Fit a log-logistic dose-response curve to every group of a tidy table.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per well/measurement; not modified.
    dose : str
        Column of doses in **molar** (≥ 0; 0 = vehicle). Convert at the boundary with
        :func:`repurposekit.units.to_molar`.
    response : str
        Column of responses on ``scale``.
    by : str or sequence of str
        Columns identifying one curve (e.g. ``("cell_line", "compound")``).
    model : {"LL.4", "LL.3", "LL.3u", "L.4"}
        See ``MODELS``. ``LL.3`` fixes the lower limit ``c`` at ``bottom`` (default 0);
        ``LL.3u`` fixes the upper limit ``d`` at ``top`` (default the scale's 100 % level).
    weights : str, optional
        Column of non-negative inverse-variance weights (minimises ``sum w (y - f)^2``).
    scale : {"raw", "fraction", "percent", "inhibition"}, optional
        Response scale: viability fraction of vehicle, % viability, % inhibition, or any
        continuous response (default ``"raw"``). A declared scale that the zero-dose wells
        contradict raises :class:`~repurposekit.DataValidationError`.
    bottom, top : float, optional
        Fixed limits for ``LL.3`` / ``LL.3u``.
    average_replicates : bool
        Fit the mean response per dose instead of every replicate point.
    confidence_level : float
        Level of the t-based intervals (df = points − free parameters).
    source : str or Path, optional
        File name used in error messages.

    Returns
    -------
    DoseResponseFits
        One :class:`DoseResponseFit` per curve; ``.to_frame()`` gives the by columns,
        ``bottom, top, hill, ec50, ic50, emax, auc, auc_norm``, their SEs and CIs, ``rss``,
        ``converged``, ``message`` and ``flags``.

    Notes
    -----
    drc's LL.4: :math:`f(x) = c + (d - c) / (1 + \\exp(b(\\log x - \\log e)))`, reported as
    ``hill = b`` (``b > 0``: the response falls with dose, as for viability; ``b < 0``: it
    rises, as for inhibition), ``bottom = c`` and ``top = d`` (drc's lower/upper limits,
    the infinite-dose and zero-dose asymptotes of a falling curve) and ``ec50 = e``
    (relative EC50, molar). Zero doses enter the fit through the limit ``f(0)``.

    ``ic50`` is the absolute IC50: the dose where the fitted curve crosses the scale's
    half-effect level (0.5 for a fraction, 50 for % viability or % inhibition, and for
    raw responses half of the fitted zero-dose level, for falling curves only); NaN when the
    curve never crosses it (or, for a rising raw response, where it is not defined).
    ``emax`` is the fitted response at the highest tested dose. ``auc`` is the area under the
    fitted curve over the tested doses on a log10 axis, ``auc_norm`` that area divided by
    the log10 range and by the scale's 100 % level (or the zero-dose level for raw data), so
    1 = no effect for viability. SEs: drc's (observed Hessian) for the parameters and the
    delta method for derived quantities.

    Flags: ``too_few_points`` (fewer than 4 doses or no residual df), ``not_converged``,
    ``steep`` (|hill| > 10: a step between two doses), ``flat`` (F-test of the curve
    against a constant, p > 0.05), ``ic50_above_range`` / ``ic50_below_range`` (IC50
    extrapolated beyond the tested doses), ``ic50_not_reached``, ``ec50_outside_range``,
    ``non_monotone`` (a step of the dose means against the overall direction larger than
    20 % of their range and twice the pooled replicate SD).

    References
    ----------
    Ritz C, Baty F, Streibig JC, Gerhard D (2015) Dose-response analysis using R.
    PLoS ONE 10:e0146021. doi:10.1371/journal.pone.0146021

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.curves import fit_dose_response
    >>> d = pd.DataFrame({"dose_molar": [0, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5],
    ...                   "response": [100, 97, 88, 62, 31, 12, 6]})
    >>> fits = fit_dose_response(d, scale="percent")
    >>> round(float(fits[0].ec50) * 1e6, 2)  # µM
    1.4
    """
    scale_obj = get_scale(scale)
    if model not in MODELS:
        msg = f"unknown model {model!r}; use one of {sorted(MODELS)}."
        raise DataValidationError(msg)
    by_cols = _as_tuple(by)
    needed = [dose, response, *by_cols] + ([weights] if weights else [])
    require_columns(data, needed, source=source)
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be between 0 and 1, got {confidence_level}."
        raise DataValidationError(msg)

    frame = data.loc[:, list(dict.fromkeys(needed))].copy()
    frame[dose] = coerce_numeric(frame, dose, source=source, allow_missing=False)
    frame[response] = coerce_numeric(frame, response, source=source, allow_missing=True)
    _nonnegative(frame[dose], dose, source=source)
    if weights:
        frame[weights] = coerce_numeric(frame, weights, source=source)
        _nonnegative(frame[weights], weights, source=source)
    frame = frame[frame[response].notna()]
    if frame.empty:
        msg = f"{where(source)}column {response!r} has no numeric values to fit."
        raise DataValidationError(msg)
    _check_scale_range(scale_obj, frame, dose=dose, response=response, source=source)

    if average_replicates:
        agg = {response: "mean"} | ({weights: "sum"} if weights else {})
        frame = frame.groupby([*by_cols, dose], sort=False, as_index=False).agg(agg)

    if by_cols:
        groups = frame.groupby(list(by_cols), sort=False, dropna=False)
        pairs = list(groups)
        keys = [k if isinstance(k, tuple) else (k,) for k, _ in pairs]
        curves = [g for _, g in pairs]
    else:
        keys, curves = [()], [frame]
    n = len(curves)
    m = max(len(c) for c in curves)
    x = np.zeros((n, m))
    y = np.full((n, m), np.nan)
    w = np.zeros((n, m))
    for i, cur in enumerate(curves):
        k = len(cur)
        x[i, :k] = cur[dose].to_numpy()
        y[i, :k] = cur[response].to_numpy()
        w[i, :k] = cur[weights].to_numpy() if weights else 1.0
    valid = np.isfinite(y) & (w > 0)
    pos = valid & (x > 0)
    lo = np.where(pos.any(axis=1), np.where(pos, x, np.inf).min(axis=1), np.nan)
    hi = np.where(pos.any(axis=1), np.where(pos, x, -np.inf).max(axis=1), np.nan)
    n_doses = np.array([c.loc[c[dose] > 0, dose].nunique() for c in curves])

    fixed: dict[str, float] = {}
    if model == "LL.3":
        fixed["c"] = 0.0 if bottom is None else float(bottom)
    elif model == "LL.3u":
        if top is None:
            if scale_obj.control is None:
                msg = "model='LL.3u' on a raw scale needs top= (the fixed upper limit)."
                raise DataValidationError(msg)
            top = max(scale_obj.control, scale_obj.full_effect)
        fixed["d"] = float(top)

    n_free = 4 - len(fixed)
    can_fit = valid.sum(axis=1) > n_free
    fit_mask = valid & can_fit[:, None]
    if model == "L.4":
        zero_at = lo / 1e3
        xl = np.log(np.where(x > 0, x, zero_at[:, None]))
        res = fit_ll4_batch(
            np.where(fit_mask, xl, 0.0), y, mask=fit_mask, weights=w, fixed=fixed, x_is_log=True
        )
        params = res.params.copy()
        params[:, 3] = np.exp(params[:, 3])
        cov = res.cov.copy()
        cov[:, 3, :] *= params[:, 3:4]
        cov[:, :, 3] *= params[:, 3:4]
    else:
        res = fit_ll4_batch(x, y, mask=fit_mask, weights=w, fixed=fixed)
        params, cov = res.params.copy(), res.cov
    params[~can_fit] = np.nan
    converged = res.converged & can_fit
    df = np.where(can_fit, res.df, 0)
    rss = np.where(can_fit, res.rss, np.nan)
    se = np.where(can_fit[:, None], res.se, np.nan)

    # F-test against a constant curve (flatness)
    ybar = np.nansum(np.where(fit_mask, w * y, 0.0), axis=1) / np.maximum(
        (w * fit_mask).sum(axis=1), 1e-300
    )
    tss = np.nansum(np.where(fit_mask, w * (y - ybar[:, None]) ** 2, 0.0), axis=1)
    from scipy import stats

    num_df = n_free - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        fstat = ((tss - rss) / num_df) / (rss / df)
        flat_p = np.where(df > 0, stats.f.sf(fstat, num_df, np.maximum(df, 1)), np.nan)
    flat_p = np.where(rss <= 1e-12 * np.maximum(tss, 1e-300), 0.0, flat_p)

    half, ref = _levels(scale_obj)
    metrics = metric_table(params, lo, hi, half, ref)
    msafe = np.where(np.isfinite(params), params, 0.0)
    metric_se = delta_se(lambda p: metric_table(p, lo, hi, half, ref), msafe, cov)
    metric_se = np.where(np.isfinite(metrics), metric_se, np.nan)

    table = pd.DataFrame(
        [dict(zip(by_cols, k, strict=True)) for k in keys] if by_cols else [{}] * n, index=range(n)
    )
    names = ["hill", "bottom", "top", "ec50"]
    for j, name in enumerate(names):
        table[name] = params[:, j]
    for j, name in enumerate(["ic50", "emax", "auc", "auc_norm"]):
        table[name] = metrics[:, j]
    for j, name in enumerate(names):
        table[f"{name}_se"] = se[:, j]
    for j, name in enumerate(["ic50", "emax", "auc", "auc_norm"]):
        table[f"{name}_se"] = metric_se[:, j]
    est = table[[*names, "ic50", "emax", "auc", "auc_norm"]].to_numpy(dtype=float)
    ses = table[[f"{c}_se" for c in [*names, "ic50", "emax", "auc", "auc_norm"]]].to_numpy(float)
    low, high = t_interval(est, ses, df, confidence_level)
    for j, name in enumerate([*names, "ic50", "emax", "auc", "auc_norm"]):
        table[f"{name}_low"] = low[:, j]
        table[f"{name}_high"] = high[:, j]
    table["dose_min"] = lo
    table["dose_max"] = hi
    table["n_points"] = valid.sum(axis=1)
    table["n_doses"] = n_doses
    table["df"] = df
    table["rss"] = rss
    table["flat_p"] = flat_p
    table["converged"] = converged
    table["n_iter"] = res.n_iter
    messages = []
    for i in range(n):
        if not can_fit[i]:
            messages.append(f"only {int(valid[i].sum())} points for {n_free} parameters")
        elif converged[i]:
            messages.append("converged")
        elif abs(params[i, 0]) > 10:
            messages.append("slope diverges: the response steps between two doses")
        else:
            messages.append("did not converge (EC50 or slope not identifiable from these doses)")
    table["message"] = messages
    table["flags"] = _flags_for(
        table,
        curves,
        dose=dose,
        response=response,
        converged=converged,
        params=params,
        rss=rss,
        df=df,
        lo=lo,
        hi=hi,
        n_doses=n_doses,
        flat_p=flat_p,
        ic50_defined=np.isfinite(half(np.where(np.isfinite(params), params, 0.0))),
    )
    n_bad = int((~converged).sum())
    if n_bad:
        warn(
            f"{n_bad} of {n} curve(s) did not converge; they are flagged 'not_converged' "
            "in the result, not dropped.",
            ConvergenceWarning,
        )
    data_out = frame.copy()
    curve_id = np.empty(len(frame), dtype=int)
    pos_map = {ix: i for i, cur in enumerate(curves) for ix in cur.index}
    curve_id[:] = [pos_map[ix] for ix in frame.index]
    data_out["curve"] = curve_id
    return DoseResponseFits(
        table=table,
        data=data_out,
        by=by_cols,
        keys=tuple(keys),
        params=params,
        cov=np.where(can_fit[:, None, None], cov, np.nan),
        df=df,
        model=model,
        scale=scale_obj,
        dose=dose,
        response=response,
        confidence_level=confidence_level,
        settings=_settings(
            data,
            dose=dose,
            response=response,
            by=list(by_cols),
            model=model,
            weights=weights,
            scale=scale_obj.name,
            bottom=bottom,
            top=top,
            average_replicates=average_replicates,
            confidence_level=confidence_level,
        ),
    )


def _nonnegative(values: pd.Series, column: str, *, source) -> None:
    """Raise naming the first negative value (file line number = index + 2)."""
    neg = values.to_numpy() < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        label = values.index[i]
        row = f"row {int(label) + 2}" if isinstance(label, (int, np.integer)) else f"row {label!r}"
        msg = (
            f"{where(source)}column {column!r}, {row}: {float(values.iloc[i]):g} is negative; "
            f"{column} cannot be negative (use 0 for vehicle wells)."
        )
        raise DataValidationError(msg)


def _levels(scale: Scale):
    def half(p: np.ndarray) -> np.ndarray:
        if scale.control is None:
            # raw: half of the untreated level, defined for falling curves only
            return np.where(p[:, 0] > 0, 0.5 * p[:, 2], np.nan)
        return np.full(p.shape[0], scale.half_effect(0.0))

    def ref(p: np.ndarray) -> np.ndarray:
        if scale.reference is None:
            return np.abs(np.where(p[:, 0] >= 0, p[:, 2], p[:, 1]))
        return np.full(p.shape[0], scale.reference)

    return half, ref


def _check_scale_range(
    scale: Scale, frame: pd.DataFrame, *, dose: str, response: str, source
) -> None:
    vals = frame[response].to_numpy(dtype=float)
    controls = frame.loc[frame[dose] == 0, response].to_numpy(dtype=float)
    if (
        scale.name in ("percent", "inhibition")
        and controls.size == 0
        and vals.size
        and np.nanmax(np.abs(vals)) <= 1.5
    ):
        msg = (
            f"{where(source)}declared a % scale for column {response!r} but every value "
            f"is within [-1.5, 1.5]: this looks like a viability fraction (--scale fraction)."
        )
        raise DataValidationError(msg)
    if scale.name == "fraction" and vals.size and np.nanmax(np.abs(vals)) > 10:
        msg = (
            f"{where(source)}declared a viability fraction for column {response!r} but values "
            f"reach {np.nanmax(vals):.3g}: this looks like a % scale (--scale percent or "
            "--scale inhibition)."
        )
        raise DataValidationError(msg)
    check_scale(scale, controls, response=response, source=source)


def predict(params: np.ndarray, dose: np.ndarray) -> np.ndarray:
    """Fitted LL.4 responses for one parameter row ``(b, c, d, e)``."""
    return ll4(dose, *params)
