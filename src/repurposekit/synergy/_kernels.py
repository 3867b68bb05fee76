"""Array kernels for SynergyFinder's reference models (private; numpy only).

Blocks of the same shape are stacked: ``resp`` has shape ``(n_blocks, n_1, ..., n_K)`` in %
inhibition (NaN = missing cell), axis ``k`` indexed by the ascending doses of drug ``k``
whose first dose is 0 (the monotherapy edge). ``doses[k]`` has shape ``(n_blocks, n_k)``,
already strictly positive (SynergyFinder replaces a zero dose by 1e-10 in the input's unit
before fitting; the caller does that).

Conventions (SynergyFinder 3.x, ``CalculateSynergy``):

* single-drug responses ``s_k`` are the observed responses along each axis with every other
  drug at 0; the no-drug control enters the Bliss product of 3+ drug blocks;
* a cell is a *combination* cell when every drug is present; cells with at most one drug get
  reference = observed, synergy = 0 (SynergyFinder's per-cell output);
* synergy = observed − reference (percentage points of inhibition, positive = synergy).
"""

from __future__ import annotations

import numpy as np

from repurposekit.synergy._ll4 import fit_ll4, ll4

__all__ = [
    "FIT_STATUS",
    "bliss",
    "block_summary",
    "fit_curves",
    "fit_status",
    "hsa",
    "loewe",
    "n_present",
    "relative_inhibition",
    "sf_dose_for_response",
    "single_fits",
    "single_responses",
    "zip_curves",
    "zip_scores",
]


def _edge_index(ndim: int, k: int) -> tuple:
    """Index selecting axis k (1-based after the block axis) with every other drug at dose 0."""
    return tuple([slice(None)] + [slice(None) if j == k else 0 for j in range(ndim)])


def _expand(v: np.ndarray, ndim: int, k: int) -> np.ndarray:
    """Reshape (B, n_k) so it broadcasts along axis k of a (B, n_1..n_K) array."""
    shape = [v.shape[0]] + [1] * ndim
    shape[k + 1] = v.shape[1]
    return v.reshape(shape)


def n_present(shape: tuple[int, ...]) -> np.ndarray:
    """Number of drugs present (dose index > 0) in each cell of a (n_1..n_K) grid."""
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return sum((g > 0).astype(int) for g in grids)


def single_responses(resp: np.ndarray) -> list[np.ndarray]:
    """Observed monotherapy responses of each drug, shape (B, n_k) each."""
    K = resp.ndim - 1
    return [resp[_edge_index(K, k)] for k in range(K)]


def _finish(resp: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells with at most one drug present: reference = observed; synergy = observed − ref."""
    mono = n_present(resp.shape[1:]) <= 1
    ref = np.where(mono, resp, ref)
    return ref, resp - ref


def bliss(resp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bliss independence reference ``100 (1 − Π (1 − s_k/100))`` and synergy."""
    K = resp.ndim - 1
    prod = np.ones_like(resp)
    for k, s in enumerate(single_responses(resp)):
        prod = prod * (1.0 - _expand(s, K, k) / 100.0)
    return _finish(resp, 100.0 * (1.0 - prod))


def hsa(resp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest-single-agent reference ``max_k s_k`` and synergy."""
    K = resp.ndim - 1
    ref = np.full_like(resp, -np.inf)
    for k, s in enumerate(single_responses(resp)):
        ref = np.maximum(ref, _expand(s, K, k))
    return _finish(resp, ref)


def fit_curves(
    x: np.ndarray, y: np.ndarray, c_fixed: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """drc LL.4 fits of many curves in one batch, as SynergyFinder's ``FitDoseResponse``.

    ``x``/``y`` have shape (n_curves, n_points) (NaN-padded rows are masked); ``c_fixed``
    (n_curves,) fixes drc's ``c`` (the zero-dose side of a rising curve) where finite.
    A curve whose responses are all equal gets 1e-10 added to its last response, as
    SynergyFinder does so that drc can fit it.
    """
    fixed = None if c_fixed is None else {"c": c_fixed}
    return fit_ll4(x, _jitter_flat(y), fixed=fixed)


def single_fits(resp: np.ndarray, doses: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """drc LL.4 fit of each drug's monotherapy edge (zero dose included, as SynergyFinder).

    All drugs of all blocks are fitted in one batch call (rows NaN-padded to a common length).
    """
    singles = single_responses(resp)
    B = resp.shape[0]
    width = max(s.shape[1] for s in singles)
    x = np.ones((len(singles) * B, width))
    y = np.full((len(singles) * B, width), np.nan)
    for k, (s, d) in enumerate(zip(singles, doses, strict=True)):
        x[k * B : (k + 1) * B, : s.shape[1]] = d
        y[k * B : (k + 1) * B, : s.shape[1]] = s
    f = fit_curves(x, y)
    names = ("b", "c", "d", "e", "converged")
    return [{n: f[n][k * B : (k + 1) * B] for n in names} for k in range(len(singles))]


#: Labels of the per-drug monotherapy fit status codes of :func:`fit_status`.
FIT_STATUS = (
    "ok",
    "EC50 below tested doses",
    "EC50 above tested doses",
    "not converged (not identifiable)",
)


def fit_status(fits: list[dict[str, np.ndarray]], doses: list[np.ndarray]) -> np.ndarray:
    """Per-drug status code of the monotherapy LL.4 fits, shape (n_blocks, K).

    0 = well determined; 1 = EC50 more than 100x below the lowest non-zero dose (a step before
    the first dose); 2 = EC50 more than 100x above the highest dose (no plateau); 3 = the
    optimiser did not converge (typically a step between two doses: the slope has no finite
    optimum). Labels in :data:`FIT_STATUS`. On codes 1-3, ZIP, Loewe, RI
    and CSS depend on where an optimiser stops and may differ from drc's (SynergyFinder); a
    block is flagged (``fit_flag``) when any of its drugs has a code > 0.
    """
    codes = np.zeros((doses[0].shape[0], len(fits)), dtype=np.int8)
    for k, (f, d) in enumerate(zip(fits, doses, strict=True)):
        lo, hi = d[:, 1], d[:, -1]
        codes[:, k] = np.select(
            [~f["converged"], f["e"] > hi * 100, f["e"] < lo / 100], [3, 2, 1], default=0
        )
    return codes


def _jitter_flat(y: np.ndarray) -> np.ndarray:
    """SynergyFinder adds 1e-10 to the last response when all are equal (so drc can fit)."""
    y = np.array(y, dtype=float)
    with np.errstate(invalid="ignore"):
        flat = np.nanmax(y, axis=1) == np.nanmin(y, axis=1)
    if flat.any():
        last = y.shape[1] - 1 - np.argmax(np.isfinite(y[:, ::-1]), axis=1)
        rows = np.flatnonzero(flat)
        y[rows, last[rows]] += 1e-10
    return y


def _predict(fit: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return ll4(x, fit["b"][:, None], fit["c"][:, None], fit["d"][:, None], fit["e"][:, None])


def zip_curves(resp: np.ndarray, doses: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """The row/column curves ZIP needs: one per drug and per fixed dose of its partners.

    For drug ``k`` and each combination of the partners' doses with at least one partner
    present, the curve runs over all of drug ``k``'s doses, zero (its surrogate dose)
    included, with ``c`` fixed at the observed response where drug ``k`` is absent
    (SynergyFinder: ``FitDoseResponse(x, Emin = baseline, Emax = NA)``).
    Returns, per drug, ``x, y, c, use`` (rows of the moved-axis array) for :func:`zip_scores`.
    """
    K = resp.ndim - 1
    B = resp.shape[0]
    out = []
    for k in range(K):
        moved = np.moveaxis(resp, k + 1, -1)  # (B, others..., n_k)
        n_k = moved.shape[-1]
        other_shape = moved.shape[1:-1]
        y = moved.reshape(-1, n_k)
        m = int(np.prod(other_shape))
        x = np.broadcast_to(doses[k][:, None, :], (B, m, n_k)).reshape(-1, n_k)
        some_partner = (n_present(other_shape) >= 1).reshape(-1)
        use = np.broadcast_to(some_partner, (B, m)).reshape(-1)
        out.append({"x": x, "y": y, "c": y[:, 0], "use": use, "shape": moved.shape})
    return out


def zip_scores(
    resp: np.ndarray,
    doses: list[np.ndarray],
    fits: list[dict[str, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZIP (SynergyFinder 3): fitted surface, reference and delta score.

    Reference: Bliss combination of the fitted monotherapy curves, evaluated at every
    drug's dose (an absent drug at its zero-dose surrogate, as SynergyFinder predicts it).
    Fitted surface: for each drug ``k`` and each fixed combination of the partners, an LL.4
    over all of drug ``k``'s doses (zero included) with ``c`` fixed at the observed response
    without drug ``k`` (``d``, ``b``, ``e`` free); the fitted surface at a cell is the mean of
    the K directional fits through it. Cells with at most one drug present get fit =
    reference = observed and score 0. All curves of all blocks are fitted in one batch.
    Returns ``(zip_fit, zip_ref, zip_synergy)``.
    """
    K = resp.ndim - 1
    if fits is None:
        fits = single_fits(resp, doses)
    prod = np.ones_like(resp)
    for k in range(K):
        pred = _predict(fits[k], doses[k])
        prod = prod * (1.0 - _expand(pred, K, k) / 100.0)
    ref = 100.0 * (1.0 - prod)
    curves = zip_curves(resp, doses)
    # one padded batch for every direction
    width = max(c["y"].shape[1] for c in curves)
    xs, ys, cs, counts = [], [], [], []
    for c in curves:
        u = c["use"] & (c["y"].shape[1] > 2)
        n_use = int(u.sum())
        x = np.ones((n_use, width))
        y = np.full((n_use, width), np.nan)
        x[:, : c["x"].shape[1]] = c["x"][u]
        y[:, : c["y"].shape[1]] = c["y"][u]
        xs.append(x)
        ys.append(y)
        cs.append(c["c"][u])
        counts.append(n_use)
    f = fit_curves(np.vstack(xs), np.vstack(ys), np.concatenate(cs)) if sum(counts) else None
    total = np.zeros_like(resp)
    count = np.zeros(resp.shape, dtype=int)
    start = 0
    for k, c in enumerate(curves):
        n_k = c["y"].shape[1]
        fitted = np.full_like(c["y"], np.nan)
        if n_k == 2:
            # zero dose + one dose: the curve passes through both points
            fitted[c["use"]] = c["y"][c["use"]]
        elif counts[k]:
            sl = slice(start, start + counts[k])
            pred = ll4(
                c["x"][c["use"]],
                f["b"][sl, None],
                f["c"][sl, None],
                f["d"][sl, None],
                f["e"][sl, None],
            )
            bad = ~np.isfinite(pred)
            pred[bad] = c["y"][c["use"]][bad]
            fitted[c["use"]] = pred
        start += counts[k]
        full = np.moveaxis(fitted.reshape(c["shape"]), -1, k + 1)
        ok = np.isfinite(full)
        total += np.where(ok, full, 0.0)
        count += ok
    several = n_present(resp.shape[1:]) >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        surface = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
    surface = np.where(several, surface, resp)
    ref = np.where(several, ref, resp)
    return surface, ref, np.where(several, surface - ref, 0.0)


def sf_dose_for_response(y, b, c, d, e) -> np.ndarray:
    """Dose of an LL.4 curve giving response ``y``, with SynergyFinder's out-of-range rule.

    ``e ((y - d) / (c - y))^(1/b)``; where that is undefined (``y`` outside the curve's range)
    the dose is ``inf`` when ``y`` exceeds both asymptotes and 0 otherwise
    (SynergyFinder's ``.SolveExpDoesLL4``).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = (y - d) / (c - y)
        x = e * np.power(ratio, 1.0 / b)
    return np.where(np.isnan(x), np.where(y > np.maximum(c, d), np.inf, 0.0), x)


def loewe(
    resp: np.ndarray,
    doses: list[np.ndarray],
    fits: list[dict[str, np.ndarray]] | None = None,
    *,
    n_steps: int = 100,
    exact: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Loewe additivity reference and synergy, as SynergyFinder 3 computes them.

    ``doses`` are the raw doses (0 for an absent drug); ``fits`` the monotherapy LL.4 fits
    (same dose unit). For a cell with at least two drugs present and observed response
    ``y``:

    * if no drug alone can reach ``y`` (``y`` above both asymptotes of every drug), the
      reference is the largest monotherapy curve evaluated at the summed dose;
    * otherwise the reference is the point of a grid of ``n_steps`` responses, evenly spaced
      from the lowest to the highest asymptote of all drugs, that minimises
      ``|Σ_k x_k / D_k(y) − 1|`` (first minimum; ``D_k`` the inverse of drug k's curve with
      the out-of-range rule of :func:`sf_dose_for_response`).

    The grid search is SynergyFinder's ``.SolveLoewe``: its value solves the Loewe equation
    only to the grid resolution (1/99 of the response range), and is kept as it is for
    parity. With ``exact=True`` the grid minimum is refined by bisection on the bracket of
    its two neighbours wherever ``Σ_k x_k / D_k(y) − 1`` changes sign there, so the
    reference solves the Loewe equation (a drug combined with itself then scores 0).
    Cells with at most one drug present get reference = observed.

    The inverse curves are evaluated on each block's grid once per drug (``(B, n_steps)``);
    the search over cells × grid runs in cache-sized chunks of blocks into preallocated
    buffers, and only over the cells with at least two drugs present.
    """
    K = resp.ndim - 1
    B = resp.shape[0]
    if fits is None:
        msg = "loewe needs the monotherapy fits (in the same dose unit as doses)"
        raise ValueError(msg)
    shape = resp.shape[1:]
    flat_resp = resp.reshape(B, -1)
    sel = np.flatnonzero(n_present(shape).reshape(-1) >= 2)  # cells that get a reference
    ref = flat_resp.copy()
    if sel.size == 0 or B == 0:
        return _finish(resp, ref.reshape(resp.shape))
    pos = np.unravel_index(sel, shape)
    xs = [doses[k][:, pos[k]] for k in range(K)]  # (B, S) raw doses of the scored cells
    y = flat_resp[:, sel]
    par = [{n: fits[k][n][:, None] for n in "bcde"} for k in range(K)]
    unreachable = np.ones(y.shape, dtype=bool)
    for k in range(K):
        unreachable &= ~np.isfinite(sf_dose_for_response(y, **par[k]))
    lo = np.min([np.minimum(p["c"], p["d"]) for p in par], axis=0)  # (B, 1)
    hi = np.max([np.maximum(p["c"], p["d"]) for p in par], axis=0)
    steps = np.arange(n_steps) / (n_steps - 1)
    y_test = lo + (hi - lo) * steps[None, :]  # (B, n_steps)
    y_test[:, -1] = hi[:, 0]
    dk = [sf_dose_for_response(y_test, **par[k]) for k in range(K)]  # (B, n_steps), once
    best, worst_case = _loewe_grid_argmin(xs, dk)
    grid_ref = np.take_along_axis(y_test, best, axis=1)
    if worst_case.any():
        # every finite distance is missing (only inf/NaN): R's which(dist == min(dist,
        # na.rm = TRUE))[1] is the first inf, or NA when all are NaN (rare; done per cell)
        bi, si = np.nonzero(worst_case)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tot = sum(xs[k][bi, si][:, None] / dk[k][bi] for k in range(K))
            dist = np.abs(tot - 1.0)
        is_inf = dist == np.inf
        first_inf = np.argmax(is_inf, axis=1)
        has_inf = is_inf.any(axis=1)
        best[bi[has_inf], si[has_inf]] = first_inf[has_inf]
        grid_ref[bi, si] = np.where(has_inf, y_test[bi, first_inf], np.nan)  # else all NaN
    if exact:
        grid_ref = _refine_loewe(grid_ref, best, y_test, xs, par, n_steps)
    xsum = sum(xs)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fallback = np.max([ll4(xsum, p["b"], p["c"], p["d"], p["e"]) for p in par], axis=0)
    ref[:, sel] = np.where(unreachable, fallback, grid_ref)
    return _finish(resp, ref.reshape(resp.shape))


_LOEWE_CHUNK = 1 << 16  # elements (cells × grid) per chunk: temporaries stay in cache


def _loewe_grid_argmin(xs: list[np.ndarray], dk: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """First grid index minimising ``|Σ_k x_k / D_k(y_t) − 1|`` for every (block, cell).

    ``xs[k]`` (B, S) doses, ``dk[k]`` (B, T) inverse curves on the grid. NaN distances are
    ignored; returns ``(best, worst)`` with ``worst`` True where no distance is finite
    (those cells need R's tie rule for inf/NaN, applied by the caller).
    """
    B, S = xs[0].shape
    T = dk[0].shape[1]
    cb = int(max(1, min(B, _LOEWE_CHUNK // max(S * T, 1))))
    tot = np.empty((cb, S, T))
    tmp = np.empty((cb, S, T)) if len(xs) > 1 else None
    nan = np.empty((cb, S, T), dtype=bool)
    best = np.empty((B, S), dtype=np.intp)
    worst = np.empty((B, S), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for s in range(0, B, cb):
            e = min(B, s + cb)
            t = tot[: e - s]
            np.divide(xs[0][s:e, :, None], dk[0][s:e, None, :], out=t)
            for k in range(1, len(xs)):
                u = tmp[: e - s]
                np.divide(xs[k][s:e, :, None], dk[k][s:e, None, :], out=u)
                np.add(t, u, out=t)
            np.subtract(t, 1.0, out=t)
            np.abs(t, out=t)
            m = nan[: e - s]
            np.isnan(t, out=m)
            np.copyto(t, np.inf, where=m)
            b = t.argmin(axis=2)
            best[s:e] = b
            worst[s:e] = np.take_along_axis(t, b[:, :, None], axis=2)[:, :, 0] == np.inf
    return best, worst


def _refine_loewe(grid_ref, best, y_test, xs, par, n_steps, n_bisect: int = 60):
    """Bisection of ``Σ x_k / D_k(y) − 1`` on ``[y_(best−1), y_(best+1)]`` where it brackets.

    Only the bracketing cells are bisected (as flat vectors); the others keep ``grid_ref``.
    """
    K = len(xs)

    def g(yv, xk, pk):
        tot = np.zeros_like(yv)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for k in range(K):
                tot = tot + xk[k] / sf_dose_for_response(yv, **pk[k])
        return tot - 1.0

    lo_i = np.clip(best - 1, 0, n_steps - 1)
    hi_i = np.clip(best + 1, 0, n_steps - 1)
    a = np.take_along_axis(y_test, lo_i, axis=1)
    b = np.take_along_axis(y_test, hi_i, axis=1)
    ga, gb = g(a, xs, par), g(b, xs, par)
    ok = np.isfinite(ga) & np.isfinite(gb) & (np.sign(ga) != np.sign(gb))
    bi, si = np.nonzero(ok)
    if bi.size == 0:
        return grid_ref
    xk = [x[bi, si] for x in xs]
    pk = [{n: p[n][bi, 0] for n in "bcde"} for p in par]
    a, b, ga = a[bi, si], b[bi, si], ga[bi, si]
    for _ in range(n_bisect):
        mid = 0.5 * (a + b)
        gm = g(mid, xk, pk)
        left = np.sign(gm) == np.sign(ga)
        a = np.where(left, mid, a)
        ga = np.where(left, gm, ga)
        b = np.where(left, b, mid)
    out = grid_ref.copy()
    out[bi, si] = 0.5 * (a + b)
    return out


def block_summary(
    synergy: np.ndarray, *, combo: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Block mean over combination cells and SynergyFinder's p-value.

    ``p = exp(−0.717 z − 0.416 z²)`` with ``z = |mean| / sd`` over the combination cells
    (Altman & Bland's approximation, as SynergyFinder computes it).
    """
    K = synergy.ndim - 1
    if combo is None:
        combo = n_present(synergy.shape[1:]) == K
    v = np.where(combo, synergy, np.nan).reshape(synergy.shape[0], -1)
    n = np.isfinite(v).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(v, axis=1) / n
        var = np.nansum((v - mean[:, None]) ** 2, axis=1) / (n - 1)
        z = np.abs(mean) / np.sqrt(var)
        p = np.exp(-0.717 * z - 0.416 * z * z)
    mean = np.where(n > 0, mean, np.nan)
    return mean, np.where(n > 1, p, np.nan)


def _own_log(b: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    arg = b * (c - x) * np.log(10.0)
    return np.where(arg > 700, arg, np.log1p(np.exp(np.minimum(arg, 700))))


def relative_inhibition(dose: np.ndarray, response: np.ndarray) -> np.ndarray:
    """SynergyFinder's RI: normalised area under the fitted LL.4 over log10 dose (rows = curves).

    Zero doses are dropped; a single remaining dose returns its response. The area runs from
    the lowest to the highest non-zero dose, divided by the log10 dose span, in % (rounded to 3
    decimals like SynergyFinder).
    """
    dose = np.asarray(dose, dtype=float)
    response = np.asarray(response, dtype=float)
    keep = (dose > 0) & np.isfinite(response)
    out = np.full(dose.shape[0], np.nan)
    npos = keep.sum(axis=1)
    one = npos == 1
    if one.any():
        out[one] = np.where(keep[one], response[one], 0).sum(axis=1)
    many = npos > 1
    if many.any():
        x = np.where(keep[many], dose[many], np.nan)
        y = _jitter_flat(np.where(keep[many], response[many], np.nan))
        f = fit_ll4(np.where(np.isfinite(x), x, 1.0), y, mask=keep[many])
        c1 = np.log10(np.nanmin(x, axis=1))
        c2 = np.log10(np.nanmax(x, axis=1))
        b, c, d, m = f["b"], f["c"] / 100, f["d"] / 100, np.log10(f["e"])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):

            def part(cc):
                return (d - c) * _own_log(-b, cc, m) / ((-b) * np.log(10.0)) + c * cc

            score = (part(c2) - part(c1)) / (c2 - c1) * 100.0
        out[many] = np.round(score, 3)
    return out


def correct_baseline(resp: np.ndarray, doses: list[np.ndarray], method: str) -> np.ndarray:
    """SynergyFinder's baseline correction (``"non"``, ``"part"``, ``"all"``).

    The baseline is the lowest fitted monotherapy response of any drug in the block;
    ``y' = y − (100 − y)/100 · baseline`` is applied to every cell (``"all"``) or to the
    negative cells only (``"part"``).
    """
    if method == "non":
        return resp
    fits = single_fits(resp, doses)
    base = np.min(
        [np.nanmin(_predict(f, x), axis=1) for f, x in zip(fits, doses, strict=False)], axis=0
    )
    base = base.reshape((-1,) + (1,) * (resp.ndim - 1))
    adj = resp - (100.0 - resp) / 100.0 * base
    if method == "part":
        return np.where(resp < 0, adj, resp)
    return adj
