"""Vectorised four-parameter log-logistic (drc ``LL.4``) fits, as SynergyFinder uses them.

Private numpy kernel. ``f(x) = c + (d - c) / (1 + exp(b (log x - log e)))`` (drc's LL.4
parameterisation; ``b < 0`` for a curve that rises with dose). Many curves are fitted at once
with a batched Levenberg–Marquardt on ``(b, c, d, log e)``; any of ``b, c, d, e`` may be fixed
per curve (NaN = free).

Starting values follow drc's self-starter (``findcd`` + ``findbe1``): ``c``/``d`` just outside
the response range and ``b``, ``e`` from the least-squares line of
``log((d - y)/(y - c))`` on ``log x``. From that single start the fitter finds the local least
squares optimum, as ``drc::drm`` does; it is the same point as drc's whenever the fit is
well-determined. On degenerate data (flat or one-step responses) drc's BFGS may stop at a
different point, and so may we.

TODO(consolidate): the dose-response stage owns ``repurposekit.curves._kernels``; when it
provides ``fit_ll4_batch`` with per-curve fixed parameters and a drc-style start, this module
should become a thin wrapper around it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_ll4", "ll4", "ll4_inverse"]

_PARAMS = ("b", "c", "d", "e")


def ll4(x: np.ndarray, b, c, d, e) -> np.ndarray:
    """drc LL.4 ``c + (d - c) / (1 + exp(b (log x - log e)))`` (broadcasting; ``x = 0`` allowed)."""
    x = np.asarray(x, dtype=float)
    b, c, d, e = (np.asarray(v, dtype=float) for v in (b, c, d, e))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = b * (np.log(x) - np.log(e))
        s = np.where(
            z > 0, np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))), 1.0 / (1.0 + np.exp(-np.abs(z)))
        )
        s = np.where(np.isnan(z), np.nan, s)
    return c + (d - c) * s


def ll4_inverse(y, b, c, d, e) -> np.ndarray:
    """Dose giving response ``y`` on an LL.4 curve (NaN outside the open range of c..d)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = (d - y) / (y - c)
        out = e * np.power(ratio, 1.0 / b)
    return np.where(ratio > 0, out, np.nan)


def _start(lx: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """drc-style starting values, vectorised over curves (rows)."""
    big = np.where(w > 0, y, -np.inf).max(axis=1)
    small = np.where(w > 0, y, np.inf).min(axis=1)
    span = big - small
    c0 = small - 1e-3 * span
    d0 = big + 1e-3 * span
    with np.errstate(divide="ignore", invalid="ignore"):
        ty = np.log((d0[:, None] - y) / (y - c0[:, None]))
    ok = (w > 0) & np.isfinite(ty)
    n = ok.sum(axis=1)
    lxm = np.where(ok, lx, 0.0).sum(axis=1) / np.maximum(n, 1)
    tym = np.where(ok, ty, 0.0).sum(axis=1) / np.maximum(n, 1)
    dx = np.where(ok, lx - lxm[:, None], 0.0)
    dy = np.where(ok, ty - tym[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    slope = np.where(sxx > 0, (dx * dy).sum(axis=1) / np.where(sxx > 0, sxx, 1.0), -1.0)
    slope = np.where(np.isfinite(slope) & (np.abs(slope) > 1e-6), slope, -1.0)
    icpt = tym - slope * lxm
    loge0 = -icpt / slope
    lo = np.where(w > 0, lx, np.inf).min(axis=1)
    hi = np.where(w > 0, lx, -np.inf).max(axis=1)
    loge0 = np.where(np.isfinite(loge0), np.clip(loge0, lo - 10, hi + 10), 0.5 * (lo + hi))
    return slope, c0, d0, loge0


def fit_ll4(
    x: np.ndarray,
    y: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    fixed: dict[str, np.ndarray] | None = None,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> dict[str, np.ndarray]:
    """Fit LL.4 to each row of ``y`` (doses ``x``, same shape or broadcastable; ``x > 0``).

    Parameters
    ----------
    x, y : ndarray, shape (n_curves, n_points)
        Doses (strictly positive: replace 0 by a tiny dose first, as drc users do) and responses.
    mask : ndarray of bool, optional
        True where a point is used (default: where ``y`` is finite).
    fixed : dict, optional
        ``{"b"|"c"|"d"|"e": array (n_curves,)}``; NaN entries are free.
    max_iter, tol : int, float
        Levenberg–Marquardt iteration cap and relative RSS tolerance.

    Returns
    -------
    dict
        Arrays ``b, c, d, e, rss, n_iter, converged`` of shape (n_curves,).
    """
    y = np.asarray(y, dtype=float)
    x = np.broadcast_to(np.asarray(x, dtype=float), y.shape)
    n, _p = y.shape
    w = np.isfinite(y) & np.isfinite(x) & (x > 0)
    if mask is not None:
        w &= np.asarray(mask, dtype=bool)
    wf = w.astype(float)
    lx = np.where(w, np.log(np.where(x > 0, x, 1.0)), 0.0)
    yy = np.where(w, y, 0.0)
    fixed = fixed or {}
    fx = np.full((n, 4), np.nan)
    for k, name in enumerate(_PARAMS):
        if name in fixed and fixed[name] is not None:
            fx[:, k] = np.broadcast_to(np.asarray(fixed[name], dtype=float), (n,))
    fx[:, 3] = np.log(fx[:, 3])  # e -> log e
    free = np.isnan(fx)
    b0, c0, d0, le0 = _start(lx, yy, wf)
    theta = np.stack([b0, c0, d0, le0], axis=1)
    theta = np.where(free, theta, fx)
    lo = np.where(w, lx, np.inf).min(axis=1)
    hi = np.where(w, lx, -np.inf).max(axis=1)
    lo = np.where(np.isfinite(lo), lo, 0.0)
    hi = np.where(np.isfinite(hi), hi, 0.0)

    # keep the asymptotes within a generous band around the data (no overflow on runaway fits)
    ymax = np.where(w, y, -np.inf).max(axis=1)
    ymin = np.where(w, y, np.inf).min(axis=1)
    span = np.where(np.isfinite(ymax - ymin), ymax - ymin, 0.0)
    ylo = np.where(np.isfinite(ymin), ymin, 0.0) - 100.0 * span - 1000.0
    yhi = np.where(np.isfinite(ymax), ymax, 0.0) + 100.0 * span + 1000.0
    lam = np.full(n, 1e-3)
    f, jac = _eval(theta, lx)
    res = (f - yy) * wf
    rss = (res * res).sum(axis=1)
    active = np.ones(n, dtype=bool)
    n_iter = np.zeros(n, dtype=int)
    eye = np.eye(4)
    freef = free.astype(float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _lm_loop(
            theta,
            free,
            freef,
            jac,
            res,
            rss,
            lam,
            active,
            n_iter,
            lx,
            yy,
            wf,
            lo,
            hi,
            ylo,
            yhi,
            eye,
            max_iter,
            tol,
        )
    out = {name: theta[:, k].copy() for k, name in enumerate(_PARAMS)}
    out["e"] = np.exp(out["e"])
    out["rss"] = rss
    out["n_iter"] = n_iter
    out["converged"] = ~active
    return out


def _lm_loop(
    theta,
    free,
    freef,
    jac,
    res,
    rss,
    lam,
    active,
    n_iter,
    lx,
    yy,
    wf,
    lo,
    hi,
    ylo,
    yhi,
    eye,
    max_iter,
    tol,
):
    """Batched Levenberg–Marquardt iterations (arrays updated in place)."""
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        J = jac[idx] * wf[idx, :, None] * freef[idx, None, :]
        r = res[idx]
        jtj = np.einsum("npi,npj->nij", J, J)
        g = np.einsum("npi,np->ni", J, r)
        diag = np.einsum("nii->ni", jtj)
        scale = np.where(diag > 0, diag, 1.0)
        A = (
            jtj
            + lam[idx, None, None] * scale[:, :, None] * eye
            + (1.0 - freef[idx])[:, :, None] * eye
        )
        try:
            step = np.linalg.solve(A, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -g / (scale * (1 + lam[idx, None]))
        step = np.where(np.isfinite(step), step, 0.0) * freef[idx]
        cand = theta[idx] + step
        cand[:, 0] = np.clip(cand[:, 0], -100.0, 100.0)
        cand[:, 3] = np.clip(cand[:, 3], lo[idx] - 60.0, hi[idx] + 60.0)
        cand[:, 1:3] = np.clip(cand[:, 1:3], ylo[idx, None], yhi[idx, None])
        new_rss = _rss(cand, lx[idx], yy[idx], wf[idx])
        better = np.isfinite(new_rss) & (new_rss <= rss[idx])
        gain = np.where(better, rss[idx] - new_rss, 0.0)
        ib = idx[better]
        theta[ib] = cand[better]
        lam[ib] = np.maximum(lam[ib] / 3.0, 1e-12)
        lam[idx[~better]] *= 4.0
        n_iter[idx] += 1
        # converged: tiny relative gain on an accepted step, or damping exhausted
        small = better & (gain <= tol * (rss[idx] + 1e-12))
        stuck = ~better & (lam[idx] > 1e10)
        rss[ib] = new_rss[better]
        active[idx[small | stuck]] = False
        if ib.size:
            fb, jb = _eval(theta[ib], lx[ib])
            res[ib] = (fb - yy[ib]) * wf[ib]
            jac[ib] = jb


def _eval(th: np.ndarray, lx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Model values and Jacobian in (b, c, d, log e) for parameter rows ``th``."""
    b, c, d, le = (th[:, k, None] for k in range(4))
    z = np.clip(b * (lx - le), -700, 700)
    s = 1.0 / (1.0 + np.exp(z))
    f = c + (d - c) * s
    ds = s * (1.0 - s)
    jac = np.stack([-(d - c) * ds * (lx - le), 1.0 - s, s, (d - c) * ds * b], axis=2)
    return f, jac


def _rss(th: np.ndarray, lx: np.ndarray, yy: np.ndarray, wf: np.ndarray) -> np.ndarray:
    b, c, d, le = (th[:, k, None] for k in range(4))
    z = np.clip(b * (lx - le), -700, 700)
    r = (c + (d - c) / (1.0 + np.exp(z)) - yy) * wf
    return (r * r).sum(axis=1)
