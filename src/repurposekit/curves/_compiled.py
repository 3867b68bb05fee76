"""numba-compiled per-curve LL.4 fitter: the default engine of ``fit_ll4_batch``.

Private. Each curve is fitted by a compiled loop that does, step for step, the maths of the
vectorised numpy engine in :mod:`repurposekit.curves._kernels` (which stays the tested oracle):
validity/weights and the per-curve centring and scaling, drc-like self-start, EC50-shift
polish with least-squares ``c``/``d``, damped Gauss–Newton / Newton (Levenberg–Marquardt) on
``(b, c, d, eta = log e)`` with the analytic Jacobian and Hessian, the three-start restart
for poor fits and saddles, drc's observed-Hessian covariance and the back-transform to user
units. The caller (``fit_ll4_batch``) runs the rare per-curve ``scipy`` trust-region
fall-back on the rows this engine flags, with the numpy engine's code.

Everything here works on one curve at a time (``m`` points, weights ``w = 0`` mark unused
points), so a curve costs nothing once it has converged and nothing allocates per curve
(scratch arrays live per block of curves); :func:`fit_batch` runs the curves serially or
spread over numba's threads (``prange`` over blocks).

Compilation is cached on disk (``cache=True``): the first call in a fresh environment takes
several seconds, later processes load the machine code in well under a second.
"""

from __future__ import annotations

import math
import os
import threading

import numba
import numpy as np
from numba import njit, prange

__all__ = ["fit_batch"]

# error_model="numpy": a division by zero gives inf/NaN as in numpy (no ZeroDivisionError)
_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}
_BIG = np.finfo(np.float64).max
# the numpy engine's constants, repeated here and not imported: numba's on-disk cache is
# invalidated by changes to this file only (tests/curves/test_compiled.py checks they match)
_ZERO_LX = -1.0e6  # internal log-dose of a zero dose: z = b u saturates, f(0) = drc's limit
_ETA_SPAN = 60.0  # eta = log e is kept within 60 ln-units of the tested log-doses


@njit(**_OPTS)
def _expit(z):
    """scipy.special.expit's formula ``1 / (1 + exp(-z))``, so both engines round alike.

    The two shortcuts return exactly what the formula gives (``1 + exp(-40)`` rounds to 1;
    ``exp(710)`` overflows to inf) without libm's slow over/underflow path, which every
    zero dose (log-dose -1e6) would otherwise take.
    """
    if z > 40.0:
        return 1.0
    if z < -710.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


@njit(**_OPTS)
def _exp(z):
    """``math.exp`` without libm's slow path where the result under/overflows anyway."""
    if z < -746.0:
        return 0.0
    if z > 710.0:
        return np.inf
    return math.exp(z)


@njit(**_OPTS)
def _nmax(a, b):
    """np.maximum semantics: NaN propagates."""
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(**_OPTS)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(**_OPTS)
def _wls_line(x, y, w):
    """Weighted least-squares line ``y = a + k x`` over the points with ``w > 0``."""
    m = x.size
    sw = 0.0
    swx = 0.0
    swy = 0.0
    for j in range(m):
        if w[j] > 0:
            sw += w[j]
            swx += w[j] * x[j]
            swy += w[j] * y[j]
    sws = sw if sw > 0 else 1.0
    mx = swx / sws
    my = swy / sws
    sxx = 0.0
    sxy = 0.0
    for j in range(m):
        if w[j] > 0:
            dx = x[j] - mx
            sxx += w[j] * dx * dx
            sxy += w[j] * dx * (y[j] - my)
    k = sxy / sxx if sxx > 0 else 0.0
    return my - k * mx, k


@njit(**_OPTS)
def _self_start(lx, zero, y, w, out, buf):
    """drc-like self-start (b, c, d, eta) of one curve, as ``_kernels.ll4_self_start``."""
    m = lx.size
    has = False
    ymin = _BIG
    ymax = -_BIG
    for j in range(m):
        if w[j] > 0:
            has = True
            ymin = min(ymin, y[j])
            ymax = max(ymax, y[j])
    if not has:
        ymin = 0.0
        ymax = 0.0
    span = ymax - ymin if ymax > ymin else 1.0
    c0 = ymin - 0.001 * span
    d0 = ymax + 0.001 * span
    xpos, wpos, t, wt = buf[0], buf[1], buf[2], buf[3]
    npos = 0
    lsum = 0.0
    lmin = _BIG
    lmax = -_BIG
    for j in range(m):
        pos = w[j] > 0 and not zero[j]
        xpos[j] = lx[j] if pos else 0.0
        wpos[j] = 1.0 if pos else 0.0
        t[j] = 0.0
        wt[j] = 0.0
        if pos:
            npos += 1
            lsum += lx[j]
            lmin = min(lmin, lx[j])
            lmax = max(lmax, lx[j])
            tj = math.log((d0 - y[j]) / (y[j] - c0))
            if math.isfinite(tj):
                t[j] = tj
                wt[j] = 1.0 if tj != 0.0 else 0.0
    _, slope = _wls_line(xpos, y, wpos)
    decreasing = slope <= 0
    a, k = _wls_line(xpos, t, wt)
    lmid = lsum / max(npos, 1) if npos > 0 else 0.0
    bad = not math.isfinite(k) or abs(k) < 1e-3
    if bad:
        b0 = 1.0 if decreasing else -1.0
        eta0 = lmid
    else:
        b0 = k
        eta0 = -a / k
    if npos > 0:
        eta0 = _clip(eta0, lmin - 2.0, lmax + 2.0)
    out[0] = _clip(b0, -20.0, 20.0)
    out[1] = c0
    out[2] = d0
    out[3] = eta0


@njit(**_OPTS)
def _refine_start(lx, y, w, theta, free, fz, out, ez):
    """EC50 shifts 0, -1, 1, -2, 2 with least-squares c, d; keeps the best (``_refine_start``).

    ``exp(b (x - eta - shift)) = exp(b (x - eta)) exp(-b shift)``: one ``exp`` per point and
    shift-independent factors, instead of one ``exp`` per point and shift. Without a free
    EC50 all shifts are the same start, so one is tried.
    """
    m = lx.size
    wsum = 0.0
    wy = 0.0
    b = theta[0]
    for j in range(m):
        wsum += w[j]
        wy += w[j] * y[j]
        ez[j] = _exp(b * (lx[j] - theta[3]))
    for k in range(4):
        out[k] = theta[k]
    best_rss = np.inf
    n_shift = 5 if free[3] else 1
    for ishift in range(n_shift):
        shift = (0.0, -1.0, 1.0, -2.0, 2.0)[ishift]
        fac = math.exp(-b * shift)
        s1 = 0.0
        s2 = 0.0
        sy = 0.0
        for j in range(m):
            sj = 1.0 / (1.0 + ez[j] * fac)
            ws = w[j] * sj
            s1 += ws
            s2 += ws * sj
            sy += ws * y[j]
        a11 = wsum - 2 * s1 + s2
        a12 = s1 - s2
        a22 = s2
        b1 = wy - sy
        b2 = sy
        det = a11 * a22 - a12 * a12
        if free[1] and free[2]:
            c = (a22 * b1 - a12 * b2) / det
            d = (a11 * b2 - a12 * b1) / det
        elif free[1]:
            c = (b1 - a12 * fz[2]) / a11
            d = fz[2]
        elif free[2]:
            c = fz[1]
            d = (b2 - a12 * fz[1]) / a22
        else:
            c = fz[1]
            d = fz[2]
        if not (math.isfinite(c) and math.isfinite(d)):
            c = theta[1]
            d = theta[2]
        rss = 0.0
        for j in range(m):
            r = y[j] - (c + (d - c) / (1.0 + ez[j] * fac))
            rss += w[j] * r * r
        if math.isfinite(rss) and rss < best_rss:
            best_rss = rss
            out[0] = b
            out[1] = c
            out[2] = d
            out[3] = theta[3] + shift


@njit(**_OPTS)
def _chol_solve4(a, rhs, x):
    """Solve the 4x4 SPD system ``a x = rhs`` (lower triangle of ``a``) by Cholesky.

    As ``_kernels._chol_solve4`` with each division by a diagonal factor replaced by a
    multiplication with its reciprocal (4 divisions instead of 14). A matrix that is not
    positive definite gives a non-finite ``x``.
    """
    v = a[0, 0]
    l00 = math.sqrt(v) if v >= 0 else np.nan
    i00 = 1.0 / l00
    l10 = a[1, 0] * i00
    l20 = a[2, 0] * i00
    l30 = a[3, 0] * i00
    v = a[1, 1] - l10 * l10
    l11 = math.sqrt(v) if v >= 0 else np.nan
    i11 = 1.0 / l11
    l21 = (a[2, 1] - l20 * l10) * i11
    l31 = (a[3, 1] - l30 * l10) * i11
    v = a[2, 2] - l20 * l20 - l21 * l21
    l22 = math.sqrt(v) if v >= 0 else np.nan
    i22 = 1.0 / l22
    l32 = (a[3, 2] - l30 * l20 - l31 * l21) * i22
    v = a[3, 3] - l30 * l30 - l31 * l31 - l32 * l32
    l33 = math.sqrt(v) if v >= 0 else np.nan
    i33 = 1.0 / l33
    z0 = rhs[0] * i00
    z1 = (rhs[1] - l10 * z0) * i11
    z2 = (rhs[2] - l20 * z0 - l21 * z1) * i22
    z3 = (rhs[3] - l30 * z0 - l31 * z1 - l32 * z2) * i33
    x3 = z3 * i33
    x2 = (z2 - l32 * x3) * i22
    x1 = (z1 - l21 * x2 - l31 * x3) * i11
    x[0] = (z0 - l10 * x1 - l20 * x2 - l30 * x3) * i00
    x[1] = x1
    x[2] = x2
    x[3] = x3


@njit(**_OPTS)
def _lm(lx, y, w, th0, fr, eta_lo, eta_hi, lm_opt, th, lm_scr):
    """Levenberg–Marquardt on one curve from ``th0`` into ``th``, as ``_kernels._lm``.

    Returns ``(rss, converged, n_iter, stalled)``. ``fr`` is 1.0 for a free parameter and
    0.0 for a fixed one; ``lm_opt = (max_iter, ftol, xtol)``; ``lm_scr = (work, a, rhs,
    step)`` is scratch: ``work`` (>= 6, m), ``a`` (4, 4), ``rhs`` and ``step`` (4,).
    """
    max_iter, ftol, xtol = lm_opt
    work, a, rhs, step = lm_scr
    m = lx.size
    u, s, r = work[0], work[1], work[2]
    ut, st, rt = work[3], work[4], work[5]
    for k in range(4):
        th[k] = th0[k]
    wsum = 0.0
    wys = 0.0
    for j in range(m):
        wsum += w[j]
        wys += w[j] * y[j]
    ybar = wys / max(wsum, 1e-300)
    tss = 0.0
    for j in range(m):
        dy = y[j] - ybar
        tss += w[j] * dy * dy
    tiny = 1e-26 * max(tss, 1e-300)
    lam = 1e-3
    rss = 0.0
    for j in range(m):
        u[j] = lx[j] - th[3]
        s[j] = _expit(-th[0] * u[j])
        r[j] = y[j] - (th[1] + (th[2] - th[1]) * s[j])
        rss += w[j] * r[j] * r[j]
    converged = False
    stalled_any = False
    n_iter = 0
    for it in range(max_iter):
        bb = th[0]
        delta = th[2] - th[1]
        s1 = s2 = gv = gvs = gvu = gvus = gg = ggu = gguu = 0.0
        rsum = rs = rg = rgu = 0.0
        big_a = big_b = big_c = big_d = 0.0
        newton = it >= 2
        for j in range(m):
            wj = w[j]
            sj = s[j]
            uj = u[j]
            g = sj - sj * sj
            ws = wj * sj
            v = wj * g
            vu = v * uj
            vug = vu * g
            wr = wj * r[j]
            wrg = wr * g
            s1 += ws
            s2 += ws * sj
            gv += v
            gvs += v * sj
            gvu += vu
            gvus += vu * sj
            gg += v * g
            ggu += vug
            gguu += vug * uj
            rsum += wr
            rs += wr * sj
            rg += wrg
            rgu += wrg * uj
            if newton:
                wrgs = wrg * sj
                big_a += wrg * uj * uj
                big_b += wrgs * uj * uj
                big_c += wrgs * uj
                big_d += wrgs
        # J columns: jb = -delta g u, jc = 1 - s, jd = s, je = delta g b
        a[0, 0] = delta * delta * gguu
        a[1, 0] = -delta * (gvu - gvus)
        a[2, 0] = -delta * gvus
        a[3, 0] = -delta * delta * bb * ggu
        a[1, 1] = wsum - 2.0 * s1 + s2
        a[2, 1] = s1 - s2
        a[3, 1] = delta * bb * (gv - gvs)
        a[2, 2] = s2
        a[3, 2] = delta * bb * gvs
        a[3, 3] = delta * delta * bb * bb * gg
        rhs[0] = -delta * rgu
        rhs[1] = rsum - rs
        rhs[2] = rs
        rhs[3] = delta * bb * rg
        if newton:  # full Hessian: subtract sum w r f''
            a[0, 0] = a[0, 0] - delta * (big_a - 2.0 * big_b)
            a[1, 0] = a[1, 0] - rgu
            a[2, 0] = a[2, 0] + rgu
            a[3, 0] = a[3, 0] - delta * (rg - bb * (rgu - 2.0 * big_c))
            a[3, 1] = a[3, 1] + bb * rg
            a[3, 2] = a[3, 2] - bb * rg
            a[3, 3] = a[3, 3] - delta * bb * bb * (rg - 2.0 * big_d)
        for i in range(4):
            for k in range(i + 1):
                a[i, k] = a[i, k] * fr[i] * fr[k]
            rhs[i] = rhs[i] * fr[i]
        dmax = _nmax(_nmax(a[0, 0], a[1, 1]), _nmax(a[2, 2], a[3, 3]))
        floor = 1e-12 * _nmax(dmax, 1e-300)
        for i in range(4):
            a[i, i] = a[i, i] + lam * _nmax(a[i, i], floor) + (1.0 - fr[i])
        _chol_solve4(a, rhs, step)
        bad_step = False
        for k in range(4):
            if not math.isfinite(step[k]):
                bad_step = True
        for k in range(4):
            step[k] = 0.0 if bad_step else step[k] * fr[k]
        tb = _clip(th[0] + step[0], -200.0, 200.0)
        tc = th[1] + step[1]
        td = th[2] + step[2]
        te = _clip(th[3] + step[3], eta_lo, eta_hi)
        rss_new = 0.0
        for j in range(m):
            ut[j] = lx[j] - te
            st[j] = _expit(-tb * ut[j])
            rt[j] = y[j] - (tc + (td - tc) * st[j])
            rss_new += w[j] * rt[j] * rt[j]
        accept = (not bad_step) and math.isfinite(rss_new) and rss_new <= rss
        rel_red = (rss - rss_new) / max(rss, 1e-300)
        rel_step = 0.0
        for k in range(4):
            rel_step = _nmax(rel_step, abs(step[k]) / (abs(th[k]) + 1e-8))
        if accept:
            th[0] = tb
            th[1] = tc
            th[2] = td
            th[3] = te
            for j in range(m):
                u[j] = ut[j]
                s[j] = st[j]
                r[j] = rt[j]
            rss = rss_new
            lam = max(lam * 0.2, 1e-12)
        else:
            lam = lam * 4.0
        n_iter += 1
        done = accept and (rel_red < ftol or rel_step < xtol)
        done = done or rss <= tiny
        # a slope beyond +-15 is a step between two doses: no finite optimum
        stalled = lam > 1e14 or abs(th[0]) > 15.0
        if done:
            converged = True
        if stalled:
            stalled_any = True
            # a stall where the gradient vanishes is an optimum too (cosine criterion)
            gnorm = 0.0
            jnorm = 0.0
            for k in range(4):
                gnorm += rhs[k] * rhs[k]
                jnorm += a[k, k] / (1.0 + lam)
            gnorm = math.sqrt(gnorm)
            jnorm = math.sqrt(jnorm) if jnorm >= 0 else np.nan
            if gnorm <= 1e-8 * jnorm * math.sqrt(max(rss, 1e-300)) + 1e-300:
                converged = True
        if done or stalled:
            break
    return rss, converged, n_iter, stalled_any and not converged


@njit(**_OPTS)
def _inv4(h, out, aug):
    """Inverse of a 4x4 matrix (Gauss–Jordan, partial pivoting); False when singular.

    ``aug`` is a (4, 8) scratch array. A zero pivot means an exactly singular matrix, where
    numpy's ``inv`` (LAPACK ``gesv``) raises and the numpy engine leaves NaN.
    """
    for i in range(4):
        for k in range(4):
            aug[i, k] = h[i, k]
            aug[i, 4 + k] = 1.0 if i == k else 0.0
    for col in range(4):
        piv = col
        for i in range(col + 1, 4):
            if abs(aug[i, col]) > abs(aug[piv, col]):
                piv = i
        if aug[piv, col] == 0.0:
            return False
        if piv != col:
            for k in range(8):
                tmp = aug[col, k]
                aug[col, k] = aug[piv, k]
                aug[piv, k] = tmp
        p = aug[col, col]
        for k in range(8):
            aug[col, k] = aug[col, k] / p
        for i in range(4):
            if i != col:
                f = aug[i, col]
                if f != 0.0:
                    for k in range(8):
                        aug[i, k] = aug[i, k] - f * aug[col, k]
    for i in range(4):
        for k in range(4):
            out[i, k] = aug[i, 4 + k]
    return True


@njit(**_OPTS)
def _covariance(lx, y, w, th, fr, rss, df, cov, h, aug):
    """drc's covariance ``(H/2)^-1 RSS/df`` in (b, c, d, eta) of one curve (``_covariance``).

    Second derivatives of f (``u = log x - eta``, ``g = s (1 - s)``, ``t = 1 - 2 s``,
    ``D = d - c``): f_bb = D g t u², f_bc = g u, f_bd = -g u, f_be = D g (1 - t b u),
    f_ce = -g b, f_de = g b, f_ee = D b² g t. Rows/columns of fixed parameters are 0; NaN
    when ``df <= 0`` or the Hessian is singular or not positive definite.
    """
    m = lx.size
    b, c, d, eta = th[0], th[1], th[2], th[3]
    delta = d - c
    h00 = h10 = h20 = h30 = h11 = h21 = h31 = h22 = h32 = h33 = 0.0
    for j in range(m):
        u = lx[j] - eta
        s = _expit(-b * u)
        g = s - s * s
        r = y[j] - (c + delta * s)
        t = 1.0 - 2.0 * s
        j0 = -delta * g * u
        j1 = 1.0 - s
        j2 = s
        j3 = delta * g * b
        ww = w[j]
        wr = ww * r
        w0, w1, w2, w3 = ww * j0, ww * j1, ww * j2, ww * j3
        h00 += w0 * j0 - wr * (delta * g * t * u * u)
        h10 += w1 * j0 - wr * (g * u)
        h20 += w2 * j0 - wr * (-g * u)
        h30 += w3 * j0 - wr * (delta * g * (1.0 - t * b * u))
        h11 += w1 * j1
        h21 += w2 * j1
        h31 += w3 * j1 - wr * (-g * b)
        h22 += w2 * j2
        h32 += w3 * j2 - wr * (g * b)
        h33 += w3 * j3 - wr * (delta * b * b * g * t)
    h[0, 0], h[1, 0], h[2, 0], h[3, 0] = h00, h10, h20, h30
    h[1, 1], h[2, 1], h[3, 1] = h11, h21, h31
    h[2, 2], h[3, 2], h[3, 3] = h22, h32, h33
    ok = df > 0
    for i in range(4):
        for k in range(i + 1):
            v = h[i, k] * fr[i] * fr[k]
            if i == k:
                v += 1.0 - fr[i]
            h[i, k] = v
            h[k, i] = v
            if not math.isfinite(v):
                ok = False
    if ok:
        ok = _inv4(h, cov, aug)
    if ok:
        scale = rss / df
        for i in range(4):
            for k in range(4):
                cov[i, k] = cov[i, k] * scale * (fr[i] * fr[k])
            if cov[i, i] < 0:  # a saddle / ridge gives no usable SEs
                ok = False
    if not ok:
        for i in range(4):
            for k in range(4):
                cov[i, k] = np.nan


@njit(**_OPTS)
def _all_finite(a):
    for v in a.ravel():  # noqa: SIM110 (an explicit loop: nopython mode, no generator)
        if not math.isfinite(v):
            return False
    return True


@njit(**_OPTS)
def _restart(lx, zero, y, w, free, fr, fz, th0, eta_lo, eta_hi, lm_opt, th, state, lm_scr, alt, tj):
    """Three more starts (EC50 at the quartiles of the tested log-doses, slope flipped for the
    middle one); keeps the lowest RSS, as ``fit_ll4_batch``'s ``_restart``. ``state`` holds
    ``(rss, converged, n_iter, stalled)`` and is updated in place with ``th``."""
    m = lx.size
    srt = lm_scr[0][6]  # the positive log-doses, sorted (insertion sort: a handful of points)
    k = 0
    ymin = _BIG
    ymax = -_BIG
    for j in range(m):
        if w[j] > 0:
            ymin = min(ymin, y[j])
            ymax = max(ymax, y[j])
            if not zero[j]:
                v = lx[j]
                p = k
                while p > 0 and srt[p - 1] > v:
                    srt[p] = srt[p - 1]
                    p -= 1
                srt[p] = v
                k += 1
    if k == 0:  # no positive dose: the numpy engine's all-NaN row becomes 0
        srt[0] = 0.0
        k = 1
    sgn = -1.0 if th0[0] < 0 else 1.0
    for q, flip in ((0.25, 1.0), (0.5, -1.0), (0.75, 1.0)):
        # np.nanquantile, method "linear" (numpy's _lerp)
        pq = q * (k - 1)
        lo = math.floor(pq)
        hi = min(lo + 1, k - 1)
        frac = pq - lo
        diff = srt[hi] - srt[lo]
        eq = srt[hi] - diff * (1.0 - frac) if frac >= 0.5 else srt[lo] + diff * frac
        alt[0] = sgn * flip
        alt[1] = ymin
        alt[2] = ymax
        alt[3] = eq
        for i in range(4):
            if not free[i]:
                alt[i] = fz[i]
        rj, cj, ij, sj = _lm(lx, y, w, alt, fr, eta_lo, eta_hi, lm_opt, tj, lm_scr)
        # never trade a lower RSS for a worse one; prefer converged at equal RSS
        rss, conv = state[0], state[1] != 0.0
        if rj < rss * (1 - 1e-10) or (cj and not conv and rj <= rss * (1 + 1e-8)):
            for i in range(4):
                th[i] = tj[i]
            state[0] = rj
            state[1] = 1.0 if cj else 0.0
            state[2] = ij
            state[3] = 1.0 if sj else 0.0


@njit(**_OPTS)
def _fit_curve(i, inp, opt, out, scr):
    """Prepare, fit and back-transform curve ``i``: ``fit_ll4_batch``'s policy for one curve
    (all but the scipy fall-back, which the caller runs on the rows flagged ``out_retry``).

    ``inp``, ``opt`` and ``out`` are the tuples built by :func:`fit_batch`; ``scr`` is the
    scratch of :func:`_fit_block`.
    """
    x, y, mask, wt, fixed, start = inp
    has_start, x_is_log, max_iter, ftol, xtol, restarts = opt
    out_theta, out_rss_s, out_conv, out_iter, out_stall, out_retry = out[:6]
    out_params, out_rss, out_cov, out_se, out_ok = out[6:11]
    out_nobs, out_nfree, out_df, out_free = out[11:]
    rows, zero, work, vecs, mats, aug = scr
    m = y.shape[1]
    xr = x[i if x.shape[0] > 1 else 0]
    mr = mask[i if mask.shape[0] > 1 else 0]
    wr = wt[i if wt.shape[0] > 1 else 0]
    lxs, ys, w = rows[0], rows[1], rows[2]
    rhs, step, th0, tmp, th, tj, state, fr, fzv = vecs
    a, h, cov = mats
    lm_opt = (max_iter, ftol, xtol)
    lm_scr = (work, a, rhs, step)
    # --- validity, weights and log-dose (as _kernels._prepare)
    nv = 0
    npos = 0
    lmin = _BIG
    lmax = -_BIG
    for j in range(m):
        xj = xr[j]
        yj = y[i, j]
        ok = math.isfinite(yj) and math.isfinite(xj) and (x_is_log or xj >= 0) and mr[j]
        wj = wr[j] if ok and math.isfinite(wr[j]) else 0.0
        valid = wj > 0
        w[j] = wj if valid else 0.0
        ys[j] = yj if valid else 0.0
        if x_is_log:
            z = False
            lxj = xj if valid else 0.0
        else:
            xs = xj if valid else 1.0
            z = xs == 0
            lxj = 0.0 if z else math.log(xs)
        zero[j] = z
        lxs[j] = lxj
        if valid:
            nv += 1
            if not z:
                npos += 1
                lmin = min(lmin, lxj)
                lmax = max(lmax, lxj)
    if npos == 0:
        lmin = 0.0
        lmax = 0.0
    lc = 0.5 * (lmin + lmax)
    sw = 0.0
    swy = 0.0
    for j in range(m):
        lxs[j] = _ZERO_LX if zero[j] else lxs[j] - lc
        sw += w[j]
        swy += w[j] * ys[j]
    ym = swy / max(sw, 1e-300)
    ss = 0.0
    for j in range(m):
        if w[j] > 0:
            dy = ys[j] - ym
            ss += dy * dy
    ysd = math.sqrt(ss / max(nv, 1))
    if not ysd > 0:
        ysd = abs(ym) if abs(ym) > 0 else 1.0
    for j in range(m):
        ys[j] = (ys[j] - ym) / ysd
    n_free = 0
    for k in range(4):
        free_k = math.isnan(fixed[i, k])
        out_free[i, k] = free_k
        fr[k] = 1.0 if free_k else 0.0
        n_free += 1 if free_k else 0
    fzv[0] = fixed[i, 0]
    fzv[1] = (fixed[i, 1] - ym) / ysd
    fzv[2] = (fixed[i, 2] - ym) / ysd
    fzv[3] = fixed[i, 3] - lc
    eta_lo = lmin - lc - _ETA_SPAN
    eta_hi = lmax - lc + _ETA_SPAN
    df = nv - n_free
    free = out_free[i]
    # --- starting values
    if has_start:
        th0[0] = start[i, 0]
        th0[1] = (start[i, 1] - ym) / ysd
        th0[2] = (start[i, 2] - ym) / ysd
        th0[3] = (start[i, 3] if x_is_log else math.log(start[i, 3])) - lc
    else:
        _self_start(lxs, zero, ys, w, tmp, work)
        _refine_start(lxs, ys, w, tmp, free, fzv, th0, work[4])
    for k in range(4):
        if not free[k]:
            th0[k] = fzv[k]
    th0[3] = _clip(th0[3], eta_lo, eta_hi)
    # --- Levenberg–Marquardt, restarts for poor fits and saddles, covariance
    r0, c0, i0, s0 = _lm(lxs, ys, w, th0, fr, eta_lo, eta_hi, lm_opt, th, lm_scr)
    state[0] = r0
    state[1] = 1.0 if c0 else 0.0
    state[2] = i0
    state[3] = 1.0 if s0 else 0.0
    if restarts:
        tss = 0.0
        for j in range(m):
            tss += w[j] * ys[j] * ys[j]
        # steep curves (|b| > 10) that did not converge are step-like: no start helps them
        poor = (not c0 and abs(th[0]) <= 10.0) or r0 > 0.2 * max(tss, 1e-300)
        if poor and nv > 0:
            _restart(
                lxs,
                zero,
                ys,
                w,
                free,
                fr,
                fzv,
                th0,
                eta_lo,
                eta_hi,
                lm_opt,
                th,
                state,
                lm_scr,
                tmp,
                tj,
            )
        _covariance(lxs, ys, w, th, fr, state[0], df, cov, h, aug)
        # a "converged" point whose Hessian is not positive definite is a saddle: restart
        if state[1] != 0.0 and df > 0 and not _all_finite(cov):
            _restart(
                lxs,
                zero,
                ys,
                w,
                free,
                fr,
                fzv,
                th0,
                eta_lo,
                eta_hi,
                lm_opt,
                th,
                state,
                lm_scr,
                tmp,
                tj,
            )
            _covariance(lxs, ys, w, th, fr, state[0], df, cov, h, aug)
    else:
        _covariance(lxs, ys, w, th, fr, state[0], df, cov, h, aug)
    conv = state[1] != 0.0
    stall = state[3] != 0.0
    # --- the scipy fall-back's candidates and the EC50-too-far rule (as fit_ll4_batch)
    steep = abs(th[0]) > 10.0
    runaway = th[3] < eta_lo + 5.0 or th[3] > eta_hi - 5.0
    out_retry[i] = (not conv) and stall and nv > 0 and not steep and not runaway
    far = free[3] and (th[3] < eta_lo + _ETA_SPAN - 10.0 or th[3] > eta_hi - _ETA_SPAN + 10.0)
    for k in range(4):
        out_theta[i, k] = th[k]
    out_rss_s[i] = state[0]
    out_conv[i] = conv
    out_iter[i] = int(state[2])
    out_stall[i] = stall
    # --- back to user units; fixed parameters report exactly the value given
    eta = th[3] + lc
    e = eta if x_is_log else math.exp(eta)
    p = out_params[i]
    p[0] = th[0]
    p[1] = th[1] * ysd + ym
    p[2] = th[2] * ysd + ym
    p[3] = e
    fr[0] = 1.0
    fr[1] = ysd
    fr[2] = ysd
    fr[3] = 1.0 if x_is_log else e
    for k in range(4):
        for kk in range(4):
            out_cov[i, k, kk] = cov[k, kk] * fr[k] * fr[kk]
        out_se[i, k] = math.sqrt(out_cov[i, k, k]) if out_cov[i, k, k] >= 0 else np.nan
        if not free[k]:
            p[k] = fixed[i, k] if (k < 3 or x_is_log) else math.exp(fixed[i, k])
    out_rss[i] = state[0] * ysd * ysd
    out_ok[i] = conv and not far and nv > 0
    out_nobs[i] = nv
    out_nfree[i] = n_free
    out_df[i] = df


@njit(**_OPTS)
def _fit_block(lo, hi, inp, opt, out):
    """Curves ``lo..hi-1``, with one set of scratch arrays for the whole block."""
    m = inp[1].shape[1]
    v4 = np.empty((9, 4))  # 4-vectors; fixed values on the internal scale last
    m44 = np.empty((3, 4, 4))  # 4x4 matrices
    scr = (
        np.empty((3, m)),  # the curve's prepared log-dose, response and weights
        np.empty(m, dtype=np.bool_),  # zero doses
        np.empty((7, m)),  # work rows of the self-start, Levenberg–Marquardt and restarts
        (v4[0], v4[1], v4[2], v4[3], v4[4], v4[5], v4[6], v4[7], v4[8]),
        (m44[0], m44[1], m44[2]),
        np.empty((4, 8)),  # Gauss–Jordan tableau
    )
    for i in range(lo, hi):
        _fit_curve(i, inp, opt, out, scr)


@njit(**_OPTS)
def _fit_serial(inp, opt, out):
    _fit_block(0, inp[1].shape[0], inp, opt, out)


_BLOCK = 256  # curves per parallel task (scratch is allocated once per block)


@njit(parallel=True, **_OPTS)
def _fit_parallel(inp, opt, out):
    n = inp[1].shape[0]
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        lo = blk * _BLOCK
        _fit_block(lo, min(lo + _BLOCK, n), inp, opt, out)


PARALLEL_MIN_CURVES = 2000  # below this, waking the thread pool costs more than it saves
_PARALLEL_PID: list[int] = []  # the process that started numba's thread pool


def _use_parallel(n: int) -> bool:
    """Threads for batches of ``PARALLEL_MIN_CURVES`` curves or more, when safe.

    Only from the main thread (numba's ``workqueue`` layer must not be entered from two
    Python threads at once) and only in the process that first started the thread pool:
    with the GNU OpenMP layer a forked child that launches a parallel region is terminated
    by numba, so a ``fork``-ed worker (multiprocessing's default start on Linux) runs serially.
    """
    if n < PARALLEL_MIN_CURVES or threading.current_thread() is not threading.main_thread():
        return False
    if _PARALLEL_PID and _PARALLEL_PID[0] != os.getpid():
        return False
    return numba.get_num_threads() > 1


def _row_array(a, n: int, m: int, dtype, fill):
    """(1, m) or (n, m) C-contiguous array for an input that broadcasts to (n, m)."""
    if a is None:
        return np.full((1, m), fill, dtype=dtype)
    a = np.asarray(a, dtype=dtype)
    if a.ndim == 1 and a.shape == (m,):
        a = a[None, :]
    elif not (a.ndim == 2 and a.shape[1] == m and a.shape[0] in (1, n)):
        a = np.broadcast_to(a, (n, m))
    return np.ascontiguousarray(a)


def fit_batch(
    dose, y, mask, weights, fixed, start, *, x_is_log, max_iter, ftol, xtol, restarts, parallel=None
):
    """Fit every curve; the compiled counterpart of ``fit_ll4_batch``'s numpy engine.

    ``dose``, ``mask`` and ``weights`` broadcast to ``y``'s shape (n, m) (``mask`` and
    ``weights`` may be None); ``fixed`` is (n, 4) with NaN = free and ``e`` already on the
    log scale unless ``x_is_log``; ``start`` is None or (n, 4) in user units.
    ``parallel=None`` uses numba's threads (``numba.set_num_threads``) for batches of at
    least ``PARALLEL_MIN_CURVES`` curves called from the main thread.

    Returns ``theta, rss_s, converged, n_iter, stalled, None, retry, result``: the internal
    estimates (``(b, c, d, eta)`` on the scaled response), the rows for the scipy fall-back,
    and a dict of the user-unit arrays of :class:`~repurposekit.curves._kernels.BatchLL4`.
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    n, m = y.shape
    if parallel is None:
        parallel = _use_parallel(n)
    has_start = start is not None
    out = (
        np.empty((n, 4)),  # theta
        np.empty(n),  # rss_s
        np.empty(n, dtype=np.bool_),  # converged (internal)
        np.empty(n, dtype=np.int64),  # n_iter
        np.empty(n, dtype=np.bool_),  # stalled
        np.empty(n, dtype=np.bool_),  # retry
        np.empty((n, 4)),  # params
        np.empty(n),  # rss
        np.empty((n, 4, 4)),  # cov
        np.empty((n, 4)),  # se
        np.empty(n, dtype=np.bool_),  # converged (reported)
        np.empty(n, dtype=np.int64),  # n_obs
        np.empty(n, dtype=np.int64),  # n_free
        np.empty(n, dtype=np.int64),  # df
        np.empty((n, 4), dtype=np.bool_),  # free
    )
    inp = (
        _row_array(dose, n, m, np.float64, 0.0),
        y,
        _row_array(mask, n, m, np.bool_, True),
        _row_array(weights, n, m, np.float64, 1.0),
        np.ascontiguousarray(fixed, dtype=np.float64),
        np.ascontiguousarray(start, dtype=np.float64) if has_start else np.zeros((1, 4)),
    )
    opt = (has_start, bool(x_is_log), int(max_iter), float(ftol), float(xtol), bool(restarts))
    if parallel:
        if not _PARALLEL_PID:
            _PARALLEL_PID.append(os.getpid())
        _fit_parallel(inp, opt, out)
    else:
        _fit_serial(inp, opt, out)
    theta, rss_s, conv, n_iter, stall, retry = out[:6]
    keys = ("params", "rss", "cov", "se", "converged", "n_obs", "n_free", "df", "free")
    return theta, rss_s, conv, n_iter, stall, None, retry, dict(zip(keys, out[6:], strict=True))
