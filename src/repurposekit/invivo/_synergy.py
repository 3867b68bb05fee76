"""In vivo drug-combination synergy: SynergyLMM (mixed model) and invivoSyn (TGI, AUC)."""

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
from repurposekit.invivo._efficacy import tumour_growth_inhibition
from repurposekit.invivo._growth import auc_growth_rate, fit_growth_lmm

__all__ = [
    "CombinationArms",
    "InVivoSynergy",
    "auc_synergy",
    "lmm_synergy",
    "tgi_synergy",
]

CONVENTION_LMM = (
    "CI = exp((b_AB - b_expected)·t) on relative volume: CI < 1 synergy, > 1 antagonism; "
    "SS = -z: SS > 0 synergy"
)
CONVENTION_TGI = (
    "SS = TGI_obs - TGI_expected (percentage points): > 0 synergy; "
    "log_ratio = log(TGI_obs/TGI_expected): > 0 synergy"
)
CONVENTION_AUC = (
    "CI = S_AB/S_expected with S = exp((eGR - eGR_control)·t): CI < 1 synergy; "
    "SS = 100 (S_expected - S_AB): > 0 synergy"
)


@dataclass(frozen=True)
class CombinationArms:
    """Group names of a two-drug combination study."""

    control: str
    a: str
    b: str
    combination: str

    @classmethod
    def coerce(
        cls, arms: CombinationArms | Mapping[str, str] | Sequence[str] | None, growth: GrowthData
    ) -> CombinationArms:
        """From a mapping / 4 names / None (then the 4 groups in order: control, A, B, AB)."""
        if isinstance(arms, CombinationArms):
            out = arms
        elif arms is None:
            if len(growth.groups) != 4:
                msg = (
                    f"the study has {len(growth.groups)} groups {list(growth.groups)}; say which "
                    "are control, A, B and the combination: arms={'control': ..., 'a': ..., "
                    "'b': ..., 'combination': ...}."
                )
                raise DataValidationError(msg)
            out = cls(*growth.groups)
        elif isinstance(arms, Mapping):
            try:
                out = cls(
                    str(arms["control"]), str(arms["a"]), str(arms["b"]), str(arms["combination"])
                )
            except KeyError as exc:
                msg = f"arms mapping lacks {exc}; give control, a, b, combination."
                raise DataValidationError(msg) from None
        else:
            out = cls(*[str(x) for x in arms])
        missing = [
            g for g in (out.control, out.a, out.b, out.combination) if g not in growth.groups
        ]
        if missing:
            msg = f"combination arm(s) {missing} are not groups of the study {list(growth.groups)}."
            raise DataValidationError(msg)
        return out

    @property
    def names(self) -> list[str]:
        """[control, a, b, combination]."""
        return [self.control, self.a, self.b, self.combination]


@dataclass(frozen=True, eq=False)
class InVivoSynergy:
    """Synergy estimates; every row carries its ``convention`` (which sign means synergy)."""

    table: pd.DataFrame
    arms: CombinationArms
    method: str
    basis: str
    settings: Mapping[str, Any]
    bootstrap: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """Synergy table."""
        return self.table.copy()

    def summary(self) -> str:
        """Rows with their convention."""
        t = self.table
        lines = [f"{self.method} synergy ({self.basis}); {t['convention'].iloc[0]}"]
        for r in t.itertuples():
            ci = getattr(r, "combination_index", np.nan)
            lines.append(
                f"  day {r.day:g}: CI {ci:.4g}, SS {r.synergy_score:.4g}, p {r.p_value:.3g}"
            )
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Combination index and synergy score over time (:func:`repurposekit.plot.invivo.synergy_over_time`)."""
        from repurposekit.plot.invivo import synergy_over_time

        return synergy_over_time(self, ax=ax, **kwargs)


def _check_method(method: str) -> str:
    m = method.lower()
    if m not in {"bliss", "hsa", "ra"}:
        msg = f"method must be 'bliss', 'hsa' or 'ra', got {method!r}."
        raise DataValidationError(msg)
    return m


def lmm_synergy(
    growth: GrowthData,
    *,
    arms: CombinationArms | Mapping[str, str] | Sequence[str] | None = None,
    method: str = "bliss",
    days: Sequence[float] | None = None,
    day_max: float | None = None,
    per_animal_variance: bool = True,
    robust: bool = True,
    confidence_level: float = 0.95,
) -> InVivoSynergy:
    """SynergyLMM combination index and synergy score over time.

    For each day ``t`` the mixed model (:func:`fit_growth_lmm`) is refitted on days ≤ t
    and the combination's growth rate is compared with the rate expected under the
    reference model.

    Parameters
    ----------
    growth : GrowthData
    arms : CombinationArms, mapping or 4 names, optional
        Control, drug A, drug B, combination (default: the four groups in order).
    method : {"bliss", "hsa", "ra"}
        Bliss independence (:math:`b_{exp} = b_A + b_B - b_C`), highest single agent
        (:math:`b_{exp} = \\min(b_A, b_B)`) or response additivity on relative volume
        (:math:`RTV_{exp} = RTV_A + RTV_B - RTV_C`, SE by the delta method).
    days : sequence of float, optional
        Days to evaluate (default: every measured day from the third post-baseline day on,
        so that each refit has at least three measurements per animal; with two, a
        per-animal variance is barely identified and robust SEs are unstable).
    day_max : float, optional
        With ``days=None``: stop at this day (e.g. the end of treatment, after which the
        constant-rate model of log relative volume no longer describes regrowth).
    per_animal_variance : bool
        varIdent residual variance per animal (SynergyLMM's recommended model).
    robust : bool
        CR2 cluster-robust SE (clubSandwich) instead of the model-based SE.
    confidence_level : float

    Returns
    -------
    InVivoSynergy
        Columns ``day, estimate`` (:math:`b_{AB} - b_{exp}`, per day), ``se, z,
        combination_index, ci_low, ci_high, synergy_score, ss_low, ss_high, p_value,
        robust, converged, convention``.

    Notes
    -----
    :math:`CI = e^{(b_{AB} - b_{exp}) t}` (< 1 synergy), :math:`SS = -z` with
    :math:`z = (b_{AB} - b_{exp}) / SE` (> 0 synergy), two-sided normal p-value.
    """
    m = _check_method(method)
    arms = CombinationArms.coerce(arms, growth)
    post = sorted(d for d in growth.data["day"].unique() if d > growth.baseline_day)
    if days is None:
        days = [d for d in post[2:] if day_max is None or d <= day_max]
    if len(days) == 0:
        msg = f"no day to evaluate: measured days after baseline are {post}, day_max={day_max}."
        raise DataValidationError(msg)
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    rows = []
    for t_abs in days:
        fit = fit_growth_lmm(
            growth,
            per_animal_variance=per_animal_variance,
            day_max=float(t_abs),
            groups=arms.names,
            robust=robust,
        )
        b = fit.estimates.set_index("group")["rate_per_day"]
        V = (fit.vcov_robust if robust else fit.vcov).loc[arms.names, arms.names].to_numpy()
        bC, bA, bB, bAB = (b[g] for g in arms.names)
        t = float(t_abs) - growth.baseline_day
        if m == "bliss":
            c = np.array([1.0, -1.0, -1.0, 1.0])
            est = bAB - bA - bB + bC
        elif m == "hsa":
            c = np.array([0.0, -1.0, 0.0, 1.0]) if bA <= bB else np.array([0.0, 0.0, -1.0, 1.0])
            est = bAB - min(bA, bB)
        else:
            D = np.exp(bA * t) + np.exp(bB * t) - np.exp(bC * t)
            if D <= 0:
                est, c = np.nan, np.full(4, np.nan)
            else:
                est = bAB - np.log(D) / t
                c = np.array([np.exp(bC * t) / D, -np.exp(bA * t) / D, -np.exp(bB * t) / D, 1.0])
        se = float(np.sqrt(c @ V @ c))
        z = est / se
        rows.append(
            {
                "day": float(t_abs),
                "method": m,
                "estimate": est,
                "se": se,
                "z": z,
                "combination_index": np.exp(est * t),
                "ci_low": np.exp((est - q * se) * t),
                "ci_high": np.exp((est + q * se) * t),
                "synergy_score": -z,
                "ss_low": -z - q,
                "ss_high": -z + q,
                "p_value": 2 * stats.norm.sf(abs(z)),
                "robust": robust,
                "converged": fit.converged,
                "convention": CONVENTION_LMM,
            }
        )
    return InVivoSynergy(
        table=pd.DataFrame(rows),
        arms=arms,
        method=m,
        basis="lmm_growth_rate",
        settings=_settings(
            arms=arms.names,
            method=m,
            days=list(map(float, days)),
            day_max=day_max,
            per_animal_variance=per_animal_variance,
            robust=robust,
            confidence_level=confidence_level,
        ),
    )


def _expected_inhibition(a: np.ndarray, b: np.ndarray, m: str) -> np.ndarray:
    # a, b: fractional inhibitions (TGI / 100)
    if m == "bliss":
        return 1 - (1 - a) * (1 - b)
    if m == "hsa":
        return np.maximum(a, b)
    return a + b


def tgi_synergy(
    growth: GrowthData,
    *,
    day: float | None = None,
    arms: CombinationArms | Mapping[str, str] | Sequence[str] | None = None,
    method: str = "bliss",
    tgi_method: str = "delta",
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> InVivoSynergy:
    """invivoSyn's TGI-based synergy on one day, with a stratified bootstrap.

    Parameters
    ----------
    growth : GrowthData
    day : float, optional
        Default: :func:`default_day`.
    arms, method
        As in :func:`lmm_synergy` (``ra``: expected TGI = TGI_A + TGI_B).
    tgi_method : {"delta", "rtv"}
        TGI definition (:data:`TGI_METHODS`).
    n_boot, confidence_level, rng
        Bootstrap (animals resampled within group).

    Returns
    -------
    InVivoSynergy
        ``tgi_a_pct, tgi_b_pct, tgi_observed_pct, tgi_expected_pct, synergy_score`` (=
        observed − expected, percentage points; > 0 synergy), ``log_ratio`` (=
        log(observed/expected); > 0 synergy), bootstrap ``ss_low, ss_high`` and
        ``p_value`` (share of resamples with observed ≤ expected).
    """
    m = _check_method(method)
    arms = CombinationArms.coerce(arms, growth)
    res = tumour_growth_inhibition(
        growth,
        day=day,
        control=arms.control,
        method=tgi_method,
        n_boot=n_boot,
        confidence_level=confidence_level,
        rng=rng,
    )
    day = res.day
    tg = res.table.set_index("group")["tgi_pct"] / 100
    obs = tg[arms.combination]
    exp = float(_expected_inhibition(np.array(tg[arms.a]), np.array(tg[arms.b]), m))
    row = {
        "day": float(day),
        "method": m,
        "tgi_a_pct": 100 * tg[arms.a],
        "tgi_b_pct": 100 * tg[arms.b],
        "tgi_observed_pct": 100 * obs,
        "tgi_expected_pct": 100 * exp,
        "synergy_score": 100 * (obs - exp),
        "log_ratio": np.log(obs / exp) if obs > 0 and exp > 0 else np.nan,
        "ss_low": np.nan,
        "ss_high": np.nan,
        "p_value": np.nan,
        "n_boot": n_boot,
        "convention": CONVENTION_TGI,
    }
    boot_df = None
    if res.bootstrap is not None:
        cols = list(res.table["group"])
        B = pd.DataFrame(res.bootstrap, columns=cols)
        e = _expected_inhibition(B[arms.a].to_numpy(), B[arms.b].to_numpy(), m)
        ss = 100 * (B[arms.combination].to_numpy() - e)
        a = (1 - confidence_level) / 2
        row["ss_low"], row["ss_high"] = np.nanquantile(ss, [a, 1 - a])
        row["p_value"] = float(np.mean(ss <= 0))
        boot_df = pd.DataFrame(
            {
                "expected_pct": 100 * e,
                "observed_pct": 100 * B[arms.combination],
                "synergy_score": ss,
            }
        )
    return InVivoSynergy(
        table=pd.DataFrame([row]),
        arms=arms,
        method=m,
        basis=f"tgi_{tgi_method}",
        settings=_settings(
            day=day, arms=arms.names, method=m, tgi_method=tgi_method, n_boot=n_boot
        ),
        bootstrap=boot_df,
    )


def _auc_stat(x: np.ndarray, lab: np.ndarray, arms: CombinationArms, t: float, m: str):
    means = {g: x[lab == g].mean() for g in arms.names}
    s = {g: np.exp((means[g] - means[arms.control]) * t) for g in arms.names}
    if m == "bliss":
        se = s[arms.a] * s[arms.b]
    elif m == "hsa":
        se = min(s[arms.a], s[arms.b])
    else:
        se = s[arms.a] + s[arms.b] - 1.0
    sc = s[arms.combination]
    return sc / se if se > 0 else np.nan, 100 * (se - sc)


def auc_synergy(
    growth: GrowthData,
    *,
    t: float = 21.0,
    arms: CombinationArms | Mapping[str, str] | Sequence[str] | None = None,
    method: str = "bliss",
    day_max: float | None = None,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> InVivoSynergy:
    """invivoSyn's AUC-based synergy (exponential growth rates from the AUC of log volume).

    Parameters
    ----------
    growth : GrowthData
    t : float, days
        Horizon at which the rates are turned into "survival" fractions (invivoSyn: 21).
    arms, method
        As in :func:`lmm_synergy`. ``ra`` uses :math:`S_{exp} = S_A + S_B - 1` (response
        additivity of inhibitions; invivoSyn's code uses ``sum(1 - S)``, which we do not
        follow).
    day_max : float, optional
        Use measurements up to this day.
    n_boot, confidence_level, rng
        Stratified bootstrap of animals.

    Returns
    -------
    InVivoSynergy

    Notes
    -----
    Per animal :math:`eGR` = :func:`auc_growth_rate`; with group means,
    :math:`S_g = e^{(\\overline{eGR}_g - \\overline{eGR}_C) t}`; Bliss
    :math:`S_{exp} = S_A S_B`, HSA :math:`\\min(S_A, S_B)`. :math:`CI = S_{AB}/S_{exp}`
    (< 1 synergy), :math:`SS = 100 (S_{exp} - S_{AB})` (> 0 synergy); bootstrap p = share
    of resamples with CI ≥ 1.
    """
    m = _check_method(method)
    arms = CombinationArms.coerce(arms, growth)
    d = growth.data
    if day_max is not None:
        d = d[d["day"] <= day_max]
    d = d[d["group"].isin(arms.names)]
    rows = [
        (g, auc_growth_rate(a["day"].to_numpy(), a["volume_mm3"].to_numpy()))
        for (g, _s), a in d.groupby(["group", "subject"], sort=False)
    ]
    lab = np.array([r[0] for r in rows])
    x = np.array([r[1] for r in rows])
    ok = np.isfinite(x)
    lab, x = lab[ok], x[ok]
    ci, ss = _auc_stat(x, lab, arms, t, m)
    row = {
        "day": float(t),
        "method": m,
        **{
            f"egr_{k}": x[lab == g].mean()
            for k, g in zip(("control", "a", "b", "combination"), arms.names, strict=False)
        },
        "combination_index": ci,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "synergy_score": ss,
        "ss_low": np.nan,
        "ss_high": np.nan,
        "p_value": np.nan,
        "n_boot": n_boot,
        "convention": CONVENTION_AUC,
    }
    boot_df = None
    if n_boot > 0:
        rng = np.random.default_rng(rng)
        from repurposekit.invivo._efficacy import _strat_boot_idx

        idx = _strat_boot_idx(lab, rng, n_boot)
        bs = np.array([_auc_stat(x[i], lab[i], arms, t, m) for i in idx])
        a = (1 - confidence_level) / 2
        row["ci_low"], row["ci_high"] = np.nanquantile(bs[:, 0], [a, 1 - a])
        row["ss_low"], row["ss_high"] = np.nanquantile(bs[:, 1], [a, 1 - a])
        row["p_value"] = float(np.nanmean(bs[:, 0] >= 1))
        boot_df = pd.DataFrame(bs, columns=["combination_index", "synergy_score"])
    return InVivoSynergy(
        table=pd.DataFrame([row]),
        arms=arms,
        method=m,
        basis="auc_egr",
        settings=_settings(t=t, arms=arms.names, method=m, day_max=day_max, n_boot=n_boot),
        bootstrap=boot_df,
    )
