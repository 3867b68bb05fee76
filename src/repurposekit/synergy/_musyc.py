"""MuSyC: the two-drug multi-dimensional synergy response surface (potency α, efficacy β, cooperativity γ).

The model (Meyer et al. 2019; Wooten et al. 2021) is the steady state of a four-state
mass-action system: a cell population is unaffected (``U``), affected by drug 1 (``A1``), by
drug 2 (``A2``) or by both (``A12``), with effects ``E0, E1, E2, E3``. Transition rates, with
``x_i = d_i / C_i`` and the reverse rates ``r1r``, ``r2r`` (1 by default, as in the ``synergy``
package):

====================  ===================================  ============================
transition            forward                              back
====================  ===================================  ============================
U ↔ A1                ``r1r x1^h1``                        ``r1r``
U ↔ A2                ``r2r x2^h2``                        ``r2r``
A1 ↔ A12 (drug 2)     ``r2r^γ12 (α12 x2)^(γ12 h2)``        ``r2r^γ12``
A2 ↔ A12 (drug 1)     ``r1r^γ21 (α21 x1)^(γ21 h1)``        ``r1r^γ21``
====================  ===================================  ============================

so ``α12``/``γ12`` are drug 1's effect on drug 2's potency/cooperativity and ``α21``/``γ21``
drug 2's effect on drug 1's (the ``synergy`` package's naming).
The surface is ``E(d1, d2) = Σ_s p_s E_s`` with ``p`` the stationary distribution.

Two kernels compute ``p``: the closed form given by the Markov-chain tree theorem on the
4-cycle U–A1–A12–A2 (each state's weight is a sum of four products of three rates; for
``γ = 1`` it is MuSyC's closed-form surface), evaluated in log space, and the linear solve
``Qᵀp = 0, Σp = 1`` of the transition matrix for every dose pair at once
(``numpy.linalg.solve`` on a ``(n, 4, 4)`` stack). The tree formula is exact for any ``γ``,
so it is the default for every ``γ``: when ``γ·h`` is large the rates of one cell can span
50 orders of magnitude and the LU solve then loses all digits (measured: 3e-3 error in E
at ``γ ≈ 10, h ≈ 4``, where the closed form balances the flows to 1e-59 relative). The
linear solve stays available (``solver="linear"``) as an independent check; the tests
compare the two where the solve is well conditioned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import expit

from repurposekit._exceptions import ConvergenceWarning, DataValidationError, warn
from repurposekit._provenance import settings as _settings
from repurposekit._validate import check_nonnegative, coerce_numeric, require_columns

__all__ = ["MUSYC_PARAMETERS", "MuSyCFit", "fit_musyc", "musyc_surface"]

MUSYC_PARAMETERS = (
    "E0",
    "E1",
    "E2",
    "E3",
    "h1",
    "h2",
    "C1",
    "C2",
    "alpha12",
    "alpha21",
    "gamma12",
    "gamma21",
)
_LOG_PARAMS = ("h1", "h2", "C1", "C2", "alpha12", "alpha21", "gamma12", "gamma21")
_SCALES = ("inhibition", "viability", "fraction")
_SCALE_TEXT = {
    "inhibition": "% inhibition (0 = no effect, 100 = full kill); E = 1 - response/100",
    "viability": "% viability (100 = no effect); E = response/100",
    "fraction": "viability fraction (1 = no effect); E = response",
}
# fit bounds (log scale for h, alpha, gamma; C relative to the tested dose range)
_H_BOUNDS = (0.05, 20.0)
_ALPHA_BOUNDS = (1e-4, 1e4)
_GAMMA_BOUNDS = (1e-2, 1e2)
_C_WIDEN = 100.0


# ---------------------------------------------------------------------------------------------
# kernels (numpy only)


def _log_rates(lx1, lx2, h1, h2, la12, la21, g12, g21, lr1, lr2) -> dict[str, np.ndarray]:
    """Log transition rates of the 4-state model; ``lx = log(d/C)`` (``-inf`` at dose 0)."""
    lx1, lx2 = np.broadcast_arrays(np.asarray(lx1, float), np.asarray(lx2, float))
    zero = np.zeros_like(lx1)
    with np.errstate(invalid="ignore"):
        return {
            "u_a1": lr1 + h1 * lx1,
            "a1_u": zero + lr1,
            "u_a2": lr2 + h2 * lx2,
            "a2_u": zero + lr2,
            "a1_ab": g12 * (lr2 + h2 * (la12 + lx2)),
            "ab_a1": zero + g12 * lr2,
            "a2_ab": g21 * (lr1 + h1 * (la21 + lx1)),
            "ab_a2": zero + g21 * lr1,
        }


def _logsumexp(terms: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(terms, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(terms - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def _probs_closed(r: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stationary probabilities ``(…, 4)`` of (U, A1, A2, A12) by the Markov-chain tree theorem.

    Each state's weight is the sum over the four spanning trees of the cycle U–A1–A12–A2 (one
    edge removed) of the product of the rates directed towards that state.
    """
    w = np.stack(
        [
            np.stack(  # U
                [
                    r["a1_ab"] + r["ab_a2"] + r["a2_u"],
                    r["a1_u"] + r["ab_a2"] + r["a2_u"],
                    r["ab_a1"] + r["a1_u"] + r["a2_u"],
                    r["a2_ab"] + r["ab_a1"] + r["a1_u"],
                ]
            ),
            np.stack(  # A1
                [
                    r["u_a2"] + r["a2_ab"] + r["ab_a1"],
                    r["ab_a2"] + r["a2_u"] + r["u_a1"],
                    r["ab_a1"] + r["a2_u"] + r["u_a1"],
                    r["a2_ab"] + r["ab_a1"] + r["u_a1"],
                ]
            ),
            np.stack(  # A2
                [
                    r["a1_ab"] + r["ab_a2"] + r["u_a2"],
                    r["a1_u"] + r["u_a2"] + r["ab_a2"],
                    r["ab_a1"] + r["a1_u"] + r["u_a2"],
                    r["u_a1"] + r["a1_ab"] + r["ab_a2"],
                ]
            ),
            np.stack(  # A12
                [
                    r["a1_ab"] + r["u_a2"] + r["a2_ab"],
                    r["a1_u"] + r["u_a2"] + r["a2_ab"],
                    r["a2_u"] + r["u_a1"] + r["a1_ab"],
                    r["u_a1"] + r["a1_ab"] + r["a2_ab"],
                ]
            ),
        ]
    )  # (4 states, 4 trees, …)
    logw = _logsumexp(w, axis=1)  # (4, …)
    p = np.exp(logw - np.max(logw, axis=0, keepdims=True))
    return np.moveaxis(p / p.sum(axis=0, keepdims=True), 0, -1)


def _probs_solve(r: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stationary probabilities ``(…, 4)`` from ``Qᵀ p = 0, Σ p = 1`` solved per dose pair."""
    names = ("u_a1", "a1_u", "u_a2", "a2_u", "a1_ab", "ab_a1", "a2_ab", "ab_a2")
    lr = np.stack([np.asarray(r[k], float) for k in names], axis=-1)
    shape = lr.shape[:-1]
    lr = lr.reshape(-1, 8)
    top = np.max(np.where(np.isfinite(lr), lr, -np.inf), axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        k = np.exp(lr - top)  # rates of one cell scaled by its largest rate (time rescaling)
    u_a1, a1_u, u_a2, a2_u, a1_ab, ab_a1, a2_ab, ab_a2 = k.T
    n = k.shape[0]
    q = np.zeros((n, 4, 4))  # q[i, j] = rate i -> j; states U=0, A1=1, A2=2, A12=3
    q[:, 0, 1], q[:, 1, 0] = u_a1, a1_u
    q[:, 0, 2], q[:, 2, 0] = u_a2, a2_u
    q[:, 1, 3], q[:, 3, 1] = a1_ab, ab_a1
    q[:, 2, 3], q[:, 3, 2] = a2_ab, ab_a2
    q[:, np.arange(4), np.arange(4)] = -q.sum(axis=2)
    a = np.swapaxes(q, 1, 2).copy()
    a[:, 3, :] = 1.0  # replace the last balance equation by the normalisation
    b = np.zeros((n, 4, 1))
    b[:, 3, 0] = 1.0
    p = np.linalg.solve(a, b)[..., 0]
    return p.reshape((*shape, 4))


def _surface_logx(lx1, lx2, e, h1, h2, la12, la21, g12, g21, lr1, lr2, solver) -> np.ndarray:
    r = _log_rates(lx1, lx2, h1, h2, la12, la21, g12, g21, lr1, lr2)
    p = _probs_solve(r) if solver == "linear" else _probs_closed(r)
    return p @ np.asarray(e, float)


def _logx(d: np.ndarray, c: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(d, float)) - np.log(c)


def musyc_surface(
    d1_molar,
    d2_molar,
    *,
    E0: float = 1.0,
    E1: float,
    E2: float,
    E3: float,
    h1: float,
    h2: float,
    C1: float,
    C2: float,
    alpha12: float = 1.0,
    alpha21: float = 1.0,
    gamma12: float = 1.0,
    gamma21: float = 1.0,
    r1r: float = 1.0,
    r2r: float = 1.0,
    solver: str = "auto",
) -> np.ndarray:
    """Effect ``E(d1, d2)`` of the two-drug MuSyC model (broadcasting over the doses).

    Parameters
    ----------
    d1_molar, d2_molar : array_like of float, molar
        Doses of drug 1 and drug 2 (``0`` allowed); broadcast against each other.
    E0, E1, E2, E3 : float
        Effect with no drug, drug 1 saturating, drug 2 saturating, both saturating (any scale;
        MuSyC's convention is viability fraction, ``E0 = 1``).
    h1, h2 : float
        Hill slopes (> 0).
    C1, C2 : float, molar
        Half-maximal doses (> 0).
    alpha12, alpha21 : float
        Potency interaction: drug 1 multiplies drug 2's potency by ``alpha12`` (and drug 2
        drug 1's by ``alpha21``); ``> 1`` synergy, ``< 1`` antagonism, ``0`` allowed.
    gamma12, gamma21 : float
        Cooperativity interaction (> 0): drug 1 scales drug 2's Hill slope by ``gamma12``.
    r1r, r2r : float
        Reverse rates of the model (only matter when the model is out of detailed balance).
    solver : {"auto", "closed", "linear"}
        ``"closed"`` (= ``"auto"``): tree-theorem closed form, exact and stable for any
        ``gamma``; ``"linear"``: per-cell ``numpy.linalg.solve`` of the transition matrix
        (loses accuracy when the rates of a cell span many orders of magnitude).

    Returns
    -------
    ndarray
        ``E`` with the broadcast shape of the doses.

    Notes
    -----
    With ``p = (p_U, p_A1, p_A2, p_A12)`` the stationary distribution of the four-state model
    (rates in the module docstring), :math:`E = p_U E_0 + p_{A1} E_1 + p_{A2} E_2 + p_{A12} E_3`.
    By the tree theorem, with :math:`k_{s \\to t}` the rates,
    :math:`p_U \\propto k_{A1\\to A12}k_{A12\\to A2}k_{A2\\to U} + k_{A1\\to U}k_{A12\\to A2}k_{A2\\to U}
    + k_{A12\\to A1}k_{A1\\to U}k_{A2\\to U} + k_{A2\\to A12}k_{A12\\to A1}k_{A1\\to U}` (the four
    spanning trees of the cycle directed to U), and likewise for the other states.
    Along the edges it reduces to Hill curves, e.g.
    :math:`E(d_1, 0) = E_0 + (E_1 - E_0)\\,d_1^{h_1}/(C_1^{h_1} + d_1^{h_1})`.

    References
    ----------
    Meyer CT et al. (2019). Quantifying drug combination synergy along potency and efficacy
    axes. Cell Syst 8:97. doi:10.1016/j.cels.2019.01.003
    Wooten DJ, Meyer CT, Lubbock ALR, Quaranta V, Lopez CF (2021). MuSyC is a consensus
    framework that unifies multiple drug synergy frameworks. Bioinformatics 37:1536.
    doi:10.1093/bioinformatics/btaa826

    Examples
    --------
    >>> e = musyc_surface([0.0, 1e-6, 1e-3], [0.0, 0.0, 1e-3], E1=0.5, E2=0.3, E3=0.0,
    ...                   h1=1.0, h2=1.0, C1=1e-6, C2=1e-6)
    >>> [round(float(v), 4) for v in e]  # no drug, drug 1 at C1, both at 1000 x C
    [1.0, 0.75, 0.0008]
    """
    if solver not in ("auto", "closed", "linear"):
        msg = f"solver must be 'auto', 'closed' or 'linear', not {solver!r}."
        raise DataValidationError(msg)
    for name, v in (("h1", h1), ("h2", h2), ("C1", C1), ("C2", C2)):
        if not v > 0:
            msg = f"MuSyC parameter {name} must be > 0, got {v!r}."
            raise DataValidationError(msg)
    for name, v in (("alpha12", alpha12), ("alpha21", alpha21)):
        if not v >= 0:
            msg = f"MuSyC parameter {name} must be >= 0, got {v!r}."
            raise DataValidationError(msg)
    for name, v in (("gamma12", gamma12), ("gamma21", gamma21), ("r1r", r1r), ("r2r", r2r)):
        if not v > 0:
            msg = f"MuSyC parameter {name} must be > 0, got {v!r}."
            raise DataValidationError(msg)
    with np.errstate(divide="ignore"):
        la12, la21 = np.log(alpha12), np.log(alpha21)
    return _surface_logx(
        _logx(d1_molar, C1),
        _logx(d2_molar, C2),
        (E0, E1, E2, E3),
        h1,
        h2,
        la12,
        la21,
        float(gamma12),
        float(gamma21),
        np.log(r1r),
        np.log(r2r),
        solver,
    )


# ---------------------------------------------------------------------------------------------
# fitting


def _hill_edge(d: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    """Hill fit ``E0 + (Emax − E0) / (1 + (C/d)^h)`` of one monotherapy edge (scaled doses).

    Returns ``(E0, Emax, log h, log C)`` or None when the edge has fewer than 3 doses.
    """
    ok = np.isfinite(y)
    d, y = d[ok], y[ok]
    pos = np.unique(d[d > 0])
    if len(pos) < 2 or len(np.unique(d)) < 3:
        return None
    ld = _logx(d, 1.0)
    e0 = float(np.mean(y[d == 0])) if np.any(d == 0) else float(y[np.argmin(d)])
    emax = float(np.mean(y[d == d.max()]))
    span = max(float(np.ptp(y)), 0.1)
    lo = [y.min() - span, y.min() - span, np.log(_H_BOUNDS[0]), np.log(pos[0]) - 5.0]
    hi = [y.max() + span, y.max() + span, np.log(_H_BOUNDS[1]), np.log(pos[-1]) + 5.0]

    def resid(t):
        z = np.exp(t[2]) * (ld - t[3])
        return t[0] + (t[1] - t[0]) * expit(z) - y

    best = None
    for lc in np.quantile(np.log(pos), [0.25, 0.5, 0.75]):
        x0 = np.clip([e0, emax, 0.0, lc], np.add(lo, 1e-9), np.subtract(hi, 1e-9))
        res = least_squares(resid, x0, bounds=(lo, hi), method="trf")
        if best is None or res.cost < best.cost:
            best = res
    return tuple(float(v) for v in best.x)


@dataclass
class _Problem:
    lx1: np.ndarray  # log scaled dose (−inf at 0)
    lx2: np.ndarray
    y: np.ndarray
    fit_gamma: bool
    lr1: float
    lr2: float
    lower: np.ndarray
    upper: np.ndarray

    def surface(self, t: np.ndarray) -> np.ndarray:
        e = t[:4]
        h1, h2 = np.exp(t[4]), np.exp(t[5])
        g12, g21 = (np.exp(t[10]), np.exp(t[11])) if self.fit_gamma else (1.0, 1.0)
        return _surface_logx(
            self.lx1 - t[6],
            self.lx2 - t[7],
            e,
            h1,
            h2,
            t[8],
            t[9],
            g12,
            g21,
            self.lr1,
            self.lr2,
            "auto",
        )

    def solve(self, x0: np.ndarray, y: np.ndarray | None = None):
        y = self.y if y is None else y
        x0 = np.clip(x0, self.lower + 1e-9, self.upper - 1e-9)
        return least_squares(
            lambda t: self.surface(t) - y,
            x0,
            bounds=(self.lower, self.upper),
            method="trf",
            x_scale="jac",
            max_nfev=2000,
        )


def _scale_response(y: np.ndarray, scale: str) -> np.ndarray:
    if scale == "inhibition":
        return 1.0 - y / 100.0
    if scale == "viability":
        return y / 100.0
    return y.copy()


def _check_scale(y: np.ndarray, control: np.ndarray, scale: str, response: str, where: str) -> None:
    """A response whose no-drug control contradicts the declared scale is an error (DESIGN).

    The control (median of the no-drug cells, else the largest effect-free-looking value) must
    be nearer 0 than 100 for % inhibition, nearer 100 than 0 for % viability, and nearer 1 than
    0 (and below 2) for a viability fraction.
    """
    ref = control if control.size else y[np.isfinite(y)]
    if scale == "inhibition":
        c = float(np.nanmedian(ref)) if control.size else float(np.nanmin(ref))
        bad, looks = c > 50.0, "viability"
    else:
        c = float(np.nanmedian(ref)) if control.size else float(np.nanmax(ref))
        if scale == "viability":
            bad, looks = c < 2.0, ("fraction" if c > 0.5 else "inhibition")
        else:
            bad, looks = (c < 0.5 or c > 2.0), ("viability" if c > 2.0 else "inhibition")
    if bad:
        msg = (
            f"{where}column {response!r}: the no-drug control is {c:.4g}, which looks like "
            f"{_SCALE_TEXT[looks].split(';')[0]}, but input_scale={scale!r} was given. "
            f"Pass input_scale={looks!r} if that is what the column holds."
        )
        raise DataValidationError(msg)


def _ci_table(draws: np.ndarray, names: list[str], confidence_level: float):
    a = (1.0 - confidence_level) / 2.0
    ok = np.all(np.isfinite(draws), axis=1)
    if ok.sum() < 2:
        return {n: (np.nan, np.nan) for n in names}
    q = np.quantile(draws[ok], [a, 1.0 - a], axis=0)
    return {n: (float(q[0, i]), float(q[1, i])) for i, n in enumerate(names)}


def _beta(e0, e1, e2, e3):
    strongest = np.minimum(e1, e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (strongest - e3) / (e0 - strongest)


@dataclass(frozen=True, eq=False)
class MuSyCFit:
    """Fitted MuSyC surface of one two-drug block.

    Attributes
    ----------
    params : mapping
        ``E0, E1, E2, E3`` (viability fraction, MuSyC's scale: 1 = no effect), ``h1, h2``,
        ``C1, C2`` (molar), ``alpha12, alpha21``, ``gamma12, gamma21`` (1 when not fitted).
    beta : float
        Efficacy synergy ``(min(E1, E2) − E3) / (E0 − min(E1, E2))`` (> 0 synergy).
    ci : mapping or None
        ``name -> (low, high)`` bootstrap percentile interval for every parameter and ``beta``;
        None without bootstrap.
    converged : bool
        The optimiser reported success.
    message : str
        Optimiser message, plus parameters that ended on a bound (not identifiable there).
    fit_gamma : bool
        Whether ``gamma12``/``gamma21`` were fitted (else fixed at 1).
    data : DataFrame
        ``dose1_molar, dose2_molar, E_observed, E_fitted, residual`` (E as viability fraction).
    bootstrap : DataFrame or None
        One row per successful bootstrap refit (parameters and ``beta``).
    rss, r_squared, aic, bic : float
        Fit statistics on the viability-fraction scale.
    drugs : tuple of str
        Names of drug 1 and drug 2 when known.
    settings : mapping
    """

    params: Mapping[str, float]
    beta: float
    ci: Mapping[str, tuple[float, float]] | None
    converged: bool
    message: str
    fit_gamma: bool
    data: pd.DataFrame
    bootstrap: pd.DataFrame | None = None
    rss: float = np.nan
    r_squared: float = np.nan
    aic: float = np.nan
    bic: float = np.nan
    confidence_level: float = 0.95
    r1r: float = 1.0
    r2r: float = 1.0
    drugs: tuple[str, str] = ("drug 1", "drug 2")
    input_scale: str = "inhibition"
    settings: Any = field(default=None, repr=False)

    def predict(self, d1_molar, d2_molar) -> np.ndarray:
        """Fitted effect ``E`` (viability fraction) at doses ``d1_molar``, ``d2_molar`` (molar)."""
        return musyc_surface(d1_molar, d2_molar, **self.params, r1r=self.r1r, r2r=self.r2r)

    def to_frame(self, *, layout: str = "long") -> pd.DataFrame:
        """Parameters with bootstrap intervals.

        ``layout="long"``: one row per parameter (``parameter, estimate, ci_low, ci_high``);
        ``layout="wide"``: one row with ``<name>``, ``<name>_ci_low``, ``<name>_ci_high``.
        """
        names = [*MUSYC_PARAMETERS, "beta"]
        est = {**self.params, "beta": self.beta}
        rows = []
        for n in names:
            lo, hi = self.ci[n] if self.ci is not None else (np.nan, np.nan)
            rows.append({"parameter": n, "estimate": est[n], "ci_low": lo, "ci_high": hi})
        long = pd.DataFrame(rows)
        if layout == "long":
            return long
        if layout != "wide":
            msg = f"layout must be 'long' or 'wide', not {layout!r}."
            raise DataValidationError(msg)
        wide: dict[str, Any] = {}
        for r in rows:
            wide[r["parameter"]] = r["estimate"]
            wide[f"{r['parameter']}_ci_low"] = r["ci_low"]
            wide[f"{r['parameter']}_ci_high"] = r["ci_high"]
        wide.update(
            converged=self.converged,
            fit_gamma=self.fit_gamma,
            r_squared=self.r_squared,
            n_obs=len(self.data),
            message=self.message,
        )
        return pd.DataFrame([wide])

    def summary(self) -> str:
        """Short text summary: interaction parameters with intervals and their reading."""

        def fmt(n: str, v: float) -> str:
            if self.ci is None:
                return f"{n} = {v:.3g}"
            lo, hi = self.ci[n]
            return f"{n} = {v:.3g} [{lo:.3g}, {hi:.3g}]"

        p = self.params
        lines = [
            f"MuSyC fit of {self.drugs[0]} + {self.drugs[1]} ({len(self.data)} points, "
            f"R² = {self.r_squared:.4f}, {'converged' if self.converged else 'NOT converged'}; "
            f"E as viability fraction, input read as {self.input_scale})",
            "  "
            + ", ".join(fmt(n, p[n]) for n in ("E0", "E1", "E2", "E3"))
            + f"; {fmt('C1', p['C1'])} M, {fmt('C2', p['C2'])} M, "
            + f"{fmt('h1', p['h1'])}, {fmt('h2', p['h2'])}",
            "  potency:  "
            + ", ".join(fmt(n, p[n]) for n in ("alpha12", "alpha21"))
            + "  (> 1 synergy, < 1 antagonism)",
            "  efficacy: " + fmt("beta", self.beta) + "  (> 0 synergy, < 0 antagonism)",
        ]
        if self.fit_gamma:
            lines.append(
                "  cooperativity: "
                + ", ".join(fmt(n, p[n]) for n in ("gamma12", "gamma21"))
                + "  (> 1 synergy, < 1 antagonism)"
            )
        if self.ci is not None:
            lines.append(
                f"  [{100 * self.confidence_level:g} % bootstrap percentile intervals, "
                f"{len(self.bootstrap)} refits]"
            )
        if self.message:
            lines.append(f"  note: {self.message}")
        return "\n".join(lines)

    def plot(self, ax=None, *, kind: str = "surface"):
        """Fitted surface vs observed (``kind="surface"``) or synergy parameters (``"parameters"``).

        See :func:`repurposekit.plot.synergy.musyc_fit_plot` and
        :func:`repurposekit.plot.synergy.musyc_parameter_plot`.
        """
        from repurposekit.plot.synergy import musyc_fit_plot, musyc_parameter_plot

        if kind == "parameters":
            return musyc_parameter_plot(self, ax=ax)
        return musyc_fit_plot(self, ax=ax)


def fit_musyc(
    data: pd.DataFrame,
    /,
    *,
    dose_a: str = "dose1_molar",
    dose_b: str = "dose2_molar",
    response: str = "inhibition_pct",
    input_scale: str | None = None,
    fit_gamma: bool = False,
    n_bootstrap: int = 0,
    bootstrap: str = "residual",
    confidence_level: float = 0.95,
    r1r: float = 1.0,
    r2r: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> MuSyCFit:
    """Fit the two-drug MuSyC response surface to one dose-response matrix.

    Parameters
    ----------
    data : DataFrame
        One block, one row per measurement (replicates allowed): two dose columns (molar)
        and a response column. Rows with a missing response are ignored.
    dose_a, dose_b : str
        Dose columns of drug 1 and drug 2, molar (the tidy synergy table's ``dose1_molar``,
        ``dose2_molar``; any unit works, ``C1``/``C2`` come back in that unit).
    response : str
        Response column.
    input_scale : {"inhibition", "viability", "fraction"}, optional
        What ``response`` holds: % inhibition (0 = no effect), % viability (100 = no effect)
        or viability fraction (1 = no effect). Default: ``"inhibition"`` when ``response`` is
        ``"inhibition_pct"``, else required. A no-drug control that contradicts it is an error.
    fit_gamma : bool
        Also fit the cooperativity parameters ``gamma12``, ``gamma21`` (else fixed at 1, the
        quicker screen setting).
    n_bootstrap : int
        Bootstrap refits for the confidence intervals (0 = none).
    bootstrap : {"residual", "case"}
        Resample residuals around the fitted surface (keeps the design; suits matrices
        without replicates) or resample rows with replacement.
    confidence_level : float
        Level of the percentile intervals.
    r1r, r2r : float
        Reverse rates of the model (fixed, as in the ``synergy`` package; they only matter
        when ``gamma != 1``).
    rng : Generator or int, optional
        Random generator (or seed) for the bootstrap.

    Returns
    -------
    MuSyCFit
        Parameters (E on the viability-fraction scale), ``beta``, intervals and fit data.

    Raises
    ------
    DataValidationError
        Missing/non-numeric columns, negative doses, fewer points than parameters, a
        response scale that contradicts the no-drug control.

    Notes
    -----
    The response is converted once to MuSyC's effect scale ``E`` (viability fraction, 1 = no
    effect): ``E = 1 − inhibition/100``, ``E = viability/100`` or ``E`` as given. The model is
    fitted by bounded nonlinear least squares (``scipy.optimize.least_squares``, trust-region
    reflective) on ``E0..E3`` and the logarithms of ``h``, ``C`` (doses scaled by the geometric
    mean of each drug's tested doses), ``alpha`` and ``gamma``. Starting values come from
    Hill fits of the two monotherapy edges, ``E3`` from the top-dose cell, and a 3 × 3 grid of
    ``alpha`` starts (``alpha ∈ {1/4.5, 1, 4.5}``; for ``fit_gamma`` a further grid over
    ``gamma`` from the best ``gamma = 1`` fit); the best local optimum is kept. Bounds:
    ``0.05 ≤ h ≤ 20``, ``C`` within 100× the tested dose range, ``1e-4 ≤ alpha ≤ 1e4``,
    ``0.01 ≤ gamma ≤ 100``, ``E`` within the observed range widened by its span. Parameters
    that end on a bound are named in ``message``.

    Efficacy synergy is :math:`\\beta = (\\min(E_1, E_2) - E_3) / (E_0 - \\min(E_1, E_2))`.
    Intervals are bootstrap percentile intervals: residual bootstrap resamples the residuals
    (inflated by :math:`\\sqrt{n/(n-p)}`) around the fitted surface; case bootstrap resamples
    rows. Each refit starts from the point estimate.

    References
    ----------
    Meyer CT et al. (2019). Cell Syst 8:97. doi:10.1016/j.cels.2019.01.003
    Wooten DJ et al. (2021). Bioinformatics 37:1536. doi:10.1093/bioinformatics/btaa826

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = np.array([0.0, 1e-8, 1e-7, 1e-6, 1e-5])
    >>> d1, d2 = (g.ravel() for g in np.meshgrid(d, d, indexing="ij"))
    >>> e = musyc_surface(d1, d2, E1=0.4, E2=0.2, E3=0.0, h1=1.0, h2=1.5, C1=1e-7, C2=3e-7,
    ...                   alpha12=2.0, alpha21=0.5)
    >>> df = pd.DataFrame({"dose1_molar": d1, "dose2_molar": d2, "E": e})
    >>> fit = fit_musyc(df, response="E", input_scale="fraction")
    >>> round(fit.params["alpha12"], 3), round(fit.params["alpha21"], 3), round(fit.beta, 3)
    (2.0, 0.5, 0.25)
    """
    require_columns(data, [dose_a, dose_b, response])
    if input_scale is None:
        if response != "inhibition_pct":
            msg = (
                f"input_scale is needed for response column {response!r}: 'inhibition' "
                "(% inhibition), 'viability' (% viability) or 'fraction' (viability fraction)."
            )
            raise DataValidationError(msg)
        input_scale = "inhibition"
    if input_scale not in _SCALES:
        msg = f"input_scale must be one of {list(_SCALES)}, not {input_scale!r}."
        raise DataValidationError(msg)
    if bootstrap not in ("residual", "wild", "case"):
        msg = f"bootstrap must be 'residual', 'wild' or 'case', not {bootstrap!r}."
        raise DataValidationError(msg)
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be between 0 and 1, got {confidence_level!r}."
        raise DataValidationError(msg)
    if n_bootstrap < 0:
        msg = f"n_bootstrap must be >= 0, got {n_bootstrap!r}."
        raise DataValidationError(msg)
    d1 = coerce_numeric(data, dose_a).to_numpy()
    d2 = coerce_numeric(data, dose_b).to_numpy()
    check_nonnegative(pd.Series(d1, index=data.index), dose_a)
    check_nonnegative(pd.Series(d2, index=data.index), dose_b)
    raw = coerce_numeric(data, response, allow_missing=True).to_numpy()
    keep = np.isfinite(raw)
    d1, d2, raw = d1[keep], d2[keep], raw[keep]
    where = ""
    if "block_id" in data.columns and len(data):
        bid = data["block_id"].iloc[0]
        where = f"block {bid.item() if hasattr(bid, 'item') else bid!r}: "
    npar = 12 if fit_gamma else 10
    if len(raw) <= npar:
        msg = (
            f"{where}MuSyC needs more measurements than its {npar} parameters; got {len(raw)}. "
            "Use a larger dose matrix (e.g. 5 × 5 or more)."
        )
        raise DataValidationError(msg)
    for name, d in ((dose_a, d1), (dose_b, d2)):
        if len(np.unique(d[d > 0])) < 2:
            msg = f"{where}column {name!r} needs at least 2 non-zero doses to fit MuSyC."
            raise DataValidationError(msg)
    _check_scale(raw, raw[(d1 == 0) & (d2 == 0)], input_scale, response, where)
    y = _scale_response(raw, input_scale)

    s1 = float(np.exp(np.mean(np.log(d1[d1 > 0]))))
    s2 = float(np.exp(np.mean(np.log(d2[d2 > 0]))))
    x1, x2 = d1 / s1, d2 / s2
    lx1, lx2 = _logx(x1, 1.0), _logx(x2, 1.0)

    span = max(float(np.ptp(y)), 0.1)
    elo, ehi = float(y.min()) - span, float(y.max()) + span
    lcb = []
    for x in (x1, x2):
        pos = x[x > 0]
        lcb.append((np.log(pos.min() / _C_WIDEN), np.log(pos.max() * _C_WIDEN)))
    lower = [elo] * 4 + [np.log(_H_BOUNDS[0])] * 2 + [lcb[0][0], lcb[1][0]]
    upper = [ehi] * 4 + [np.log(_H_BOUNDS[1])] * 2 + [lcb[0][1], lcb[1][1]]
    lower += [np.log(_ALPHA_BOUNDS[0])] * 2
    upper += [np.log(_ALPHA_BOUNDS[1])] * 2
    if fit_gamma:
        lower += [np.log(_GAMMA_BOUNDS[0])] * 2
        upper += [np.log(_GAMMA_BOUNDS[1])] * 2
    lower, upper = np.array(lower, float), np.array(upper, float)
    prob = _Problem(
        lx1, lx2, y, fit_gamma=False, lr1=np.log(r1r), lr2=np.log(r2r), lower=lower, upper=upper
    )

    # starting values from the monotherapy edges
    edge1 = _hill_edge(x1[x2 == 0], y[x2 == 0])
    edge2 = _hill_edge(x2[x1 == 0], y[x1 == 0])
    e0 = float(np.median(y[(x1 == 0) & (x2 == 0)])) if np.any((x1 == 0) & (x2 == 0)) else y.max()
    e1, lh1, lc1 = (edge1[1], edge1[2], edge1[3]) if edge1 else (float(np.min(y)), 0.0, 0.0)
    e2, lh2, lc2 = (edge2[1], edge2[2], edge2[3]) if edge2 else (float(np.min(y)), 0.0, 0.0)
    if edge1 and edge2:
        e0 = 0.5 * (edge1[0] + edge2[0])
    top = (x1 == x1.max()) & (x2 == x2.max())
    e3 = float(np.median(y[top])) if np.any(top) else float(np.min(y))
    base = np.array([e0, e1, e2, e3, lh1, lh2, lc1, lc2, 0.0, 0.0])
    grid = np.log([1 / 4.5, 1.0, 4.5])
    prob.lower, prob.upper = lower[:10], upper[:10]
    best = None
    for la12 in grid:
        for la21 in grid:
            x0 = base.copy()
            x0[8:10] = la12, la21
            res = prob.solve(x0)
            if best is None or res.cost < best.cost - 1e-12:
                best = res
    if fit_gamma:
        prob.fit_gamma = True
        prob.lower, prob.upper = lower, upper
        g = np.log([1 / 3, 1.0, 3.0])
        start = best.x
        best = None
        for lg12 in g:
            for lg21 in g:
                res = prob.solve(np.concatenate([start, [lg12, lg21]]))
                if best is None or res.cost < best.cost - 1e-12:
                    best = res
    theta = best.x
    fitted = prob.surface(theta)
    resid = y - fitted

    def to_params(t: np.ndarray) -> dict[str, float]:
        p = {
            "E0": t[0],
            "E1": t[1],
            "E2": t[2],
            "E3": t[3],
            "h1": np.exp(t[4]),
            "h2": np.exp(t[5]),
            "C1": np.exp(t[6]) * s1,
            "C2": np.exp(t[7]) * s2,
            "alpha12": np.exp(t[8]),
            "alpha21": np.exp(t[9]),
            "gamma12": np.exp(t[10]) if fit_gamma else 1.0,
            "gamma21": np.exp(t[11]) if fit_gamma else 1.0,
        }
        return {k: float(v) for k, v in p.items()}

    params = to_params(theta)
    beta = float(_beta(params["E0"], params["E1"], params["E2"], params["E3"]))
    names = list(MUSYC_PARAMETERS[: len(theta)])
    span_b = upper - lower
    at_bound = [
        n
        for n, v, lo, hi, w in zip(names, theta, lower, upper, span_b, strict=True)
        if min(v - lo, hi - v) < 1e-6 * max(w, 1.0)
    ]
    message = str(best.message)
    if at_bound:
        message += f" On a bound (not identifiable from these doses): {', '.join(at_bound)}."
    converged = bool(best.success)
    if not converged:
        warn(f"{where}MuSyC fit did not converge: {best.message}", ConvergenceWarning)

    n = len(y)
    rss = float(np.sum(resid**2))
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - rss / tss if tss > 0 else np.nan
    k = len(theta)
    with np.errstate(divide="ignore"):
        aic = float(n * np.log(rss / n) + 2 * k)
        bic = float(n * np.log(rss / n) + k * np.log(n))

    ci = None
    boot_df = None
    if n_bootstrap:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        inflate = np.sqrt(n / max(n - k, 1))
        centred = (resid - resid.mean()) * inflate
        draws = []
        for _ in range(n_bootstrap):
            if bootstrap == "residual":
                yb = fitted + centred[gen.integers(0, n, n)]
                sub = prob
            elif bootstrap == "wild":
                yb = fitted + resid * inflate * gen.choice([-1.0, 1.0], n)
                sub = prob
            else:
                idx = gen.integers(0, n, n)
                yb = y[idx]
                sub = _Problem(
                    lx1[idx],
                    lx2[idx],
                    yb,
                    fit_gamma=fit_gamma,
                    lr1=prob.lr1,
                    lr2=prob.lr2,
                    lower=prob.lower,
                    upper=prob.upper,
                )
            try:
                rb = sub.solve(theta, yb)
            except (ValueError, np.linalg.LinAlgError):
                continue
            pb = to_params(rb.x)
            draws.append(
                [*(pb[m] for m in MUSYC_PARAMETERS), _beta(pb["E0"], pb["E1"], pb["E2"], pb["E3"])]
            )
        cols = [*MUSYC_PARAMETERS, "beta"]
        arr = np.array(draws, float).reshape(-1, len(cols))
        boot_df = pd.DataFrame(arr, columns=cols)
        ci = _ci_table(arr, cols, confidence_level)
        if not fit_gamma:
            ci["gamma12"] = ci["gamma21"] = (1.0, 1.0)

    drugs = ("drug 1", "drug 2")
    if "drug1" in data.columns and "drug2" in data.columns and len(data):
        drugs = (str(data["drug1"].iloc[0]), str(data["drug2"].iloc[0]))
    frame = pd.DataFrame(
        {
            "dose1_molar": d1,
            "dose2_molar": d2,
            "E_observed": y,
            "E_fitted": fitted,
            "residual": resid,
        }
    )
    return MuSyCFit(
        params=MappingProxyType(params),
        beta=beta,
        ci=None if ci is None else MappingProxyType(ci),
        converged=converged,
        message=message,
        fit_gamma=fit_gamma,
        data=frame,
        bootstrap=boot_df,
        rss=rss,
        r_squared=r2,
        aic=aic,
        bic=bic,
        confidence_level=confidence_level,
        r1r=r1r,
        r2r=r2r,
        drugs=drugs,
        input_scale=input_scale,
        settings=_settings(
            data,
            dose_a=dose_a,
            dose_b=dose_b,
            response=response,
            input_scale=input_scale,
            fit_gamma=fit_gamma,
            n_bootstrap=n_bootstrap,
            bootstrap=bootstrap,
            confidence_level=confidence_level,
            r1r=r1r,
            r2r=r2r,
        ),
    )
