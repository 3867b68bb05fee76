"""Batched univariate Cox: R coxph on GSE3143 scores, agreement with cox_ph, concordance oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit._exceptions import StatisticalWarning
from repurposekit.survival import cox_ph, cox_univariate_batch
from repurposekit.survival._kernels import concordance_counts


@pytest.mark.reference
@pytest.mark.parametrize(
    ("method", "scores"),
    [
        ("ssgsea_norm", "gse3143_ssgsea_norm.tsv"),
        ("zscore", "gse3143_zscore.tsv"),
        ("gsva_gaussian_mxdiff", "gse3143_gsva_gaussian_mxdiff.tsv"),
    ],
)
def test_gse3143_scores_match_r_coxph(reference_dir, method, scores):
    """R: coxph(Surv(time, event) ~ scale(score), ties="efron") per gene set (GPL data, read in place)."""
    d = reference_dir / "expression" / "survjamda_gse3143"
    clin = pd.read_csv(d / "clinical.tsv", sep="\t")
    expected = pd.read_csv(d / "expected_R" / "gse3143_coxph_scores.tsv", sep="\t")
    expected = expected[expected["method"] == method].set_index("gene_set")
    S = pd.read_csv(d / "expected_R" / scores, sep="\t", index_col=0)[clin["sample"]]
    res = cox_univariate_batch(S.T, time=clin["time"], event=clin["event"], standardize=True)
    got = res.to_frame().set_index("feature").loc[expected.index]
    assert got["converged"].all()
    # 1e-6 relative on HR, se, Wald p and concordance (the target of the issue). The coef
    # itself is compared with an absolute floor of 1e-8: R stops Newton at a 1e-9 relative
    # change of the log-likelihood, leaving ~1e-9 absolute error in its coef, which is a large
    # *relative* error for coefs near 0 (e.g. 6.7e-5 for HALLMARK_UNFOLDED_PROTEIN_RESPONSE).
    np.testing.assert_allclose(got["hr"], expected["hr_per_sd"], rtol=1e-6)
    np.testing.assert_allclose(got["coef"], expected["coef"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got["se"], expected["se"], rtol=1e-6)
    np.testing.assert_allclose(got["p_value"], expected["wald_p"], rtol=1e-6)
    np.testing.assert_allclose(got["concordance"], expected["concordance"], rtol=1e-6)


@pytest.mark.reference
def test_gse3143_ptk2_mrna(reference_dir):
    d = reference_dir / "expression" / "survjamda_gse3143"
    clin = pd.read_csv(d / "clinical.tsv", sep="\t")
    expected = pd.read_csv(d / "expected_R" / "gse3143_coxph_scores.tsv", sep="\t")
    row = expected[expected["gene_set"] == "PTK2"].iloc[0]
    X = pd.read_csv(d / "expression.tsv.gz", sep="\t", index_col=0)
    x = X.loc["PTK2", clin["sample"]].to_numpy()
    got = (
        cox_univariate_batch(x, time=clin["time"], event=clin["event"], standardize=True)
        .to_frame()
        .iloc[0]
    )
    for ours, theirs in [
        ("hr", "hr_per_sd"),
        ("se", "se"),
        ("p_value", "wald_p"),
        ("concordance", "concordance"),
    ]:
        assert got[ours] == pytest.approx(row[theirs], rel=1e-6)  # integer-valued ties in x


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_batch_equals_cox_ph_per_feature(ties):
    rng = np.random.default_rng(7)
    n, m = 80, 6
    X = rng.normal(size=(n, m))
    X[:, 1] = np.round(X[:, 1])  # tied covariate values
    t = np.ceil(rng.exponential(np.exp(-0.8 * X[:, 0])) * 5)  # tied times
    e = (rng.random(n) < 0.75).astype(int)
    res = cox_univariate_batch(X, time=t, event=e, ties=ties, feature_names=list("abcdef"))
    df = pd.DataFrame(X, columns=list("abcdef")).assign(time=t, event=e)
    for j, name in enumerate("abcdef"):
        fit = cox_ph(df, covariates=[name], ties=ties)
        c = fit.coefficients.loc[name]
        # the same likelihood solved two ways: agreement to rounding
        assert res.coef[j] == pytest.approx(c["coef"], rel=1e-9, abs=1e-12)
        assert res.se[j] == pytest.approx(c["se"], rel=1e-9)
        assert res.loglik[j] == pytest.approx(fit.loglik[1], rel=1e-12)
        assert res.concordance[j] == pytest.approx(fit.concordance, rel=1e-12)
    assert res.features.tolist() == list("abcdef")


def _naive_concordance(t, e, x):
    c = d = tie = 0
    for i in range(len(t)):
        if not e[i]:
            continue
        for j in range(len(t)):
            if j != i and (t[j] > t[i] or (t[j] == t[i] and not e[j])):
                c += x[i] > x[j]
                d += x[i] < x[j]
                tie += x[i] == x[j]
    return c, d, tie


@pytest.mark.parametrize("seed", range(5))
def test_concordance_counts_match_naive_oracle(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 70))
    t = rng.integers(0, 8, n).astype(float)
    e = (rng.random(n) < 0.6).astype(float)
    X = rng.integers(0, 4, (n, 3)).astype(float)
    got = concordance_counts(t, e, X, chunk=2, block=int(rng.integers(1, 9)))
    for j in range(3):
        assert _naive_concordance(t, e, X[:, j]) == tuple(g[j] for g in got)


def test_constant_and_monotone_features_are_flagged_not_fatal():
    rng = np.random.default_rng(1)
    n = 40
    t = rng.exponential(1, n)
    e = np.ones(n)
    X = np.column_stack([rng.normal(size=n), np.ones(n), -np.argsort(np.argsort(t))])
    # column 2 orders the times perfectly: monotone likelihood, coef -> +inf
    with pytest.warns(StatisticalWarning, match="did not converge"):
        res = cox_univariate_batch(X, time=t, event=e)
    assert res.converged.tolist() == [True, False, False]
    assert np.isnan(res.p_value[1:]).all()
    assert np.isfinite(res.p_value[0])
    assert "1 converged" in res.summary()


def test_bad_input_and_dataframe_names():
    X = pd.DataFrame({"g1": [3.0, 1, 2, 4], "g2": [0.2, 0.1, 0.5, 0.3]})
    res = cox_univariate_batch(X, time=[1, 2, 3, 4], event=[1, 0, 1, 1])
    assert res.to_frame()["feature"].tolist() == ["g1", "g2"]
    with pytest.raises(DataValidationError, match=r"`time`\[1\] = -2.0 is negative"):
        cox_univariate_batch(X, time=[1, -2, 3, 4], event=[1, 0, 1, 1])
    with pytest.raises(DataValidationError, match=r"`event`\[2\] = 2 is not 0/1"):
        cox_univariate_batch(X, time=[1, 2, 3, 4], event=[1, 0, 2, 1])
    with pytest.raises(DataValidationError, match=r"`time`\[0\] is missing"):
        cox_univariate_batch(X, time=[np.nan, 2, 3, 4], event=[1, 0, 1, 1])
    with pytest.raises(DataValidationError, match=r"`X`\[1, 0\] is missing"):
        cox_univariate_batch(X.assign(g1=[1, np.nan, 3, 4]), time=[1, 2, 3, 4], event=[1, 0, 1, 1])
    with pytest.raises(DataValidationError, match="Transpose"):
        cox_univariate_batch(X.T, time=[1, 2, 3, 4], event=[1, 0, 1, 1])
