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

from repurposekit.synergy._ll4 import fit_ll4, ll4, ll4_inverse

__all__ = [
    "bliss",
    "block_summary",
    "hsa",
    "loewe",
    "n_present",
    "relative_inhibition",
    "single_fits",
    "single_responses",
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
    resp.ndim - 1
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


def single_fits(resp: np.ndarray, doses: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """drc LL.4 fit of each drug's monotherapy edge (zero dose included, as SynergyFinder)."""
    fits = []
    for s, x in zip(single_responses(resp), doses, strict=False):
        fits.append(fit_ll4(x, _jitter_flat(s)))
    return fits


def _jitter_flat(y: np.ndarray) -> np.ndarray:
    """SynergyFinder adds 1e-10 to the last response when all are equal (so drc can fit)."""
    y = np.array(y, dtype=float)
    with np.errstate(invalid="ignore"):
        flat = np.nanmax(y, axis=1) == np.nanmin(y, axis=1)
    if flat.any():
        y[flat, -1] += 1e-10
    return y


def _predict(fit: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return ll4(x, fit["b"][:, None], fit["c"][:, None], fit["d"][:, None], fit["e"][:, None])


def zip_scores(
    resp: np.ndarray,
    doses: list[np.ndarray],
    fits: list[dict[str, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZIP (SynergyFinder 3): fitted surface, reference and delta score.

    Reference: Bliss combination of the fitted monotherapy curves. Fitted surface: for each
    drug ``k`` and each fixed combination of the partners, an LL.4 over drug ``k``'s non-zero
    doses with the lower asymptote ``c`` fixed at the observed response without drug ``k``
    (``d``, ``b``, ``e`` free); the fitted surface is the mean of these fits over the drugs
    present in the cell. Returns ``(zip_fit, zip_ref, zip_synergy)``.
    """
    K = resp.ndim - 1
    B = resp.shape[0]
    if fits is None:
        fits = single_fits(resp, doses)
    prod = np.ones_like(resp)
    for k in range(K):
        pred = _predict(fits[k], doses[k])
        prod = prod * (1.0 - _expand(pred, K, k) / 100.0)
    ref = 100.0 * (1.0 - prod)
    total = np.zeros_like(resp)
    count = np.zeros(resp.shape, dtype=int)
    for k in range(K):
        moved = np.moveaxis(resp, k + 1, -1)  # (B, others..., n_k)
        n_k = moved.shape[-1]
        other_shape = moved.shape[1:-1]
        y = moved[..., 1:].reshape(-1, n_k - 1)
        cfix = moved[..., 0].reshape(-1)
        x = np.broadcast_to(doses[k][:, None, 1:], (B, int(np.prod(other_shape)), n_k - 1)).reshape(
            -1, n_k - 1
        )
        # only curves whose partners are all present are needed (combination cells)
        others_present = n_present(other_shape) == len(other_shape)
        use = np.broadcast_to(others_present.reshape(1, -1), (B, others_present.size)).reshape(-1)
        fitted = np.full_like(y, np.nan)
        if n_k - 1 == 1:
            fitted[use] = y[use] - 1e-10
        elif use.any():
            f = fit_ll4(x[use], _jitter_flat(y[use]), fixed={"c": cfix[use]})
            pred = ll4(x[use], f["b"][:, None], f["c"][:, None], f["d"][:, None], f["e"][:, None])
            bad = ~np.isfinite(pred).all(axis=1)
            pred[bad] = y[use][bad]
            fitted[use] = pred
        full = np.full(moved.shape, np.nan)
        full[..., 1:] = fitted.reshape((*moved.shape[:-1], n_k - 1))
        full = np.moveaxis(full, -1, k + 1)
        ok = np.isfinite(full)
        total += np.where(ok, full, 0.0)
        count += ok
    combo = n_present(resp.shape[1:]) == K
    with np.errstate(invalid="ignore", divide="ignore"):
        fitted_surface = np.where(combo, total / np.where(count > 0, count, 1), resp)
    fitted_surface = np.where(combo & (count == 0), np.nan, fitted_surface)
    ref = np.where(combo, ref, resp)
    return fitted_surface, ref, np.where(combo, fitted_surface - ref, 0.0)


def loewe(
    resp: np.ndarray,
    doses: list[np.ndarray],
    fits: list[dict[str, np.ndarray]] | None = None,
    *,
    n_grid: int = 64,
    n_bisect: int = 60,
) -> tuple[np.ndarray, np.ndarray]:
    """Loewe additivity reference (solve Σ_k x_k / D_k(y) = 1) and synergy.

    ``D_k(y)`` is the inverse of drug k's fitted LL.4 curve. The root is searched on the
    range where every ``D_k`` is defined (a scan then bisection, the root nearest the lower
    end as SynergyFinder's Newton start ``max(c_k) + 1`` finds it). Where no root exists,
    SynergyFinder's fallback is used: the largest of the monotherapy curves evaluated at the
    summed dose. The reference is capped at 100.
    """
    K = resp.ndim - 1
    B = resp.shape[0]
    if fits is None:
        fits = single_fits(resp, doses)
    grids = np.meshgrid(*[np.arange(n) for n in resp.shape[1:]], indexing="ij")
    cells = int(np.prod(resp.shape[1:]))
    xs = []
    for k in range(K):
        idx = grids[k].reshape(-1)
        xs.append(doses[k][:, idx])  # (B, cells)
    par = [{n: fits[k][n][:, None] for n in "bcde"} for k in range(K)]
    lo = np.max([np.minimum(p["c"], p["d"]) for p in par], axis=0)  # (B,1)
    hi = np.min([np.maximum(p["c"], p["d"]) for p in par], axis=0)
    valid = (hi > lo) & np.isfinite(lo) & np.isfinite(hi)

    def g(yv: np.ndarray) -> np.ndarray:
        tot = np.zeros(np.broadcast_shapes(yv.shape, (B, cells)))
        for k in range(K):
            p = par[k]
            dk = ll4_inverse(yv, p["b"], p["c"], p["d"], p["e"])
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                tot = tot + xs[k] / dk
        return tot - 1.0

    # scan in a logistic coordinate so both ends of (lo, hi) are explored finely
    t = np.linspace(-12, 12, n_grid)
    frac = 1.0 / (1.0 + np.exp(-t))
    yl = np.zeros((B, cells))
    yh = np.zeros((B, cells))
    found = np.zeros((B, cells), dtype=bool)
    prev_y = None
    prev_g = None
    for fr in frac:
        yv = np.broadcast_to(lo + (hi - lo) * fr, (B, cells))
        gv = g(yv)
        if prev_g is not None:
            change = (
                (~found) & np.isfinite(gv) & np.isfinite(prev_g) & (np.sign(gv) != np.sign(prev_g))
            )
            yl = np.where(change, prev_y, yl)
            yh = np.where(change, yv, yh)
            found |= change
        prev_y, prev_g = yv, gv
    found &= valid
    gl = g(yl)
    for _ in range(n_bisect):
        mid = 0.5 * (yl + yh)
        gm = g(mid)
        same = np.sign(gm) == np.sign(gl)
        yl = np.where(same, mid, yl)
        gl = np.where(same, gm, gl)
        yh = np.where(same, yh, mid)
    root = 0.5 * (yl + yh)
    xsum = sum(xs)
    fallback = np.max([ll4(xsum, p["b"], p["c"], p["d"], p["e"]) for p in par], axis=0)
    ref = np.where(found, root, fallback)
    ref = np.minimum(ref, 100.0).reshape(resp.shape)
    return _finish(resp, ref)


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
