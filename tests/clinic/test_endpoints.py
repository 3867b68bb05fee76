"""Trial endpoints: exact ORR CIs, Simon designs (Simon 1989, Table 1), KM endpoints, plot data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.clinic import (
    clopper_pearson,
    duration_of_response,
    objective_response_rate,
    response_rates,
    simon_two_stage,
    swimmer_data,
    time_to_event,
    waterfall_data,
)
from repurposekit.clinic._simulate import simulate_cohort


@pytest.mark.parametrize(
    ("k", "n", "est", "lo", "hi", "tol"),
    [
        # values from the issue as published (one decimal of a percent: tolerance 0.05 points)
        (25, 57, 43.9, 30.7, 57.6, 0.05),
        (34, 109, 31.2, 22.7, 40.8, 0.05),
        # given to two decimals: tolerance 0.005 points
        (11, 26, 42.3, 23.35, 63.08, 0.005),
    ],
)
def test_orr_clopper_pearson(k, n, est, lo, hi, tol):
    r = objective_response_rate(k, n)
    assert 100 * r.estimate == pytest.approx(est, abs=0.05)
    assert 100 * r.ci_low == pytest.approx(lo, abs=tol)
    assert 100 * r.ci_high == pytest.approx(hi, abs=tol)


def test_clopper_pearson_edges_and_definition():
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(10, 10)[1] == 1.0
    # definition: at the lower bound P(X >= k) = alpha/2 (binomial tail), to 1e-10
    from scipy import stats

    lo, hi = clopper_pearson(7, 20)
    assert stats.binom.sf(6, 20, lo) == pytest.approx(0.025, abs=1e-10)
    assert stats.binom.cdf(7, 20, hi) == pytest.approx(0.025, abs=1e-10)
    for bad in ((5, 3), (-1, 3), (1, 0)):
        with pytest.raises(DataValidationError):
            clopper_pearson(*bad)
    with pytest.raises(DataValidationError, match="confidence_level"):
        clopper_pearson(1, 3, confidence_level=95)


@pytest.mark.parametrize(
    ("p0", "p1", "opt", "mm"),
    [
        (0.2, 0.4, (3, 13, 12, 43), (4, 18, 10, 33)),  # the check (Simon 1989 Table 1)
        (0.1, 0.3, (1, 10, 5, 29), (1, 15, 5, 25)),  # Simon 1989 Table 1
        (0.05, 0.25, (0, 9, 2, 17), (0, 12, 2, 16)),  # Simon 1989 Table 1
    ],
)
def test_simon_designs(p0, p1, opt, mm):
    res = simon_two_stage(p0, p1, alpha=0.05, beta=0.2)
    o, m = res.optimal, res.minimax
    assert (o.r1, o.n1, o.r, o.n) == opt
    assert (m.r1, m.n1, m.r, m.n) == mm
    assert o.alpha <= 0.05
    assert o.power >= 0.8
    assert o.en0 <= m.en0
    assert len(res.to_frame()) == 2
    assert "optimal" in res.summary()


def test_simon_errors():
    with pytest.raises(DataValidationError, match="larger than p0"):
        simon_two_stage(0.4, 0.2)
    with pytest.raises(DataValidationError, match="between 0 and 1"):
        simon_two_stage(0.2, 0.4, alpha=5)
    with pytest.raises(DataValidationError, match="raise n_max"):
        simon_two_stage(0.2, 0.25, n_max=10)


def test_response_rates_and_input_unchanged():
    df = simulate_cohort(40, rng=1)
    copy = df.copy()
    rr = response_rates(df).to_frame().set_index("endpoint")
    n_resp = int(df["best_response"].isin(["CR", "PR"]).sum())
    assert rr.loc["ORR", "count"] == n_resp
    assert rr.loc["ORR", "n"] == 40
    ref = objective_response_rate(n_resp, 40)
    assert rr.loc["ORR", "ci_low"] == ref.ci_low
    assert df.equals(copy)
    by = response_rates(df.assign(arm=["a", "b"] * 20), by="arm")
    assert set(by.to_frame()["group"]) == {"a", "b"}
    assert "ORR" in by.summary()
    with pytest.raises(DataValidationError, match="RECIST"):
        response_rates(df.assign(best_response="partial"))


def test_km_endpoints_use_the_survival_module():
    from repurposekit.survival import kaplan_meier

    df = simulate_cohort(40, rng=2)
    pfs = time_to_event(df, time="pfs_days", event="pfs_event", landmarks=[180])
    ref = kaplan_meier(df, time="pfs_days", event="pfs_event").median()
    assert pfs.median["median"].iloc[0] == ref["median"].iloc[0]
    # landmark S(180): the survival module's own value (same function, exact), and lifelines'
    # product-limit estimate at 180 days (same estimator, rounding only: 1e-12)
    from lifelines import KaplanMeierFitter

    km = kaplan_meier(df, time="pfs_days", event="pfs_event").survival_at(180)
    assert pfs.landmarks["survival"].iloc[0] == km["survival"].iloc[0]
    for col in ("std_err", "lower", "upper", "n_risk"):
        assert pfs.landmarks[col].iloc[0] == km[col].iloc[0]
    kmf = KaplanMeierFitter().fit(df["pfs_days"], df["pfs_event"])
    s180 = float(kmf.survival_function_at_times(180.0).iloc[0])
    assert pfs.landmarks["survival"].iloc[0] == pytest.approx(s180, rel=1e-12)
    assert 0 < s180 < 1  # the landmark lies inside the follow-up, not a trivial 0 or 1
    assert "PFS" in pfs.summary()
    assert len(pfs.to_frame()) == 1
    dor = duration_of_response(df)
    assert dor.median["n"].iloc[0] == int(df["best_response"].isin(["CR", "PR"]).sum())
    with pytest.raises(DataValidationError, match="no responders"):
        duration_of_response(df.assign(best_response="SD"))


def test_waterfall_and_swimmer_data():
    df = simulate_cohort(30, rng=3)
    w = waterfall_data(df)
    assert np.all(np.diff(w["best_pct_change"]) <= 0)
    assert w.attrs["n_missing"] == int(df["best_pct_change"].isna().sum())
    s = swimmer_data(df)
    assert np.all(np.diff(s["treatment_days"]) >= 0)
    assert len(s) == 30
    with pytest.raises(DataValidationError, match="missing column"):
        waterfall_data(pd.DataFrame({"patient": [1]}))


def test_bundled_cohort_is_the_simulation():
    from repurposekit.datasets import path

    bundled = pd.read_csv(path("clinic", "simulated_trial_cohort.csv"))
    regenerated = simulate_cohort()
    pd.testing.assert_frame_equal(bundled, regenerated, check_dtype=False)
