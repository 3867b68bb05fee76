"""Array kernels for log-logistic dose-response models (numpy/scipy, no pandas).

The public, DataFrame-level API is :func:`repurposekit.curves.fit_dose_response`; this module is
the batch fitter under it and is also used directly by :mod:`repurposekit.synergy`
(SynergyFinder-style row/column fits). It does not validate its inputs.

:func:`fit_ll4_batch` has two engines running the same algorithm: the vectorised numpy one
here (all curves advance together; the tested oracle) and, by default when numba is
installed, a compiled per-curve loop in :mod:`repurposekit.curves._compiled` (several
times faster: no work on curves that have converged, no temporaries).

Model (drc's ``LL.4`` parameterisation, Ritz et al. 2015)::

    f(x) = c + (d - c) / (1 + exp(b * (log(x) - log(e))))

* ``b`` — slope (Hill coefficient with drc's sign): ``b > 0`` means the response
  **decreases** with dose (a viability curve), ``b < 0`` means it increases (inhibition).
* ``c`` — response at infinite dose when ``b > 0`` (lower asymptote for a decreasing curve).
* ``d`` — response at zero dose when ``b > 0`` (upper asymptote for a decreasing curve).
* ``e`` — EC50, the dose of the half-way response (same unit as the dose; > 0).

At ``x = 0`` the model takes its limit: ``f(0) = d`` for ``b > 0`` and ``c`` for ``b < 0``,
exactly as drc does, so zero-dose (vehicle) points enter an LL.4 fit directly.

With ``x_is_log=True`` the same kernels fit drc's ``L.4`` on an already-logged dose axis:
``f(x) = c + (d - c) / (1 + exp(b * (x - e)))`` with ``e`` on that (natural-log) axis.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

__all__ = ["PARAM_NAMES", "BatchLL4", "fit_ll4_batch", "ll4", "ll4_inverse", "ll4_self_start"]

PARAM_NAMES = ("b", "c", "d", "e")
_ETA_SPAN = 60.0  # log(e) is kept within [min log-dose - 60, max log-dose + 60]


def ll4(dose: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, e: ArrayLike) -> np.ndarray:
    """Evaluate the drc LL.4 curve ``c + (d - c) / (1 + exp(b (log x - log e)))`` (broadcasts).

    Parameters
    ----------
    dose : array_like
        Doses (≥ 0, any unit; ``e`` in the same unit). ``0`` gives the zero-dose limit.
    b, c, d, e : array_like
        Slope, asymptote at high dose (for ``b > 0``), asymptote at zero dose, EC50.

    Returns
    -------
    numpy.ndarray
        Response, broadcast over all arguments.

    Examples
    --------
    >>> ll4([0.0, 3.0, np.inf], 2.0, 0.0, 100.0, 3.0)
    array([100.,  50.,   0.])
    """
    x = np.asarray(dose, dtype=float)
    b, c, d, e = (np.asarray(v, dtype=float) for v in (b, c, d, e))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b * (np.log(x) - np.log(e))
    z = np.where(np.isnan(z) & (x == 0), 0.0, z)  # b == 0 at x == 0: flat curve
    return c + (d - c) * expit(-z)


def ll4_inverse(
    response: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, e: ArrayLike
) -> np.ndarray:
    """Dose at which the LL.4 curve reaches ``response`` (NaN when outside ``(c, d)``).

    Examples
    --------
    >>> float(ll4_inverse(50.0, 2.0, 0.0, 100.0, 3.0))
    3.0
    """
    y, b, c, d, e = (np.asarray(v, dtype=float) for v in (response, b, c, d, e))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (d - y) / (y - c)
        out = e * np.exp(np.log(ratio) / b)
    return np.where(ratio > 0, out, np.nan)


# --------------------------------------------------------------------------- internals


_ZERO_LX = -1.0e6  # log-dose stand-in for dose 0: z = b * u saturates, giving drc's limit


def _terms(lx: np.ndarray, theta: np.ndarray):
    """s = 1/(1+exp(b u)), g = s(1-s), u = log x - eta (zero doses carry ``_ZERO_LX``).

    For a zero dose ``u`` is about -1e6, so ``s`` is exactly 1 (``b > 0``) or 0 (``b < 0``)
    in floating point and ``g`` is exactly 0: drc's ``f(0) = d`` limit without special cases.
    """
    u = lx - theta[:, 3:4]
    s = expit(-theta[:, 0:1] * u)
    g = s - s * s
    return s, g, u


def _model(lx, theta):
    s = expit(-theta[:, 0:1] * (lx - theta[:, 3:4]))
    c = theta[:, 1:2]
    return c + (theta[:, 2:3] - c) * s


def _model_jac(lx, theta):
    """Model and Jacobian w.r.t. (b, c, d, eta) where eta = log e; J has shape (n, 4, m)."""
    s, g, u = _terms(lx, theta)
    b, c, d = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
    delta = d - c
    f = c + delta * s
    dg = delta * g
    jac = np.empty((lx.shape[0], 4, lx.shape[1]))
    np.multiply(-dg, u, out=jac[:, 0])
    np.subtract(1.0, s, out=jac[:, 1])
    jac[:, 2] = s
    np.multiply(dg, b, out=jac[:, 3])
    # far-away zero-dose points: g = 0 exactly, but 0 * (-1e6) is fine; guard inf * 0
    return f, jac


def _chol_solve4(a: dict, rhs: list) -> np.ndarray:
    """Solve many symmetric positive-definite 4x4 systems ``A x = r`` (Cholesky, vectorised).

    ``a[i, j]`` (``i >= j``) and ``rhs[i]`` are (n,) arrays: written out entry by entry, which
    is several times faster than ``np.linalg.solve`` on (n, 4, 4) stacks. Rows that are not
    positive definite give NaN (the caller treats them as a failed step).
    """
    r0, r1, r2, r3 = rhs
    with np.errstate(invalid="ignore", divide="ignore"):
        l00 = np.sqrt(a[0, 0])
        l10, l20, l30 = a[1, 0] / l00, a[2, 0] / l00, a[3, 0] / l00
        l11 = np.sqrt(a[1, 1] - l10 * l10)
        l21 = (a[2, 1] - l20 * l10) / l11
        l31 = (a[3, 1] - l30 * l10) / l11
        l22 = np.sqrt(a[2, 2] - l20 * l20 - l21 * l21)
        l32 = (a[3, 2] - l30 * l20 - l31 * l21) / l22
        l33 = np.sqrt(a[3, 3] - l30 * l30 - l31 * l31 - l32 * l32)
        z0 = r0 / l00
        z1 = (r1 - l10 * z0) / l11
        z2 = (r2 - l20 * z0 - l21 * z1) / l22
        z3 = (r3 - l30 * z0 - l31 * z1 - l32 * z2) / l33
        x3 = z3 / l33
        x2 = (z2 - l32 * x3) / l22
        x1 = (z1 - l21 * x2 - l31 * x3) / l11
        x0 = (z0 - l10 * x1 - l20 * x2 - l30 * x3) / l00
    return np.column_stack([x0, x1, x2, x3])


def _rowsum(x: np.ndarray) -> np.ndarray:
    """Row sums of a 2-D array as a mat-vec product (~5x faster than ``sum(axis=1)``)."""
    return np.asarray(x, dtype=float) @ np.ones(x.shape[1])


def _wls_line(x, y, w):
    """Per-row weighted least-squares line y = a + k x; returns (a, k)."""
    sw = _rowsum(w)
    sw_safe = np.where(sw > 0, sw, 1.0)
    mx = _rowsum(w * x) / sw_safe
    my = _rowsum(w * y) / sw_safe
    sxx = _rowsum(w * (x - mx[:, None]) ** 2)
    sxy = _rowsum(w * (x - mx[:, None]) * (y - my[:, None]))
    k = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    return my - k * mx, k


def ll4_self_start(lx: np.ndarray, zero: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """drc-like self-starting values (b, c, d, eta) for every row.

    ``c``/``d`` start just outside the observed range (on the side given by the trend), then
    ``log((d - y) / (y - c)) = b log x - b eta`` is solved by weighted least squares over the
    positive doses, as drc's ``llogistic.ssf`` does.
    """
    big = np.finfo(float).max
    valid = w > 0
    has = valid.any(axis=1)
    ymin = np.where(has, np.where(valid, y, big).min(axis=1), 0.0)
    ymax = np.where(has, np.where(valid, y, -big).max(axis=1), 0.0)
    span = np.where(ymax > ymin, ymax - ymin, 1.0)
    c0 = ymin - 0.001 * span
    d0 = ymax + 0.001 * span
    pos = valid & ~zero
    # direction of the trend from a straight line of y on log dose
    _, slope = _wls_line(np.where(pos, lx, 0.0), y, pos.astype(float))
    decreasing = slope <= 0
    # LL.4 with b > 0 decreases: d is the zero-dose side
    lo = np.where(decreasing, c0, c0)
    hi = np.where(decreasing, d0, d0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log((hi[:, None] - y) / (y - lo[:, None]))
    t = np.where(pos & np.isfinite(t), t, 0.0)
    a, k = _wls_line(np.where(pos, lx, 0.0), t, (pos & (t != 0.0)).astype(float))
    # robust fall-backs: slope of the right sign and a mid-range EC50
    sw = pos.sum(axis=1)
    lmid = np.where(sw > 0, np.where(pos, lx, 0.0).sum(axis=1) / np.maximum(sw, 1), 0.0)
    bad = ~np.isfinite(k) | (np.abs(k) < 1e-3)
    b0 = np.where(bad, np.where(decreasing, 1.0, -1.0), k)
    eta0 = np.where(bad, lmid, -a / np.where(bad, 1.0, k))
    lmin = np.where(pos, lx, big).min(axis=1)
    lmax = np.where(pos, lx, -big).max(axis=1)
    ok_range = np.isfinite(lmin) & (lmin < big)
    eta0 = np.where(ok_range, np.clip(eta0, lmin - 2.0, lmax + 2.0), eta0)
    b0 = np.clip(b0, -20.0, 20.0)
    return np.column_stack([b0, lo, hi, eta0])


def _refine_start(lx, y, w, theta, free, fixed):
    """Polish starting values: try EC50 shifts around the self-start, each with the
    least-squares optimal ``c`` and ``d`` for that slope and EC50 (a variable-projection
    step: ``c`` and ``d`` enter the model linearly), and keep the best per curve.
    """
    one = np.ones(lx.shape[1])
    wsum = w @ one
    wy = (w * y) @ one
    best = theta.copy()
    best_rss = np.full(theta.shape[0], np.inf)
    free_c, free_d = free[:, 1], free[:, 2]
    for shift in (0.0, -1.0, 1.0, -2.0, 2.0):
        th = theta.copy()
        th[:, 3] = np.where(free[:, 3], theta[:, 3] + shift, theta[:, 3])
        s = expit(-th[:, 0:1] * (lx - th[:, 3:4]))
        ws = w * s
        s1, s2, sy = ws @ one, (ws * s) @ one, (ws * y) @ one
        # model c (1 - s) + d s: weighted normal equations in (c, d)
        a11, a12, a22 = wsum - 2 * s1 + s2, s1 - s2, s2
        b1, b2 = wy - sy, sy
        det = a11 * a22 - a12 * a12
        with np.errstate(divide="ignore", invalid="ignore"):
            c_ls = (a22 * b1 - a12 * b2) / det
            d_ls = (a11 * b2 - a12 * b1) / det
            # one of c, d fixed: the other from its own normal equation
            c_fd = (b1 - a12 * fixed[:, 2]) / a11
            d_fc = (b2 - a12 * fixed[:, 1]) / a22
        c = np.where(free_c & free_d, c_ls, np.where(free_c, c_fd, fixed[:, 1]))
        d = np.where(free_c & free_d, d_ls, np.where(free_d, d_fc, fixed[:, 2]))
        ok = np.isfinite(c) & np.isfinite(d)
        th[:, 1] = np.where(ok, c, th[:, 1])
        th[:, 2] = np.where(ok, d, th[:, 2])
        r = y - (th[:, 1:2] + (th[:, 2:3] - th[:, 1:2]) * s)
        rss = (w * r * r) @ one
        better = np.isfinite(rss) & (rss < best_rss)
        best[better] = th[better]
        best_rss[better] = rss[better]
    return best


def _lm(lx, y, w, theta, free, eta_lo, eta_hi, *, max_iter, ftol, xtol):
    """Vectorised Levenberg–Marquardt over rows; returns theta, rss, converged, n_iter.

    The normal equations are assembled from a handful of weighted sums (the c and d columns
    of the Jacobian are ``1 - s`` and ``s``, and the b and eta columns share the factor
    ``(d - c) s (1 - s)``), and the model values of an accepted trial step are reused by the
    next iteration. Curves leave the working set as they converge; the set is compacted when
    it has shrunk by a third, so late iterations only touch the few curves still moving.
    """
    n = theta.shape[0]
    one = np.ones(lx.shape[1])  # row sums as mat-vec products: ~5x faster than .sum(axis=1)
    theta = theta.copy()
    ybar = (w * y) @ one / np.maximum(w @ one, 1e-300)
    tiny_rss = 1e-26 * np.maximum((w * (y - ybar[:, None]) ** 2) @ one, 1e-300)
    converged = np.zeros(n, dtype=bool)
    stalled_any = np.zeros(n, dtype=bool)
    n_iter = np.zeros(n, dtype=int)
    idx = np.arange(n)  # working set (indices into the full arrays)
    wl, wy, ww, wfr = lx, y, w, free.astype(float)
    all_free = bool(free.all())
    wsum = w @ one
    wth, wlam = theta, np.full(n, 1e-3)
    wlo, whi, wtiny = eta_lo, eta_hi, tiny_rss
    # model terms at the current parameters
    u = wl - wth[:, 3:4]
    s = expit(-wth[:, 0:1] * u)
    r = wy - (wth[:, 1:2] + (wth[:, 2:3] - wth[:, 1:2]) * s)
    wr = ww * r
    wrss = (wr * r) @ one
    rss = wrss.copy()
    alive = np.ones(n, dtype=bool)
    for it in range(max_iter):
        if not alive.any():
            break
        if alive.sum() < 0.85 * alive.size:  # compact the working set
            keep = alive
            theta[idx] = wth
            rss[idx] = wrss
            idx = idx[keep]
            wl, wy, ww, wfr, wsum = wl[keep], wy[keep], ww[keep], wfr[keep], wsum[keep]
            wth, wrss, wlam = wth[keep], wrss[keep], wlam[keep]
            wlo, whi, wtiny = wlo[keep], whi[keep], wtiny[keep]
            u, s, r, wr = u[keep], s[keep], r[keep], wr[keep]
            alive = np.ones(idx.size, dtype=bool)
        bb = wth[:, 0]
        delta = wth[:, 2] - wth[:, 1]
        g = s - s * s
        ws = ww * s
        v = ww * g  # w g, g = s (1 - s)
        vu = v * u
        vug = vu * g
        wrg = wr * g
        s1 = ws @ one
        s2 = (ws * s) @ one
        gv = v @ one
        gvs = (v * s) @ one
        gvu = vu @ one
        gvus = (vu * s) @ one
        gg = (v * g) @ one  # sum w g^2
        ggu = vug @ one
        gguu = (vug * u) @ one
        rsum = wr @ one
        rs = (wr * s) @ one
        rg = wrg @ one
        rgu = (wrg * u) @ one
        # J columns: jb = -delta g u, jc = 1 - s, jd = s, je = delta g b
        a = {
            (0, 0): delta * delta * gguu,
            (1, 0): -delta * (gvu - gvus),
            (2, 0): -delta * gvus,
            (3, 0): -delta * delta * bb * ggu,
            (1, 1): wsum - 2.0 * s1 + s2,
            (2, 1): s1 - s2,
            (3, 1): delta * bb * (gv - gvs),
            (2, 2): s2,
            (3, 2): delta * bb * gvs,
            (3, 3): delta * delta * bb * bb * gg,
        }
        rhs = [-delta * rgu, rsum - rs, rs, delta * bb * rg]
        if it >= 2:
            # Newton: subtract sum w r f'' (second derivatives as in _covariance), so the
            # iteration converges quadratically on curves whose residuals are not small,
            # where Gauss-Newton is only linear; damping keeps the system positive definite
            wrgs = wrg * s
            big_a = (wrg * u * u) @ one
            big_b = (wrgs * u * u) @ one
            big_c = (wrgs * u) @ one
            big_d = wrgs @ one
            a[0, 0] = a[0, 0] - delta * (big_a - 2.0 * big_b)
            a[1, 0] = a[1, 0] - rgu
            a[2, 0] = a[2, 0] + rgu
            a[3, 0] = a[3, 0] - delta * (rg - bb * (rgu - 2.0 * big_c))
            a[3, 1] = a[3, 1] + bb * rg
            a[3, 2] = a[3, 2] - bb * rg
            a[3, 3] = a[3, 3] - delta * bb * bb * (rg - 2.0 * big_d)
        if not all_free:
            for i in range(4):
                for j in range(i + 1):
                    a[i, j] = a[i, j] * wfr[:, i] * wfr[:, j]
                rhs[i] = rhs[i] * wfr[:, i]
        diag = np.column_stack([a[i, i] for i in range(4)])
        floor = 1e-12 * np.maximum(diag.max(axis=1), 1e-300)
        for i in range(4):
            a[i, i] = a[i, i] + wlam * np.maximum(a[i, i], floor) + (1.0 - wfr[:, i])
        step = _chol_solve4(a, rhs)
        bad_step = ~np.isfinite(step).all(axis=1)  # not positive definite: more damping
        step = np.where(bad_step[:, None], 0.0, step)
        if not all_free:
            step = step * wfr
        trial = wth + step
        np.clip(trial[:, 0], -200.0, 200.0, out=trial[:, 0])
        np.clip(trial[:, 3], wlo, whi, out=trial[:, 3])
        u_t = wl - trial[:, 3:4]
        s_t = expit(-trial[:, 0:1] * u_t)
        r_t = wy - (trial[:, 1:2] + (trial[:, 2:3] - trial[:, 1:2]) * s_t)
        wr_t = ww * r_t
        rss_new = (wr_t * r_t) @ one
        accept = alive & ~bad_step & np.isfinite(rss_new) & (rss_new <= wrss)
        rel_red = (wrss - rss_new) / np.maximum(wrss, 1e-300)
        rel_step = (np.abs(step) / (np.abs(wth) + 1e-8)).max(axis=1)
        rej = ~accept  # usually few: patch the rejected rows into the trial arrays
        if rej.any():
            trial[rej], u_t[rej], s_t[rej], r_t[rej], wr_t[rej] = (
                wth[rej],
                u[rej],
                s[rej],
                r[rej],
                wr[rej],
            )
        wth, u, s, r, wr = trial, u_t, s_t, r_t, wr_t
        wrss = np.where(accept, rss_new, wrss)
        wlam = np.where(accept, np.maximum(wlam * 0.2, 1e-12), wlam * 4.0)
        n_iter[idx[alive]] += 1
        done = accept & ((rel_red < ftol) | (rel_step < xtol))
        done |= alive & (wrss <= wtiny)
        # a slope beyond +-15 is a step between two doses: no finite optimum, stop creeping
        stalled = alive & ((wlam > 1e14) | (np.abs(wth[:, 0]) > 15.0))
        converged[idx[done]] = True
        stalled_any[idx[stalled]] = True
        if stalled.any():
            # a stall where the gradient vanishes is an optimum too (cosine criterion)
            gnorm = np.sqrt(sum(v_ * v_ for v_ in rhs))
            with np.errstate(invalid="ignore"):  # NaN (no usable curvature): not flat
                jnorm = np.sqrt(sum(a[i, i] / (1.0 + wlam) for i in range(4)))
            flat = gnorm <= 1e-8 * jnorm * np.sqrt(np.maximum(wrss, 1e-300)) + 1e-300
            converged[idx[stalled & flat]] = True
        alive &= ~(done | stalled)
    theta[idx] = wth
    rss[idx] = wrss
    return theta, rss, converged, n_iter, stalled_any & ~converged


@dataclass(frozen=True, eq=False)
class BatchLL4:
    """Result of :func:`fit_ll4_batch` (arrays over curves, row ``i`` = curve ``i``).

    Attributes
    ----------
    params : ndarray, shape (n, 4)
        Estimates of ``(b, c, d, e)``; ``e`` in the dose unit (or on the log axis when
        ``x_is_log=True``). Fixed parameters hold their fixed value.
    rss : ndarray, shape (n,)
        Weighted residual sum of squares ``sum w (y - f)^2``.
    converged : ndarray of bool, shape (n,)
    n_iter : ndarray of int, shape (n,)
        Levenberg–Marquardt iterations of the best start (``-1`` = scipy fall-back used).
    n_obs, n_free, df : ndarray of int, shape (n,)
        Valid points, free parameters and residual degrees of freedom ``n_obs - n_free``.
    cov : ndarray, shape (n, 4, 4)
        drc's covariance ``(H/2)^-1 * RSS/df`` with ``H`` the Hessian of the RSS in
        ``(b, c, d, e)``; rows/columns of fixed parameters are 0; NaN when ``df <= 0`` or
        the Hessian is singular.
    se : ndarray, shape (n, 4)
        ``sqrt(diag(cov))``.
    free : ndarray of bool, shape (n, 4)
    x_is_log : bool
    engine : str
        ``"compiled"`` or ``"numpy"``: the engine that fitted the batch.
    """

    params: np.ndarray
    rss: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    n_obs: np.ndarray
    n_free: np.ndarray
    df: np.ndarray
    cov: np.ndarray
    se: np.ndarray
    free: np.ndarray
    x_is_log: bool = False
    engine: str = "numpy"

    def __len__(self) -> int:
        return int(self.params.shape[0])

    def predict(self, dose: ArrayLike) -> np.ndarray:
        """Fitted responses at ``dose`` (shape (m,) shared, or (n, m) per curve)."""
        x = np.asarray(dose, dtype=float)
        if x.ndim == 1:
            x = np.broadcast_to(x, (len(self), x.size))
        b, c, d, e = (self.params[:, i : i + 1] for i in range(4))
        if self.x_is_log:
            return c + (d - c) * expit(-b * (x - e))
        return ll4(x, b, c, d, e)


def _covariance(lx, y, w, theta, free, rss, df):
    """drc-style covariance in (b, c, d, eta): inv(J'WJ - sum w r f'') * rss / df.

    The 10 distinct entries of the observed Hessian are assembled from row sums (mat-vec
    products), as in :func:`_lm`; second derivatives of f (``u = log x - eta``,
    ``g = s (1 - s)``, ``t = 1 - 2 s``, ``D = d - c``): f_bb = D g t u², f_bc = g u,
    f_bd = -g u, f_be = D g (1 - t b u), f_ce = -g b, f_de = g b, f_ee = D b² g t.
    """
    n, m = lx.shape
    one = np.ones(m)
    s, g, u = _terms(lx, theta)
    bb = theta[:, 0:1]
    delta = theta[:, 2:3] - theta[:, 1:2]
    r = y - (theta[:, 1:2] + delta * s)
    t = 1.0 - 2.0 * s
    jac = (-delta * g * u, 1.0 - s, s, delta * g * bb)
    wr = w * r
    sec = {
        (0, 0): delta * g * t * u * u,
        (1, 0): g * u,
        (2, 0): -g * u,
        (3, 0): delta * g * (1.0 - t * bb * u),
        (3, 1): -g * bb,
        (3, 2): g * bb,
        (3, 3): delta * bb * bb * g * t,
    }
    half_h = np.empty((n, 4, 4))
    for i in range(4):
        wj = w * jac[i]
        for j in range(i + 1):
            val = wj * jac[j]
            if (i, j) in sec:
                val = val - wr * sec[i, j]
            half_h[:, i, j] = half_h[:, j, i] = val @ one
    ff = free.astype(float)
    mask2 = ff[:, :, None] * ff[:, None, :]
    half_h = half_h * mask2 + (1.0 - ff)[:, :, None] * np.eye(4)
    cov = np.full_like(half_h, np.nan)
    ok = (df > 0) & np.isfinite(half_h).all(axis=(1, 2))
    try:
        inv = np.linalg.inv(half_h[ok])
        cov[ok] = inv * (rss[ok] / df[ok])[:, None, None]
    except np.linalg.LinAlgError:
        for i in np.flatnonzero(ok):
            with contextlib.suppress(np.linalg.LinAlgError):
                cov[i] = np.linalg.inv(half_h[i]) * rss[i] / df[i]
    cov = cov * mask2
    # a non positive-definite Hessian (saddle / ridge) gives no usable SEs
    diag = np.einsum("nii->ni", cov)
    cov[(diag < 0).any(axis=1)] = np.nan
    return cov


def _scipy_refit(lx, y, w, theta, free, eta_lo, eta_hi):
    """Per-curve trust-region refit (scipy.optimize.least_squares) for difficult curves."""
    from scipy.optimize import least_squares

    out = theta.copy()
    ok = np.zeros(theta.shape[0], dtype=bool)
    for i in range(theta.shape[0]):
        sel = w[i] > 0
        fr = free[i]
        if not fr.any() or sel.sum() == 0:
            continue
        sw = np.sqrt(w[i, sel])
        lxi, yi = lx[i : i + 1, sel], y[i, sel]
        base = theta[i].copy()

        def resid(p, base=base, fr=fr, lxi=lxi, yi=yi, sw=sw):
            t = base.copy()
            t[fr] = p
            return sw * (yi - _model(lxi, t[None, :])[0])

        lo = np.full(4, -np.inf)
        hi = np.full(4, np.inf)
        lo[3], hi[3] = eta_lo[i], eta_hi[i]
        lo[0], hi[0] = -200.0, 200.0
        x0 = np.clip(base[fr], lo[fr] + 1e-9, hi[fr] - 1e-9)

        def jac(p, base=base, fr=fr, lxi=lxi, sw=sw):
            t = base.copy()
            t[fr] = p
            return -(sw[:, None] * _model_jac(lxi, t[None, :])[1][0].T)[:, fr]

        try:
            res = least_squares(
                resid,
                x0,
                jac=jac,
                bounds=(lo[fr], hi[fr]),
                method="trf",
                xtol=1e-10,
                ftol=1e-10,
                gtol=1e-10,
                max_nfev=60,
            )
        except (ValueError, FloatingPointError):
            continue
        t = base.copy()
        t[fr] = res.x
        out[i] = t
        ok[i] = bool(res.success)
    return out, ok


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Row-wise arrays of :func:`fit_ll4_batch`: log-dose centred per curve (zero doses at
    ``_ZERO_LX``), response centred and scaled (``(y - ym) / ysd``), fixed values on that
    scale, and the bounds of ``eta``."""

    lxs: np.ndarray
    zero: np.ndarray
    ys: np.ndarray
    w: np.ndarray
    valid: np.ndarray
    pos: np.ndarray
    free: np.ndarray
    fz: np.ndarray
    fixed_vals: np.ndarray
    eta_lo: np.ndarray
    eta_hi: np.ndarray
    nv: np.ndarray
    n_free: np.ndarray
    df: np.ndarray
    ym: np.ndarray
    ysd: np.ndarray
    lc: np.ndarray


def _rows(a, idx):
    """Rows ``idx`` of an optional array that broadcasts to (n, m) (None stays None)."""
    if a is None:
        return None
    a = np.asarray(a)
    return a if a.ndim < 2 or a.shape[0] == 1 else a[idx]


def _subset(p: _Prepared, rows) -> _Prepared:
    return _Prepared(**{k: getattr(p, k)[rows] for k in p.__dataclass_fields__})


def _prepare(x, y, mask, weights, fixed_vals, x_is_log) -> _Prepared:
    """Validity, weights, log-dose and the per-curve centring/scaling (vectorised)."""
    n, m = y.shape
    valid = np.isfinite(y) & (np.isfinite(x) if x_is_log else (np.isfinite(x) & (x >= 0)))
    if mask is not None:
        valid &= np.broadcast_to(np.asarray(mask, dtype=bool), (n, m))
    w = np.ones((n, m)) if weights is None else np.broadcast_to(np.asarray(weights, float), (n, m))
    w = np.where(valid & np.isfinite(w), w, 0.0)
    valid = w > 0
    w = np.where(valid, w, 0.0)  # a negative weight drops the point (it must not enter sums)
    y = np.where(valid, y, 0.0)
    if x_is_log:
        zero = np.zeros((n, m), dtype=bool)
        lx = np.where(valid, x, 0.0)
    else:
        xs = np.where(valid, x, 1.0)
        zero = xs == 0
        with np.errstate(divide="ignore"):
            lx = np.where(zero, 0.0, np.log(np.where(zero, 1.0, xs)))
    free = np.isnan(fixed_vals)
    # centre/scale: log-dose around the middle of its range, response by mean and sd
    pos = valid & ~zero
    npos = pos.sum(axis=1)
    big = np.finfo(float).max
    lmin = np.where(npos > 0, np.where(pos, lx, big).min(axis=1), 0.0)
    lmax = np.where(npos > 0, np.where(pos, lx, -big).max(axis=1), 0.0)
    lc = 0.5 * (lmin + lmax)
    lxs = np.where(zero, _ZERO_LX, lx - lc[:, None])
    nv = valid.sum(axis=1)
    ym = _rowsum(w * y) / np.maximum(_rowsum(w), 1e-300)
    ysd = np.sqrt(_rowsum(valid * (y - ym[:, None]) ** 2) / np.maximum(nv, 1))
    ysd = np.where(ysd > 0, ysd, np.where(np.abs(ym) > 0, np.abs(ym), 1.0))
    ys = (y - ym[:, None]) / ysd[:, None]
    fz = fixed_vals.copy()
    fz[:, 1] = (fz[:, 1] - ym) / ysd
    fz[:, 2] = (fz[:, 2] - ym) / ysd
    fz[:, 3] = fz[:, 3] - lc
    n_free = free.sum(axis=1)
    return _Prepared(
        lxs=lxs,
        zero=zero,
        ys=ys,
        w=w,
        valid=valid,
        pos=pos,
        free=free,
        fz=fz,
        fixed_vals=fixed_vals,
        eta_lo=lmin - lc - _ETA_SPAN,
        eta_hi=lmax - lc + _ETA_SPAN,
        nv=nv,
        n_free=n_free,
        df=nv - n_free,
        ym=ym,
        ysd=ysd,
        lc=lc,
    )


def _internal_start(st, p: _Prepared, x_is_log):
    """User-unit starting values (n, 4) on the internal scale (None stays None)."""
    if st is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.column_stack(
            [
                st[:, 0],
                (st[:, 1] - p.ym) / p.ysd,
                (st[:, 2] - p.ym) / p.ysd,
                (st[:, 3] if x_is_log else np.log(st[:, 3])) - p.lc,
            ]
        )


def _retry(p: _Prepared, theta, conv, stall):
    """Curves for the scipy fall-back: stalled, not converged, with data, a moderate slope
    (``|b| <= 10``; steeper is a step between two doses) and the EC50 not run to its bound."""
    steep = np.abs(theta[:, 0]) > 10.0
    runaway = (theta[:, 3] < p.eta_lo + 5.0) | (theta[:, 3] > p.eta_hi - 5.0)
    return ~conv & stall & (p.nv > 0) & ~steep & ~runaway


def _finish(p: _Prepared, theta, rss_s, cov_s, conv, x_is_log) -> dict:
    """Internal estimates back to user units: params, rss, cov, se, converged."""
    n = theta.shape[0]
    # an EC50 more than 10 ln-units (4.3 decades) outside the tested doses is not
    # identified by the data (the RSS is flat out there): not converged, whatever LM says
    far = p.free[:, 3] & (
        (theta[:, 3] < p.eta_lo + _ETA_SPAN - 10.0) | (theta[:, 3] > p.eta_hi - _ETA_SPAN + 10.0)
    )
    params = theta.copy()
    params[:, 1] = theta[:, 1] * p.ysd + p.ym
    params[:, 2] = theta[:, 2] * p.ysd + p.ym
    eta = theta[:, 3] + p.lc
    params[:, 3] = eta if x_is_log else np.exp(eta)
    scale = np.column_stack([np.ones(n), p.ysd, p.ysd, np.ones(n) if x_is_log else params[:, 3]])
    cov = cov_s * scale[:, :, None] * scale[:, None, :]
    # fixed parameters report exactly the value given
    fixed_user = p.fixed_vals.copy()
    if not x_is_log:
        fixed_user[:, 3] = np.exp(p.fixed_vals[:, 3])
    params = np.where(np.isfinite(p.fixed_vals), fixed_user, params)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.einsum("nii->ni", cov))
    return {
        "params": params,
        "rss": rss_s * p.ysd**2,
        "cov": cov,
        "se": se,
        "converged": conv & ~far & (p.nv > 0),
    }


ENGINES = ("auto", "compiled", "numpy")
#: ``engine="auto"`` uses the compiled engine from this many curves on. Below it the numpy
#: engine is as fast as loading numba and its cache (0.3-0.6 s per process, or a ~18 s
#: compile on a fresh install), so small fits (a plate, the demo) never pay that.
AUTO_COMPILED_MIN_CURVES = 200


def _engine_module(engine: str):
    """The compiled engine's module for ``engine``, or None for the numpy engine."""
    if engine not in ENGINES:
        msg = f"engine={engine!r}; use one of {ENGINES}"
        raise ValueError(msg)
    if engine == "numpy":
        return None
    try:
        compiled = importlib.import_module("repurposekit.curves._compiled")
    except ImportError as err:  # numba missing or broken
        if engine == "compiled":
            msg = "engine='compiled' needs numba (pip install numba); or use engine='numpy'"
            raise ImportError(msg) from err
        return None
    return compiled


def _numpy_engine(p: _Prepared, th_start, *, restarts, max_iter, ftol, xtol):
    """The vectorised numpy engine (``engine="numpy"``; the oracle of the compiled one).

    Self-start, Levenberg–Marquardt over all curves at once, batched restarts and the saddle
    check, on the prepared arrays. Returns ``theta, rss, converged, n_iter, stalled, cov,
    changed`` (``cov`` is None without restarts; ``changed`` marks the rows whose estimates
    moved after their covariance was computed).
    """
    lxs, zero, ys, w, free, fz = p.lxs, p.zero, p.ys, p.w, p.free, p.fz
    valid, pos, eta_lo, eta_hi, nv, df = p.valid, p.pos, p.eta_lo, p.eta_hi, p.nv, p.df
    changed = np.zeros(lxs.shape[0], dtype=bool)
    big = np.finfo(float).max
    kw = {"max_iter": max_iter, "ftol": ftol, "xtol": xtol}
    if th_start is None:
        th0 = _refine_start(lxs, ys, w, ll4_self_start(lxs, zero, ys, w), free, fz)
    else:
        th0 = th_start
    th0 = np.where(free, th0, fz)
    th0[:, 3] = np.clip(th0[:, 3], eta_lo, eta_hi)
    theta, rss, conv, n_iter, stall = _lm(lxs, ys, w, th0, free, eta_lo, eta_hi, **kw)

    def _restart(idx):
        """Three more starts per curve in ``idx``, fitted together in one batch: the EC50 at
        the quartiles of the tested log-doses, the slope sign flipped for the middle one."""
        lw = np.where(pos[idx], lxs[idx], np.nan)
        lw = np.where(np.isnan(lw).all(axis=1, keepdims=True), 0.0, lw)
        ymin = np.where(valid[idx], ys[idx], big).min(axis=1)
        ymax = np.where(valid[idx], ys[idx], -big).max(axis=1)
        sgn = np.where(th0[idx, 0] < 0, -1.0, 1.0)
        alts = []
        for q, flip in ((0.25, 1.0), (0.5, -1.0), (0.75, 1.0)):
            eq = np.nanquantile(lw, q, axis=1)
            alt = np.column_stack([sgn * flip, ymin, ymax, eq])
            alts.append(np.where(free[idx], alt, fz[idx]))
        k = len(alts)
        rep = np.tile(idx, k)
        t2, r2, c2, i2, st2 = _lm(
            lxs[rep], ys[rep], w[rep], np.vstack(alts), free[rep], eta_lo[rep], eta_hi[rep], **kw
        )
        for j in range(k):
            part = slice(j * idx.size, (j + 1) * idx.size)
            tj, rj, cj, ij, sj = t2[part], r2[part], c2[part], i2[part], st2[part]
            # never trade a lower RSS for a worse one; prefer converged at equal RSS
            better = (rj < rss[idx] * (1 - 1e-10)) | (
                cj & ~conv[idx] & (rj <= rss[idx] * (1 + 1e-8))
            )
            sel = idx[better]
            theta[sel], rss[sel], conv[sel] = tj[better], rj[better], cj[better]
            n_iter[sel], stall[sel] = ij[better], sj[better]

    cov_s = None
    if restarts:
        tss = _rowsum(w * ys**2)
        # steep curves (|b| > 10) that did not converge are step-like: no start helps them
        poor = (~conv & (np.abs(theta[:, 0]) <= 10.0)) | (rss > 0.2 * np.maximum(tss, 1e-300))
        idx = np.flatnonzero(poor & (nv > 0))
        if idx.size:
            _restart(idx)
        # a "converged" point whose Hessian is not positive definite is a saddle, not a
        # minimum (Newton steps can stop there): try the other starts too
        cov_s = _covariance(lxs, ys, w, theta, free, rss, df)
        saddle = conv & (df > 0) & ~np.isfinite(cov_s).all(axis=(1, 2))
        if saddle.any():
            _restart(np.flatnonzero(saddle))
            changed[saddle] = True

    return theta, rss, conv, n_iter, stall, cov_s, changed


def fit_ll4_batch(
    dose: ArrayLike,
    response: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    fixed: Mapping[str, ArrayLike] | None = None,
    x_is_log: bool = False,
    start: ArrayLike | None = None,
    max_iter: int = 60,
    ftol: float = 1e-10,
    xtol: float = 1e-10,
    restarts: bool = True,
    fallback: bool = True,
    engine: str = "auto",
) -> BatchLL4:
    """Fit drc's LL.4 (or L.4) to many curves at once with vectorised Levenberg–Marquardt.

    Parameters
    ----------
    dose : array_like, shape (n_curves, n_points) or (n_points,)
        Doses (≥ 0; 0 allowed, see Notes), or log-doses when ``x_is_log=True``. A 1-D array
        is shared by all curves. Any unit; ``e`` comes back in the same unit.
    response : array_like, shape (n_curves, n_points)
        Responses on any scale (raw, fraction, %). NaN marks a missing point.
    mask : array_like of bool, optional
        ``True`` = use the point. Ragged curves are padded and masked out. Points with a NaN
        dose or response are always excluded.
    weights : array_like, optional
        Non-negative weights (same shape), minimising ``sum w (y - f)^2`` (inverse-variance
        weights, as ``nls``/``lm``). Default 1. A weight that is 0, negative or NaN drops
        the point.
    fixed : mapping, optional
        ``{"b"|"c"|"d"|"e": values}`` with a scalar or one value per curve; NaN = free for that
        curve. E.g. ``{"c": np.zeros(n), "d": np.full(n, 100.0)}`` gives SynergyFinder's
        ZIP-style fits with only slope and EC50 free. ``e`` is given in the dose unit (on the
        log axis when ``x_is_log=True``).
    x_is_log : bool
        Fit drc's ``L.4``: ``dose`` already holds ln-doses (must be finite) and ``e`` is
        returned on that axis.
    start : array_like, shape (n_curves, 4), optional
        Starting ``(b, c, d, e)``; default: drc-like self-start (see :func:`ll4_self_start`).
    max_iter : int
        Levenberg–Marquardt iterations per start.
    ftol, xtol : float
        Stop when an accepted step lowers the RSS by less than ``ftol`` (relative) or changes
        every parameter by less than ``xtol`` (relative).
    restarts : bool
        Refit, from three further starts (fitted together as one batch), the curves that did
        not converge or fit poorly (R² < 0.8); the best RSS wins.
    fallback : bool
        Curves where Levenberg–Marquardt stalled numerically (damping blew up away from a
        stationary point) are refitted one by one with ``scipy.optimize.least_squares``
        (trust-region); the better RSS wins. Curves whose slope runs away (``|b| > 10``: a
        step between two doses, no finite optimum) or whose EC50 runs to its bound (flat
        curve) are not refitted and stay ``converged=False``.
    engine : {"auto", "compiled", "numpy"}
        ``"compiled"``: a numba-compiled loop over curves (:mod:`._compiled`; threads for
        large batches, see ``numba.set_num_threads``); ``"numpy"``: the vectorised numpy
        engine; ``"auto"`` (default): compiled when numba is installed and the batch has at
        least ``AUTO_COMPILED_MIN_CURVES`` (200) curves, else numpy. Both run the same
        algorithm and agree to rounding on well-determined curves.

    Returns
    -------
    BatchLL4
        ``params`` ``(n, 4)`` as ``(b, c, d, e)``, ``rss``, ``converged``, ``n_iter``, ``cov``,
        ``se``, ``n_obs``, ``df``, ``engine``.

    Notes
    -----
    The model is :math:`f(x) = c + (d - c) / (1 + \\exp(b(\\log x - \\log e)))`; ``b > 0`` is a
    decreasing curve (drc's sign). Zero doses use the limit :math:`f(0) = d` (``b > 0``) or
    ``c`` (``b < 0``), as drc's LL.4. The optimisation runs on :math:`\\eta = \\log e` (kept
    within 60 log-units of the tested doses, so a flat curve cannot overflow), on responses
    centred and scaled per curve. Starting values: drc-like self-start, polished by trying
    five EC50 shifts with least-squares ``c``/``d`` (variable projection). Each damped step
    solves :math:`(H + \\lambda\\,\\mathrm{diag}(H))\\delta = J^TWr` (a 4x4 Cholesky, written
    out over the batch by the numpy engine, per curve by the compiled one), with
    :math:`H = J^TWJ` (Gauss-Newton) for the first two iterations and the full Hessian
    :math:`J^TWJ - \\sum_i w_i r_i \\nabla^2 f_i` (Newton) after, which converges
    quadratically where Gauss-Newton is only linear. An EC50 more than 4.3 decades outside
    the tested doses counts as not converged (not identifiable). A curve whose slope passes
    ``|b| = 15`` is stopped (a step between two doses has no finite optimum) and reported
    ``converged=False``; a "converged" point whose Hessian is not positive definite (a
    saddle) is refitted from the restart starts.
    Standard errors follow drc (``vcov.drc``): :math:`\\mathrm{cov} = (H/2)^{-1}\\,RSS/(n-p)`
    with :math:`H/2 = J^TWJ - \\sum_i w_i r_i \\nabla^2 f_i` the observed Hessian of the RSS
    (not the Gauss–Newton :math:`J^TJ`), transformed from :math:`\\eta` to :math:`e` by
    :math:`\\mathrm{SE}(e) = e\\,\\mathrm{SE}(\\eta)`.

    References
    ----------
    Ritz C, Baty F, Streibig JC, Gerhard D (2015) Dose-response analysis using R.
    PLoS ONE 10:e0146021. doi:10.1371/journal.pone.0146021

    Examples
    --------
    >>> x = np.array([0, 0.1, 0.3, 1, 3, 10, 30.0])
    >>> y = ll4(x, np.array([[1.5], [-1.0]]), 0.0, 100.0, np.array([[2.0], [0.5]]))
    >>> fit = fit_ll4_batch(x, y)
    >>> np.round(fit.params, 4) + 0.0  # + 0.0 turns -0.0 into 0.0
    array([[  1.5,   0. , 100. ,   2. ],
           [ -1. ,   0. , 100. ,   0.5]])
    >>> fit.converged.tolist()
    [True, True]
    """
    y = np.atleast_2d(np.asarray(response, dtype=float))
    n, m = y.shape
    if engine == "auto" and n < AUTO_COMPILED_MIN_CURVES:
        engine = "numpy"
    compiled = _engine_module(engine)
    x = np.asarray(dose, dtype=float)
    x = np.broadcast_to(x, (n, m)) if x.ndim == 1 else np.atleast_2d(x)
    # --- fixed parameters (NaN = free), e converted to the internal eta = log e
    fixed_vals = np.full((n, 4), np.nan)
    for key, val in (fixed or {}).items():
        if key not in PARAM_NAMES:
            msg = f"fixed: unknown parameter {key!r}; use one of {PARAM_NAMES}"
            raise ValueError(msg)
        fixed_vals[:, PARAM_NAMES.index(key)] = np.broadcast_to(np.asarray(val, float), (n,))
    if not x_is_log:
        with np.errstate(divide="ignore", invalid="ignore"):
            fixed_vals[:, 3] = np.log(fixed_vals[:, 3])
    st = None if start is None else np.array(np.broadcast_to(np.asarray(start, float), (n, 4)))
    kw = {"max_iter": max_iter, "ftol": ftol, "xtol": xtol, "restarts": restarts}

    if compiled is None:
        p = _prepare(x, y, mask, weights, fixed_vals, x_is_log)
        theta, rss_s, conv, n_iter, stall, cov_s, changed = _numpy_engine(
            p, _internal_start(st, p, x_is_log), **kw
        )
        retry = _retry(p, theta, conv, stall)
    else:
        out = compiled.fit_batch(x, y, mask, weights, fixed_vals, st, x_is_log=x_is_log, **kw)
        theta, rss_s, conv, n_iter, stall, cov_s, retry, res = out
        p = None

    # curves whose slope runs away (a step between two doses: no finite optimum) are left
    # as they are and reported as not converged; the others get a scipy trust-region refit
    better = np.zeros(n, dtype=bool)
    if fallback and retry.any():
        idx = np.flatnonzero(retry)
        if p is None:
            q = _prepare(
                x[idx], y[idx], _rows(mask, idx), _rows(weights, idx), fixed_vals[idx], x_is_log
            )
        else:
            q = _subset(p, idx)
        t2, ok2 = _scipy_refit(q.lxs, q.ys, q.w, theta[idx], q.free, q.eta_lo, q.eta_hi)
        r2 = (q.w * (q.ys - _model(q.lxs, t2)) ** 2).sum(axis=1)
        better[idx] = ok2 & (r2 <= rss_s[idx] * (1 + 1e-12))
        sel = np.flatnonzero(better)
        ok = better[idx]
        theta[sel], rss_s[sel], conv[sel], n_iter[sel] = t2[ok], r2[ok], True, -1
        if p is None:  # compiled: the refitted rows get their covariance and user units here
            q = _subset(q, ok)
            cov_q = _covariance(q.lxs, q.ys, q.w, theta[sel], q.free, rss_s[sel], q.df)
            fin = _finish(q, theta[sel], rss_s[sel], cov_q, conv[sel], x_is_log)
            for key, val in fin.items():
                res[key][sel] = val

    if p is not None:  # numpy engine: covariance where missing or stale, then user units
        changed |= better
        if cov_s is None:
            cov_s = _covariance(p.lxs, p.ys, p.w, theta, p.free, rss_s, p.df)
        elif changed.any():
            ch = np.flatnonzero(changed)
            cov_s[ch] = _covariance(
                p.lxs[ch], p.ys[ch], p.w[ch], theta[ch], p.free[ch], rss_s[ch], p.df[ch]
            )
        res = _finish(p, theta, rss_s, cov_s, conv, x_is_log)
        res.update(n_obs=p.nv, n_free=p.n_free, df=p.df, free=p.free)
    return BatchLL4(
        params=res["params"],
        rss=res["rss"],
        converged=res["converged"],
        n_iter=n_iter,
        n_obs=res["n_obs"],
        n_free=res["n_free"],
        df=res["df"],
        cov=res["cov"],
        se=res["se"],
        free=res["free"],
        x_is_log=x_is_log,
        engine="numpy" if compiled is None else "compiled",
    )
