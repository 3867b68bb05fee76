"""Tumour growth: group curves, per-animal growth rates, the SynergyLMM mixed model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

from repurposekit._exceptions import ConvergenceWarning, DataValidationError, warn
from repurposekit._provenance import settings as _settings
from repurposekit.invivo._data import GrowthData
from repurposekit.invivo._lmm import RemlFit, cr2_vcov, fit_reml, single_thread_blas

__all__ = [
    "GrowthCurves",
    "GrowthLMM",
    "GrowthRates",
    "auc_growth_rate",
    "fit_growth_lmm",
    "growth_curves",
    "growth_rates",
]

_VALUES = {"volume_mm3", "rtv", "delta_volume_mm3", "log_rtv"}


@dataclass(frozen=True, eq=False)
class GrowthCurves:
    """Group mean ± SEM per day.

    ``table``: ``group, day, n, n_removed, mean, sd, sem`` for ``value``; ``n_removed`` counts
    animals of the group no longer measured on that day (humane endpoint or other removal).
    """

    table: pd.DataFrame
    value: str
    growth: GrowthData
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The summary table."""
        return self.table.copy()

    def summary(self) -> str:
        """Last day per group."""
        last = self.table.groupby("group", sort=False).tail(1)
        rows = [
            f"  {r.group}: day {r.day:g} mean {r.mean:.4g} ± {r.sem:.3g} (n={r.n})"
            for r in last.itertuples()
        ]
        return f"Growth curves of {self.value}:\n" + "\n".join(rows)

    def plot(self, ax=None, **kwargs):
        """Mean ± SEM curves (:func:`repurposekit.plot.invivo.growth_curves`)."""
        from repurposekit.plot.invivo import growth_curves as _plot

        return _plot(self, ax=ax, **kwargs)


def growth_curves(growth: GrowthData, *, value: str = "volume_mm3", min_n: int = 1) -> GrowthCurves:
    """Group mean ± SEM of tumour volume (or relative volume) per measurement day.

    Parameters
    ----------
    growth : GrowthData
    value : {"volume_mm3", "rtv", "delta_volume_mm3", "log_rtv"}
    min_n : int
        Days where fewer than ``min_n`` animals of a group remain are dropped from that
        group's curve (the usual rule is to stop a curve when animals leave, e.g. ``min_n=3``).

    Returns
    -------
    GrowthCurves

    Notes
    -----
    Only animals measured on a day enter its mean (no carrying forward): after the humane
    endpoint a curve describes the animals still on study, and ``n``/``n_removed`` say how
    many those are.
    """
    if value not in _VALUES:
        msg = f"value must be one of {sorted(_VALUES)}, got {value!r}."
        raise DataValidationError(msg)
    d = growth.data
    n_group = growth.animals.groupby("group")["subject"].size()
    t = (
        d.groupby(["group", "day"], sort=False)[value]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    t["sem"] = t["sd"] / np.sqrt(t["n"])
    t["n_removed"] = [
        int(((growth.animals["group"] == g) & (growth.animals["last_day"] < day)).sum())
        for g, day in zip(t["group"], t["day"], strict=False)
    ]
    t["n_total"] = t["group"].map(n_group)
    t = t[t["n"] >= min_n].reset_index(drop=True)
    t = t[["group", "day", "n", "n_total", "n_removed", "mean", "sd", "sem"]]
    return GrowthCurves(
        table=t, value=value, growth=growth, settings=_settings(value=value, min_n=min_n)
    )


# ----------------------------------------------------------------------------- growth rates
def auc_growth_rate(day: np.ndarray, volume_mm3: np.ndarray) -> float:
    """invivoSyn's AUC-based exponential growth rate (per day) of one animal.

    Notes
    -----
    With :math:`y(t) = \\log(V_t + 1)` and span :math:`T = t_{last} - t_{first}`,
    :math:`eGR = 2 \\int (y(t) - y(t_{first}))\\,dt / T^2` (trapezoid rule over the measured
    days); for exponential growth :math:`V = V_0 e^{kt}`, eGR ≈ k.

    Examples
    --------
    >>> t = np.array([0.0, 3.0, 7.0, 10.0]); v = 100 * np.exp(0.1 * t) - 1
    >>> round(auc_growth_rate(t, v), 3)
    0.1
    """
    t = np.asarray(day, dtype=float)
    v = np.asarray(volume_mm3, dtype=float)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    if len(t) < 2:
        return np.nan
    o = np.argsort(t)
    t, y = t[o], np.log(v[o] + 1.0)
    span = t[-1] - t[0]
    auc = integrate.trapezoid(y - y[0], t)
    return float(2.0 * auc / span**2)


def _gompertz_log(t, logv0, a, b):
    # log V(t) = log V0 + (a / b)(1 - exp(-b t)); a = initial specific growth rate, b = decay
    bt = np.where(np.abs(b) < 1e-9, 1e-9, b)
    return logv0 + (a / bt) * (1.0 - np.exp(-bt * t))


@dataclass(frozen=True, eq=False)
class GrowthRates:
    """Per-animal growth rates (``table``) and their group summary (``groups``)."""

    table: pd.DataFrame
    groups: pd.DataFrame
    model: str
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Per-animal table."""
        return self.table.copy()

    def summary(self) -> str:
        """Group means of the rate."""
        rows = [
            f"  {r.group}: {r.mean_rate_per_day:.4g} /day ± {r.sem:.2g} (n={r.n})"
            for r in self.groups.itertuples()
        ]
        return f"Growth rates ({self.model}):\n" + "\n".join(rows)


def growth_rates(
    growth: GrowthData, *, model: str = "exponential", day_max: float | None = None
) -> GrowthRates:
    """Per-animal tumour growth rate.

    Parameters
    ----------
    growth : GrowthData
    model : {"exponential", "gompertz", "auc"}
        ``exponential``: least-squares slope of :math:`\\log V` on day (per day), with its SE,
        R² and doubling time :math:`\\log 2 / k`. ``gompertz``: fit of
        :math:`\\log V = \\log V_0 + (a/b)(1 - e^{-bt})` (``rate_per_day`` = initial rate
        ``a``, ``decay_per_day`` = ``b``; needs ≥ 4 measurements). ``auc``:
        :func:`auc_growth_rate` (invivoSyn).
    day_max : float, optional
        Use measurements up to this day only.

    Returns
    -------
    GrowthRates
        A non-converged Gompertz fit gives NaN with ``converged=False`` (and a
        ConvergenceWarning naming the animals); other animals are unaffected.
    """
    if model not in {"exponential", "gompertz", "auc"}:
        msg = f"model must be 'exponential', 'gompertz' or 'auc', got {model!r}."
        raise DataValidationError(msg)
    d = growth.data
    if day_max is not None:
        d = d[d["day"] <= day_max]
    rows = []
    failed = []
    for (g, s), a in d.groupby(["group", "subject"], sort=False):
        t = a["day"].to_numpy(float) - growth.baseline_day
        v = a["volume_mm3"].to_numpy(float)
        ok = v > 0
        t, v = t[ok], v[ok]
        row: dict[str, Any] = {"subject": s, "group": g, "n": len(t)}
        if model == "exponential":
            if len(t) >= 2 and np.ptp(t) > 0:
                r = stats.linregress(t, np.log(v))
                row.update(
                    rate_per_day=r.slope,
                    se=r.stderr if len(t) > 2 else np.nan,
                    r2=r.rvalue**2,
                    doubling_time_day=np.log(2) / r.slope if r.slope > 0 else np.inf,
                    converged=True,
                )
            else:
                row.update(rate_per_day=np.nan, se=np.nan, r2=np.nan, converged=False)
        elif model == "auc":
            row.update(rate_per_day=auc_growth_rate(t, v), converged=len(t) >= 2)
        else:
            res = _fit_gompertz(t, np.log(v))
            if res is None:
                failed.append(s)
                row.update(rate_per_day=np.nan, decay_per_day=np.nan, converged=False)
            else:
                row.update(rate_per_day=res[1], decay_per_day=res[2], converged=True)
        rows.append(row)
    if failed:
        warn(
            f"Gompertz fit did not converge for {len(failed)} animal(s) {failed[:5]}; their "
            "rates are NaN (converged=False).",
            ConvergenceWarning,
        )
    table = pd.DataFrame(rows)
    gs = (
        table.groupby("group", sort=False)["rate_per_day"]
        .agg(n="count", mean_rate_per_day="mean", sd="std", median="median")
        .reset_index()
    )
    gs["sem"] = gs["sd"] / np.sqrt(gs["n"])
    return GrowthRates(
        table=table, groups=gs, model=model, settings=_settings(model=model, day_max=day_max)
    )


def _fit_gompertz(t: np.ndarray, y: np.ndarray):
    if len(t) < 4:
        return None
    k0 = max(np.polyfit(t, y, 1)[0], 1e-3)
    try:
        p, _ = optimize.curve_fit(
            _gompertz_log,
            t,
            y,
            p0=[y[0], k0, 0.01],
            bounds=([-np.inf, -5.0, 0.0], [np.inf, 5.0, 5.0]),
            maxfev=5000,
        )
    except (RuntimeError, ValueError):
        return None
    return p


# ------------------------------------------------------------------------------ mixed model
@dataclass(frozen=True, eq=False)
class GrowthLMM:
    """SynergyLMM's mixed model of log relative tumour volume.

    ``estimates``: per group the growth rate (``rate_per_day`` = fixed slope of
    ``log(RTV)`` on day), its model-based ``se``, Wald CI (normal reference) and, when
    requested, the CR2 cluster-robust ``se_robust``. ``sd_ranef`` is the absolute SD of the
    per-animal random slope (nlme's ``VarCorr``); ``sd_ranef_relative`` = ``sd_ranef /
    sd_resid`` is the number SynergyLMM prints. ``sd_resid`` is the residual SD (of the
    reference animal under per-animal variances).
    """

    estimates: pd.DataFrame
    sd_ranef: float
    sd_resid: float
    loglik: float
    n_obs: int
    n_animals: int
    per_animal_variance: bool
    converged: bool
    message: str
    vcov: pd.DataFrame
    vcov_robust: pd.DataFrame | None
    settings: Mapping[str, Any]
    _fit: RemlFit

    @property
    def sd_ranef_relative(self) -> float:
        """Random-slope SD relative to the residual SD (SynergyLMM's ``sd_ranef``)."""
        return self.sd_ranef / self.sd_resid

    def to_frame(self) -> pd.DataFrame:
        """Estimates table."""
        return self.estimates.copy()

    def summary(self) -> str:
        """Estimates and variance components."""
        lines = [
            "logRTV ~ 0 + day:group, random slope per animal"
            + (", residual variance per animal (varIdent)" if self.per_animal_variance else "")
            + f"; REML loglik {self.loglik:.4f}; {self.n_animals} animals, {self.n_obs} rows",
            f"  sd_ranef {self.sd_ranef:.6g} (relative {self.sd_ranef_relative:.6g}), "
            f"sd_resid {self.sd_resid:.6g}; converged={self.converged}",
        ]
        for r in self.estimates.itertuples():
            lines.append(f"  {r.group}: {r.rate_per_day:.8f} /day (SE {r.se:.8f})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _design(d: pd.DataFrame, groups: list[str], baseline_day: float):
    y, X, z, ids = [], [], [], []
    col = {g: i for i, g in enumerate(groups)}
    for s, a in d.groupby("subject", sort=False):
        t = a["day"].to_numpy(float) - baseline_day
        Xi = np.zeros((len(a), len(groups)))
        Xi[:, col[a["group"].iloc[0]]] = t
        y.append(a["log_rtv"].to_numpy(float))
        X.append(Xi)
        z.append(t)
        ids.append(s)
    return y, X, z, ids


def _lmm_rows(growth: GrowthData, day_max: float | None, groups) -> tuple[pd.DataFrame, list]:
    d = growth.data
    gl = list(growth.groups) if groups is None else [str(g) for g in groups]
    d = d[d["group"].isin(gl) & (d["day"] > growth.baseline_day) & np.isfinite(d["log_rtv"])]
    if day_max is not None:
        d = d[d["day"] <= day_max]
    gl = [g for g in gl if g in set(d["group"])]
    if d.empty or len(gl) == 0:
        msg = "no post-baseline measurements with a baseline volume to fit the mixed model."
        raise DataValidationError(msg)
    return d, gl


def fit_growth_lmm(
    growth: GrowthData,
    *,
    per_animal_variance: bool = False,
    day_max: float | None = None,
    groups: list[str] | None = None,
    robust: bool = False,
    confidence_level: float = 0.95,
    engine: str = "reml",
) -> GrowthLMM:
    """Fit SynergyLMM's model ``logRTV ~ 0 + Time:Treatment`` with a random slope per animal.

    Parameters
    ----------
    growth : GrowthData
        Rows on the baseline day and rows without a baseline volume are left out (as
        SynergyLMM does: ``logRTV`` is 0 there by construction).
    per_animal_variance : bool
        One residual variance per animal (nlme ``weights = varIdent(form = ~1|SampleID)``).
        Not available in statsmodels; fitted by our own REML kernel.
    day_max : float, optional
        Use days ≤ ``day_max`` only (SynergyLMM refits on ``Time <= t`` for synergy over time).
    groups : list of str, optional
        Groups to include (default all).
    robust : bool
        Also compute the CR2 cluster-robust covariance (clubSandwich ``vcovCR(type="CR2")``).
    confidence_level : float
        For the Wald intervals.
    engine : {"reml", "statsmodels"}
        ``reml`` (default): our REML kernel with analytic gradient (handles
        ``per_animal_variance``). ``statsmodels``: ``statsmodels.MixedLM`` with
        ``method=["powell", "bfgs"]`` (homoscedastic model only), kept as a cross-check.

    Returns
    -------
    GrowthLMM

    Notes
    -----
    Model: :math:`\\log RTV_{ij} = \\beta_{g(i)} t_{ij} + b_i t_{ij} + e_{ij}`,
    :math:`b_i \\sim N(0, \\psi)`, :math:`e_{ij} \\sim N(0, \\sigma_i^2)`, fitted by REML.
    With per-animal variances the fit starts from the homoscedastic optimum (nlme's
    starting point for varIdent). On very short series (two measurements per animal) the
    restricted likelihood can have a second, boundary optimum with :math:`\\psi = 0`; we
    report the interior optimum that nlme reports, and ``loglik`` lets you compare.

    References
    ----------
    Romero-Becerra R. et al. (2025) SynergyLMM. Nat Commun. doi:10.1038/s41467-025-56775-3
    """
    with single_thread_blas():
        return _fit_growth_lmm(
            growth, per_animal_variance, day_max, groups, robust, confidence_level, engine
        )


def _fit_growth_lmm(growth, per_animal_variance, day_max, groups, robust, confidence_level, engine):
    d, gl = _lmm_rows(growth, day_max, groups)
    y, X, z, ids = _design(d, gl, growth.baseline_day)
    if engine == "statsmodels":
        if per_animal_variance:
            msg = "statsmodels MixedLM has no per-animal residual variance; use engine='reml'."
            raise DataValidationError(msg)
        fit = _fit_statsmodels(d, gl, growth.baseline_day)
    elif engine == "reml":
        fit = fit_reml(y, X, z)
        if per_animal_variance:
            start = np.r_[np.log(max(fit.psi, 1e-12)), np.log(fit.sigma2[0])]
            fit = fit_reml(y, X, z, per_subject_variance=True, start=start)
    else:
        msg = f"engine must be 'reml' or 'statsmodels', got {engine!r}."
        raise DataValidationError(msg)
    if not fit.converged:
        warn(f"mixed model did not converge: {fit.message}", ConvergenceWarning)
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    se = np.sqrt(np.diag(fit.vcov))
    est = pd.DataFrame(
        {
            "group": gl,
            "rate_per_day": fit.beta,
            "se": se,
            "ci_low": fit.beta - q * se,
            "ci_high": fit.beta + q * se,
            "n_animals": [int(d.loc[d["group"] == g, "subject"].nunique()) for g in gl],
        }
    )
    vr = None
    if robust:
        vr_arr = cr2_vcov(fit, y, X, z)
        est["se_robust"] = np.sqrt(np.diag(vr_arr))
        vr = pd.DataFrame(vr_arr, index=gl, columns=gl)
    # reference animal for the residual SD: the first animal (nlme's varIdent reference level)
    sd_resid = float(np.sqrt(fit.sigma2[0]))
    return GrowthLMM(
        estimates=est,
        sd_ranef=float(np.sqrt(fit.psi)),
        sd_resid=sd_resid,
        loglik=fit.loglik,
        n_obs=len(d),
        n_animals=len(ids),
        per_animal_variance=per_animal_variance,
        converged=fit.converged,
        message=fit.message,
        vcov=pd.DataFrame(fit.vcov, index=gl, columns=gl),
        vcov_robust=vr,
        settings=_settings(
            per_animal_variance=per_animal_variance,
            day_max=day_max,
            groups=gl,
            robust=robust,
            engine=engine,
            confidence_level=confidence_level,
        ),
        _fit=fit,
    )


def _fit_statsmodels(d: pd.DataFrame, gl: list[str], baseline_day: float) -> RemlFit:
    import statsmodels.formula.api as smf

    df = pd.DataFrame({"y": d["log_rtv"].to_numpy(), "subject": d["subject"].to_numpy()})
    t = d["day"].to_numpy(float) - baseline_day
    df["t"] = t
    names = []
    for i, g in enumerate(gl):
        df[f"t{i}"] = t * (d["group"].to_numpy() == g)
        names.append(f"t{i}")
    model = smf.mixedlm("y ~ 0 + " + " + ".join(names), df, groups="subject", re_formula="0 + t")
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=True, method=["powell", "bfgs"])
    notes = "; ".join(sorted({str(w.message) for w in caught}))
    beta = res.fe_params.to_numpy()
    vcov = res.cov_params().loc[names, names].to_numpy()
    n_sub = df["subject"].nunique()
    return RemlFit(
        beta=beta,
        vcov=vcov,
        psi=float(np.asarray(res.cov_re)[0, 0]),
        sigma2=np.full(n_sub, float(res.scale)),
        loglik=float(res.llf),
        converged=bool(res.converged),
        message="statsmodels MixedLM (powell, bfgs)" + (f": {notes}" if notes else ""),
        n_iter=0,
    )
