"""drc ``LL.4`` curves for the synergy kernels: a thin layer over the dose-response engine.

Private. ``f(x) = c + (d - c) / (1 + exp(b (log x - log e)))`` (drc's LL.4; ``b < 0`` for a
curve that rises with dose). Fitting is delegated to
:func:`repurposekit.curves._kernels.fit_ll4_batch` (Levenberg–Marquardt from a drc-like
self-start; its ``engine="auto"`` runs the numba-compiled engine when numba is installed,
else the vectorised numpy one), so the synergy and dose-response stages share one fitter.
On the SynergyFinder anchors it reproduces drc's monotherapy fits at least as well as the
synergy stage's former own fitter (it finds drc's optimum for Mathews block 2 canertinib,
where the former fitter stopped in a poor local optimum).

The restarts for poor fits are run here (:func:`_restart`), not by the engine: the
engine's own restarts take the slope sign of the start rather than of the first fit's
optimum, and on the 20,000 ZIP row/column curves of the 2,000-block benchmark screen they
left 579 curves with a higher RSS than this wrapper (up to 280 vs 5), for 368 lower.
"""

from __future__ import annotations

import numpy as np

from repurposekit.curves._kernels import fit_ll4_batch
from repurposekit.curves._kernels import ll4 as _ll4

__all__ = ["fit_ll4", "ll4", "ll4_inverse"]

_PARAMS = ("b", "c", "d", "e")

#: Engine of every synergy LL.4 fit ("auto", "compiled" or "numpy"); module-level so a test
#: or a benchmark can compare the engines end to end.
ENGINE = "auto"


def ll4(x: np.ndarray, b, c, d, e) -> np.ndarray:
    """drc LL.4 ``c + (d - c) / (1 + exp(b (log x - log e)))`` (broadcasting; ``x = 0`` allowed)."""
    with np.errstate(all="ignore"):
        return _ll4(x, b, c, d, e)


def ll4_inverse(y, b, c, d, e) -> np.ndarray:
    """Dose giving response ``y`` on an LL.4 curve (NaN outside the open range of c..d)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = (d - y) / (y - c)
        out = e * np.power(ratio, 1.0 / b)
    return np.where(ratio > 0, out, np.nan)


def fit_ll4(
    x: np.ndarray,
    y: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    fixed: dict[str, np.ndarray] | None = None,
    engine: str | None = None,
) -> dict[str, np.ndarray]:
    """Fit LL.4 to each row of ``y`` (doses ``x``, same shape or broadcastable; ``x > 0``).

    Parameters
    ----------
    x, y : ndarray, shape (n_curves, n_points)
        Doses (molar; a zero dose is replaced by a tiny surrogate first, as SynergyFinder
        does) and responses (% inhibition). NaN responses are ignored.
    mask : ndarray of bool, optional
        True where a point is used (default: where ``y`` is finite).
    fixed : dict, optional
        ``{"b"|"c"|"d"|"e": array (n_curves,)}``; NaN entries are free.
    engine : {"auto", "compiled", "numpy"}, optional
        Engine of :func:`~repurposekit.curves._kernels.fit_ll4_batch` (default
        :data:`ENGINE`, ``"auto"``: compiled when numba imports). Both give the same fits to
        rounding on well-determined curves.

    Returns
    -------
    dict
        Arrays ``b, c, d, e, rss, n_iter, converged`` of shape (n_curves,).
    """
    y = np.asarray(y, dtype=float)
    x = np.broadcast_to(np.asarray(x, dtype=float), y.shape)
    with np.errstate(all="ignore"):
        eng = ENGINE if engine is None else engine
        f = fit_ll4_batch(x, y, mask=mask, fixed=fixed, restarts=False, engine=eng)
        params, rss, conv = f.params.copy(), f.rss.copy(), f.converged.copy()
        n_iter = f.n_iter.copy()
        _restart(x, y, mask, fixed, params, rss, conv, n_iter, eng)
    out = {name: params[:, i] for i, name in enumerate(_PARAMS)}
    out["rss"] = rss
    out["n_iter"] = n_iter
    out["converged"] = conv
    return out


def _restart(x, y, mask, fixed, params, rss, conv, n_iter, engine: str = "auto") -> None:
    """Refit poor curves from three more starts in one batch; keep the lowest RSS (in place).

    Same rule as ``fit_ll4_batch(restarts=True)`` (curves that did not converge with a
    moderate slope, or with R² < 0.8; EC50 started at the quartiles of the tested log-doses,
    the slope sign flipped for the middle one), with the quartiles taken from sorted rows:
    ``np.nanquantile`` along rows is a Python loop and dominated screen-scale timings.
    """
    use = np.isfinite(y) & np.isfinite(x) & (x > 0)
    if mask is not None:
        use &= np.asarray(mask, dtype=bool)
    n_use = use.sum(axis=1)
    ym = np.where(use, y, 0.0).sum(axis=1) / np.maximum(n_use, 1)
    tss = np.where(use, (y - ym[:, None]) ** 2, 0.0).sum(axis=1)
    poor = (~conv & (np.abs(params[:, 0]) <= 10.0)) | (rss > 0.2 * np.maximum(tss, 1e-300))
    idx = np.flatnonzero(poor & (n_use > 0))
    if idx.size == 0:
        return
    lx = np.sort(np.where(use[idx], np.log(np.where(use[idx], x[idx], 1.0)), np.inf), axis=1)
    cnt = n_use[idx]
    ylo = np.where(use[idx], y[idx], np.inf).min(axis=1)
    yhi = np.where(use[idx], y[idx], -np.inf).max(axis=1)
    sgn = np.where(params[idx, 0] < 0, -1.0, 1.0)
    starts = []
    for q, flip in ((0.25, 1.0), (0.5, -1.0), (0.75, 1.0)):
        pos = q * (cnt - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, cnt - 1)
        frac = pos - lo
        rows = np.arange(idx.size)
        eq = lx[rows, lo] + frac * (lx[rows, hi] - lx[rows, lo])
        starts.append(np.column_stack([sgn * flip, ylo, yhi, np.exp(eq)]))
    k = len(starts)
    rep = np.tile(idx, k)
    fx = None
    if fixed:
        fx = {
            n: np.tile(np.broadcast_to(np.asarray(v, float), (x.shape[0],))[idx], k)
            for n, v in fixed.items()
        }
    g = fit_ll4_batch(
        x[rep],
        y[rep],
        mask=None if mask is None else np.asarray(mask, dtype=bool)[rep],
        fixed=fx,
        start=np.vstack(starts),
        restarts=False,
        fallback=False,
        engine=engine,
    )
    for j in range(k):
        part = slice(j * idx.size, (j + 1) * idx.size)
        rj, cj = g.rss[part], g.converged[part]
        better = (rj < rss[idx] * (1 - 1e-10)) | (cj & ~conv[idx] & (rj <= rss[idx] * (1 + 1e-8)))
        sel = idx[better]
        params[sel] = g.params[part][better]
        rss[sel], conv[sel], n_iter[sel] = rj[better], cj[better], g.n_iter[part][better]
