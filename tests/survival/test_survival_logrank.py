"""Log-rank / G-rho tests: R survdiff anchors, lifelines cross-check, null calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import multivariate_logrank_test
from scipy import stats
from statsmodels.stats.multitest import multipletests

from repurposekit import DataValidationError
from repurposekit.survival import logrank_test, pairwise_logrank

# R prints chi-squares with 6-10 significant digits; we compare at 1e-8 relative (below the
# printed precision of the 10-digit values, above floating-point noise).
RTOL = 1e-8


def test_waltons(waltons, expected):
    ref = expected["lifelines_vs_R_survival"]["waltons"]["logrank"]
    res = logrank_test(waltons, time="T", event="E", group="group")
    assert res.chisq == pytest.approx(ref["chi2"], rel=RTOL)
    assert res.p_value == pytest.approx(ref["p"], rel=1e-8)
    assert res.df == 1
    tab = res.table.set_index("group")
    assert tab["observed"].sum() == pytest.approx(tab["expected"].sum())  # O and E balance


def test_gehan_and_lymphoma(gehan, lymphoma, expected):
    ref = expected["lifelines_vs_R_survival"]
    res = logrank_test(gehan, event="status", group="arm")
    assert res.chisq == pytest.approx(ref["gehan"]["logrank"]["chi2"], rel=RTOL)
    assert res.p_value == pytest.approx(ref["gehan"]["logrank"]["p"], rel=1e-8)
    res = logrank_test(lymphoma, time="Time", event="Censor", group="Stage_group")
    assert res.chisq == pytest.approx(ref["lymphoma"]["logrank_stage_groups"]["chi2"], rel=RTOL)
    assert res.p_value == pytest.approx(ref["lymphoma"]["logrank_stage_groups"]["p"], rel=1e-8)


def test_cr1197_four_groups_and_combo_vs_vehicle(cr1197, cr1197_2000, expected):
    ref = expected["cr1197_time_to_endpoint"]
    r1500 = ref["rule_first_at_or_above_1500"]
    res = logrank_test(cr1197, group="Treatment")
    # expected values are printed with 7-8 significant digits -> compare at 1e-7 relative
    assert res.chisq == pytest.approx(r1500["logrank_4group"]["chi2"], rel=1e-7)
    assert res.df == r1500["logrank_4group"]["df"] == 3
    assert res.p_value == pytest.approx(r1500["logrank_4group"]["p"], rel=1e-6)
    pw = pairwise_logrank(cr1197, group="Treatment", method="none").table
    row = pw[(pw.group_a == "Palbociclib+Cetuximab") & (pw.group_b == "Vehicle")].iloc[0]
    assert row["chisq"] == pytest.approx(r1500["logrank_combo_vs_vehicle"]["chi2"], rel=1e-7)
    assert row["p_value"] == pytest.approx(r1500["logrank_combo_vs_vehicle"]["p"], rel=1e-6)
    r2000 = ref["rule_first_at_or_above_2000"]
    res = logrank_test(cr1197_2000, group="Treatment")
    assert res.chisq == pytest.approx(r2000["logrank_4group_chi2"], rel=1e-7)
    assert res.p_value == pytest.approx(r2000["p"], rel=1e-6)


@pytest.mark.parametrize("seed", [11, 12])
def test_matches_lifelines_multigroup(seed):
    rng = np.random.default_rng(seed)
    n = 90
    df = pd.DataFrame(
        {
            "time": np.round(rng.exponential(5, n)) + 1,
            "event": (rng.random(n) < 0.7).astype(int),
            "group": rng.choice(["a", "b", "c"], n),
        }
    )
    ours = logrank_test(df)
    theirs = multivariate_logrank_test(df["time"], df["group"], df["event"])
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)


def test_peto_rho1_matches_lifelines_fleming_harrington():
    rng = np.random.default_rng(5)
    n = 80
    df = pd.DataFrame(
        {
            "time": np.round(rng.exponential(5, n)) + 1,
            "event": (rng.random(n) < 0.7).astype(int),
            "group": rng.choice(["a", "b"], n),
        }
    )
    ours = logrank_test(df, rho=1)
    theirs = multivariate_logrank_test(
        df["time"], df["group"], df["event"], weightings="fleming-harrington", p=1, q=0
    )
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)


def test_null_pvalues_are_uniform():
    # 400 two-group data sets from one distribution; KS test of the p-values against U(0, 1).
    # A calibrated test gives p_KS > 0.01 (fixed seed, so this is deterministic).
    rng = np.random.default_rng(2026)
    ps = []
    for _ in range(400):
        n = 40
        t = rng.exponential(1.0, n)
        c = rng.exponential(2.0, n)
        df = pd.DataFrame(
            {
                "time": np.minimum(t, c),
                "event": (t <= c).astype(int),
                "group": np.repeat([0, 1], 20),
            }
        )
        ps.append(logrank_test(df).p_value)
    assert stats.kstest(ps, "uniform").pvalue > 0.01
    assert 0.02 < np.mean(np.array(ps) < 0.05) < 0.09


@pytest.mark.parametrize(
    ("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")]
)
def test_pairwise_adjustment_matches_statsmodels(cr1197, ours, theirs):
    res = pairwise_logrank(cr1197, group="Treatment", method=ours)
    tab = res.table
    assert len(tab) == 6
    exp = multipletests(tab["p_value"], method=theirs)[1]
    assert np.allclose(tab["p_adjusted"], exp, rtol=1e-12)


def test_input_not_modified_and_bad_input(cr1197):
    before = cr1197.copy()
    logrank_test(cr1197, group="Treatment")
    assert cr1197.equals(before)
    with pytest.raises(DataValidationError, match="single group"):
        logrank_test(cr1197.assign(g="x"), group="g")
    with pytest.raises(DataValidationError, match="method"):
        pairwise_logrank(cr1197, group="Treatment", method="tukey")
    with pytest.raises(DataValidationError, match=r"'time', row 2.*negative"):
        logrank_test(cr1197.assign(time=-cr1197["time"]), group="Treatment")


def test_stratified_logrank_equals_stratified_cox_score_test_without_ties():
    # Without tied event times the (stratified) log-rank statistic is the score test of the
    # (stratified) Cox model with the group as a factor: an independent check of the sums.
    from repurposekit.survival import cox_ph

    rng = np.random.default_rng(8)
    n = 120
    df = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c"], n),
            "site": rng.choice(["s1", "s2"], n),
        }
    )
    t = rng.exponential(1.0 + (df["group"] == "b") + 2 * (df["site"] == "s2"))
    c = rng.exponential(3.0, n)
    df["time"] = np.minimum(t, c)
    df["event"] = (t <= c).astype(int)
    lr = logrank_test(df, strata="site")
    fit = cox_ph(df, covariates=["group"], strata="site")
    assert lr.chisq == pytest.approx(fit.score_test[0], rel=1e-10)
    assert lr.df == fit.score_test[1] == 2
    one = logrank_test(df.assign(site="same"), strata="site")
    assert one.chisq == pytest.approx(logrank_test(df).chisq, rel=1e-12)
    pw = pairwise_logrank(df, strata="site", method="none").table
    ab = df[df.group.isin(["a", "b"])]
    assert pw.iloc[0]["chisq"] == pytest.approx(logrank_test(ab, strata="site").chisq, rel=1e-12)
