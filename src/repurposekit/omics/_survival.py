"""Survival association of features (genes, signature scores) and cut-point analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit.omics import _cox
from repurposekit.omics._kernels import bh_adjust

__all__ = [
    "CutpointResult",
    "SurvivalAssociation",
    "align_clinical",
    "altman_p",
    "cutpoint_analysis",
    "lausen_schumacher_p",
    "survival_association",
]


def _as_sample_frame(features: Any) -> pd.DataFrame:
    if hasattr(features, "by_sample"):
        return features.by_sample()
    if isinstance(features, pd.Series):
        return features.to_frame()
    if not isinstance(features, pd.DataFrame):
        msg = f"features must be a samples × features DataFrame or SignatureScores, got {type(features).__name__}."
        raise DataValidationError(msg)
    return features


def align_clinical(
    features: pd.DataFrame,
    clinical: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    sample: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Match feature rows (samples) to clinical rows; returns (features, clinical, dropped).

    Samples without clinical data (or with missing time/event) are dropped and listed; a
    negative time, an event not in {0, 1} or non-numeric features are errors.
    """
    clin = clinical.copy()
    if sample is not None:
        if sample not in clin.columns:
            msg = f"clinical table has no column {sample!r}; it has {list(clin.columns)}."
            raise DataValidationError(msg)
        clin = clin.set_index(sample)
    for c in (time, event):
        if c not in clin.columns:
            msg = f"clinical table lacks column {c!r} (has {list(clin.columns)}). Pass time=/event= with your column names."
            raise DataValidationError(msg)
    clin.index = clin.index.astype(str)
    feats = features.copy()
    feats.index = feats.index.astype(str)
    t = pd.to_numeric(clin[time], errors="coerce")
    e = pd.to_numeric(clin[event], errors="coerce")
    if (t < 0).any():
        s = t.index[(t < 0).to_numpy()][0]
        msg = f"clinical column {time!r}, sample {s!r}: time {float(t[s]):g} is negative; survival times must be ≥ 0."
        raise DataValidationError(msg)
    bad_e = e.notna() & ~e.isin([0, 1])
    if bad_e.any():
        s = e.index[bad_e.to_numpy()][0]
        msg = f"clinical column {event!r}, sample {s!r}: {clin.loc[s, event]!r}; events must be 0 (censored) or 1."
        raise DataValidationError(msg)
    ok = t.notna() & e.notna()
    usable = set(clin.index[ok.to_numpy()])
    dropped = [s for s in feats.index if s not in usable]
    if dropped:
        warn(
            f"{len(dropped)} sample(s) have no (complete) clinical data and were dropped: "
            f"{', '.join(dropped[:5])}{' …' if len(dropped) > 5 else ''}.",
            StatisticalWarning,
        )
    keep = [s for s in feats.index if s in usable]
    if len(keep) < 10:
        msg = (
            f"only {len(keep)} sample(s) match between features and the clinical table "
            f"(feature samples like {list(feats.index[:3])}, clinical like {list(clin.index[:3])}). "
            "Check the sample identifiers."
        )
        raise DataValidationError(msg)
    feats = feats.loc[keep]
    nonnum = [c for c in feats.columns if not pd.api.types.is_numeric_dtype(feats[c])]
    if nonnum:
        msg = f"feature column(s) {nonnum[:5]} are not numeric."
        raise DataValidationError(msg)
    out = pd.DataFrame({time: t.loc[keep].astype(float), event: e.loc[keep].astype(int)})
    return feats, out, dropped


@dataclass(frozen=True, eq=False)
class SurvivalAssociation:
    """Univariate Cox association of each feature with survival.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature: ``feature, n, n_events, coef, hr, hr_lower, hr_upper, se, z,
        p_value, q_value`` (BH over features), ``concordance``, ``logrank_median_p``,
        ``converged``. ``hr`` is per SD when ``standardize=True``.
    dropped_samples : list of str
        Samples without clinical data.
    settings : mapping
    """

    table: pd.DataFrame
    dropped_samples: list[str]
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The per-feature table (a copy)."""
        return self.table.copy()

    def significant(self, q: float = 0.05) -> pd.DataFrame:
        """Features with BH q below ``q``."""
        return self.table[self.table["q_value"] < q].reset_index(drop=True)

    def summary(self) -> str:
        """How many features are associated at q < 0.05, and the strongest."""
        t = self.table.sort_values("p_value")
        top = t.iloc[0]
        return (
            f"{len(t)} features, {int(t['n'].iloc[0])} samples ({int(t['n_events'].iloc[0])} events); "
            f"{int((t['q_value'] < 0.05).sum())} with BH q < 0.05; strongest {top['feature']} "
            f"HR {top['hr']:.2f} (p = {top['p_value']:.2g})"
        )

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot (see :func:`repurposekit.plot.omics.association_forest`)."""

        from repurposekit.plot.omics import association_forest

        return association_forest(self, ax=ax, **kwargs)


def _batch_cox(
    t: np.ndarray, e: np.ndarray, x: np.ndarray, names: list[str]
) -> dict[str, np.ndarray]:
    """Cox fits of every column via the shared batched kernel (Efron ties)."""
    from repurposekit.survival import cox_univariate_batch

    res = cox_univariate_batch(x, time=t, event=e, feature_names=names, standardize=False)
    return {
        "coef": np.asarray(res.coef, float),
        "se": np.asarray(res.se, float),
        "z": np.asarray(res.z, float),
        "p": np.asarray(res.p_value, float),
        "concordance": np.asarray(res.concordance, float),
        "converged": np.asarray(res.converged, bool),
    }


def survival_association(
    features: Any,
    clinical: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    sample: str | None = None,
    standardize: bool = True,
    median_split: bool = True,
    confidence_level: float = 0.95,
) -> SurvivalAssociation:
    r"""Univariate Cox proportional-hazards model for every feature, batched.

    Parameters
    ----------
    features : pandas.DataFrame or SignatureScores
        Samples × features (index = sample IDs), e.g. ``expression.T`` or signature scores.
    clinical : pandas.DataFrame
        Survival per sample: ``time`` (≥ 0, any unit) and ``event`` (1 = event), indexed by
        sample or with a ``sample`` column.
    time, event, sample : str
        Column names.
    standardize : bool
        Scale each feature to mean 0, SD 1 (R ``scale()``) so HR is per SD.
    median_split : bool
        Also compute the log-rank p of a split at the median (high = above the median).
    confidence_level : float
        Of the HR interval (Wald).

    Returns
    -------
    SurvivalAssociation

    Notes
    -----
    Efron ties, Newton–Raphson to convergence (R ``coxph`` defaults); Wald
    :math:`z = \hat\beta / se`; concordance as R ``coxph`` (pairs comparable when the shorter
    time is an event, ties in the score count 1/2); BH over all features. Samples missing
    from ``clinical`` are dropped and reported; features without variance get NaN.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)},
    ...                  index=[f"s{i}" for i in range(40)])
    >>> clin = pd.DataFrame({"time": rng.exponential(10, 40), "event": 1}, index=f.index)
    >>> survival_association(f, clin).table.shape[0]
    2
    """
    feats = _as_sample_frame(features)
    feats, clin, dropped = align_clinical(feats, clinical, time=time, event=event, sample=sample)
    t = clin[time].to_numpy(float)
    e = clin[event].to_numpy(int)
    if e.sum() == 0:
        msg = "no events in the matched samples; a Cox model needs at least one event."
        raise DataValidationError(msg)
    x = feats.to_numpy(float)
    if not np.isfinite(x).all():
        msg = "features contain missing or infinite values; impute or drop them first."
        raise DataValidationError(msg)
    sd = x.std(axis=0, ddof=1)
    const = sd == 0
    xs = (x - x.mean(axis=0)) / np.where(const, 1.0, sd) if standardize else x
    names = [str(c) for c in feats.columns]
    res = _batch_cox(t, e, xs[:, ~const], [n for n, c in zip(names, const, strict=True) if not c])
    full = {k: np.full(len(names), np.nan) for k in ("coef", "se", "z", "p", "concordance")}
    conv = np.zeros(len(names), dtype=bool)
    for k in full:
        full[k][~const] = res[k]
    conv[~const] = res["converged"]
    zq = special.ndtri(0.5 + confidence_level / 2)
    table = pd.DataFrame(
        {
            "feature": names,
            "n": len(t),
            "n_events": int(e.sum()),
            "coef": full["coef"],
            "hr": np.exp(full["coef"]),
            "hr_lower": np.exp(full["coef"] - zq * full["se"]),
            "hr_upper": np.exp(full["coef"] + zq * full["se"]),
            "se": full["se"],
            "z": full["z"],
            "p_value": full["p"],
            "q_value": bh_adjust(full["p"]),
            "concordance": full["concordance"],
            "converged": conv,
        }
    )
    if median_split:
        groups = x > np.median(x, axis=0)
        o, ex, v = _cox.logrank_scan(t, e, groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            chisq = (o - ex) ** 2 / v
        table["logrank_median_p"] = stats.chi2.sf(chisq, 1)
    st = _settings(
        feats,
        time=time,
        event=event,
        standardize=standardize,
        median_split=median_split,
        confidence_level=confidence_level,
        n_dropped_samples=len(dropped),
    )
    return SurvivalAssociation(table=table, dropped_samples=dropped, settings=st)


# ---------------------------------------------------------------------------------------
# cut points
# ---------------------------------------------------------------------------------------


def lausen_schumacher_p(stat: float, *, min_prop: float = 0.1, max_prop: float = 0.9) -> float:
    r"""Approximate p of a maximally selected standardised statistic (Lausen & Schumacher 1992).

    :math:`P(M \ge b) \approx \frac{4\varphi(b)}{b} + \varphi(b)\,(b - \frac1b)
    \log\frac{\varepsilon_2(1-\varepsilon_1)}{(1-\varepsilon_2)\varepsilon_1}`, capped at 1,
    and 1 for :math:`b < 1` where the approximation does not hold (as R maxstat's
    ``pLausen92``).
    """
    b = abs(stat)
    if b < 1:  # the approximation holds for b >= 1; below it the p is 1 (as maxstat)
        return 1.0
    phi = stats.norm.pdf(b)
    p = 4 * phi / b + phi * (b - 1 / b) * np.log(
        max_prop * (1 - min_prop) / ((1 - max_prop) * min_prop)
    )
    return float(min(max(p, 0.0), 1.0))


def _logrank_scores(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    r"""Log-rank scores of censored times as maxstat/exactRankTests ``cscores(type="LogRank")``.

    :math:`a_i = \delta_i - \sum_{u \le t_i} d_u / (n - \#\{t \le u\} + 1)` over the
    event times :math:`u` (:math:`d_u` events at :math:`u`); without ties these are the Savage
    scores, :math:`\delta_i - \hat\Lambda(t_i)` with the Nelson–Aalen estimate.
    """
    n = t.size
    order = np.sort(t)
    ev_times, d = np.unique(t[e == 1], return_counts=True)
    n_le = np.searchsorted(order, ev_times, side="right")  # #{t <= u}
    cum = np.cumsum(d / (n - n_le + 1.0))
    k = np.searchsorted(ev_times, t, side="right")  # event times <= t_i
    lam = np.where(k > 0, cum[np.maximum(k - 1, 0)], 0.0)
    return e - lam


def altman_p(p_min: float, *, min_prop: float = 0.1) -> float:
    """Altman et al. (1994) correction of the minimal p over cut points (ε = 5 % or 10 %)."""
    if p_min <= 0:
        return 0.0
    if np.isclose(min_prop, 0.05):
        p = -3.13 * p_min * (1 + 1.65 * np.log(p_min))
    elif np.isclose(min_prop, 0.1):
        p = -1.63 * p_min * (1 + 2.35 * np.log(p_min))
    else:
        msg = "the Altman correction is tabulated for min_prop = 0.05 or 0.10 only."
        raise DataValidationError(msg)
    return float(min(max(p, p_min), 1.0))


@dataclass(frozen=True, eq=False)
class CutpointResult:
    """A feature dichotomised at a cut point, with its survival comparison.

    Attributes
    ----------
    feature : str
    method : str
        ``"median"`` or ``"optimal"`` (maximally selected log-rank statistic).
    cutpoint : float
        Samples with value > cutpoint are "high".
    groups : pandas.DataFrame
        Per sample: value, group (``"high"``/``"low"``), time, event.
    statistic : float
        Standardised log-rank statistic (O − E of "high") / √V at the cut.
    p_value : float
        Log-rank p at this cut (nominal; too small after an optimal search).
    p_corrected : float
        For ``"optimal"``: Lausen–Schumacher (default) or Altman corrected p; for
        ``"median"``: equal to ``p_value``.
    scan : pandas.DataFrame
        Every candidate cut: ``cutpoint, prop_high, statistic, p_value``.
    summary_table : pandas.DataFrame
        Per group: ``n, events, median_time`` (KM median, NaN if not reached).
    settings : mapping
    """

    feature: str
    method: str
    cutpoint: float
    groups: pd.DataFrame
    statistic: float
    p_value: float
    p_corrected: float
    correction: str
    scan: pd.DataFrame
    summary_table: pd.DataFrame
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row: feature, method, cutpoint, statistic, p_value, p_corrected, correction."""
        return pd.DataFrame(
            [
                {
                    "feature": self.feature,
                    "method": self.method,
                    "cutpoint": self.cutpoint,
                    "statistic": self.statistic,
                    "p_value": self.p_value,
                    "p_corrected": self.p_corrected,
                    "correction": self.correction,
                }
            ]
        )

    def summary(self) -> str:
        """Text summary."""
        return (
            f"{self.feature}: {self.method} cut at {self.cutpoint:.4g}; log-rank p = {self.p_value:.3g}"
            + (
                f", corrected ({self.correction}) p = {self.p_corrected:.3g}"
                if self.method == "optimal"
                else ""
            )
        )

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Kaplan–Meier curves of the two groups."""

        from repurposekit.plot.omics import cutpoint_km

        return cutpoint_km(self, ax=ax, **kwargs)


def km_median(time: np.ndarray, event: np.ndarray) -> float:
    """Kaplan–Meier median as R ``survfit`` (NaN if not reached), via the survival module."""
    from repurposekit.survival import kaplan_meier

    km = kaplan_meier(pd.DataFrame({"time": np.asarray(time, float), "event": np.asarray(event)}))
    return float(km.median()["median"].iloc[0])


def cutpoint_analysis(
    values: pd.Series,
    clinical: pd.DataFrame,
    *,
    method: str = "optimal",
    time: str = "time",
    event: str = "event",
    sample: str | None = None,
    min_prop: float = 0.1,
    correction: str = "lausen_schumacher",
    variance: str = "permutation",
) -> CutpointResult:
    r"""Dichotomise one feature at its median or at the log-rank-optimal cut point.

    Parameters
    ----------
    values : pandas.Series
        Feature per sample (index = sample IDs); its name names the feature.
    clinical : pandas.DataFrame
        ``time``, ``event`` per sample.
    method : {"optimal", "median"}
    min_prop : float
        Optimal search only over cuts leaving at least this fraction in each group (ε).
    correction : {"lausen_schumacher", "altman"}
        Correction of the optimal cut's p for the search over cut points.
    variance : {"permutation", "hypergeometric"}
        Optimal search: standardisation of the log-rank statistic at each cut (a median split
        is always the ordinary two-group log-rank test). ``"permutation"`` (default)
        divides the sum of the high group's log-rank scores by its permutation variance, as R
        maxstat (``smethod = "LogRank"``) and hence survminer's ``surv_cutpoint`` do, so the
        optimal cut is theirs; ``"hypergeometric"`` uses survdiff's two-group log-rank
        variance (its chi-square is the statistic squared). Both are N(0, 1) under no
        effect; under an effect they can choose different cuts.

    Returns
    -------
    CutpointResult

    Notes
    -----
    Candidate cuts leave :math:`m` samples at or below the cut with
    :math:`\lfloor \varepsilon n \rfloor \le m \le \lfloor (1-\varepsilon) n \rfloor`
    (maxstat's rule). With log-rank scores :math:`a_i` (see ``variance``) and :math:`H_c` the
    samples above the cut, :math:`S_c = (\sum_{H_c} a_i - (n-m)\bar a)/\sqrt{V_c}`,
    :math:`V_c = m(n-m)/(n^2(n-1))\,(n\sum a_i^2 - (\sum a_i)^2)`; positive :math:`S_c`
    means more events than expected above the cut.
    The maximally selected statistic :math:`M = \max_c |S_c|`, where :math:`S_c` is the
    standardised log-rank statistic for the split at :math:`c`, has a null distribution far
    from N(0, 1): the minimal nominal p over cuts is anti-conservative (Altman et al. 1994
    report false-positive rates of ~40 % at nominal 5 %). Lausen & Schumacher (1992) give
    :math:`P(M\ge b)\approx 4\varphi(b)/b + \varphi(b)(b-1/b)\log[(1-\varepsilon)^2/\varepsilon^2]`;
    Altman et al. give :math:`p_{cor} = -1.63\,p(1+2.35\ln p)` for ε = 10 %.

    References
    ----------
    Lausen B, Schumacher M (1992) Biometrics 48:73–85. Altman DG, Lausen B, Sauerbrei W,
    Schumacher M (1994) J Natl Cancer Inst 86:829–835.
    """
    if method not in ("optimal", "median"):
        msg = f"method must be 'optimal' or 'median', got {method!r}."
        raise DataValidationError(msg)
    if correction not in ("lausen_schumacher", "altman"):
        msg = f"correction must be 'lausen_schumacher' or 'altman', got {correction!r}."
        raise DataValidationError(msg)
    if variance not in ("permutation", "hypergeometric"):
        msg = f"variance must be 'permutation' or 'hypergeometric', got {variance!r}."
        raise DataValidationError(msg)
    if not 0 < min_prop < 0.5:
        msg = f"min_prop must be in (0, 0.5), got {min_prop}."
        raise DataValidationError(msg)
    name = str(values.name) if values.name is not None else "feature"
    feats, clin, _ = align_clinical(
        values.to_frame(name), clinical, time=time, event=event, sample=sample
    )
    x = feats[name].to_numpy(float)
    t = clin[time].to_numpy(float)
    e = clin[event].to_numpy(int)
    n = x.size
    ux = np.unique(x)
    cands = ux[:-1]
    n_low = np.searchsorted(np.sort(x), cands, side="right")
    prop_high = 1.0 - n_low / n
    if method == "optimal":
        ok = (n_low >= np.floor(min_prop * n)) & (n_low <= np.floor((1 - min_prop) * n))
        ok &= (n_low > 0) & (n_low < n)
        cands, prop_high = cands[ok], prop_high[ok]
    else:
        med = float(np.median(x))
        cands = np.array([med])
        prop_high = np.array([(x > med).mean()])
    if cands.size == 0 or prop_high.min() == 0:
        msg = f"{name}: no cut point leaves ≥ {min_prop:.0%} of {n} samples in each group."
        raise DataValidationError(msg)
    groups = x[:, None] > cands[None, :]
    if variance == "hypergeometric" or method == "median":  # a median split: survdiff's test
        o, ex, v = _cox.logrank_scan(t, e, groups)
        num = o - ex
    else:
        a = _logrank_scores(t, e)
        m_high = groups.sum(axis=0).astype(float)
        num = a @ groups - m_high * a.mean()
        v = m_high * (n - m_high) / (n**2 * (n - 1)) * (n * (a**2).sum() - a.sum() ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / np.sqrt(v)
    pvals = 2 * special.ndtr(-np.abs(s))
    best = int(np.nanargmax(np.abs(s)))
    stat = float(s[best])
    p = float(pvals[best])
    if method == "optimal":
        if correction == "lausen_schumacher":
            pc = lausen_schumacher_p(stat, min_prop=min_prop, max_prop=1 - min_prop)
        else:
            pc = altman_p(p, min_prop=min_prop)
        pc = max(pc, p)
    else:
        pc = p
    cut = float(cands[best])
    grp = np.where(x > cut, "high", "low")
    g = pd.DataFrame({"sample": feats.index, "value": x, "group": grp, time: t, event: e})
    summ = (
        g.groupby("group")
        .apply(
            lambda d: pd.Series(
                {
                    "n": len(d),
                    "events": int(d[event].sum()),
                    "median_time": km_median(d[time].to_numpy(), d[event].to_numpy()),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )
    scan = pd.DataFrame(
        {"cutpoint": cands, "prop_high": prop_high, "statistic": s, "p_value": pvals}
    )
    st = _settings(
        method=method,
        time=time,
        event=event,
        min_prop=min_prop,
        correction=correction,
        variance=variance,
    )
    return CutpointResult(
        feature=name,
        method=method,
        cutpoint=cut,
        groups=g,
        statistic=stat,
        p_value=p,
        p_corrected=float(pc),
        correction=correction if method == "optimal" else "none",
        scan=scan,
        summary_table=summ,
        settings=st,
    )
