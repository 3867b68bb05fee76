"""Log-rank (G-rho) tests as R ``survdiff``, overall and pairwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.survival._data import as_columns, survival_columns
from repurposekit.survival._kernels import logrank_oev

__all__ = ["LogRankResult", "PairwiseLogRankResult", "logrank_test", "pairwise_logrank"]


@dataclass(frozen=True, eq=False)
class LogRankResult:
    """Result of :func:`logrank_test`.

    Attributes
    ----------
    chisq : float
        Test statistic :math:`(O-E)^T V^{-} (O-E)`.
    df : int
        Degrees of freedom (number of groups with expected > 0, minus 1).
    p_value : float
    table : pandas.DataFrame
        Per group: ``group``, ``n``, ``observed``, ``expected``, ``o_minus_e``,
        ``oe2_over_e`` ((O−E)²/E) and ``oe2_over_v`` ((O−E)²/V), as R prints them.
    variance : pandas.DataFrame
        Variance–covariance matrix of O − E (groups × groups).
    rho : float
    settings : Mapping
    """

    chisq: float
    df: int
    p_value: float
    table: pd.DataFrame
    variance: pd.DataFrame
    rho: float
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The per-group table."""
        return self.table.copy()

    def summary(self) -> str:
        """Text like R's ``print(survdiff(...))``."""
        lines = [
            f"{'Log-rank' if self.rho == 0 else f'G-rho (rho={self.rho:g})'} test",
            self.table.to_string(index=False),
            f"Chisq = {self.chisq:.6g} on {self.df} degrees of freedom, p = {self.p_value:.4g}",
        ]
        return "\n".join(lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of observed vs expected events per group; returns the Axes."""

        from repurposekit.plot.survival import logrank_bars

        return logrank_bars(self, ax=ax, **kwargs)


@dataclass(frozen=True, eq=False)
class PairwiseLogRankResult:
    """Result of :func:`pairwise_logrank`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per pair: ``group_a``, ``group_b``, ``chisq``, ``df``, ``p_value``,
        ``p_adjusted`` (by ``method``).
    method : str
        Multiplicity correction: "holm", "bh" (Benjamini–Hochberg), "bonferroni" or "none".
    settings : Mapping
    """

    table: pd.DataFrame
    method: str
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The pairwise table."""
        return self.table.copy()

    def summary(self) -> str:
        """The table as text."""
        return self.table.to_string(index=False)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Heat map of adjusted p-values between groups; returns the Axes."""

        from repurposekit.plot.survival import pairwise_heatmap

        return pairwise_heatmap(self, ax=ax, **kwargs)


def logrank_test(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str = "group",
    rho: float = 0,
    strata: str | Sequence[str] | None = None,
) -> LogRankResult:
    """Compare survival curves of two or more groups (log-rank / Harrington–Fleming G-rho).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time, event : str
        Follow-up time (≥ 0) and event indicator (1 = event, 0 = censored) columns.
    group : str
        Column defining the groups.
    rho : float
        0 = log-rank (Mantel–Haenszel); 1 = Peto–Peto modification of the Gehan–Wilcoxon test.
        Weights are :math:`\\hat S(t-)^\\rho` from the pooled KM.
    strata : str or sequence of str, optional
        Stratification column(s): O, E and V are computed within each stratum and summed
        (R ``survdiff(Surv(t, e) ~ group + strata(s))``).

    Returns
    -------
    LogRankResult

    Notes
    -----
    At each distinct event time with :math:`n` at risk, :math:`d` events, and :math:`n_g`,
    :math:`d_g` in group g: :math:`E_g = \\sum w\\, d n_g / n`,
    :math:`V_{gh} = \\sum w^2 d (n-d)/(n-1) \\cdot n_g/n (\\delta_{gh} - n_h/n)`,
    :math:`\\chi^2 = (O-E)^T V^- (O-E)` (generalised inverse) on k − 1 df, as R ``survdiff``.

    References
    ----------
    Mantel (1966); Peto & Peto (1972); Harrington & Fleming (1982) Biometrika 69:553.

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.survival import logrank_test
    >>> df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": 1, "group": list("aabbab")})
    >>> round(logrank_test(df).chisq, 4)
    0.899
    """
    strata_cols = as_columns(strata)
    t, e = survival_columns(data, time=time, event=event, other=(group, *strata_cols))
    codes, levels = _codes(data[group])
    s_codes = _strata_codes(data, strata_cols)
    k = len(levels)
    if k < 2:
        msg = f"column {group!r} has a single group ({levels[0]!r}); a log-rank test needs two or more."
        raise DataValidationError(msg)
    chisq, df, p, obs, exp_, var, n_event = _test(t, e, codes, k, rho, s_codes)
    counts = np.bincount(codes, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "group": levels,
                "n": counts,
                "n_event": n_event.astype(int),
                "observed": obs,
                "expected": exp_,
                "o_minus_e": obs - exp_,
                "oe2_over_e": (obs - exp_) ** 2 / exp_,
                "oe2_over_v": (obs - exp_) ** 2 / np.diag(var),
            }
        )
    return LogRankResult(
        chisq=chisq,
        df=df,
        p_value=p,
        table=table,
        variance=pd.DataFrame(var, index=levels, columns=levels),
        rho=float(rho),
        settings=_settings(
            data[[time, event, group, *strata_cols]],
            function="logrank_test",
            time=time,
            event=event,
            group=group,
            rho=rho,
            strata=list(strata_cols),
        ),
    )


def pairwise_logrank(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str = "group",
    rho: float = 0,
    method: str = "holm",
    strata: str | Sequence[str] | None = None,
) -> PairwiseLogRankResult:
    """Log-rank test for every pair of groups, with a multiplicity correction.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, group : str
        Column names (see :func:`logrank_test`).
    rho : float
        G-rho weight exponent (0 = log-rank).
    method : {"holm", "bh", "bonferroni", "none"}
        Correction applied across the k(k−1)/2 pairs.
    strata : str or sequence of str, optional
        Stratification column(s), as in :func:`logrank_test`.

    Returns
    -------
    PairwiseLogRankResult
    """
    methods = ("holm", "bh", "bonferroni", "none")
    if method not in methods:
        msg = f"method must be one of {methods}; got {method!r}."
        raise DataValidationError(msg)
    strata_cols = as_columns(strata)
    t, e = survival_columns(data, time=time, event=event, other=(group, *strata_cols))
    codes, levels = _codes(data[group])
    s_codes = _strata_codes(data, strata_cols)
    rows = []
    for a in range(len(levels)):
        for b in range(a + 1, len(levels)):
            sel = (codes == a) | (codes == b)
            sub = (codes[sel] == b).astype(np.int64)
            chisq, df, p, *_ = _test(
                t[sel], e[sel], sub, 2, rho, None if s_codes is None else s_codes[sel]
            )
            rows.append(
                {"group_a": levels[a], "group_b": levels[b], "chisq": chisq, "df": df, "p_value": p}
            )
    table = pd.DataFrame(rows, columns=["group_a", "group_b", "chisq", "df", "p_value"])
    table["p_adjusted"] = _adjust(table["p_value"].to_numpy(), method)
    return PairwiseLogRankResult(
        table=table,
        method=method,
        settings=_settings(
            data[[time, event, group, *strata_cols]],
            function="pairwise_logrank",
            time=time,
            event=event,
            group=group,
            rho=rho,
            method=method,
            strata=list(strata_cols),
        ),
    )


def _strata_codes(data: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray | None:
    if not cols:
        return None
    key = data[list(cols)].astype(str).agg("\x1f".join, axis=1)
    return key.astype("category").cat.codes.to_numpy()


def _codes(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and levels (category order for categoricals, else sorted)."""
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cat = cat.cat.remove_unused_categories()
    return cat.cat.codes.to_numpy().astype(np.int64), list(cat.cat.categories)


def _test(
    t: np.ndarray,
    e: np.ndarray,
    codes: np.ndarray,
    k: int,
    rho: float,
    strata: np.ndarray | None = None,
) -> tuple[float, int, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if strata is None:
        n_event, expected, var, observed = logrank_oev(t, e, codes, k, rho)
    else:  # stratified: O, E and V summed over strata (R survdiff with strata())
        n_event, expected, observed = np.zeros(k), np.zeros(k), np.zeros(k)
        var = np.zeros((k, k))
        for s in np.unique(strata):
            m = strata == s
            parts = logrank_oev(t[m], e[m], codes[m], k, rho)
            n_event += parts[0]
            expected += parts[1]
            var += parts[2]
            observed += parts[3]
    use = np.flatnonzero(expected > 0)
    df = int(use.size - 1)
    if df < 1:
        return 0.0, 0, float("nan"), observed, expected, var, n_event
    keep = use[1:]
    diff = (observed - expected)[keep]
    vv = var[np.ix_(keep, keep)]
    chisq = float(diff @ np.linalg.solve(vv, diff))
    return chisq, df, float(stats.chi2.sf(chisq, df)), observed, expected, var, n_event


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Holm, Benjamini–Hochberg or Bonferroni adjusted p-values (as R ``p.adjust``)."""
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "holm":
        adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * ps), 1.0)
    else:  # bh
        adj = np.minimum(np.minimum.accumulate(m / np.arange(m, 0, -1) * ps[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adj
    return out
