"""A-priori power of the mixed-model synergy test (simulation vs the closed form)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.invivo import prepare_growth_data, synergy_power, synergy_power_nlme

ARMS = ["C", "A", "B", "AB"]
DAYS = np.array([0, 3, 7, 10, 14, 17, 21], dtype=float)


def _study(rates, *, n=8, psi=0.012**2, sigma=0.10, seed=3) -> pd.DataFrame:
    """A pilot study simulated from the mixed model itself (exact baseline volume 100)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g, r in zip(ARMS, rates, strict=True):
        for i in range(n):
            b = rng.normal(0, np.sqrt(psi))
            for d in DAYS:
                lv = (r + b) * d + (rng.normal(0, sigma) if d > 0 else 0.0)
                rows.append((f"{g}{i}", g, d, 100 * np.exp(lv)))
    return pd.DataFrame(rows, columns=["subject", "group", "day", "volume_mm3"])


@pytest.fixture(scope="module")
def pilot():
    # Bliss expected AB rate 0.07 + 0.06 - 0.10 = 0.03; simulated 0.0: synergy -0.03/day
    return prepare_growth_data(_study([0.10, 0.07, 0.06, 0.0]), endpoint_mm3=1e9)


def test_simulated_power_matches_closed_form(pilot):
    # known answer: with the variance components known, the Bliss Wald statistic is normal
    # with mean delta/se and se^2 = 4 (sigma^2 + psi S)/(n S); the simulation (which also
    # re-estimates psi and sigma by REML) must agree within 3 Monte Carlo SEs (n_sim=400:
    # SE <= 0.025)
    res = synergy_power(pilot, arms=ARMS, n_per_group=(3, 6), day=21, n_sim=400, rng=11)
    t = res.table
    assert (t["effect"] < 0).all()  # the pilot is synergistic
    for r in t.itertuples():
        assert abs(r.power - r.power_analytic) <= 3 * max(r.power_se, 0.01), r
    assert t["power_analytic"].is_monotonic_increasing
    # the closed form by hand from the fitted variance components
    p = res.parameters
    tt = np.array(p["days"])
    s = tt @ tt
    se = np.sqrt(4 * (p["sd_resid"] ** 2 + p["sd_ranef"] ** 2 * s) / (6 * s))
    lam = abs(t["effect"].iloc[1]) / se
    from scipy import stats

    z = stats.norm.ppf(0.975)
    want = stats.norm.sf(z - lam) + stats.norm.cdf(-z - lam)
    assert t["power_analytic"].iloc[1] == pytest.approx(want, rel=1e-12)


def test_no_effect_gives_the_test_size(pilot):
    # effect = 0: the share of rejections is the type I error 1 - confidence_level = 0.05;
    # n_sim=600 gives a Monte Carlo SE of 0.009, so 3 SE = 0.027
    res = synergy_power(pilot, arms=ARMS, n_per_group=(8,), day=21, effect=0.0, n_sim=600, rng=5)
    r = res.table.iloc[0]
    assert r["power_analytic"] == pytest.approx(0.05, abs=1e-12)
    assert abs(r["power"] - 0.05) <= 3 * np.sqrt(0.05 * 0.95 / 600)
    assert r["combination_index"] == 1.0


def test_power_reproducible_and_input_untouched(pilot):
    data = pilot.data.copy()
    a = synergy_power(pilot, arms=ARMS, n_per_group=(4,), day=14, n_sim=30, rng=2).table
    b = synergy_power(pilot, arms=ARMS, n_per_group=(4,), day=14, n_sim=30, rng=2).table
    pd.testing.assert_frame_equal(a, b)
    assert pilot.data.equals(data)
    assert a["day"].iloc[0] == 14.0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"n_per_group": (1, 4)}, "group sizes ≥ 2"),
        ({"method": "ra"}, "'bliss' or 'hsa'"),
        ({"n_sim": 0}, "n_sim must be ≥ 1"),
        ({"day": 3}, "at least two measured days"),
    ],
)
def test_power_bad_input(pilot, kwargs, needle):
    with pytest.raises(DataValidationError, match=needle):
        synergy_power(pilot, arms=ARMS, **{"n_sim": 5, "day": 21, **kwargs})


@pytest.mark.reference
def test_nlme_power_reproduces_synergylmm_pwrsamplesize(reference_dir):
    """SynergyLMM's published a-priori power example (PwrSampleSize, Bliss; values in
    ../shared/reference/invivo/expected_values.json, printed to 7 digits): npg 1..10, days
    0, 3, ..., 30, rates 0.079 / 0.075 / 0.063 / 0.035 per day, sd_ranef 0.039 (relative to
    sigma, as nlme stores it) and sigma 0.215. Measured max difference 4.6e-8, within the
    5e-8 rounding of the printed values; asserted at 1e-7."""
    import json

    ev = json.loads((reference_dir / "invivo" / "expected_values.json").read_text())
    pub = ev["synergylmm_grwth_data"]["published_a_priori_power_PwrSampleSize_Bliss"]
    expected = pd.Series(pub["power_by_n"]).rename(index=int).sort_index()
    tab = synergy_power_nlme(
        [0.079, 0.075, 0.063, 0.035],
        days=np.arange(0, 31, 3),
        sd_ranef=0.039,
        sd_resid=0.215,
        n_per_group=list(expected.index),
        ranef_scale="relative",
    )
    np.testing.assert_allclose(tab["power"], expected.to_numpy(), rtol=0, atol=1e-7)
    # the same in absolute units (random-slope SD per day = 0.039 x 0.215)
    absolute = synergy_power_nlme(
        [0.079, 0.075, 0.063, 0.035],
        days=np.arange(0, 31, 3),
        sd_ranef=0.039 * 0.215,
        sd_resid=0.215,
        n_per_group=list(expected.index),
    )
    np.testing.assert_allclose(absolute["power"], tab["power"], rtol=1e-14)


def test_nlme_power_matches_the_closed_form_at_large_df():
    """With many rows the F(1, df) test is the z test: power -> the normal closed form of
    synergy_power's ``power_analytic`` (Phi(lambda - z) + Phi(-lambda - z))."""
    from scipy import stats

    days = np.arange(0, 200, 1.0)
    tab = synergy_power_nlme(
        [0.10, 0.07, 0.06, 0.0], days=days, sd_ranef=0.012, sd_resid=0.1, n_per_group=[6]
    )
    lam = np.sqrt(tab["noncentrality"].iloc[0])
    z = stats.norm.ppf(0.975)
    closed = stats.norm.sf(z - lam) + stats.norm.cdf(-z - lam)
    # df = 4*6*200 - 24 - 3 = 4773: F vs normal differ by O(1/df)
    assert tab["df_denominator"].iloc[0] == 4 * 6 * 200 - 24 - 3
    assert tab["power"].iloc[0] == pytest.approx(closed, abs=1e-3)
    assert tab["effect"].iloc[0] == pytest.approx(0.10 - 0.07 - 0.06 + 0.0, abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"rates": [0.1, 0.2, 0.3]}, "4 growth rates"),
        ({"days": [5]}, "two measurement times"),
        ({"ranef_scale": "log"}, "ranef_scale"),
        ({"sd_resid": 0.0}, "sd_resid > 0"),
        ({"n_per_group": [0]}, "group sizes"),
    ],
)
def test_nlme_power_bad_input(kwargs, needle):
    args = {
        "rates": [0.079, 0.075, 0.063, 0.035],
        "days": [0, 3, 6],
        "sd_ranef": 0.01,
        "sd_resid": 0.2,
    }
    args.update(kwargs)
    rates = args.pop("rates")
    with pytest.raises(DataValidationError, match=needle):
        synergy_power_nlme(rates, **args)
