"""Survival association vs R survival 3.5-3 (coxph/survdiff); cut points vs R maxstat, lifelines."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from repurposekit import DataValidationError
from repurposekit.omics import (
    altman_p,
    cutpoint_analysis,
    lausen_schumacher_p,
    survival_association,
)
from repurposekit.omics._cox import logrank_two_group

DATA = Path(__file__).parents[1] / "data" / "omics"


@pytest.mark.reference
@pytest.mark.parametrize("method", ["ssgsea_norm", "zscore", "gsva_gaussian_mxdiff"])
def test_cox_matches_r(method, request, gse3143, reference_dir):
    expr, clin, _ = gse3143
    fx = "gse3143_gsva" if method.startswith("gsva") else "gse3143_scores"
    res = request.getfixturevalue(fx)
    res = res if fx == "gse3143_gsva" else res[method]
    feats = res.by_sample()
    if method == "ssgsea_norm":
        feats = feats.assign(PTK2=expr.loc["PTK2"])
    ours = survival_association(feats, clin).table.set_index("feature")
    ref = pd.read_csv(
        reference_dir / "expression/survjamda_gse3143/expected_R/gse3143_coxph_scores.tsv", sep="\t"
    )
    r = ref[ref["method"] == method].set_index("gene_set")
    if method == "ssgsea_norm":
        r = pd.concat([r, ref[ref["method"] == "gene_expression"].set_index("gene_set")])
    o = ours.loc[r.index]
    # issue tolerance: 1e-6 relative on HR and p. R stops Newton at a relative log-lik change
    # of 1e-9, we iterate to convergence; differences are ~2e-9 (HR) and ~2e-8 (p).
    np.testing.assert_allclose(o["hr"], r["hr_per_sd"], rtol=1e-6)
    np.testing.assert_allclose(o["p_value"], r["wald_p"], rtol=1e-6)
    np.testing.assert_allclose(o["se"], r["se"], rtol=1e-6)
    np.testing.assert_allclose(o["concordance"], r["concordance"], rtol=1e-10)
    np.testing.assert_allclose(o["logrank_median_p"], r["logrank_median_split_p"], rtol=1e-10)


def _toy(rng, n=120):
    x = rng.normal(size=n)
    t = rng.exponential(np.exp(-0.7 * x)) * 10
    c = rng.uniform(2, 20, n)
    idx = [f"s{i}" for i in range(n)]
    clin = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int)}, index=idx)
    feats = pd.DataFrame({"risk": x, "noise": rng.normal(size=n), "const": 1.0}, index=idx)
    return feats, clin


def test_association_recovers_effect_and_handles_constant(rng):
    feats, clin = _toy(rng)
    before = feats.copy()
    res = survival_association(feats, clin)
    assert feats.equals(before)
    t = res.table.set_index("feature")
    assert t.loc["risk", "hr"] > 1.5
    assert t.loc["risk", "q_value"] < 1e-3
    assert t.loc["risk", "concordance"] > 0.6
    assert np.isnan(t.loc["const", "hr"])
    assert not t.loc["const", "converged"]
    assert "strongest risk" in res.summary()


def test_samples_missing_from_clinical_are_dropped_and_reported(rng):
    feats, clin = _toy(rng)
    with pytest.warns(UserWarning, match="3 sample\\(s\\) have no \\(complete\\) clinical data"):
        res = survival_association(feats, clin.iloc[3:])
    assert res.dropped_samples == ["s0", "s1", "s2"]
    assert res.table["n"].iloc[0] == 117


def test_bad_clinical_input(rng):
    feats, clin = _toy(rng)
    neg = clin.copy()
    neg.iloc[5, 0] = -1.0
    with pytest.raises(DataValidationError, match="sample 's5': time -1 is negative"):
        survival_association(feats, neg)
    with pytest.raises(DataValidationError, match="lacks column 'os'"):
        survival_association(feats, clin, time="os")
    other = clin.set_axis([f"x{i}" for i in range(len(clin))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "samples dropped" warning precedes the error
        with pytest.raises(DataValidationError, match=r"only 0 sample\(s\) match"):
            survival_association(feats, other)
    txt = feats.astype(object)
    txt.iloc[0, 1] = "high"
    with pytest.raises(DataValidationError, match="not numeric"):
        survival_association(txt, clin)


def test_logrank_matches_naive(rng):
    feats, clin = _toy(rng, n=60)
    g = (feats["risk"] > 0).to_numpy()
    t, e = clin["time"].to_numpy(), clin["event"].to_numpy()
    ome, var, _chisq = logrank_two_group(t, e, g)
    o = ex = v = 0.0
    for u in np.unique(t[e == 1]):
        r = t >= u
        n, n1 = r.sum(), (r & g).sum()
        d = ((t == u) & (e == 1)).sum()
        d1 = ((t == u) & (e == 1) & g).sum()
        o += d1
        ex += d * n1 / n
        v += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) if n > 1 else 0
    assert ome == pytest.approx(o - ex, rel=1e-12)
    assert var == pytest.approx(v, rel=1e-12)


def test_cutpoints(rng):
    feats, clin = _toy(rng)
    med = cutpoint_analysis(feats["risk"], clin, method="median")
    assert med.p_corrected == med.p_value
    assert med.summary_table.set_index("group").loc["high", "n"] == 60
    opt = cutpoint_analysis(feats["noise"], clin, method="optimal")
    assert opt.p_corrected >= opt.p_value
    # maxstat's rule: floor(0.1 n) <= #low <= floor(0.9 n)
    n_low = np.rint((1 - opt.scan["prop_high"]) * len(clin))
    assert n_low.between(np.floor(0.1 * len(clin)), np.floor(0.9 * len(clin))).all()
    alt = cutpoint_analysis(feats["noise"], clin, correction="altman")
    assert alt.p_value == opt.p_value
    assert alt.p_corrected == pytest.approx(altman_p(opt.p_value), rel=1e-15)
    with pytest.raises(DataValidationError, match="min_prop"):
        cutpoint_analysis(feats["noise"], clin, min_prop=0.6)


def _maxstat_data():
    d = pd.read_csv(DATA / "maxstat_surv.csv", index_col="sample", float_precision="round_trip")
    scan = pd.read_csv(DATA / "maxstat_scan_r.tsv", sep="\t", float_precision="round_trip")
    summ = pd.read_csv(DATA / "maxstat_summary_r.tsv", sep="\t", float_precision="round_trip").iloc[
        0
    ]
    return d, scan, summ


def test_optimal_cutpoint_against_r_maxstat_and_survdiff():
    """Optimal cut vs R maxstat 0.7-25 (smethod = "LogRank", pmethod = "Lau92", minprop 0.1),
    which survminer's surv_cutpoint calls: the default (permutation variance of the
    log-rank scores) reproduces maxstat's cut, statistic at every cut and p; the
    ``variance="hypergeometric"`` option reproduces survdiff's chi-square at every cut.
    Closed forms with summation-order rounding only: measured <= 8e-15 relative.
    """
    d, scan, summ = _maxstat_data()
    before = d.copy()
    res = cutpoint_analysis(d["marker"], d[["time", "event"]], method="optimal")
    assert d.equals(before)
    ours = res.scan
    # candidate set: maxstat keeps m = #low in [floor(0.1 N), floor(0.9 N)]
    np.testing.assert_array_equal(ours["cutpoint"].to_numpy(), scan["cut"].to_numpy())
    np.testing.assert_allclose(ours["statistic"].abs(), scan["maxstat_stat"], rtol=1e-12)
    np.testing.assert_allclose(np.sign(ours["statistic"]), np.sign(scan["survdiff_o_minus_e_high"]))
    assert res.cutpoint == summ["maxstat_cut"]
    assert abs(res.statistic) == pytest.approx(summ["maxstat_statistic"], rel=1e-12)
    assert res.p_corrected == pytest.approx(summ["maxstat_p_lau92"], rel=1e-12)

    hyp = cutpoint_analysis(
        d["marker"], d[["time", "event"]], method="optimal", variance="hypergeometric"
    )
    np.testing.assert_array_equal(hyp.scan["cutpoint"].to_numpy(), scan["cut"].to_numpy())
    np.testing.assert_allclose(hyp.scan["statistic"] ** 2, scan["survdiff_chisq"], rtol=1e-12)
    np.testing.assert_allclose(
        hyp.scan["p_value"], stats.chi2.sf(scan["survdiff_chisq"], 1), rtol=1e-10
    )
    # same numerator (O - E of the high group), two variances
    np.testing.assert_allclose(
        hyp.scan["statistic"].abs() * np.sqrt(scan["survdiff_var"]),
        ours["statistic"].abs() * np.sqrt(scan["maxstat_perm_var"]),
        rtol=1e-12,
    )
    assert hyp.cutpoint == summ["survdiff_best_cut"]
    assert abs(hyp.statistic) == pytest.approx(summ["survdiff_max_stat"], rel=1e-12)
    assert hyp.p_corrected == pytest.approx(summ["lau92_at_survdiff_max"], rel=1e-12)
    # Lausen & Schumacher (1992): the same formula as maxstat's pLausen92 (1 below b = 1)
    assert lausen_schumacher_p(summ["maxstat_statistic"]) == pytest.approx(
        summ["maxstat_p_lau92"], rel=1e-12
    )
    assert lausen_schumacher_p(0.95) == 1.0
    with pytest.raises(DataValidationError, match="variance"):
        cutpoint_analysis(d["marker"], d[["time", "event"]], variance="exact")


def test_logrank_scores_match_exactranktests_with_ties():
    """Log-rank scores with tied times as exactRankTests::cscores(type = "LogRank"), which
    maxstat uses; values from R (exactRankTests 0.8-35) on t = 1,2,2,3,3,3,5,6,6,8 with
    events 1,1,0,1,1,1,0,1,1,0: a tied block enters with n - #{t <= u} + 1 at risk."""
    from repurposekit.omics._survival import _logrank_scores

    t = np.array([1, 2, 2, 3, 3, 3, 5, 6, 6, 8], dtype=float)
    e = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 0])
    r_cscores = [0.9, 0.775, -0.225, 0.175, 0.175, 0.175, -0.825, -0.825, -0.825, -1.825]
    np.testing.assert_allclose(_logrank_scores(t, e), r_cscores, rtol=0, atol=1e-15)


def test_median_split_against_lifelines_and_survdiff():
    from lifelines.statistics import logrank_test

    d, _, summ = _maxstat_data()
    res = cutpoint_analysis(d["marker"], d[["time", "event"]], method="median")
    high = d["marker"] > d["marker"].median()
    lr = logrank_test(
        d.loc[high, "time"], d.loc[~high, "time"], d.loc[high, "event"], d.loc[~high, "event"]
    )
    # the same closed form (no ties in time): measured relative differences ≤ 1.1e-14
    assert res.cutpoint == d["marker"].median()
    assert res.statistic**2 == pytest.approx(lr.test_statistic, rel=1e-12)
    assert res.statistic**2 == pytest.approx(summ["median_split_chisq"], rel=1e-12)
    assert res.p_value == pytest.approx(lr.p_value, rel=1e-10)
    assert res.p_value == pytest.approx(summ["median_split_p"], rel=1e-10)
    assert res.p_corrected == res.p_value


def test_cutpoint_corrections_known_values():
    # Lausen & Schumacher (1992) approximation at b = 3, eps = 10 %:
    # 4φ(3)/3 + φ(3)(3 − 1/3) log(81) with φ(3) = 0.004431848
    phi = 0.0044318484119380075
    assert lausen_schumacher_p(3.0) == pytest.approx(
        4 * phi / 3 + phi * (3 - 1 / 3) * np.log(81), rel=1e-12
    )
    # Altman et al. (1994): P_cor = −1.63 P (1 + 2.35 ln P) for eps = 10 %
    assert altman_p(0.001) == pytest.approx(-1.63 * 0.001 * (1 + 2.35 * np.log(0.001)), rel=1e-12)


@pytest.mark.slow
def test_optimal_cut_corrected_p_is_calibrated_under_null():
    """Under no effect the corrected p is (conservatively) uniform; the nominal one is not."""
    rng = np.random.default_rng(11)
    nominal, corrected = [], []
    for _ in range(600):
        feats, clin = _toy(rng, n=80)
        r = cutpoint_analysis(feats["noise"], clin)
        nominal.append(r.p_value)
        corrected.append(r.p_corrected)
    assert np.mean(np.array(nominal) < 0.05) > 0.2
    # 600 null data sets: SE of a 5 % rate is 0.9 %; allow ~2.8 SE above nominal
    assert np.mean(np.array(corrected) < 0.05) < 0.075
