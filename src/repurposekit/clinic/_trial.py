"""Trial endpoints: ORR/DCR with exact CIs, duration of response, PFS/OS, Simon two-stage designs,
waterfall and swimmer plot data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit._validate import coerce_numeric, require_columns

__all__ = [
    "RESPONSE_CATEGORIES",
    "EndpointKM",
    "RateResult",
    "ResponseRates",
    "SimonDesign",
    "SimonResult",
    "clopper_pearson",
    "duration_of_response",
    "objective_response_rate",
    "response_rates",
    "simon_two_stage",
    "swimmer_data",
    "time_to_event",
    "waterfall_data",
]

#: RECIST 1.1 best overall response categories (NE: not evaluable).
RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")


def _check_conf(confidence_level: float) -> None:
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be between 0 and 1, got {confidence_level!r} (e.g. 0.95)."
        raise DataValidationError(msg)


def clopper_pearson(k: int, n: int, *, confidence_level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided CI of a binomial proportion ``k / n``.

    Notes
    -----
    With :math:`a = 1 - \\text{confidence\\_level}`, the bounds are beta quantiles:
    :math:`L = B^{-1}(a/2; k, n-k+1)` (0 when k = 0) and
    :math:`U = B^{-1}(1-a/2; k+1, n-k)` (1 when k = n).

    References
    ----------
    Clopper CJ, Pearson ES (1934). Biometrika 26:404–413. doi:10.1093/biomet/26.4.404

    Examples
    --------
    >>> lo, hi = clopper_pearson(25, 57)
    >>> round(lo, 3), round(hi, 3)
    (0.307, 0.576)
    """
    _check_conf(confidence_level)
    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            msg = f"{name} must be a whole number >= 0, got {v!r}."
            raise DataValidationError(msg)
    if n == 0 or k > n:
        msg = f"need 0 <= responders <= n and n >= 1, got {k} of {n}."
        raise DataValidationError(msg)
    a = 1.0 - confidence_level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True, eq=False)
class RateResult:
    """A response proportion with its exact CI."""

    endpoint: str
    count: int
    n: int
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    method: str = "Clopper-Pearson exact"
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """E.g. ``ORR 25/57 = 43.9% (95% CI 30.7-57.6%, Clopper-Pearson exact)``."""
        pct = round(self.confidence_level * 100, 6)
        return (
            f"{self.endpoint} {self.count}/{self.n} = {100 * self.estimate:.1f}% "
            f"({pct:g}% CI {100 * self.ci_low:.1f}-{100 * self.ci_high:.1f}%, {self.method})"
        )

    def to_frame(self) -> pd.DataFrame:
        """One-row table."""
        return pd.DataFrame(
            [
                {
                    "endpoint": self.endpoint,
                    "count": self.count,
                    "n": self.n,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence_level": self.confidence_level,
                    "method": self.method,
                }
            ]
        )


def objective_response_rate(
    responders: int, n: int, *, confidence_level: float = 0.95
) -> RateResult:
    """Objective response rate (CR + PR) with its exact Clopper–Pearson CI.

    Parameters
    ----------
    responders : int
        Patients with a confirmed complete or partial response.
    n : int
        Patients in the analysis set.
    confidence_level : float

    Returns
    -------
    RateResult

    Examples
    --------
    >>> objective_response_rate(25, 57).summary()
    'ORR 25/57 = 43.9% (95% CI 30.7-57.6%, Clopper-Pearson exact)'
    """
    lo, hi = clopper_pearson(responders, n, confidence_level=confidence_level)
    return RateResult(
        endpoint="ORR",
        count=int(responders),
        n=int(n),
        estimate=responders / n,
        ci_low=lo,
        ci_high=hi,
        confidence_level=confidence_level,
        settings=_settings(responders=responders, n=n, confidence_level=confidence_level),
    )


@dataclass(frozen=True, eq=False)
class ResponseRates:
    """ORR and DCR (per group) from best overall responses."""

    table: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """``group``, ``endpoint``, ``count``, ``n``, ``estimate``, ``ci_low``, ``ci_high``."""
        return self.table.copy()

    def summary(self) -> str:
        """One line per group and endpoint."""
        return "\n".join(
            f"{r.group}: {r.endpoint} {r.count}/{r.n} = {100 * r.estimate:.1f}% "
            f"(CI {100 * r.ci_low:.1f}-{100 * r.ci_high:.1f}%)"
            for r in self.table.itertuples()
        )


def _responses(data: pd.DataFrame, response: str) -> pd.Series:
    require_columns(data, [response])
    values = data[response].astype(str).str.strip().str.upper()
    bad = ~values.isin(RESPONSE_CATEGORIES)
    if bad.any():
        i = bad.idxmax()
        msg = (
            f"column {response!r}, row {i!r}: {data[response].loc[i]!r} is not a RECIST best "
            f"response; use one of {', '.join(RESPONSE_CATEGORIES)}."
        )
        raise DataValidationError(msg)
    return values


def response_rates(
    data: pd.DataFrame,
    *,
    response: str = "best_response",
    by: str | None = None,
    confidence_level: float = 0.95,
) -> ResponseRates:
    """Objective response rate (CR+PR) and disease control rate (CR+PR+SD) with exact CIs.

    Every row counts in the denominator (NE included, as in an intention-to-treat analysis).

    Parameters
    ----------
    data : DataFrame
        One row per patient with the best overall response (``CR``, ``PR``, ``SD``, ``PD``, ``NE``).
    response : str
        Column of best responses.
    by : str, optional
        Grouping column (arm, cohort).
    confidence_level : float

    Returns
    -------
    ResponseRates

    Examples
    --------
    >>> df = pd.DataFrame({"best_response": ["CR", "PR", "SD", "PD", "NE"]})
    >>> response_rates(df).to_frame()[["endpoint", "count", "n"]].values.tolist()
    [['ORR', 2, 5], ['DCR', 3, 5]]
    """
    values = _responses(data, response)
    groups = [("all", values)] if by is None else []
    if by is not None:
        require_columns(data, [by])
        groups = [(str(g), values[idx]) for g, idx in data.groupby(by, sort=True).groups.items()]
    rows = []
    for g, v in groups:
        n = len(v)
        for endpoint, cats in (("ORR", ("CR", "PR")), ("DCR", ("CR", "PR", "SD"))):
            k = int(v.isin(cats).sum())
            lo, hi = clopper_pearson(k, n, confidence_level=confidence_level)
            rows.append(
                {"group": g, "endpoint": endpoint, "count": k, "n": n, "estimate": k / n}
                | {"ci_low": lo, "ci_high": hi}
            )
    return ResponseRates(
        table=pd.DataFrame(rows),
        settings=_settings(data, response=response, by=by, confidence_level=confidence_level),
    )


@dataclass(frozen=True, eq=False)
class EndpointKM:
    """A time-to-event endpoint: Kaplan–Meier fit, median with CI and landmark rates.

    ``median`` comes from :meth:`repurposekit.survival.KaplanMeierResult.median`
    (Brookmeyer–Crowley CI, as R ``survfit``); ``landmarks`` from ``survival_at``.
    """

    endpoint: str
    km: Any
    median: pd.DataFrame
    landmarks: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Median table with the endpoint name."""
        return self.median.assign(endpoint=self.endpoint)

    def summary(self) -> str:
        """Median (CI) per group."""

        def fmt(x: float) -> str:
            return "NR" if pd.isna(x) else f"{x:g}"

        return "\n".join(
            f"{self.endpoint} {r['group']}: median {fmt(r['median'])} days "
            f"(CI {fmt(r['lower'])}-{fmt(r['upper'])}), {r['n_event']} events / {r['n']}"
            for _, r in self.median.iterrows()
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Kaplan–Meier curves with numbers at risk (the survival module's plot)."""
        return self.km.plot(ax=ax, **kwargs)


def time_to_event(
    data: pd.DataFrame,
    *,
    time: str = "pfs_days",
    event: str = "pfs_event",
    by: str | None = None,
    landmarks: Sequence[float] = (180.0, 365.0),
    confidence_level: float = 0.95,
    endpoint: str = "PFS",
) -> EndpointKM:
    """PFS, OS or any time-to-event endpoint by Kaplan–Meier (``repurposekit.survival``).

    Parameters
    ----------
    data : DataFrame
        One row per patient; ``time`` in days, ``event`` 1 = event (progression/death), 0 = censored.
    time, event : str
        Column names.
    by : str, optional
        Grouping column.
    landmarks : sequence of float
        Times (days) at which to report S(t) with its CI.
    confidence_level : float
    endpoint : str
        Label (``PFS``, ``OS``, ``DoR``).

    Returns
    -------
    EndpointKM
    """
    from repurposekit.survival import kaplan_meier

    _check_conf(confidence_level)
    km = kaplan_meier(data, time=time, event=event, by=by, confidence_level=confidence_level)
    return EndpointKM(
        endpoint=endpoint,
        km=km,
        median=km.median(),
        landmarks=km.survival_at(list(landmarks)),
        settings=_settings(
            data, time=time, event=event, by=by, landmarks=list(landmarks), endpoint=endpoint
        ),
    )


def duration_of_response(
    data: pd.DataFrame,
    *,
    time: str = "dor_days",
    event: str = "dor_event",
    response: str = "best_response",
    by: str | None = None,
    landmarks: Sequence[float] = (180.0, 365.0),
    confidence_level: float = 0.95,
) -> EndpointKM:
    """Duration of response among responders (CR/PR) by Kaplan–Meier.

    ``time`` is the time from first documented response to progression or death (``event`` = 1)
    or last assessment (``event`` = 0). Rows that are not CR/PR are ignored.
    """
    values = _responses(data, response)
    responders = data.loc[values.isin(["CR", "PR"])]
    if responders.empty:
        msg = f"no responders (CR/PR) in column {response!r}: duration of response is undefined."
        raise DataValidationError(msg)
    return time_to_event(
        responders,
        time=time,
        event=event,
        by=by,
        landmarks=landmarks,
        confidence_level=confidence_level,
        endpoint="DoR",
    )


# ----------------------------------------------------------------------------- Simon
@dataclass(frozen=True)
class SimonDesign:
    """A Simon two-stage design: stop after ``n1`` if responses <= ``r1``; reject the drug at
    the end if responses <= ``r`` out of ``n``."""

    kind: str
    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float

    def summary(self) -> str:
        """E.g. ``optimal: 3/13 then 12/43 (EN0 20.6, PET0 0.75)``."""
        return (
            f"{self.kind}: {self.r1}/{self.n1} then {self.r}/{self.n} (EN0 {self.en0:.1f}, "
            f"PET0 {self.pet0:.2f}, alpha {self.alpha:.4f}, power {self.power:.4f})"
        )


@dataclass(frozen=True, eq=False)
class SimonResult:
    """Optimal and minimax Simon designs for one (p0, p1, alpha, beta)."""

    optimal: SimonDesign
    minimax: SimonDesign
    p0: float
    p1: float
    alpha: float
    beta: float
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per design."""
        return pd.DataFrame([vars(self.optimal), vars(self.minimax)])

    def summary(self) -> str:
        """Both designs, one line each."""
        return f"{self.optimal.summary()}\n{self.minimax.summary()}"


def simon_two_stage(
    p0: float,
    p1: float,
    *,
    alpha: float = 0.05,
    beta: float = 0.20,
    n_max: int = 100,
) -> SimonResult:
    """Simon's optimal and minimax two-stage phase II designs.

    Parameters
    ----------
    p0 : float
        Response rate that is not of interest (null).
    p1 : float
        Response rate of interest (alternative), > ``p0``.
    alpha : float
        Type I error: probability of declaring the drug active when the true rate is ``p0``
        (a design error rate, not a confidence level).
    beta : float
        Type II error (power = 1 - beta) at ``p1``.
    n_max : int
        Largest total sample size searched.

    Returns
    -------
    SimonResult

    Notes
    -----
    The drug is declared active when :math:`X_1 > r_1` and :math:`X_1 + X_2 > r`, with
    :math:`X_1 \\sim B(n_1, p)` and :math:`X_2 \\sim B(n - n_1, p)`. Among all designs with
    :math:`P_{p_0}(\\text{active}) \\le \\alpha` and :math:`P_{p_1}(\\text{active}) \\ge 1-\\beta`,
    the optimal design minimises the expected size under :math:`p_0`,
    :math:`EN_0 = n_1 + (1 - PET_0)(n - n_1)` with :math:`PET_0 = P_{p_0}(X_1 \\le r_1)`;
    the minimax design minimises :math:`n` (then :math:`EN_0`). The search is exhaustive over
    :math:`n \\le n_{max}`, :math:`1 \\le n_1 < n`, :math:`0 \\le r_1 < n_1`, and for each
    :math:`(n, n_1, r_1)` the smallest :math:`r` meeting the alpha constraint.

    References
    ----------
    Simon R (1989). Optimal two-stage designs for phase II clinical trials. Controlled Clinical
    Trials 10:1–10. doi:10.1016/0197-2456(89)90015-9

    Examples
    --------
    >>> res = simon_two_stage(0.2, 0.4, alpha=0.05, beta=0.2)
    >>> (res.optimal.r1, res.optimal.n1, res.optimal.r, res.optimal.n)
    (3, 13, 12, 43)
    >>> (res.minimax.r1, res.minimax.n1, res.minimax.r, res.minimax.n)
    (4, 18, 10, 33)
    """
    for name, v in (("p0", p0), ("p1", p1), ("alpha", alpha), ("beta", beta)):
        if not 0 < v < 1:
            msg = f"{name} must be between 0 and 1 (exclusive), got {v!r}."
            raise DataValidationError(msg)
    if p1 <= p0:
        msg = f"p1 ({p1}) must be larger than p0 ({p0}): p1 is the response rate of interest."
        raise DataValidationError(msg)
    eps = 1e-12
    ns = np.arange(n_max + 1)
    # pmf[p][m] = binomial pmf of m trials; sf[p][m][k] = P(X > k) for k = -1 .. m (index k + 1)
    pmf = {p: [stats.binom.pmf(np.arange(m + 1), m, p) for m in ns] for p in (p0, p1)}
    sf = {
        p: [np.concatenate([np.cumsum(pm[::-1])[::-1], [0.0]]) for pm in pmf[p]] for p in (p0, p1)
    }
    best_opt: tuple[float, int, SimonDesign] | None = None
    best_mm: SimonDesign | None = None
    for n in range(2, n_max + 1):
        best_n: SimonDesign | None = None
        r = np.arange(n)
        for n1 in range(1, n):
            n2 = n - n1
            x1 = np.arange(n1 + 1)
            k = np.clip(r[None, :] - x1[:, None], -1, n2)  # X2 must exceed r - x1
            tails = []
            for p in (p0, p1):
                contrib = pmf[p][n1][:, None] * sf[p][n2][k + 1]
                # tail[r1, r] = sum_{x1 > r1} pmf(x1) P(X2 > r - x1), r1 = 0 .. n1 - 1
                tails.append(np.cumsum(contrib[::-1], axis=0)[::-1][1:])
            a_mat, b_mat = tails
            valid = (a_mat <= alpha + eps) & (r[None, :] >= np.arange(n1)[:, None])
            has = valid.any(axis=1)
            if not has.any():
                continue
            rr = np.argmax(valid, axis=1)
            rows = np.nonzero(has)[0]
            power = b_mat[rows, rr[rows]]
            keep = power >= 1 - beta - eps
            if not keep.any():
                continue
            rows, power = rows[keep], power[keep]
            pet0 = np.cumsum(pmf[p0][n1])[rows]
            en0 = n1 + (1 - pet0) * n2
            j = int(np.argmin(en0))
            if best_n is None or en0[j] < best_n.en0 - eps:
                r1 = int(rows[j])
                best_n = SimonDesign(
                    kind="",
                    r1=r1,
                    n1=n1,
                    r=int(rr[r1]),
                    n=n,
                    en0=float(en0[j]),
                    pet0=float(pet0[j]),
                    alpha=float(a_mat[r1, rr[r1]]),
                    power=float(power[j]),
                )
        if best_n is None:
            continue
        if best_mm is None:
            best_mm = best_n
        if best_opt is None or best_n.en0 < best_opt[0] - eps:
            best_opt = (best_n.en0, n, best_n)
    if best_mm is None or best_opt is None:
        msg = f"no Simon design with n <= {n_max} meets alpha={alpha}, beta={beta}; raise n_max."
        raise DataValidationError(msg)
    return SimonResult(
        optimal=SimonDesign(**{**vars(best_opt[2]), "kind": "optimal"}),
        minimax=SimonDesign(**{**vars(best_mm), "kind": "minimax"}),
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        settings=_settings(p0=p0, p1=p1, alpha=alpha, beta=beta, n_max=n_max),
    )


# ----------------------------------------------------------------------------- plot data
def waterfall_data(
    data: pd.DataFrame,
    *,
    patient: str = "patient",
    change: str = "best_pct_change",
    response: str = "best_response",
) -> pd.DataFrame:
    """Best % change of target lesions per patient, sorted from largest growth to deepest shrinkage.

    Returns
    -------
    DataFrame
        ``rank``, ``patient``, ``best_pct_change``, ``best_response`` (patients without a
        measurement are dropped and counted in ``attrs["n_missing"]``).
    """
    require_columns(data, [patient, change, response])
    pct = coerce_numeric(data, change, allow_missing=True)
    resp = _responses(data, response)
    out = pd.DataFrame(
        {"patient": data[patient].astype(str), "best_pct_change": pct, "best_response": resp}
    )
    missing = int(out["best_pct_change"].isna().sum())
    out = out.dropna(subset=["best_pct_change"]).sort_values(
        "best_pct_change", ascending=False, kind="stable"
    )
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out = out.reset_index(drop=True)
    out.attrs["n_missing"] = missing
    return out


def swimmer_data(
    data: pd.DataFrame,
    *,
    patient: str = "patient",
    time: str = "treatment_days",
    response_start: str = "response_day",
    progression: str = "progression_day",
    ongoing: str = "ongoing",
    response: str = "best_response",
) -> pd.DataFrame:
    """Per-patient time on treatment with response onset and progression, sorted by duration.

    Returns
    -------
    DataFrame
        ``patient``, ``treatment_days``, ``response_day`` (NaN if no response),
        ``progression_day`` (NaN if none), ``ongoing`` (bool), ``best_response``.
    """
    require_columns(data, [patient, time, response_start, progression, ongoing, response])
    out = pd.DataFrame(
        {
            "patient": data[patient].astype(str),
            "treatment_days": coerce_numeric(data, time),
            "response_day": coerce_numeric(data, response_start, allow_missing=True),
            "progression_day": coerce_numeric(data, progression, allow_missing=True),
            "ongoing": data[ongoing].astype(bool),
            "best_response": _responses(data, response),
        }
    )
    return out.sort_values("treatment_days", ascending=True, kind="stable").reset_index(drop=True)
