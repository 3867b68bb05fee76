"""Array kernels (numpy/scipy only) behind the public omics functions.

Conventions: ``x`` is a genes × samples float matrix; a gene set is an integer index array
into its rows. No validation happens here (the public functions do it).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

# ---------------------------------------------------------------------------------------
# ranks
# ---------------------------------------------------------------------------------------


def rank_columns(x: np.ndarray, *, ties: str = "average") -> np.ndarray:
    """Ranks of each column (1 = smallest), like R ``rank(ties.method=ties)``."""
    return stats.rankdata(x, method=ties, axis=0)


def descending_positions(score: np.ndarray) -> np.ndarray:
    """1-based position of each row when each column is sorted decreasingly.

    Ties keep row order, as R ``order(..., decreasing=TRUE)`` (radix, stable) does.
    """
    order = np.argsort(-score, axis=0, kind="stable")
    pos = np.empty_like(order)
    n = score.shape[0]
    np.put_along_axis(pos, order, np.arange(1, n + 1)[:, None].repeat(score.shape[1], 1), axis=0)
    return pos


# ---------------------------------------------------------------------------------------
# ssGSEA (Barbie et al. 2009, as implemented in GSVA 1.46)
# ---------------------------------------------------------------------------------------


def ssgsea_prepare(x: np.ndarray, *, alpha: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Integer ranks → (weights ``|R|^alpha``, descending positions), with one sort per sample.

    GSVA ranks with ties averaged and truncated to integers, then orders genes by decreasing
    rank (stable). Truncated average ranks of distinct values stay distinct and in the same
    order, so that order is the stable descending order of ``x`` itself. Work is done on the
    contiguous samples × genes transpose; the genes × samples results are views of it.
    """
    n, m = x.shape
    xt = np.ascontiguousarray(-x.T)  # samples × genes
    order = np.argsort(xt, axis=1, kind="stable")  # descending in x, ties by row
    v = np.take_along_axis(xt, order, axis=1)
    k = np.arange(n)[None, :]
    new = np.ones((m, n), dtype=bool)
    new[:, 1:] = v[:, 1:] != v[:, :-1]
    start = np.maximum.accumulate(np.where(new, k, 0), axis=1)
    last = np.ones((m, n), dtype=bool)
    last[:, :-1] = new[:, 1:]
    end = np.minimum.accumulate(np.where(last, k, n - 1)[:, ::-1], axis=1)[:, ::-1]
    w_sorted = np.abs(np.trunc(n - (start + end) / 2.0)) ** alpha  # average ascending rank
    flat = (order + (np.arange(m) * n)[:, None]).ravel()
    ra_t = np.empty(m * n)
    ra_t[flat] = w_sorted.ravel()
    pos_t = np.empty(m * n, dtype=np.int64)
    pos_t[flat] = np.broadcast_to(k + 1, (m, n)).ravel()
    return ra_t.reshape(m, n).T, pos_t.reshape(m, n).T


def ssgsea_set(ra: np.ndarray, pos: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sum of the random walk for one set in every sample (closed form)."""
    n = ra.shape[0]
    k = idx.size
    w = ra[idx]
    b = (n - pos[idx] + 1).astype(float)
    inside = (w * b).sum(axis=0) / w.sum(axis=0)
    outside = (n * (n + 1) / 2.0 - b.sum(axis=0)) / (n - k)
    return inside - outside


# ---------------------------------------------------------------------------------------
# GSVA (Hänzelmann et al. 2013; GSVA 1.46 C code conventions)
# ---------------------------------------------------------------------------------------

_MAX_PRECOMPUTE = 10.0
_RESOLUTION = 10000
_CDF_TABLE = special.ndtr(_MAX_PRECOMPUTE * np.arange(_RESOLUTION + 1) / float(_RESOLUTION))


def gsva_density(x: np.ndarray, *, kernel: str = "gaussian", chunk: int = 128) -> np.ndarray:
    """Per-gene kernel CDF statistic ``log(F/(1-F))`` of every sample (GSVA step 1).

    Gaussian: bandwidth sd/4 per gene, tabulated Φ as in GSVA's C code (so that scores match
    GSVA to rounding); Poisson: ``ppois(y, x + 0.5)`` (counts).
    """
    g, n = x.shape
    out = np.empty((g, n))
    for s in range(0, g, chunk):
        xs = x[s : s + chunk]
        if kernel == "gaussian":
            bw = np.std(xs, axis=1, ddof=1) / 4.0
            v = xs[:, :, None] - xs[:, None, :]  # [gene, j (test), i (density)]
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(v, bw[:, None, None], out=v)
            neg = v < 0
            np.abs(v, out=v)
            np.divide(v, _MAX_PRECOMPUTE, out=v)
            np.multiply(v, _RESOLUTION, out=v)
            np.minimum(v, _RESOLUTION, out=v)  # |v| > 10 -> Φ(10) == 1.0 in double
            t = _CDF_TABLE[v.astype(np.intp)]
            np.subtract(1.0, t, out=t, where=neg)  # Φ(-v) = 1 - Φ(v)
            left = t.sum(axis=2) / n
        else:  # poisson
            left = stats.poisson.cdf(xs[:, :, None], xs[:, None, :] + 0.5).sum(axis=2) / n
        with np.errstate(divide="ignore"):
            out[s : s + chunk] = -np.log((1.0 - left) / left)
    return out


def gsva_prepare(x: np.ndarray, *, kernel: str = "gaussian") -> tuple[np.ndarray, np.ndarray]:
    """(rank scores ``|n - p + 1 - n/2|``, descending positions) for every sample."""
    dens = gsva_density(x, kernel=kernel)
    pos = descending_positions(dens)
    n = x.shape[0]
    rank_score = np.abs(n - pos + 1 - n / 2.0)
    return rank_score, pos


def gsva_set(
    rank_score: np.ndarray,
    pos: np.ndarray,
    idx: np.ndarray,
    *,
    tau: float = 1.0,
    mx_diff: bool = True,
) -> np.ndarray:
    """KS-like random-walk statistic of one set in every sample.

    The running sum only rises at members and only falls between them, so its maximum is
    reached just after a member and its minimum just before one (or at the start/end).
    """
    n = rank_score.shape[0]
    k = idx.size
    p = pos[idx]  # k × N
    order = np.argsort(p, axis=0, kind="stable")
    p = np.take_along_axis(p, order, axis=0).astype(float)
    w = np.take_along_axis(rank_score[idx] ** tau, order, axis=0)
    cw = np.cumsum(w, axis=0) / w.sum(axis=0)
    j = np.arange(1, k + 1)[:, None]
    dec = 1.0 / (n - k)
    after = cw - (p - j) * dec
    before = (cw - w / w.sum(axis=0)) - (p - j) * dec
    mx_pos = np.maximum(after.max(axis=0), 0.0)
    mx_neg = np.minimum(before.min(axis=0), 0.0)
    if mx_diff:
        return mx_pos + mx_neg
    return np.where(mx_pos > np.abs(mx_neg), mx_pos, mx_neg)


# ---------------------------------------------------------------------------------------
# z-score (Lee et al. 2008) and PLAGE (Tomfohr et al. 2005)
# ---------------------------------------------------------------------------------------


def standardise_rows(x: np.ndarray) -> np.ndarray:
    """(x - mean) / sd per gene (sd with n-1)."""
    return (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)


def zscore_set(z: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Combined z: Σ z / √k."""
    return z[idx].sum(axis=0) / np.sqrt(idx.size)


def plage_set(z: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """First right singular vector of the standardised set matrix (LAPACK sign)."""
    _, _, vt = np.linalg.svd(z[idx], full_matrices=False)
    return vt[0]


# ---------------------------------------------------------------------------------------
# singscore (Foroutan et al. 2018)
# ---------------------------------------------------------------------------------------


def _mad(a: np.ndarray) -> np.ndarray:
    med = np.median(a, axis=0)
    return 1.4826 * np.median(np.abs(a - med), axis=0)


def singscore_part(
    ranks: np.ndarray, idx: np.ndarray, *, known_direction: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Uncentred normalised mean rank and MAD dispersion of one (up or down) set."""
    n = ranks.shape[0]
    k = idx.size
    if known_direction:
        low, high = (k + 1) / 2.0, (2.0 * n - k + 1) / 2.0
        r = ranks[idx]
    else:
        kk, nn = np.floor(k / 2.0), np.ceil(n / 2.0)
        low, high = (kk + 1) / 2.0, (2.0 * nn - kk + 1) / 2.0
        med = np.ceil(np.median(ranks, axis=0))
        r = np.abs(ranks[idx] - med)
    score = (r.mean(axis=0) - low) / (high - low)
    return score, _mad(r)


# ---------------------------------------------------------------------------------------
# multiple testing
# ---------------------------------------------------------------------------------------


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (R ``p.adjust(method="BH")``); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q)[::-1]
    ranked = q[order] * m / np.arange(m, 0, -1)
    adj = np.minimum.accumulate(ranked)
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


# ---------------------------------------------------------------------------------------
# preranked GSEA (Subramanian et al. 2005)
# ---------------------------------------------------------------------------------------


def gsea_running_sum(
    ranked_metric: np.ndarray, hits: np.ndarray, *, weight: float = 1.0
) -> np.ndarray:
    """Running-sum statistic along a list sorted by decreasing metric (``hits`` boolean)."""
    n = ranked_metric.size
    k = int(hits.sum())
    w = np.abs(ranked_metric) ** weight * hits
    nr = w.sum()
    step = np.where(hits, w / nr if nr > 0 else 1.0 / k, -1.0 / (n - k))
    return np.cumsum(step)


def gsea_es_batch(abs_metric_w: np.ndarray, hit_pos: np.ndarray) -> np.ndarray:
    """ES for many hit-position sets at once (rows of ``hit_pos``, 0-based, sorted).

    ``abs_metric_w`` is ``|metric|^p`` in list order. Uses the fact that the extreme of the
    running sum is reached at a hit (max) or just before one (min).
    """
    n = abs_metric_w.size
    k = hit_pos.shape[1]
    w = abs_metric_w[hit_pos]  # perms × k
    nr = w.sum(axis=1, keepdims=True)
    nr = np.where(nr > 0, nr, 1.0)
    cw = np.cumsum(w, axis=1) / nr
    j = np.arange(1, k + 1)[None, :]
    miss_before = (hit_pos - (j - 1)) / (n - k)
    after = cw - miss_before
    before = cw - w / nr - miss_before
    mx = after.max(axis=1)
    mn = before.min(axis=1)
    mn = np.minimum(mn, 0.0)
    mx = np.maximum(mx, 0.0)
    return np.where(mx >= -mn, mx, mn)


def gsea_null_es(
    abs_metric_w: np.ndarray,
    k: int,
    permutations: int,
    rng: np.random.Generator,
    *,
    chunk: int = 2000,
) -> np.ndarray:
    """Null ES from random gene sets of size ``k`` (gene-set permutation, preranked)."""
    n = abs_metric_w.size
    out = np.empty(permutations)
    for s in range(0, permutations, chunk):
        m = min(chunk, permutations - s)
        keys = rng.random((m, n), dtype=np.float32)
        pos = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
        out[s : s + m] = gsea_es_batch(abs_metric_w, pos)
    return out


def gsea_nes_p(es: float, null: np.ndarray) -> tuple[float, float, np.ndarray]:
    """GSEA desktop: NES = ES / mean(same-sign null), nominal p, and the normalised null."""
    pos = null[null >= 0]
    neg = null[null < 0]
    mpos = pos.mean() if pos.size else np.nan
    mneg = -neg.mean() if neg.size else np.nan
    null_nes = np.where(null >= 0, null / mpos, null / mneg)
    if es >= 0:
        nes = es / mpos
        p = (pos >= es).sum() / pos.size if pos.size else np.nan
    else:
        nes = es / mneg
        p = (neg <= es).sum() / neg.size if neg.size else np.nan
    return float(nes), float(p), null_nes


def gsea_fdr(nes: np.ndarray, null_nes: list[np.ndarray]) -> np.ndarray:
    """GSEA desktop FDR q-values from observed NES and each set's normalised null NES.

    For NES* ≥ 0 and each permutation π, the fraction of sets whose null NES ≥ NES* among
    those with null NES ≥ 0 is averaged over permutations (permutations without a
    non-negative null NES are skipped), then divided by the fraction of observed NES ≥ NES*
    among observed NES ≥ 0; mirrored for NES* < 0; capped at 1.
    """
    m = np.vstack(null_nes)  # sets × permutations
    pos_n = (m >= 0).sum(axis=0).astype(float)
    neg_n = (m < 0).sum(axis=0).astype(float)
    pos_n[pos_n == 0] = np.nan
    neg_n[neg_n == 0] = np.nan
    q = np.full(nes.shape, np.nan)
    for i, v in enumerate(nes):
        if np.isnan(v):
            continue
        with np.errstate(invalid="ignore"):
            if v >= 0:
                num = np.nanmean((m >= v).sum(axis=0) / pos_n)
                den = (nes >= v).sum() / (nes >= 0).sum()
            else:
                num = np.nanmean((m <= v).sum(axis=0) / neg_n)
                den = (nes <= v).sum() / (nes < 0).sum()
        q[i] = min(num / den, 1.0)
    return q


def gsea_fwer(nes: np.ndarray, null_nes: list[np.ndarray]) -> np.ndarray:
    """Family-wise error: fraction of permutations whose most extreme same-sign NES beats NES*."""
    m = np.vstack(null_nes)  # sets × perms
    mx = np.where(m >= 0, m, -np.inf).max(axis=0)
    mn = np.where(m < 0, m, np.inf).min(axis=0)
    out = np.empty(nes.shape)
    for i, v in enumerate(nes):
        out[i] = np.mean(mx >= v) if v >= 0 else np.mean(mn <= v)
    return out
