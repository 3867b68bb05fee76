"""Cox proportional hazards: full model (``cox_ph``) and a batched univariate kernel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit.survival._data import as_columns, check_arrays, survival_columns
from repurposekit.survival._kernels import (
    CoxData,
    concordance_counts,
    cox_batch_newton,
    cox_derivatives,
)

__all__ = ["CoxBatchResult", "CoxResult", "cox_ph", "cox_univariate_batch"]


@dataclass(frozen=True, eq=False)
class CoxResult:
    """A fitted Cox model, as :func:`cox_ph` returns it.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Index = term (a numeric covariate, or ``"col[level]"`` for a level of a categorical
        covariate vs its reference), columns ``coef``, ``hr`` (exp(coef)), ``se``, ``z``,
        ``p_value`` (Wald; with ``firth=True`` the penalised likelihood-ratio p as coxphf),
        ``hr_lower``, ``hr_upper`` (Wald CI; profile-penalised-likelihood CI with Firth),
        ``coef_lower``, ``coef_upper``.
    loglik : tuple of float
        (null model, fitted model) log partial likelihood (penalised with Firth).
    lr_test, wald_test, score_test : tuple of (statistic, df, p_value)
        Global tests as R ``summary.coxph`` prints them (score = log-rank for one factor).
    concordance : float
        Harrell's C of the linear predictor as R ``coxph`` (pairs within strata; tied
        predictors count 1/2; tied event times not comparable).
    concordance_se : float
        NaN (not computed).
    n, n_event : int
    ties : str
    firth : bool
    strata : tuple of str
    converged : bool
    n_iter : int
    vcov : pandas.DataFrame
        Variance–covariance matrix of the coefficients (inverse information).
    reference_levels : Mapping[str, object]
        Reference level used for each categorical covariate.
    settings : Mapping
    """

    coefficients: pd.DataFrame
    loglik: tuple[float, float]
    lr_test: tuple[float, int, float]
    wald_test: tuple[float, int, float]
    score_test: tuple[float, int, float]
    concordance: float
    concordance_se: float
    n: int
    n_event: int
    ties: str
    firth: bool
    strata: tuple[str, ...]
    converged: bool
    n_iter: int
    vcov: pd.DataFrame
    reference_levels: Mapping[str, Any]
    settings: Mapping[str, Any]

    @property
    def hr(self) -> pd.Series:
        """Hazard ratios exp(coef) per term."""
        return self.coefficients["hr"]

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table with a ``term`` column."""
        return self.coefficients.rename_axis("term").reset_index()

    def summary(self) -> str:
        """Text like R's ``summary(coxph(...))``."""
        c = self.coefficients
        lines = [
            f"Cox PH ({self.ties} ties{', Firth penalised' if self.firth else ''}"
            f"{', strata ' + ', '.join(self.strata) if self.strata else ''}): "
            f"n = {self.n}, events = {self.n_event}",
            c[["coef", "hr", "se", "z", "p_value", "hr_lower", "hr_upper"]].to_string(
                float_format=lambda v: f"{v:.6g}"
            ),
            f"Concordance = {self.concordance:.4f}",
            f"Likelihood ratio test = {self.lr_test[0]:.4f} on {self.lr_test[1]} df, "
            f"p = {self.lr_test[2]:.4g}",
            f"Wald test = {self.wald_test[0]:.4f} on {self.wald_test[1]} df, "
            f"p = {self.wald_test[2]:.4g}",
            f"Score (log-rank) test = {self.score_test[0]:.4f} on {self.score_test[1]} df, "
            f"p = {self.score_test[2]:.4g}",
        ]
        if not self.converged:
            lines.append("WARNING: the fit did not converge.")
        return "\n".join(lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of hazard ratios (see :func:`repurposekit.plot.survival.forest_plot`)."""

        from repurposekit.plot.survival import forest_plot

        return forest_plot(self, ax=ax, **kwargs)


@dataclass(frozen=True, eq=False)
class CoxBatchResult:
    """Per-feature univariate Cox fits from :func:`cox_univariate_batch`.

    Attributes
    ----------
    features : numpy.ndarray of str, shape (m,)
    coef, se, z, p_value, hr, concordance, loglik : numpy.ndarray of float, shape (m,)
        Coefficient (log HR per unit of the feature, per SD with ``standardize=True``), its
        standard error (inverse observed information), Wald z and two-sided p, exp(coef),
        Harrell's C as R ``coxph``, and the maximised log partial likelihood.
    converged : numpy.ndarray of bool, shape (m,)
        False when Newton did not converge (e.g. monotone likelihood: coef → ±∞, or a
        constant feature); those rows carry NaN se/z/p.
    n_iter : int
    ties : str
    settings : Mapping
    """

    features: np.ndarray
    coef: np.ndarray
    se: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    hr: np.ndarray
    concordance: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    n_iter: int
    ties: str
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per feature: feature, coef, hr, se, z, p_value, concordance, loglik, converged."""
        return pd.DataFrame(
            {
                "feature": self.features,
                "coef": self.coef,
                "hr": self.hr,
                "se": self.se,
                "z": self.z,
                "p_value": self.p_value,
                "concordance": self.concordance,
                "loglik": self.loglik,
                "converged": self.converged,
            }
        )

    def summary(self) -> str:
        """Counts of features, converged fits and nominal p < 0.05."""
        m = self.coef.size
        ok = int(self.converged.sum())
        sig = int(np.sum(self.p_value < 0.05))
        return (
            f"{m} univariate Cox models ({self.ties} ties): {ok} converged, "
            f"{sig} with Wald p < 0.05 (unadjusted)"
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of the hazard ratios (best ``top`` features by p)."""

        from repurposekit.plot.survival import forest_plot

        return forest_plot(self, ax=ax, **kwargs)


def cox_ph(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    covariates: Sequence[str] = (),
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    reference: Mapping[str, Any] | None = None,
    firth: bool = False,
    confidence_level: float = 0.95,
    max_iter: int = 50,
) -> CoxResult:
    """Fit a Cox proportional-hazards model, as R ``coxph`` (or ``coxphf`` with ``firth=True``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time, event : str
        Follow-up time (≥ 0) and event (1/0) columns.
    covariates : sequence of str
        Covariate columns. Numeric (and boolean) columns enter as they are; text/categorical
        columns expand to treatment contrasts ``"col[level]"`` vs a reference level.
    ties : {"efron", "breslow"}
        Handling of tied event times (R's default is Efron).
    strata : str or sequence of str, optional
        Stratification column(s): a separate baseline hazard per stratum.
    reference : mapping, optional
        Reference level per categorical covariate, e.g. ``{"group": "Vehicle"}``; default
        the first level (category order, else sorted).
    firth : bool
        Firth's penalised partial likelihood (Heinze & Schemper 2001), which gives finite
        estimates under monotone likelihood (a group with no or one event). CIs and p-values
        then come from the profile penalised likelihood, as R ``coxphf``. Note that
        ``coxphf`` uses Breslow ties: pass ``ties="breslow"`` to compare.
    confidence_level : float
        Level of the HR CIs.
    max_iter : int
        Maximum Newton–Raphson iterations (step-halving when the log-likelihood decreases).

    Returns
    -------
    CoxResult

    Warns
    -----
    StatisticalWarning
        When the fit did not converge or a coefficient diverges (monotone likelihood):
        suggests ``firth=True``.

    Notes
    -----
    Efron's partial log-likelihood, for event times :math:`t` with death set :math:`D_t`
    (:math:`d` deaths) and risk set :math:`R_t`:

    .. math:: \\ell(\\beta) = \\sum_t \\Big[\\sum_{i\\in D_t} x_i\\beta - \\sum_{k=0}^{d-1}
              \\log\\Big(\\sum_{j\\in R_t} e^{x_j\\beta} - \\tfrac{k}{d}\\sum_{j\\in D_t}
              e^{x_j\\beta}\\Big)\\Big]

    (Breslow: drop the :math:`k/d` term). Firth: :math:`\\ell^*(\\beta) = \\ell(\\beta) +
    \\tfrac12 \\log|I(\\beta)|`.

    References
    ----------
    Cox (1972) JRSS B 34:187. Efron (1977) JASA 72:557. Heinze & Schemper (2001)
    Biometrics 57:114. Therneau & Grambsch (2000) *Modeling Survival Data*.

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.survival import cox_ph
    >>> df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                    "x": [2.0, 1.5, 0.3, 1.0, 0.2, -0.5, -1.0, 0.1]})
    >>> fit = cox_ph(df, covariates=["x"])
    >>> round(float(fit.coefficients.loc["x", "hr"]), 3)
    8.328
    """
    if ties not in ("efron", "breslow"):
        msg = f"ties must be 'efron' or 'breslow'; got {ties!r}."
        raise DataValidationError(msg)
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be in (0, 1); got {confidence_level!r}."
        raise DataValidationError(msg)
    covs = as_columns(covariates)
    if not covs:
        msg = "cox_ph needs at least one covariate, e.g. covariates=['group']."
        raise DataValidationError(msg)
    strata_cols = as_columns(strata)
    t, e = survival_columns(data, time=time, event=event, other=(*covs, *strata_cols))
    X, terms, refs = _design(data, covs, reference or {})
    s_codes = None
    if strata_cols:
        s_codes = (
            data[list(strata_cols)].astype(str).agg("\x1f".join, axis=1).astype("category")
        ).cat.codes.to_numpy()
    if e.sum() == 0:
        msg = f"column {event!r} has no events; a Cox model cannot be fitted."
        raise DataValidationError(msg)
    p = X.shape[1]
    # centre covariates (as R does); the partial likelihood does not change
    Xc = X - X.mean(axis=0)
    cd = CoxData(t, e, Xc, s_codes)
    fit = _fit(cd, p, ties=ties, firth=firth, max_iter=max_iter)
    beta, info = fit["beta"], fit["info"]
    try:
        vcov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        vcov = np.linalg.pinv(info)
    se = np.sqrt(np.diag(vcov))
    z = beta / se
    zq = stats.norm.ppf(0.5 + confidence_level / 2)
    l0, _, i0, _ = cox_derivatives(cd, np.zeros(p), ties=ties, order=2)
    _, u0, _, _ = cox_derivatives(cd, np.zeros(p), ties=ties, order=2)
    if firth:
        pl0 = _penalised(cd, np.zeros(p), ties)[0]
        pl_hat = fit["loglik"]
        crit = stats.chi2.ppf(confidence_level, 1)
        lo = np.empty(p)
        hi = np.empty(p)
        pv = np.empty(p)
        for r in range(p):
            prof0 = _profile_loglik(cd, p, r, 0.0, beta, ties)
            pv[r] = stats.chi2.sf(max(2 * (pl_hat - prof0), 0.0), 1)
            lo[r], hi[r] = _profile_ci(cd, p, r, beta, se[r], pl_hat, crit, ties)
        loglik = (float(pl0), float(pl_hat))
    else:
        lo, hi = beta - zq * se, beta + zq * se
        pv = 2 * stats.norm.sf(np.abs(z))
        loglik = (float(l0), float(fit["loglik"]))
    with np.errstate(over="ignore"):
        hr, hr_lo, hr_hi = np.exp(beta), np.exp(lo), np.exp(hi)
    coef_table = pd.DataFrame(
        {
            "coef": beta,
            "hr": hr,
            "se": se,
            "z": z,
            "p_value": pv,
            "hr_lower": hr_lo,
            "hr_upper": hr_hi,
            "coef_lower": lo,
            "coef_upper": hi,
        },
        index=pd.Index(terms, name="term"),
    )
    lr = max(2 * (loglik[1] - loglik[0]), 0.0)
    wald = float(beta @ info @ beta)
    try:
        score = float(u0 @ np.linalg.solve(i0, u0))
    except np.linalg.LinAlgError:
        score = float("nan")
    lp = X @ beta
    cc, dc, tc = concordance_counts(t, e, lp[:, None], s_codes)
    conc = float((cc[0] + tc[0] / 2) / (cc[0] + dc[0] + tc[0]))
    if not fit["converged"] or fit["diverging"].any():
        names = [terms[i] for i in np.flatnonzero(fit["diverging"])] or terms
        warn(
            f"Cox fit: the partial likelihood has no finite maximum for {names} (monotone "
            "likelihood, e.g. a group with no events); the estimates are not reliable. "
            "Use firth=True.",
            StatisticalWarning,
        )
    return CoxResult(
        coefficients=coef_table,
        loglik=loglik,
        lr_test=(lr, p, float(stats.chi2.sf(lr, p))),
        wald_test=(wald, p, float(stats.chi2.sf(wald, p))),
        score_test=(score, p, float(stats.chi2.sf(score, p))),
        concordance=conc,
        concordance_se=float("nan"),
        n=int(t.size),
        n_event=int(e.sum()),
        ties=ties,
        firth=bool(firth),
        strata=strata_cols,
        converged=bool(fit["converged"]),
        n_iter=int(fit["n_iter"]),
        vcov=pd.DataFrame(vcov, index=terms, columns=terms),
        reference_levels=refs,
        settings=_settings(
            data[[time, event, *covs, *strata_cols]],
            function="cox_ph",
            time=time,
            event=event,
            covariates=list(covs),
            ties=ties,
            strata=list(strata_cols),
            reference=dict(refs),
            firth=firth,
            confidence_level=confidence_level,
        ),
    )


def _design(
    data: pd.DataFrame, covs: tuple[str, ...], reference: Mapping[str, Any]
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Numeric design matrix; text/categorical columns → treatment contrasts."""
    columns = []
    terms: list[str] = []
    refs: dict[str, Any] = {}
    for c in covs:
        col = data[c]
        if pd.api.types.is_bool_dtype(col) or (
            pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype)
        ):
            if c in reference:
                msg = f"reference given for {c!r}, but that column is numeric, not categorical."
                raise DataValidationError(msg)
            columns.append(col.to_numpy(dtype=float))
            terms.append(c)
            continue
        cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
        levels = list(cat.cat.remove_unused_categories().cat.categories)
        ref = reference.get(c, levels[0])
        if ref not in levels:
            msg = f"reference level {ref!r} for column {c!r} is not among its values {levels}."
            raise DataValidationError(msg)
        refs[c] = ref
        for lev in levels:
            if lev == ref:
                continue
            columns.append((col == lev).to_numpy(dtype=float))
            terms.append(f"{c}[{lev}]")
    unknown = set(reference) - set(covs)
    if unknown:
        msg = f"reference given for {sorted(unknown)}, which are not covariates {list(covs)}."
        raise DataValidationError(msg)
    X = np.column_stack(columns)
    const = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if const.size:
        msg = f"covariate {terms[const[0]]!r} is constant; it cannot be estimated. Drop it."
        raise DataValidationError(msg)
    if np.linalg.matrix_rank(X - X.mean(axis=0)) < X.shape[1]:
        msg = f"covariates {terms} are collinear; drop one of the redundant terms."
        raise DataValidationError(msg)
    return X, terms, refs


def _penalised(cd: CoxData, beta: np.ndarray, ties: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Firth penalised log-likelihood, modified score and information."""
    ll, u, info, dinfo = cox_derivatives(cd, beta, ties=ties, order=3)
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -np.inf, u, info
    inv = np.linalg.inv(info)
    assert dinfo is not None
    u_star = u + 0.5 * np.einsum("ab,bar->r", inv, dinfo)
    return ll + 0.5 * logdet, u_star, info


def _objective(
    cd: CoxData, beta: np.ndarray, ties: str, firth: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    if firth:
        return _penalised(cd, beta, ties)
    ll, u, info, _ = cox_derivatives(cd, beta, ties=ties, order=2)
    return ll, u, info


def _fit(
    cd: CoxData,
    p: int,
    *,
    ties: str,
    firth: bool,
    max_iter: int,
    free: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> dict[str, Any]:
    """Newton–Raphson with step-halving on the (penalised) log partial likelihood."""
    beta = np.zeros(p) if start is None else start.astype(float).copy()
    free = np.ones(p, dtype=bool) if free is None else free
    ll, u, info = _objective(cd, beta, ties, firth)
    converged = False
    n_iter = 0
    last_step = np.zeros(p)
    flat = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        step = np.zeros(p)
        try:
            step[free] = np.linalg.solve(info[np.ix_(free, free)], u[free])
        except np.linalg.LinAlgError:
            step[free] = np.linalg.lstsq(info[np.ix_(free, free)], u[free], rcond=None)[0]
        # cap huge steps (monotone likelihood) to keep exp() finite
        big = np.max(np.abs(step))
        if big > 5:
            step *= 5 / big
        new = beta + step
        ll_new, u_new, info_new = _objective(cd, new, ties, firth)
        halvings = 0
        while not ll_new >= ll - 1e-12 * abs(ll) and halvings < 30:
            step /= 2
            new = beta + step
            ll_new, u_new, info_new = _objective(cd, new, ties, firth)
            halvings += 1
        delta = ll_new - ll
        beta, ll, u, info = new, ll_new, u_new, info_new
        last_step = step
        if np.all(np.abs(step) <= 1e-10 * (1 + np.abs(beta))):
            converged = True
            break
        # log-likelihood flat while a coefficient keeps moving: it diverges (monotone
        # likelihood); stop after a few such iterations, as R's coxph does
        flat = flat + 1 if abs(delta) <= 1e-11 * (1 + abs(ll)) else 0
        if flat >= 3:
            converged = True
            break
    # a coefficient still moving while the likelihood is flat diverges (monotone likelihood)
    diverging = np.abs(last_step) > 1e-4 * (1 + np.abs(beta))
    if not firth:
        ll, u, info, _ = cox_derivatives(cd, beta, ties=ties, order=2)
    return {
        "beta": beta,
        "loglik": ll,
        "info": info,
        "converged": converged,
        "diverging": diverging & free,
        "n_iter": n_iter,
    }


def _profile_loglik(
    cd: CoxData, p: int, r: int, value: float, start: np.ndarray, ties: str
) -> float:
    """Maximum penalised log-likelihood with coefficient ``r`` fixed at ``value``."""
    b0 = start.copy()
    b0[r] = value
    free = np.ones(p, dtype=bool)
    free[r] = False
    if not free.any():
        return float(_penalised(cd, b0, ties)[0])
    return float(_fit(cd, p, ties=ties, firth=True, max_iter=100, free=free, start=b0)["loglik"])


def _profile_ci(
    cd: CoxData,
    p: int,
    r: int,
    beta: np.ndarray,
    se: float,
    pl_hat: float,
    crit: float,
    ties: str,
) -> tuple[float, float]:
    """Profile penalised-likelihood CI of coefficient ``r`` (coxphf's method)."""

    def g(v: float) -> float:
        return 2 * (pl_hat - _profile_loglik(cd, p, r, v, beta, ties)) - crit

    out = []
    for sign in (-1.0, 1.0):
        width = max(se, 0.1) if np.isfinite(se) else 1.0
        a = beta[r]
        b = a + sign * width
        tries = 0
        while g(b) < 0 and tries < 40:
            a, b = b, b + sign * width
            width *= 1.5
            tries += 1
        if g(b) < 0:
            out.append(sign * np.inf)
            continue
        out.append(optimize.brentq(g, min(a, b), max(a, b), xtol=1e-8))
    return out[0], out[1]


def cox_univariate_batch(
    X: Any,
    /,
    *,
    time: Any,
    event: Any,
    ties: str = "efron",
    feature_names: Sequence[str] | None = None,
    standardize: bool = False,
    max_iter: int = 30,
    tol: float = 1e-10,
) -> CoxBatchResult:
    """Fit one univariate Cox model per column of ``X``, all at once (vectorised Newton).

    Equivalent to looping ``coxph(Surv(time, event) ~ X[:, j])`` in R, to 1e-6 relative on
    coef, se, p and concordance, but hundreds of times faster than a lifelines loop
    (20,000 features × 500 samples in seconds).

    Parameters
    ----------
    time : array_like of float, shape (n,)
        Follow-up times (≥ 0, any unit).
    event : array_like of {0, 1} or bool, shape (n,)
        1 = event, 0 = censored.
    X : array_like of float, shape (n, m)
        Samples × features (e.g. genes or signature scores). A 1-D array is one feature.
        Must be finite (drop or impute missing values first).
    ties : {"efron", "breslow"}
    feature_names : sequence of str, optional
        Names of the m columns (default ``"x0"``, ``"x1"`` …; a DataFrame's columns are used
        when ``X`` is a DataFrame).
    standardize : bool
        z-score each column first (mean 0, SD 1 with ddof=1, as R ``scale()``) so that
        ``hr`` is per SD.
    max_iter : int
        Newton iterations (step-halving per feature when the log-likelihood decreases).
    tol : float
        Convergence when every |Newton step| < ``tol`` × (1 + |coef|).

    Returns
    -------
    CoxBatchResult
        ``.to_frame()`` gives one row per feature (feature, coef, hr, se, z, p_value,
        concordance, loglik, converged).

    Raises
    ------
    DataValidationError
        Shapes disagree, negative/missing times, events not 0/1, non-finite X.

    Notes
    -----
    Samples are sorted once by time; per feature the risk-set sums
    :math:`S_k = \\sum_{j \\in R(t)} x_j^k e^{\\beta x_j}`, k = 0, 1, 2, are reverse cumulative
    sums over all features at once (an (n × m) array); Efron's tie correction subtracts the
    death sums. Score :math:`U = \\sum_{deaths} (x_i - S_1/S_0)`, information
    :math:`I = \\sum (S_2/S_0 - (S_1/S_0)^2)`, step :math:`U/I`. Columns are centred first
    (the partial likelihood is invariant to shifts). Concordance uses a Fenwick tree over
    ranks, vectorised over features (O(n log n) per feature).

    Examples
    --------
    >>> import numpy as np
    >>> from repurposekit.survival import cox_univariate_batch
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3))
    >>> t = rng.exponential(np.exp(-X[:, 0]))
    >>> res = cox_univariate_batch(X, time=t, event=np.ones(50))
    >>> res.to_frame().shape
    (3, 9)
    """
    if ties not in ("efron", "breslow"):
        msg = f"ties must be 'efron' or 'breslow'; got {ties!r}."
        raise DataValidationError(msg)
    t, e = check_arrays(time, event)
    if isinstance(X, pd.DataFrame):
        if feature_names is None:
            feature_names = [str(c) for c in X.columns]
        X = X.to_numpy(dtype=float)
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[0] != t.size:
        msg = (
            f"`X` must be samples × features with {t.size} rows (one per time); got shape "
            f"{Xa.shape}. Transpose a genes × samples matrix first (X.T)."
        )
        raise DataValidationError(msg)
    bad = ~np.isfinite(Xa)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        msg = f"`X`[{i}, {j}] is missing or infinite; drop or impute it first."
        raise DataValidationError(msg)
    m = Xa.shape[1]
    names = np.asarray(
        [f"x{j}" for j in range(m)] if feature_names is None else list(feature_names), dtype=object
    )
    if names.size != m:
        msg = f"`feature_names` has {names.size} names for {m} columns of `X`."
        raise DataValidationError(msg)
    if standardize:
        sd = Xa.std(axis=0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            Xa = (Xa - Xa.mean(axis=0)) / sd
        Xa[:, ~(sd > 0)] = 0.0
    Xc = Xa - Xa.mean(axis=0)
    res = cox_batch_newton(t, e, Xc, ties=ties, max_iter=max_iter, tol=tol)
    coef = res["coef"]
    ok = res["converged"] & (res["info"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(ok, 1.0 / np.sqrt(res["info"]), np.nan)
        z = coef / se
    p = 2 * stats.norm.sf(np.abs(z))
    coef = np.where(ok, coef, np.where(res["info"] > 0, coef, np.nan))
    cc, dc, tc = concordance_counts(t, e, Xc * np.where(coef < 0, -1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        conc = (cc + tc / 2) / (cc + dc + tc)
    if not ok.all():
        warn(
            f"{int((~ok).sum())} of {m} features did not converge (constant feature or monotone "
            "likelihood); their se, z and p are NaN. See `.converged`.",
            StatisticalWarning,
        )
    return CoxBatchResult(
        features=names,
        coef=coef,
        se=se,
        z=z,
        p_value=p,
        hr=_safe_exp(coef),
        concordance=conc,
        loglik=res["loglik"],
        converged=ok,
        n_iter=int(res["n_iter"]),
        ties=ties,
        settings=_settings(
            None,
            function="cox_univariate_batch",
            ties=ties,
            standardize=standardize,
            n_samples=int(t.size),
            n_features=int(m),
            max_iter=max_iter,
            tol=tol,
        ),
    )


def _safe_exp(x: np.ndarray) -> np.ndarray:
    """exp without overflow warnings (diverging coefficients give inf)."""
    with np.errstate(over="ignore"):
        return np.exp(x)
