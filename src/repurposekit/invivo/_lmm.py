"""REML kernel for the linear mixed model of log relative tumour volume (numpy only).

Model (SynergyLMM, Romero-Becerra et al. 2025; nlme notation)::

    logRTV_ij = x_ij' beta + b_i t_ij + e_ij,   b_i ~ N(0, psi),   e_ij ~ N(0, sigma_i^2)

with one random slope per animal ``i`` and either one residual variance (``sigma_i = sigma``)
or one residual variance per animal (nlme ``varIdent(form = ~1 | subject)``).

Because the random-effects design of each animal is a single column ``z_i`` (its times), the
marginal covariance ``V_i = sigma_i^2 I + psi z_i z_i'`` is inverted with the
Sherman–Morrison formula, and everything the restricted likelihood and its gradient need is a
function of the per-animal Gram quantities ``X'X, X'z, z'z, X'y, z'y, y'y``. The kernel is
therefore vectorised over animals and never forms an ``n x n`` matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["RemlFit", "cr2_vcov", "fit_reml", "gram", "single_thread_blas"]


def single_thread_blas():
    """Context limiting BLAS to one thread while the small REML problems are solved.

    The matrices here are at most a few dozen wide: BLAS threads only add contention (on a
    busy 2-core machine SciPy's L-BFGS-B ran 4x slower with 2 OpenBLAS threads). Uses
    ``threadpoolctl`` when it is installed, otherwise does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


_LOG_BOUNDS = (-40.0, 15.0)


@dataclass(frozen=True)
class _Gram:
    # split every quadratic form into its part along z (the random-slope direction) and the
    # part orthogonal to z: V^-1 = (I - P_z)/s + P_z/d with P_z = z z'/z'z, d = s + psi z'z.
    # This keeps the algebra stable when psi z'z >> s (no cancellation).
    RX: np.ndarray  # (m, p, p) X'(I - P_z)X
    Rxy: np.ndarray  # (m, p)   X'(I - P_z)y
    Ryy: np.ndarray  # (m,)     y'(I - P_z)y
    Xz: np.ndarray  # (m, p)
    zz: np.ndarray  # (m,)
    zy: np.ndarray  # (m,)
    n: np.ndarray  # (m,)


def _clean(a: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.where(np.abs(a) <= 1e-10 * scale, 0.0, a)


def gram(y: list[np.ndarray], X: list[np.ndarray], z: list[np.ndarray]) -> _Gram:
    """Per-animal Gram quantities (lists of arrays, one entry per animal)."""
    XX = np.stack([x.T @ x for x in X])
    Xz = np.stack([x.T @ zi for x, zi in zip(X, z, strict=False)])
    zz = np.array([zi @ zi for zi in z])
    Xy = np.stack([x.T @ yi for x, yi in zip(X, y, strict=False)])
    zy = np.array([zi @ yi for zi, yi in zip(z, y, strict=False)])
    yy = np.array([yi @ yi for yi in y])
    outer = np.einsum("ip,iq->ipq", Xz, Xz) / zz[:, None, None]
    return _Gram(
        RX=_clean(XX - outer, np.abs(XX).max() + 1e-300),
        Rxy=_clean(Xy - Xz * (zy / zz)[:, None], np.abs(Xy).max() + 1e-300),
        Ryy=np.maximum(yy - zy**2 / zz, 0.0),
        Xz=Xz,
        zz=zz,
        zy=zy,
        n=np.array([len(yi) for yi in y], dtype=float),
    )


def _pieces(g: _Gram, psi: float, s: np.ndarray):
    d = s + psi * g.zz
    XzXz = np.einsum("ip,iq->ipq", g.Xz, g.Xz) / (g.zz * d)[:, None, None]
    XVX = g.RX / s[:, None, None] + XzXz
    XVy = g.Rxy / s[:, None] + g.Xz * (g.zy / (g.zz * d))[:, None]
    yVy = g.Ryy / s + g.zy**2 / (g.zz * d)
    A = XVX.sum(0)
    b = XVy.sum(0)
    C = np.linalg.inv(A)
    beta = C @ b
    return d, A, C, beta, yVy.sum() - b @ beta


def _negloglik_and_grad(theta: np.ndarray, g: _Gram, per_subject: bool):
    psi = np.exp(theta[0])
    s = np.exp(theta[1:]) if per_subject else np.full(g.n.shape, np.exp(theta[1]))
    d, A, C, beta, rVr = _pieces(g, psi, s)
    _, logdetA = np.linalg.slogdet(A)
    logdetV = (g.n - 1) * np.log(s) + np.log(d)
    ll = -0.5 * (logdetV.sum() + logdetA + rVr)
    # gradient (restricted likelihood, Harville 1977): dl/dθ = -½ tr(P dV) + ½ y'P dV P y,
    # with P y = V^-1 r and r = y - X beta
    zr = g.zy - g.Xz @ beta
    Rrr = np.maximum(g.Ryy - 2 * g.Rxy @ beta + np.einsum("p,ipq,q->i", beta, g.RX, beta), 0.0)
    trVinv = (g.n - 1) / s + 1 / d
    XV2X = (
        g.RX / s[:, None, None] ** 2
        + np.einsum("ip,iq->ipq", g.Xz, g.Xz) / (g.zz * d**2)[:, None, None]
    )
    tr_CXV2X = np.einsum("pq,iqp->i", C, XV2X)
    Vr2 = Rrr / s**2 + zr**2 / (g.zz * d**2)
    dl_ds = -0.5 * (trVinv - tr_CXV2X) + 0.5 * Vr2
    Xz_d = g.Xz / d[:, None]
    dl_dpsi = (
        -0.5 * (g.zz / d - np.einsum("ip,pq,iq->i", Xz_d, C, Xz_d)).sum()
        + 0.5 * ((zr / d) ** 2).sum()
    )
    grad_s = dl_ds * s if per_subject else np.array([(dl_ds * s).sum()])
    grad = np.concatenate([[dl_dpsi * psi], grad_s])
    return -ll, -grad


@dataclass(frozen=True)
class RemlFit:
    """Raw REML fit: fixed effects, their model-based covariance and variance components."""

    beta: np.ndarray
    vcov: np.ndarray
    psi: float  # random-slope variance (absolute)
    sigma2: np.ndarray  # residual variance per animal (all equal without varIdent)
    loglik: float  # restricted log-likelihood incl. the -(N-p)/2 log(2π) constant
    converged: bool
    message: str
    n_iter: int


def fit_reml(
    y: list[np.ndarray],
    X: list[np.ndarray],
    z: list[np.ndarray],
    *,
    per_subject_variance: bool = False,
    start: np.ndarray | None = None,
) -> RemlFit:
    """Maximise the restricted likelihood (L-BFGS-B on log variances, analytic gradient)."""
    g = gram(y, X, z)
    m = len(y)
    p = g.RX.shape[1]
    if start is None:
        # OLS residual variance and a random-slope variance of 10 % of it per unit time^2
        yy = np.array([yi @ yi for yi in y]).sum()
        XX = sum(x.T @ x for x in X)
        Xy = sum(x.T @ yi for x, yi in zip(X, y, strict=False))
        beta0 = np.linalg.lstsq(XX, Xy, rcond=None)[0]
        s0 = max((yy - beta0 @ Xy) / max(g.n.sum() - p, 1.0), 1e-8)
        psi0 = 0.1 * s0 / max(np.mean(g.zz / g.n), 1e-12)
        start = np.r_[np.log(psi0), np.full(m if per_subject_variance else 1, np.log(s0))]
    if per_subject_variance and len(start) == 2:
        # a homoscedastic start (psi, sigma^2) is spread to one variance per animal
        start = np.r_[start[0], np.full(m, start[1])]
    bounds = [_LOG_BOUNDS] * len(start)
    res = optimize.minimize(
        _negloglik_and_grad,
        start,
        args=(g, per_subject_variance),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 30},
    )
    theta = res.x
    psi = float(np.exp(theta[0]))
    s = np.exp(theta[1:]) if per_subject_variance else np.full(m, np.exp(theta[1]))
    _, _, C, beta, _ = _pieces(g, psi, s)
    n_total = g.n.sum()
    loglik = -float(res.fun) - 0.5 * (n_total - p) * np.log(2 * np.pi)
    gnorm = float(np.max(np.abs(res.jac))) if res.jac is not None else np.nan
    converged = bool(res.success) or gnorm < 1e-5
    return RemlFit(
        beta=beta,
        vcov=C,
        psi=psi,
        sigma2=s,
        loglik=loglik,
        converged=converged,
        message=f"{res.message} (max |gradient| {gnorm:.2g})",
        n_iter=int(res.nit),
    )


def cr2_vcov(
    fit: RemlFit, y: list[np.ndarray], X: list[np.ndarray], z: list[np.ndarray]
) -> np.ndarray:
    """Cluster-robust (CR2, bias-reduced linearisation) covariance of the fixed effects.

    Notes
    -----
    Bell & McCaffrey (2002), Pustejovsky & Tipton (2018): with working covariance
    ``Phi_i = V_i`` (the fitted marginal covariance of animal ``i``), weights
    ``W_i = V_i^{-1}``, ``M = (sum X_i' W_i X_i)^{-1}`` and ``Phi_i = D_i' D_i`` (upper
    Cholesky factor ``D_i``), the adjustment is ``A_i = D_i' B_i^{-1/2} D_i`` with
    ``B_i = D_i (Phi_i - X_i M X_i') D_i'``, and
    ``V_CR2 = M [sum X_i' W_i A_i e_i e_i' A_i W_i X_i] M`` with marginal residuals
    ``e_i = y_i - X_i beta``.
    """
    M = fit.vcov
    meat = np.zeros_like(M)
    for yi, Xi, zi, s in zip(y, X, z, fit.sigma2, strict=False):
        Phi = s * np.eye(len(yi)) + fit.psi * np.outer(zi, zi)
        W = np.linalg.inv(Phi)
        L = np.linalg.cholesky(Phi)  # Phi = L L' ; D = L'
        B = L.T @ (Phi - Xi @ M @ Xi.T) @ L
        w, U = np.linalg.eigh((B + B.T) / 2)
        w = np.where(w > 1e-12 * w.max(), w, np.inf)
        Bmh = (U / np.sqrt(w)) @ U.T
        A = L @ Bmh @ L.T
        e = yi - Xi @ fit.beta
        u = Xi.T @ W @ A @ e
        meat += np.outer(u, u)
    return M @ meat @ M
