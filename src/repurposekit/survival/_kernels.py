"""NumPy kernels for survival analysis (no pandas, no validation: callers check inputs)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "ConfType",
    "concordance_counts",
    "cox_batch_newton",
    "cox_derivatives",
    "km_confint",
    "km_curve",
    "logrank_oev",
    "quantile_from_curve",
]

ConfType = str
_TOL = float(np.sqrt(np.finfo(float).eps))


# --------------------------------------------------------------------------------------------
# Kaplan–Meier
# --------------------------------------------------------------------------------------------
def km_curve(time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Product-limit estimate at every distinct observed time (events and censorings).

    Returns a dict of arrays: time, n_risk, n_event, n_censor, survival, sigma (Greenwood
    standard deviation of log S; +inf once S = 0).
    """
    order = np.argsort(time, kind="stable")
    t = time[order]
    e = event[order]
    ut, first, counts = np.unique(t, return_index=True, return_counts=True)
    n_event = np.add.reduceat(e, first) if t.size else np.zeros(0)
    n_censor = counts - n_event
    n_risk = t.size - first
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        inc = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    var = np.cumsum(inc)
    return {
        "time": ut,
        "n_risk": n_risk.astype(float),
        "n_event": n_event.astype(float),
        "n_censor": n_censor.astype(float),
        "survival": surv,
        "sigma": np.sqrt(var),
    }


def km_confint(
    surv: np.ndarray, sigma: np.ndarray, conf_type: ConfType, confidence_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S(t) from the Greenwood SD of log S (R ``survfit`` transforms)."""
    z = stats.norm.ppf(0.5 + confidence_level / 2.0)
    s = np.asarray(surv, dtype=float)
    sig = np.asarray(sigma, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            ok = s > 0
            lo = np.where(ok, s * np.exp(-z * sig), np.nan)
            hi = np.where(ok, np.minimum(s * np.exp(z * sig), 1.0), np.nan)
        elif conf_type == "log-log":
            ok = (s > 0) & (s < 1)
            ls = np.where(ok, np.log(s), np.nan)
            half = z * sig / ls  # negative
            base = np.log(-ls)
            lo = np.where(ok, np.exp(-np.exp(base - half)), np.nan)
            hi = np.where(ok, np.exp(-np.exp(base + half)), np.nan)
        elif conf_type == "plain":
            se = s * sig
            ok = np.isfinite(se)
            lo = np.where(ok, np.maximum(s - z * se, 0.0), np.nan)
            hi = np.where(ok, np.minimum(s + z * se, 1.0), np.nan)
        else:  # pragma: no cover - checked by the caller
            msg = f"unknown conf_type {conf_type!r}"
            raise ValueError(msg)
    return lo, hi


def _approx_constant_right(xs: np.ndarray, ys: np.ndarray, xout: float) -> float:
    """R ``approx(xs, ys, xout, method="constant", f=1)`` (NA pairs dropped, rule = 1)."""
    ok = ~np.isnan(xs)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        return np.nan
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    ux, inv = np.unique(xs, return_inverse=True)
    uy = np.bincount(inv, weights=ys) / np.bincount(inv)  # ties = mean
    if xout < ux[0] or xout > ux[-1]:
        return np.nan
    j = int(np.searchsorted(ux, xout, side="left"))  # first ux >= xout
    return float(uy[j])


def quantile_from_curve(
    time: np.ndarray, surv: np.ndarray, p: float, *, tol: float = _TOL, start: float = 0.0
) -> float:
    """Time at which the event probability 1 − S(t) first reaches ``p`` (R's convention).

    ``surv`` may be a pointwise confidence band (NaN where undefined). On an exact flat at
    S = 1 − p the midpoint of the flat is returned (to the next jump, or to the last
    follow-up time when the curve ends flat). NaN when never reached.
    """
    x = np.concatenate(([start], np.asarray(time, dtype=float)))
    y = np.concatenate(([0.0], 1.0 - np.asarray(surv, dtype=float)))
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    # drop repeated values (censorings), keeping the first; NaNs count as equal (R duplicated)
    _, first = np.unique(np.where(np.isnan(y), np.inf, y), return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    idx = np.arange(1, y.size + 1, dtype=float)
    i1 = _approx_constant_right(y + tol, idx, p)
    i2 = _approx_constant_right(y - tol, idx, p)

    def at(i: float) -> float:
        return np.nan if np.isnan(i) else float(x[int(i) - 1])

    q = (at(i1) + at(i2)) / 2.0
    if p == 0:
        q = float(x[0])
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        q = (at(i1) + xmax) / 2.0
    return q


# --------------------------------------------------------------------------------------------
# Log-rank
# --------------------------------------------------------------------------------------------
def logrank_oev(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, k: int, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected (length k) and variance (k × k) of the G-rho test, as ``survdiff``.

    ``group`` holds integer codes 0..k-1. Weights are S(t-)^rho from the pooled KM.
    """
    ut, inv = np.unique(time, return_inverse=True)
    nt = ut.size
    cell = inv * k + group
    d_g = np.bincount(cell, weights=event, minlength=nt * k).reshape(nt, k)
    c_g = np.bincount(cell, minlength=nt * k).reshape(nt, k).astype(float)
    # at risk: subjects with time >= t
    n_g = np.cumsum(c_g[::-1], axis=0)[::-1]
    d = d_g.sum(axis=1)
    n = n_g.sum(axis=1)
    has = d > 0
    d_g, n_g, d, n = d_g[has], n_g[has], d[has], n[has]
    if rho != 0:
        km = np.cumprod(1.0 - d / n)
        s_minus = np.concatenate(([1.0], km[:-1]))
        w = s_minus**rho
    else:
        w = np.ones_like(d)
    frac = n_g / n[:, None]
    observed = (w[:, None] * d_g).sum(axis=0)
    expected = (w[:, None] * d[:, None] * frac).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vfac = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    var = np.einsum("t,tg,gh->gh", vfac, frac, np.eye(k)) - np.einsum(
        "t,tg,th->gh", vfac, frac, frac
    )
    # R reports unweighted observed counts; expected/variance are weighted
    observed_raw = d_g.sum(axis=0)
    return observed_raw, expected, var, observed


# --------------------------------------------------------------------------------------------
# Cox model: derivatives of the partial likelihood (one model, p covariates, strata)
# --------------------------------------------------------------------------------------------
class CoxData:
    """Sorted design for the Cox kernels: descending time within strata, tie groups, deaths."""

    def __init__(
        self, time: np.ndarray, event: np.ndarray, X: np.ndarray, strata: np.ndarray | None
    ) -> None:
        n = time.size
        s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, np.int64)
        order = np.lexsort((-event, -time, s))  # stratum, time desc (events first in ties)
        self.order = order
        self.time = time[order]
        self.event = event[order]
        self.X = X[order]
        self.strata = s[order]
        # position of the last row of each (stratum, time) tie group -> risk-set end
        key_change = np.ones(n, dtype=bool)
        key_change[1:] = (self.time[1:] != self.time[:-1]) | (self.strata[1:] != self.strata[:-1])
        group_id = np.cumsum(key_change) - 1
        n_groups = group_id[-1] + 1 if n else 0
        last = np.zeros(n_groups, dtype=np.int64)
        last[group_id] = np.arange(n)
        self.risk_end = last[group_id]  # per row
        # stratum start (cumsum offset)
        s_change = np.ones(n, dtype=bool)
        s_change[1:] = self.strata[1:] != self.strata[:-1]
        s_id = np.cumsum(s_change) - 1
        starts = np.flatnonzero(s_change)
        self.stratum_start = starts[s_id]
        # deaths: indices, their tie group, rank k within the group and group size d
        deaths = np.flatnonzero(self.event > 0)
        self.deaths = deaths
        dg = group_id[deaths]
        self.death_group = dg
        if deaths.size:
            _, first, cnt = np.unique(dg, return_index=True, return_counts=True)
            rank = np.arange(deaths.size) - np.repeat(first, cnt)
            self.death_k = rank.astype(float)
            self.death_d = np.repeat(cnt, cnt).astype(float)
            self.death_group_first = np.repeat(first, cnt)
        else:
            self.death_k = self.death_d = np.zeros(0)
            self.death_group_first = np.zeros(0, dtype=np.int64)
        self.n_group = n_groups


def _risk_sums(cd: CoxData, vals: np.ndarray) -> np.ndarray:
    """Sum of ``vals`` (n × ...) over each death's risk set (same stratum, time ≥ t)."""
    cs = np.cumsum(vals, axis=0)
    zero = np.zeros((1, *vals.shape[1:]))
    csz = np.concatenate((zero, cs), axis=0)
    end = cd.risk_end[cd.deaths]
    start = cd.stratum_start[cd.deaths]
    return csz[end + 1] - csz[start]


def _death_sums(cd: CoxData, vals: np.ndarray) -> np.ndarray:
    """Sum of ``vals`` over the tied deaths of each death's tie group (per death row)."""
    dv = vals[cd.deaths]
    cs = np.concatenate((np.zeros((1, *vals.shape[1:])), np.cumsum(dv, axis=0)), axis=0)
    first = cd.death_group_first
    # group end (exclusive) = first + d
    end = first + cd.death_d.astype(np.int64)
    return cs[end] - cs[first]


def cox_derivatives(
    cd: CoxData, beta: np.ndarray, *, ties: str, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None]:
    """Log partial likelihood, score, information and (order 3) dI/dbeta (p × p × p)."""
    X = cd.X
    p = X.shape[1]
    eta = X @ beta
    eta = eta - (eta.max() if eta.size else 0.0)  # the likelihood is shift invariant
    w = np.exp(eta)
    wx = w[:, None] * X
    wxx = wx[:, :, None] * X[:, None, :]
    R0 = _risk_sums(cd, w)
    R1 = _risk_sums(cd, wx)
    R2 = _risk_sums(cd, wxx)
    if ties == "efron":
        f = cd.death_k / cd.death_d
        S0 = R0 - f * _death_sums(cd, w)
        S1 = R1 - f[:, None] * _death_sums(cd, wx)
        S2 = R2 - f[:, None, None] * _death_sums(cd, wxx)
    else:
        S0, S1, S2 = R0, R1, R2
    xd = X[cd.deaths]
    loglik = float(np.sum(eta[cd.deaths]) - np.sum(np.log(S0)))
    a = S1 / S0[:, None]
    score = xd.sum(axis=0) - a.sum(axis=0)
    info = (S2 / S0[:, None, None]).sum(axis=0) - np.einsum("ia,ib->ab", a, a)
    d_info = None
    if order >= 3:
        wxxx = wxx[:, :, :, None] * X[:, None, None, :]
        R3 = _risk_sums(cd, wxxx)
        S3 = R3 - f[:, None, None, None] * _death_sums(cd, wxxx) if ties == "efron" else R3
        m2 = S2 / S0[:, None, None]
        m3 = S3 / S0[:, None, None, None]
        d_info = (
            m3
            - np.einsum("iab,ir->iabr", m2, a)
            - np.einsum("iar,ib->iabr", m2, a)
            - np.einsum("ibr,ia->iabr", m2, a)
            + 2 * np.einsum("ia,ib,ir->iabr", a, a, a)
        ).sum(axis=0)
    del p
    return loglik, score, info, d_info


# --------------------------------------------------------------------------------------------
# Batched univariate Cox
# --------------------------------------------------------------------------------------------
def cox_batch_newton(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    *,
    ties: str,
    max_iter: int,
    tol: float,
    chunk: int = 512,
) -> dict[str, np.ndarray]:
    """Newton–Raphson for m univariate Cox models at once (columns of X, already centred).

    Returns coef, info (observed information at coef), loglik, loglik0, converged, n_iter.
    Works on blocks of ``chunk`` features in a features × samples layout, so that the
    risk-set scans (cumulative sums) run along contiguous memory; converged features leave
    the active set.
    """
    n, m = X.shape
    cd = CoxData(time, event, np.zeros((n, 0)), None)
    deaths = cd.deaths
    n_d = deaths.size
    rs_end = cd.risk_end[deaths]
    # Efron's correction only changes deaths with k > 0 (tied deaths after the first)
    tied_rows = np.flatnonzero(cd.death_k > 0) if ties == "efron" else np.zeros(0, np.int64)
    efron = tied_rows.size > 0
    if efron:
        in_tied = cd.death_d > 1
        tied_deaths = deaths[in_tied]  # all deaths of tied groups, in order
        pos_in = np.cumsum(in_tied) - 1  # index of each death among tied_deaths
        first_t = pos_in[cd.death_group_first[tied_rows]]
        dend_t = first_t + cd.death_d[tied_rows].astype(np.int64)
        f = (cd.death_k / cd.death_d)[tied_rows][None, :]
    coef = np.zeros(m)
    info_out = np.zeros(m)
    loglik_out = np.zeros(m)
    loglik0_out = np.zeros(m)
    conv_out = np.zeros(m, dtype=bool)
    iters = 0

    def evaluate(Xs: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = Xs * beta[:, None]  # (c, n)
        shift = eta.max(axis=1)
        w = np.exp(eta - shift[:, None])
        wx = w * Xs
        wxx = wx * Xs
        S0 = np.cumsum(w, axis=1)[:, rs_end]
        S1 = np.cumsum(wx, axis=1)[:, rs_end]
        S2 = np.cumsum(wxx, axis=1)[:, rs_end]
        if efron:
            zero = np.zeros((w.shape[0], 1))
            for arr, v in ((S0, w), (S1, wx), (S2, wxx)):
                cs = np.concatenate((zero, np.cumsum(v[:, tied_deaths], axis=1)), axis=1)
                arr[:, tied_rows] -= f * (cs[:, dend_t] - cs[:, first_t])
        # diverging (monotone) features can underflow whole risk sets: NaN, never accepted
        with np.errstate(divide="ignore", invalid="ignore"):
            a = S1 / S0
            loglik = beta * xd_sum - n_d * shift - np.log(S0).sum(axis=1)
            score = xd_sum - a.sum(axis=1)
            info = (S2 / S0 - a * a).sum(axis=1)
        return loglik, score, info

    for c0 in range(0, m, chunk):
        XT = np.ascontiguousarray(X[cd.order, c0 : c0 + chunk].T)  # (c, n), time-desc order
        c = XT.shape[0]
        xd_all = XT[:, deaths].sum(axis=1)
        beta = np.zeros(c)
        xd_sum = xd_all
        loglik, score, info = evaluate(XT, beta)
        loglik0_out[c0 : c0 + c] = loglik
        conv = np.zeros(c, dtype=bool)
        act = np.flatnonzero(info > 0)
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007
            if act.size == 0:
                break
            Xa = XT[act]
            xd_sum = xd_all[act]
            b_old = beta[act]
            l_old = loglik[act]
            step = score[act] / info[act]
            new = b_old + step
            l_new, s_new, i_new = evaluate(Xa, new)
            worse = ~(l_new >= l_old - 1e-12 * np.abs(l_old))
            halvings = 0
            while worse.any() and halvings < 30:  # step-halving where the fit got worse
                step = np.where(worse, step / 2, step)
                new = b_old + step
                l2, s2, i2 = evaluate(Xa[worse], new[worse])
                l_new[worse], s_new[worse], i_new[worse] = l2, s2, i2
                worse[worse] = ~(l2 >= l_old[worse] - 1e-12 * np.abs(l_old[worse]))
                halvings += 1
            # features whose fit still got worse after the halvings stop (not converged)
            stuck = worse
            new[stuck], l_new[stuck] = b_old[stuck], l_old[stuck]
            s_new[stuck], i_new[stuck] = score[act][stuck], info[act][stuck]
            beta[act], loglik[act], score[act], info[act] = new, l_new, s_new, i_new
            done = ~stuck & (np.abs(step) < tol * (1 + np.abs(new)))
            conv[act[done]] = True
            act = act[~done & ~stuck & (i_new > 0)]
        iters = max(iters, it)
        coef[c0 : c0 + c] = beta
        info_out[c0 : c0 + c] = info
        loglik_out[c0 : c0 + c] = loglik
        conv_out[c0 : c0 + c] = conv
    return {
        "coef": coef,
        "info": info_out,
        "loglik": loglik_out,
        "loglik0": loglik0_out,
        "converged": conv_out,
        "n_iter": np.asarray(iters),
    }


# --------------------------------------------------------------------------------------------
# Concordance (Harrell's C as R's survival::concordance, vectorised over columns)
# --------------------------------------------------------------------------------------------
def _dense_ranks_rows(S: np.ndarray) -> np.ndarray:
    """1-based dense ranks along each row of ``S`` (m × n; ties share a rank)."""
    m, n = S.shape
    order = np.argsort(S, axis=1)  # ties get one dense rank whatever their order
    sorted_vals = np.take_along_axis(S, order, axis=1)
    step = np.ones((m, n), dtype=np.int64)
    step[:, 1:] = sorted_vals[:, 1:] != sorted_vals[:, :-1]
    dense_sorted = np.cumsum(step, axis=1)
    ranks = np.empty_like(dense_sorted)
    np.put_along_axis(ranks, order, dense_sorted, axis=1)
    return ranks


def concordance_counts(
    time: np.ndarray,
    event: np.ndarray,
    scores: np.ndarray,
    strata: np.ndarray | None = None,
    *,
    chunk: int = 1024,
    block: int = 8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concordant, discordant and tied-score pair counts per column of ``scores``.

    A pair is comparable when the shorter time is an event (within a stratum); a censoring
    tied with an event time counts as the longer time; two events at the same time are not
    comparable. Concordant: the shorter time has the higher score.

    Samples are put in "later first" order (time descending, censorings before events at a
    tied time); for each event the earlier samples in that order are its comparable partners.
    The counts of partners with a lower / equal score come from rank histograms updated
    block by block (prefix sums), plus direct comparisons inside a block, vectorised over
    columns; pairs of tied events are subtracted at the end.
    """
    S = scores.reshape(scores.shape[0], -1)
    n, m = S.shape
    conc = np.zeros(m)
    disc = np.zeros(m)
    tied = np.zeros(m)
    strata_codes = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    for s in np.unique(strata_codes):
        sel = np.flatnonzero(strata_codes == s)
        if sel.size < 2:
            continue
        t, e = time[sel], event[sel]
        order = np.lexsort((e, -t))
        t_o, e_o = t[order], e[order] > 0
        ns = sel.size
        # tied-event groups (positions in the order), feature independent
        ev_pos = np.flatnonzero(e_o)
        tie_groups = []
        if ev_pos.size > 1:
            tv = t_o[ev_pos]
            cut = np.flatnonzero(np.diff(tv) != 0) + 1
            tie_groups = [g for g in np.split(ev_pos, cut) if g.size > 1]
        n_before = float(ev_pos.sum())  # partners counted for each event = its position
        n_tied_pairs = float(sum(g.size * (g.size - 1) / 2 for g in tie_groups))
        rows = sel[order]
        for c0 in range(0, m, chunk):
            # features × samples layout: the scans run along contiguous rows
            R = _dense_ranks_rows(np.ascontiguousarray(S[rows, c0 : c0 + chunk].T))
            c = R.shape[0]
            width = ns + 2
            offs = np.arange(c) * width
            cnt = np.zeros((c, width), dtype=np.int64)
            flat = cnt.reshape(-1)
            less = np.zeros(c, dtype=np.int64)
            le = np.zeros(c, dtype=np.int64)
            for b0 in range(0, ns, block):
                b1 = min(b0 + block, ns)
                evb = ev_pos[(ev_pos >= b0) & (ev_pos < b1)]
                if evb.size:
                    P = np.cumsum(cnt, axis=1)  # P[:, k] = number inserted with rank <= k
                    rb = R[:, evb]
                    less += np.take_along_axis(P, rb - 1, axis=1).sum(axis=1)
                    le += np.take_along_axis(P, rb, axis=1).sum(axis=1)
                for j in range(b0, b1):
                    flat[offs + R[:, j]] += 1
            # partners earlier in the same block: pairs at distance d < block
            for d in range(1, block):
                ii = ev_pos[(ev_pos % block) >= d]
                if ii.size == 0:
                    break
                diff = R[:, ii - d] - R[:, ii]
                n_lt = np.count_nonzero(diff < 0, axis=1)
                less += n_lt
                le += n_lt + np.count_nonzero(diff == 0, axis=1)
            for g in tie_groups:  # pairs of tied events are not comparable
                G = R[:, g]
                upper = np.triu(np.ones((g.size, g.size), dtype=bool), 1)
                less -= np.count_nonzero((G[:, :, None] < G[:, None, :]) & upper, axis=(1, 2))
                le -= np.count_nonzero((G[:, :, None] <= G[:, None, :]) & upper, axis=(1, 2))
            conc[c0 : c0 + c] += less
            tied[c0 : c0 + c] += le - less
            disc[c0 : c0 + c] += (n_before - n_tied_pairs) - le
    return conc, disc, tied
