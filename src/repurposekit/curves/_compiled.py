"""numba-compiled per-curve LL.4 fitter: the default engine of ``fit_ll4_batch``.

Private. Each curve is fitted by a compiled loop that does, point for point, the maths of the
vectorised numpy engine in :mod:`repurposekit.curves._kernels` (which stays the tested oracle):
drc-like self-start, EC50-shift polish with least-squares ``c``/``d``, damped Gauss–Newton /
Newton (Levenberg–Marquardt) on ``(b, c, d, eta = log e)`` with the analytic Jacobian and
Hessian, the three-start restart for poor fits and saddles, and drc's observed-Hessian
covariance. The caller (``fit_ll4_batch``) prepares the centred and scaled arrays, and does
the rare per-curve ``scipy`` fall-back and the back-transform, for both engines alike.

Everything here works on one curve at a time (``m`` points, weights ``w = 0`` mark unused
points), so the batch costs one pass over the data per iteration of each curve and nothing
for curves that have already converged; :func:`fit_rows` runs the curves serially or, with
``parallel=True``, spread over numba's threads (``prange``).

Compilation is cached on disk (``cache=True``): the first call in a fresh environment takes
several seconds, later processes load the machine code in well under a second.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np
from numba import njit, prange

__all__ = ["fit_rows"]

# error_model="numpy": a division by zero gives inf/NaN as in numpy (no ZeroDivisionError)
_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}
_BIG = np.finfo(np.float64).max


@njit(**_OPTS)
def _expit(z):
    # scipy.special.expit's formula, so both engines round alike
    return 1.0 / (1.0 + math.exp(-z))


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
def _refine_start(lx, y, w, theta, free, fz, out, s):
    """EC50 shifts 0, -1, 1, -2, 2 with least-squares c, d; keeps the best (``_refine_start``)."""
    m = lx.size
    wsum = 0.0
    wy = 0.0
    for j in range(m):
        wsum += w[j]
        wy += w[j] * y[j]
    for k in range(4):
        out[k] = theta[k]
    best_rss = np.inf
    b = theta[0]
    shifts = (0.0, -1.0, 1.0, -2.0, 2.0)
    for shift in shifts:
        eta = theta[3] + shift if free[3] else theta[3]
        s1 = 0.0
        s2 = 0.0
        sy = 0.0
        for j in range(m):
            sj = _expit(-b * (lx[j] - eta))
            s[j] = sj
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
            r = y[j] - (c + (d - c) * s[j])
            rss += w[j] * r * r
        if math.isfinite(rss) and rss < best_rss:
            best_rss = rss
            out[0] = b
            out[1] = c
            out[2] = d
            out[3] = eta


@njit(**_OPTS)
def _chol_solve4(a, rhs, x):
    """Solve the 4x4 SPD system ``a x = rhs`` (lower triangle of ``a``), as ``_chol_solve4``."""
    l00 = math.sqrt(a[0, 0]) if a[0, 0] >= 0 else np.nan
    l10 = a[1, 0] / l00
    l20 = a[2, 0] / l00
    l30 = a[3, 0] / l00
    v = a[1, 1] - l10 * l10
    l11 = math.sqrt(v) if v >= 0 else np.nan
    l21 = (a[2, 1] - l20 * l10) / l11
    l31 = (a[3, 1] - l30 * l10) / l11
    v = a[2, 2] - l20 * l20 - l21 * l21
    l22 = math.sqrt(v) if v >= 0 else np.nan
    l32 = (a[3, 2] - l30 * l20 - l31 * l21) / l22
    v = a[3, 3] - l30 * l30 - l31 * l31 - l32 * l32
    l33 = math.sqrt(v) if v >= 0 else np.nan
    z0 = rhs[0] / l00
    z1 = (rhs[1] - l10 * z0) / l11
    z2 = (rhs[2] - l20 * z0 - l21 * z1) / l22
    z3 = (rhs[3] - l30 * z0 - l31 * z1 - l32 * z2) / l33
    x[3] = z3 / l33
    x[2] = (z2 - l32 * x[3]) / l22
    x[1] = (z1 - l21 * x[2] - l31 * x[3]) / l11
    x[0] = (z0 - l10 * x[1] - l20 * x[2] - l30 * x[3]) / l00


@njit(**_OPTS)
def _lm(lx, y, w, th0, fr, eta_lo, eta_hi, max_iter, ftol, xtol, th, work, a, rhs, step):
    """Levenberg–Marquardt on one curve from ``th0`` into ``th``, as ``_kernels._lm``.

    Returns ``(rss, converged, n_iter, stalled)``. ``fr`` is 1.0 for a free parameter and
    0.0 for a fixed one; ``work`` is a (6, m) scratch array.
    """
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
            u, ut = ut, u
            s, st = st, s
            r, rt = rt, r
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
def _inv4(h, out):
    """Inverse of a 4x4 matrix by Gauss–Jordan with partial pivoting; False when singular."""
    aug = np.zeros((4, 8))
    for i in range(4):
        for k in range(4):
            aug[i, k] = h[i, k]
        aug[i, 4 + i] = 1.0
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
def _covariance(lx, y, w, th, fr, rss, df, cov, h):
    """drc's covariance ``(H/2)^-1 RSS/df`` in (b, c, d, eta) of one curve (``_covariance``)."""
    m = lx.size
    b, c, d, eta = th[0], th[1], th[2], th[3]
    delta = d - c
    for i in range(4):
        for k in range(4):
            h[i, k] = 0.0
    jac = np.empty(4)
    sec = np.zeros((4, 4))
    for j in range(m):
        u = lx[j] - eta
        s = _expit(-b * u)
        g = s - s * s
        r = y[j] - (c + delta * s)
        t = 1.0 - 2.0 * s
        jac[0] = -delta * g * u
        jac[1] = 1.0 - s
        jac[2] = s
        jac[3] = delta * g * b
        sec[0, 0] = delta * g * t * u * u
        sec[1, 0] = g * u
        sec[2, 0] = -g * u
        sec[3, 0] = delta * g * (1.0 - t * b * u)
        sec[3, 1] = -g * b
        sec[3, 2] = g * b
        sec[3, 3] = delta * b * b * g * t
        wr = w[j] * r
        for i in range(4):
            wji = w[j] * jac[i]
            for k in range(i + 1):
                h[i, k] += wji * jac[k] - wr * sec[i, k]
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
        ok = _inv4(h, cov)
    if not ok:
        for i in range(4):
            for k in range(4):
                cov[i, k] = np.nan
        return
    scale = rss / df
    neg = False
    for i in range(4):
        for k in range(4):
            cov[i, k] = cov[i, k] * scale * (fr[i] * fr[k])
        if cov[i, i] < 0:
            neg = True
    if neg:  # a non positive-definite Hessian (saddle / ridge) gives no usable SEs
        for i in range(4):
            for k in range(4):
                cov[i, k] = np.nan


@njit(**_OPTS)
def _restart(lx, zero, y, w, free, fr, fz, th0, eta_lo, eta_hi, max_iter, ftol, xtol,
             th, state, work, a, rhs, step, alt, tj):  # fmt: skip
    """Three more starts (EC50 at the quartiles of the tested log-doses, slope flipped for the
    middle one); keeps the lowest RSS, as ``fit_ll4_batch``'s ``_restart``. ``state`` holds
    ``(rss, converged, n_iter, stalled)`` and is updated in place with ``th``."""
    m = lx.size
    lw = work[0]  # scratch: the sorted positive log-doses (work[0] is free here)
    k = 0
    ymin = _BIG
    ymax = -_BIG
    for j in range(m):
        if w[j] > 0:
            ymin = min(ymin, y[j])
            ymax = max(ymax, y[j])
            if not zero[j]:
                lw[k] = lx[j]
                k += 1
    if k == 0:  # no positive dose: numpy's all-NaN row is set to 0
        lw[0] = 0.0
        k = 1
    srt = np.sort(lw[:k].copy())
    sgn = -1.0 if th0[0] < 0 else 1.0
    for q, flip in ((0.25, 1.0), (0.5, -1.0), (0.75, 1.0)):
        # np.nanquantile, method "linear" (numpy's _lerp)
        p = q * (k - 1)
        lo = int(math.floor(p))
        hi = min(lo + 1, k - 1)
        frac = p - lo
        diff = srt[hi] - srt[lo]
        eq = srt[hi] - diff * (1.0 - frac) if frac >= 0.5 else srt[lo] + diff * frac
        alt[0] = sgn * flip
        alt[1] = ymin
        alt[2] = ymax
        alt[3] = eq
        for i in range(4):
            if not free[i]:
                alt[i] = fz[i]
        rj, cj, ij, sj = _lm(
            lx, y, w, alt, fr, eta_lo, eta_hi, max_iter, ftol, xtol, tj, work, a, rhs, step
        )
        rss, conv = state[0], state[1] != 0.0
        if rj < rss * (1 - 1e-10) or (cj and not conv and rj <= rss * (1 + 1e-8)):
            for i in range(4):
                th[i] = tj[i]
            state[0] = rj
            state[1] = 1.0 if cj else 0.0
            state[2] = ij
            state[3] = 1.0 if sj else 0.0


@njit(**_OPTS)
def _fit_one(i, lx, zero, y, w, free, fz, start, has_start, eta_lo, eta_hi, nv, df,
             max_iter, ftol, xtol, restarts, theta, rss, conv, n_iter, stall, cov):  # fmt: skip
    """The whole per-curve policy of ``fit_ll4_batch`` (before the scipy fall-back)."""
    m = lx.shape[1]
    lxi, zi, yi, wi = lx[i], zero[i], y[i], w[i]
    fri = np.empty(4)
    for k in range(4):
        fri[k] = 1.0 if free[i, k] else 0.0
    work = np.empty((6, m))
    a = np.empty((4, 4))
    rhs = np.empty(4)
    step = np.empty(4)
    th0 = np.empty(4)
    tmp = np.empty(4)
    th = np.empty(4)
    tj = np.empty(4)
    state = np.empty(4)
    if has_start:
        for k in range(4):
            th0[k] = start[i, k]
    else:
        _self_start(lxi, zi, yi, wi, tmp, work)
        _refine_start(lxi, yi, wi, tmp, free[i], fz[i], th0, work[4])
    for k in range(4):
        if not free[i, k]:
            th0[k] = fz[i, k]
    th0[3] = _clip(th0[3], eta_lo[i], eta_hi[i])
    r0, c0, i0, s0 = _lm(
        lxi, yi, wi, th0, fri, eta_lo[i], eta_hi[i], max_iter, ftol, xtol, th, work, a, rhs, step
    )
    state[0] = r0
    state[1] = 1.0 if c0 else 0.0
    state[2] = i0
    state[3] = 1.0 if s0 else 0.0
    h = np.empty((4, 4))
    ci = cov[i]
    if restarts:
        tss = 0.0
        for j in range(m):
            tss += wi[j] * yi[j] * yi[j]
        poor = (not c0 and abs(th[0]) <= 10.0) or r0 > 0.2 * max(tss, 1e-300)
        if poor and nv[i] > 0:
            _restart(lxi, zi, yi, wi, free[i], fri, fz[i], th0, eta_lo[i], eta_hi[i],
                     max_iter, ftol, xtol, th, state, work, a, rhs, step, tmp, tj)  # fmt: skip
        _covariance(lxi, yi, wi, th, fri, state[0], df[i], ci, h)
        finite = True
        for k in range(4):
            for kk in range(4):
                if not math.isfinite(ci[k, kk]):
                    finite = False
        # a "converged" point whose Hessian is not positive definite is a saddle: restart
        if state[1] != 0.0 and df[i] > 0 and not finite:
            _restart(lxi, zi, yi, wi, free[i], fri, fz[i], th0, eta_lo[i], eta_hi[i],
                     max_iter, ftol, xtol, th, state, work, a, rhs, step, tmp, tj)  # fmt: skip
            _covariance(lxi, yi, wi, th, fri, state[0], df[i], ci, h)
    else:
        _covariance(lxi, yi, wi, th, fri, state[0], df[i], ci, h)
    for k in range(4):
        theta[i, k] = th[k]
    rss[i] = state[0]
    conv[i] = state[1] != 0.0
    n_iter[i] = int(state[2])
    stall[i] = state[3] != 0.0


@njit(**_OPTS)
def _fit_serial(lx, zero, y, w, free, fz, start, has_start, eta_lo, eta_hi, nv, df,
                max_iter, ftol, xtol, restarts, theta, rss, conv, n_iter, stall, cov):  # fmt: skip
    for i in range(lx.shape[0]):
        _fit_one(i, lx, zero, y, w, free, fz, start, has_start, eta_lo, eta_hi, nv, df,
                 max_iter, ftol, xtol, restarts, theta, rss, conv, n_iter, stall, cov)  # fmt: skip


@njit(parallel=True, **_OPTS)
def _fit_parallel(lx, zero, y, w, free, fz, start, has_start, eta_lo, eta_hi, nv, df,
                  max_iter, ftol, xtol, restarts, theta, rss, conv, n_iter, stall, cov):  # fmt: skip
    for i in prange(lx.shape[0]):
        _fit_one(i, lx, zero, y, w, free, fz, start, has_start, eta_lo, eta_hi, nv, df,
                 max_iter, ftol, xtol, restarts, theta, rss, conv, n_iter, stall, cov)  # fmt: skip


PARALLEL_MIN_CURVES = 2000  # below this, starting the thread pool costs more than it saves


def _use_parallel(n: int) -> bool:
    """Threads for large batches called from the main thread only: numba's default
    ``workqueue`` threading layer must not be entered from two Python threads at once."""
    if n < PARALLEL_MIN_CURVES or threading.current_thread() is not threading.main_thread():
        return False
    return numba.get_num_threads() > 1


def fit_rows(lx, zero, y, w, free, fz, start, eta_lo, eta_hi, nv, df, *,
             max_iter, ftol, xtol, restarts, parallel=None):  # fmt: skip
    """Fit every row (centred/scaled arrays prepared by ``fit_ll4_batch``).

    ``start`` is ``None`` (self-start) or the (n, 4) internal starting values.
    Returns ``theta, rss, converged, n_iter, stalled, cov`` in the internal parameters
    ``(b, c, d, eta)`` on the scaled response, as the numpy engine's intermediate arrays.
    ``parallel=None`` uses numba's threads (``numba.set_num_threads``) for batches of at
    least ``PARALLEL_MIN_CURVES`` curves called from the main thread.
    """
    n = lx.shape[0]
    if parallel is None:
        parallel = _use_parallel(n)
    f64 = np.float64
    args = (
        np.ascontiguousarray(lx, dtype=f64),
        np.ascontiguousarray(zero, dtype=np.bool_),
        np.ascontiguousarray(y, dtype=f64),
        np.ascontiguousarray(w, dtype=f64),
        np.ascontiguousarray(free, dtype=np.bool_),
        np.ascontiguousarray(fz, dtype=f64),
        np.zeros((n, 4)) if start is None else np.ascontiguousarray(start, dtype=f64),
        start is not None,
        np.ascontiguousarray(eta_lo, dtype=f64),
        np.ascontiguousarray(eta_hi, dtype=f64),
        np.ascontiguousarray(nv, dtype=np.int64),
        np.ascontiguousarray(df, dtype=np.int64),
        int(max_iter),
        float(ftol),
        float(xtol),
        bool(restarts),
    )
    theta = np.empty((n, 4))
    rss = np.empty(n)
    conv = np.empty(n, dtype=np.bool_)
    n_iter = np.empty(n, dtype=np.int64)
    stall = np.empty(n, dtype=np.bool_)
    cov = np.empty((n, 4, 4))
    kernel = _fit_parallel if parallel else _fit_serial
    kernel(*args, theta, rss, conv, n_iter, stall, cov)
    return theta, rss, conv, n_iter, stall, cov
