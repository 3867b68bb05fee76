"""A-priori power of the in vivo synergy test (SynergyLMM-style), by simulation from the LMM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.invivo._data import GrowthData
from repurposekit.invivo._growth import fit_growth_lmm
from repurposekit.invivo._lmm import fit_reml, single_thread_blas
from repurposekit.invivo._synergy import CombinationArms

__all__ = ["SynergyPower", "synergy_power", "synergy_power_nlme"]


@dataclass(frozen=True, eq=False)
class SynergyPower:
    """Power of the mixed-model synergy test for several numbers of animals per group.

    ``table``: one row per ``n_per_group`` with ``power`` (share of simulated studies with
    p < 1 − confidence_level), its Monte Carlo ``power_se``, the closed-form
    ``power_analytic`` (known variance components, normal test), ``power_nlme`` (the same
    with SynergyLMM's F test, :func:`synergy_power_nlme`) and the assumed ``effect``,
    ``combination_index`` and ``day``. ``parameters``: the growth rates, random-slope and
    residual SDs the studies were simulated from.
    """

    table: pd.DataFrame
    parameters: Mapping[str, Any]
    arms: CombinationArms
    method: str
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Power table."""
        return self.table.copy()

    def summary(self) -> str:
        """Power per group size."""
        r0 = self.table.iloc[0]
        lines = [
            f"{self.method} synergy power at day {r0['day']:g} (effect {r0['effect']:.4g}/day, "
            f"CI {r0['combination_index']:.3g}; {int(r0['n_sim'])} simulated studies each):"
        ]
        for r in self.table.itertuples():
            lines.append(
                f"  n={r.n_per_group}: power {r.power:.3f} ± {r.power_se:.3f} "
                f"(analytic {r.power_analytic:.3f})"
            )
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Power against animals per group (:func:`repurposekit.plot.invivo.power_curve`)."""
        from repurposekit.plot.invivo import power_curve

        return power_curve(self, ax=ax, **kwargs)


def _contrast(method: str, rates: np.ndarray) -> np.ndarray:
    # rates in order control, A, B, AB
    if method == "bliss":
        return np.array([1.0, -1.0, -1.0, 1.0])
    if method == "hsa":
        return (
            np.array([0.0, -1.0, 0.0, 1.0]) if rates[1] <= rates[2] else np.array([0, 0, -1, 1.0])
        )
    msg = f"method must be 'bliss' or 'hsa' (linear contrasts of growth rates), got {method!r}."
    raise DataValidationError(msg)


def _analytic_power(
    c: np.ndarray, effect: float, n: int, t: np.ndarray, psi: float, sigma2: float, q: float
) -> float:
    s = float(t @ t)
    se = np.sqrt((c @ c) * (sigma2 + psi * s) / (n * s))
    lam = abs(effect) / se
    return float(stats.norm.sf(q - lam) + stats.norm.cdf(-q - lam))


def _nlme_power(
    c: np.ndarray,
    effect: float,
    n: int,
    t: np.ndarray,
    psi: float,
    sigma2: float,
    alpha: float,
) -> tuple[float, float, float]:
    """Power of the F test of c'beta = 0 on an exemplary design (nlmeU ``Pwr.lme``).

    Returns ``(power, noncentrality, denominator df)``. ``t`` holds every measurement time of
    an animal (a time-0 row adds a residual df but no information on the slopes).
    """
    k = c.size
    s = float(t @ t)
    var_c = (c @ c) * (sigma2 + psi * s) / (n * s)
    ncp = effect**2 / var_c
    m = k * n  # animals
    df2 = m * t.size - m - (k - 1)  # nlme's denominator df of the slope terms
    crit = stats.f.ppf(1 - alpha, 1, df2)
    return float(stats.ncf.sf(crit, 1, df2, ncp)), float(ncp), float(df2)


def synergy_power_nlme(
    rates: Sequence[float] | Mapping[str, float],
    *,
    days: Sequence[float],
    sd_ranef: float,
    sd_resid: float,
    n_per_group: Sequence[int] = (4, 6, 8, 10, 12),
    method: str = "bliss",
    ranef_scale: str = "absolute",
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    r"""Analytic a-priori power of the synergy test, as SynergyLMM's ``PwrSampleSize``.

    The exemplary-data method (Helms 1992; Galecki & Burzykowski 2013, nlmeU ``Pwr``): with
    the growth rates and variance components taken as known, the F statistic of the
    contrast on noise-free data is the noncentrality of the test's F distribution.

    Parameters
    ----------
    rates : 4 floats or mapping, per day
        Growth rates of log relative tumour volume for control, drug A, drug B and the
        combination (a mapping keeps that order of its values).
    days : sequence of float, days
        Measurement times of every animal, counted from baseline (include 0 if a baseline
        row is in the model data, as in ``PwrSampleSize(time = ...)``).
    sd_ranef : float
        SD of the animals' random growth rates: per day (``ranef_scale="absolute"``) or
        relative to ``sd_resid`` (``"relative"``: SynergyLMM's ``sd_ranef`` argument, which
        nlme stores relative to sigma).
    sd_resid : float
        Residual SD of log relative tumour volume.
    n_per_group : sequence of int
        Animals per arm.
    method : {"bliss", "hsa"}
        Contrast: :math:`b_C - b_A - b_B + b_{AB}` (Bliss) or :math:`b_{AB} - b_{best}` (HSA,
        best = the slower single agent).
    ranef_scale : {"absolute", "relative"}
    confidence_level : float
        The test rejects at level 1 − ``confidence_level``.

    Returns
    -------
    DataFrame
        ``n_per_group``, ``power``, ``noncentrality``, ``df_denominator``, ``effect``.

    Notes
    -----
    Each rate's GLS estimate has variance :math:`(\sigma^2 + \psi S)/(n S)`,
    :math:`S = \sum_j t_j^2`; the noncentrality is :math:`\lambda = (c'\beta)^2 /
    \mathrm{Var}(c'\hat\beta)` and power :math:`P(F_{1,\nu}(\lambda) > F_{1,\nu;1-\alpha})`
    with nlme's denominator df :math:`\nu = N - M - 3` (:math:`N` rows, :math:`M` animals,
    4 slope terms). Reproduces the published ``PwrSampleSize`` example (SynergyLMM README)
    to its 7 printed digits.

    References
    ----------
    Romero-Becerra R. et al. (2025) SynergyLMM. Nat Commun. doi:10.1038/s41467-025-56775-3.
    Galecki A, Burzykowski T (2013) Linear Mixed-Effects Models Using R, ch. 20. Springer.

    Examples
    --------
    >>> tab = synergy_power_nlme([0.079, 0.075, 0.063, 0.035], days=range(0, 31, 3),
    ...                          sd_ranef=0.039, sd_resid=0.215, n_per_group=[5],
    ...                          ranef_scale="relative")
    >>> round(float(tab["power"].iloc[0]), 4)
    0.8314
    """
    vals = list(rates.values()) if isinstance(rates, Mapping) else list(rates)
    if len(vals) != 4:
        msg = f"rates needs 4 growth rates (control, A, B, combination), got {len(vals)}."
        raise DataValidationError(msg)
    beta = np.asarray(vals, dtype=float)
    t = np.asarray(list(days), dtype=float)
    if t.size < 2 or not np.any(t > 0):
        msg = "days needs at least two measurement times, one of them after baseline."
        raise DataValidationError(msg)
    if ranef_scale not in ("absolute", "relative"):
        msg = f"ranef_scale must be 'absolute' or 'relative', got {ranef_scale!r}."
        raise DataValidationError(msg)
    if sd_resid <= 0 or sd_ranef < 0:
        msg = f"need sd_resid > 0 and sd_ranef >= 0, got {sd_resid} and {sd_ranef}."
        raise DataValidationError(msg)
    sizes = [int(n) for n in n_per_group]
    if not sizes or min(sizes) < 1:
        msg = f"n_per_group must list group sizes >= 1, got {list(n_per_group)}."
        raise DataValidationError(msg)
    tau = sd_ranef * sd_resid if ranef_scale == "relative" else sd_ranef
    c = _contrast(method.lower(), beta)
    effect = float(c @ beta)
    rows = []
    for n in sizes:
        pw, ncp, df2 = _nlme_power(c, effect, n, t, tau**2, sd_resid**2, 1 - confidence_level)
        rows.append(
            {
                "n_per_group": n,
                "power": pw,
                "noncentrality": ncp,
                "df_denominator": df2,
                "effect": effect,
            }
        )
    return pd.DataFrame(rows)


def _simulate_p(
    rng: np.random.Generator,
    beta: np.ndarray,
    c: np.ndarray,
    n: int,
    t: np.ndarray,
    psi: float,
    sigma2: float,
    start: np.ndarray,
) -> float:
    k = len(beta)
    y, X, z = [], [], []
    slopes = rng.normal(0.0, np.sqrt(psi), size=(k, n))
    noise = rng.normal(0.0, np.sqrt(sigma2), size=(k, n, len(t)))
    for g in range(k):
        Xg = np.zeros((len(t), k))
        Xg[:, g] = t
        for i in range(n):
            y.append((beta[g] + slopes[g, i]) * t + noise[g, i])
            X.append(Xg)
            z.append(t)
    fit = fit_reml(y, X, z, start=start)
    se = np.sqrt(c @ fit.vcov @ c)
    return float(2 * stats.norm.sf(abs(c @ fit.beta) / se))


def synergy_power(
    growth: GrowthData,
    *,
    arms: CombinationArms | Mapping[str, str] | Sequence[str] | None = None,
    n_per_group: Sequence[int] = (4, 6, 8, 10, 12),
    day: float | None = None,
    method: str = "bliss",
    effect: float | None = None,
    n_sim: int = 500,
    confidence_level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> SynergyPower:
    """A-priori power to detect combination synergy with ``n`` animals per group.

    The mixed model of :func:`fit_growth_lmm` (homoscedastic) is fitted on the study up to
    ``day``; new studies with ``n`` animals per arm, measured on the study's days up to
    ``day``, are simulated from the fitted growth rates, random-slope variance and
    residual variance, refitted, and tested with the SynergyLMM Wald test of
    :func:`lmm_synergy` (model-based SE). Power = share of studies with
    p < 1 − ``confidence_level``.

    Parameters
    ----------
    growth : GrowthData
        A pilot or completed study providing the variance components.
    arms : CombinationArms, mapping or 4 names, optional
        Control, A, B, combination (as in :func:`lmm_synergy`).
    n_per_group : sequence of int
        Animals per arm to evaluate (all arms equal).
    day : float, days, optional
        Day of the test (default: the last measured day on which every arm still has at
        least half of its animals, :func:`default_day`).
    method : {"bliss", "hsa"}
        Reference model (linear contrast of growth rates).
    effect : float, per day, optional
        True :math:`b_{AB} - b_{exp}` to detect (negative = synergy; default the estimate
        from ``growth``).
    n_sim : int
        Simulated studies per ``n``.
    confidence_level : float
        The test rejects at level 1 − ``confidence_level``.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    SynergyPower

    Notes
    -----
    Simulated data: :math:`\\log RTV_{ij} = (\\beta_{g(i)} + b_i) t_j + e_{ij}`,
    :math:`b_i \\sim N(0, \\psi)`, :math:`e_{ij} \\sim N(0, \\sigma^2)`, every animal on every
    day (no dropout). The Bliss effect is set by shifting :math:`\\beta_{AB}` so that
    :math:`c'\\beta = ` ``effect`` with :math:`c = (1, -1, -1, 1)` for (control, A, B, AB).
    With known :math:`\\psi, \\sigma^2` the GLS estimate of each rate has variance
    :math:`(\\sigma^2 + \\psi S)/(n S)`, :math:`S = \\sum_j t_j^2`, so the test statistic is
    normal with mean :math:`\\delta / se` and ``power_analytic`` =
    :math:`\\Phi(\\lambda - z) + \\Phi(-\\lambda - z)`; the simulation adds the REML
    estimation of the variance components.

    References
    ----------
    Romero-Becerra R. et al. (2025) SynergyLMM. Nat Commun. doi:10.1038/s41467-025-56775-3
    """
    from repurposekit.invivo._efficacy import default_day

    m = method.lower()
    arms = CombinationArms.coerce(arms, growth)
    if day is None:
        day = default_day(growth)
    sizes = [int(n) for n in n_per_group]
    if not sizes or min(sizes) < 2:
        msg = f"n_per_group must list group sizes ≥ 2, got {list(n_per_group)}."
        raise DataValidationError(msg)
    if n_sim < 1:
        msg = f"n_sim must be ≥ 1, got {n_sim}."
        raise DataValidationError(msg)
    fit = fit_growth_lmm(growth, day_max=float(day), groups=arms.names)
    rates = fit.estimates.set_index("group").loc[arms.names, "rate_per_day"].to_numpy(float)
    c = _contrast(m, rates)
    observed = float(c @ rates)
    delta = observed if effect is None else float(effect)
    beta = rates.copy()
    beta[3] += delta - observed  # set the combination's rate so that c'beta = delta
    t = np.array(
        sorted(
            d - growth.baseline_day
            for d in growth.data["day"].unique()
            if growth.baseline_day < d <= float(day)
        ),
        dtype=float,
    )
    if len(t) < 2:
        msg = f"need at least two measured days after baseline up to day {day:g}."
        raise DataValidationError(msg)
    psi = fit.sd_ranef**2
    sigma2 = fit.sd_resid**2
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    gen = np.random.default_rng(rng)
    start = np.log([max(psi, 1e-12), sigma2])
    rows = []
    with single_thread_blas():
        for n in sizes:
            p = np.array(
                [_simulate_p(gen, beta, c, n, t, psi, sigma2, start) for _ in range(n_sim)]
            )
            pw = float(np.mean(p < 1 - confidence_level))
            rows.append(
                {
                    "n_per_group": n,
                    "day": float(day),
                    "effect": delta,
                    "combination_index": float(np.exp(delta * t[-1])),
                    "power": pw,
                    "power_se": float(np.sqrt(pw * (1 - pw) / n_sim)),
                    "power_analytic": _analytic_power(c, delta, n, t, psi, sigma2, q),
                    "power_nlme": _nlme_power(c, delta, n, t, psi, sigma2, 1 - confidence_level)[0],
                    "n_sim": n_sim,
                }
            )
    return SynergyPower(
        table=pd.DataFrame(rows),
        parameters={
            "rates_per_day": dict(zip(arms.names, beta.tolist(), strict=False)),
            "sd_ranef": float(np.sqrt(psi)),
            "sd_resid": float(np.sqrt(sigma2)),
            "days": t.tolist(),
        },
        arms=arms,
        method=m,
        settings=_settings(
            arms=arms.names,
            n_per_group=sizes,
            day=float(day),
            method=m,
            effect=delta,
            n_sim=n_sim,
            confidence_level=confidence_level,
            rng=rng if isinstance(rng, int) else None,
        ),
    )
