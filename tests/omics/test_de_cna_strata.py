"""Differential expression (R DESeq2 / limma), copy-number calls, stratification (lifelines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from repurposekit import DataValidationError
from repurposekit.omics import call_copy_number, clopper_pearson, differential_expression, stratify
from repurposekit.omics._de import _fit_f_dist


@pytest.mark.reference
def test_pydeseq2_fixture_matches_r_deseq2(reference_dir):
    d = reference_dir / "expression/pydeseq2_synthetic_with_R_DESeq2_reference"
    counts = pd.read_csv(d / "test_counts.csv", index_col=0)
    meta = pd.read_csv(d / "test_metadata.csv", index_col=0)
    before = counts.copy()
    res = differential_expression(
        counts, meta["condition"], group="B", reference="A", method="deseq2"
    )
    assert counts.equals(before)
    ours = res.table.set_index("gene")
    ref = pd.read_csv(d / "single_factor/r_test_res.csv", index_col=0)
    # PyDESeq2's own test suite compares with R DESeq2 at 2 % relative (tol=0.02): the
    # dispersion fit differs slightly. We see ≤ 3e-4 on lfcSE/stat and 2.4e-3 on p.
    for r_col, o_col in [
        ("baseMean", "base_mean"),
        ("log2FoldChange", "log2_fold_change"),
        ("lfcSE", "se"),
        ("stat", "statistic"),
        ("pvalue", "p_value"),
        ("padj", "q_value"),
    ]:
        np.testing.assert_allclose(ours.loc[ref.index, o_col], ref[r_col], rtol=0.02, err_msg=r_col)


DATA = Path(__file__).parents[1] / "data" / "omics"
LIMMA_CASES = ["prior", "zero", "flat"]


def _limma_case(data_dir, case):
    x = pd.read_csv(data_dir / f"limma_{case}_expr.csv", index_col=0, float_precision="round_trip")
    grp = pd.Series(["T" if c.startswith("T") else "C" for c in x.columns], index=x.columns)
    genes = pd.read_csv(
        data_dir / f"limma_{case}_genes_r.tsv", sep="\t", index_col=0, float_precision="round_trip"
    )
    hyper = pd.read_csv(
        data_dir / "limma_hyper_r.tsv", sep="\t", index_col=0, float_precision="round_trip"
    ).loc[case]
    return x, grp, genes, hyper


def test_welch_matches_scipy(rng):
    x = pd.DataFrame(
        rng.normal(size=(200, 10)),
        index=[f"g{i}" for i in range(200)],
        columns=[f"s{j}" for j in range(10)],
    )
    x.iloc[:10, :5] += 4.0
    grp = pd.Series(["T"] * 5 + ["C"] * 5, index=x.columns)
    w = differential_expression(x, grp, group="T", reference="C", method="welch").table
    ref = stats.ttest_ind(x.iloc[:, :5], x.iloc[:, 5:], axis=1, equal_var=False)
    np.testing.assert_allclose(w["statistic"], ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(w["p_value"], ref.pvalue, rtol=1e-10)


@pytest.mark.parametrize("case", LIMMA_CASES)
def test_moderated_matches_r_limma(case):
    """Moderated t = limma lmFit(~group) + eBayes() (trend = FALSE, robust = FALSE).

    Cases (tests/data/omics/README.md): "prior" — variances from a scaled inverse
    chi-square prior, finite df.prior; "zero" — the same with three constant genes, which
    limma offsets to 1e-5 × median variance (with a warning); "flat" — one common
    variance, so df.prior = Inf, s2.prior = mean(s2) and df.total is capped at the pooled
    residual df (G × d).
    """
    x, grp, r, hyper = _limma_case(DATA, case)
    before = x.copy()
    if case == "zero":
        with pytest.warns(UserWarning, match="3 gene\\(s\\) have zero variance"):
            m = differential_expression(x, grp, group="T", reference="C", method="moderated")
    else:
        m = differential_expression(x, grp, group="T", reference="C", method="moderated")
    assert x.equals(before)
    t = m.table.set_index("gene").loc[r.index]
    # Same closed forms as limma; the only iterative step is the trigamma inversion,
    # stopped (as limma) at a relative Newton step < 1e-8, after which the quadratic
    # convergence leaves ~1e-16. R's QR least squares vs our difference of group means
    # differ by ~1e-14 absolute on the coefficient (~1e-13 relative). Measured max relative
    # differences over the three cases: t 3.5e-13, p 2.8e-14, df.total 2e-16, s2.post
    # 9e-15, df.prior 4e-16, s2.prior 2e-16. rtol 1e-10 leaves head-room for other BLAS.
    rtol = 1e-10
    np.testing.assert_allclose(t["log2_fold_change"], r["logFC"], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(t["statistic"], r["t"], rtol=rtol)
    np.testing.assert_allclose(t["p_value"], r["p_value"], rtol=rtol)
    np.testing.assert_allclose(t["df"], r["df_total"], rtol=rtol)
    k = x.shape[1] // 2  # k treated, k control samples
    np.testing.assert_allclose(t["se"] ** 2 / (2 / k), r["s2_post"], rtol=rtol)
    # the prior itself, from the pooled residual variances (lmFit's sigma^2)
    s2 = (x.iloc[:, :k].var(axis=1, ddof=1) + x.iloc[:, k:].var(axis=1, ddof=1)).to_numpy() / 2
    if case == "zero":
        with pytest.warns(UserWarning, match="zero variance"):
            d0, s0 = _fit_f_dist(s2, hyper["df_residual"])
    else:
        d0, s0 = _fit_f_dist(s2, hyper["df_residual"])
    if np.isinf(hyper["df_prior"]):
        assert np.isinf(d0)
        assert (t["df"] == hyper["df_pooled"]).all()
    else:
        assert d0 == pytest.approx(hyper["df_prior"], rel=rtol)
    assert s0 == pytest.approx(hyper["s2_prior"], rel=rtol)
    # BH q: statsmodels' fdr_bh on limma's p (as R p.adjust(method = "BH"))
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(
        t["q_value"], multipletests(r["p_value"], method="fdr_bh")[1], rtol=rtol
    )


def test_fit_f_dist_matches_limma():
    s2 = pd.read_csv(DATA / "fitfdist_s2.csv", float_precision="round_trip")["s2"].to_numpy()
    ref = pd.read_csv(DATA / "fitfdist_r.tsv", sep="\t", float_precision="round_trip").iloc[0]
    d0, s0 = _fit_f_dist(s2, ref["df1"])
    # same moment equations as limma::fitFDist; only the trigamma inversion iterates
    # (relative Newton step < 1e-8, then quadratic convergence): measured 9e-16 / 7e-16.
    assert d0 == pytest.approx(ref["df2"], rel=1e-10)
    assert s0 == pytest.approx(ref["scale"], rel=1e-10)


def test_fit_f_dist_recovers_prior():
    # s2 ~ s0^2 * chi2(d0)/d0 prior with d = 4 residual df: method of moments recovers d0, s0
    rng = np.random.default_rng(20260304)
    d0, s0, d = 10.0, 0.5, 4
    sigma2 = s0 * d0 / rng.chisquare(d0, 20000)
    s2 = sigma2 * rng.chisquare(d, 20000) / d
    est_d0, est_s0 = _fit_f_dist(s2, d)
    # sampling SD of the estimator at 20,000 genes (300 Monte-Carlo replicates):
    # 3.9 % for d0, 0.9 % for s0^2; allow 4 SD.
    assert est_d0 == pytest.approx(d0, rel=4 * 0.039)
    assert est_s0 == pytest.approx(s0, rel=4 * 0.009)


def test_de_bad_input(rng):
    x = pd.DataFrame(rng.normal(size=(20, 4)), columns=list("abcd"))
    with pytest.raises(DataValidationError, match="fewer than 2 samples"):
        differential_expression(
            x, pd.Series(list("TCCC"), index=list("abcd")), group="T", reference="C"
        )
    with pytest.raises(DataValidationError, match="no group label"):
        differential_expression(
            x, pd.Series(list("TT"), index=list("ab")), group="T", reference="C"
        )
    with pytest.raises(DataValidationError, match="integer counts"):
        differential_expression(
            x,
            pd.Series(list("TTCC"), index=list("abcd")),
            group="T",
            reference="C",
            method="deseq2",
        )


def test_clopper_pearson_against_beta_definition():
    lo, hi = clopper_pearson(100, 228)
    # Clopper–Pearson bounds are Beta quantiles: check the defining tail probabilities
    assert stats.binom.sf(99, 228, lo) == pytest.approx(0.025, rel=1e-9)
    assert stats.binom.cdf(100, 228, hi) == pytest.approx(0.025, rel=1e-9)
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(10, 10)[1] == 1.0


def test_cna_from_segments_and_gene_level():
    seg = pd.DataFrame(
        {
            "ID": ["a", "a", "b", "c", "d"],
            "chrom": ["chr8", "8", "8", "8", "8"],
            "loc.start": [140_000_000, 140_800_001, 100, 140_000_000, 140_000_000],
            "loc.end": [140_800_000, 145_000_000, 200, 146_000_000, 146_000_000],
            "seg.mean": [0.0, 1.2, 3.0, 0.35, -1.5],
        }
    )
    calls = call_copy_number(seg, genes=["PTK2"])
    t = calls.table.set_index("sample")
    # a: PTK2 (140,657,900–141,002,216) overlaps 142,101 bp at 0.0 and 202,216 bp at 1.2
    assert t.loc["a", "log2_ratio"] == pytest.approx(1.2 * 202216 / (142101 + 202216), rel=1e-12)
    assert t.loc["a", "call"] == "gain"
    assert t.loc["b", "call"] == "no_data"  # its only segment is elsewhere on chr8
    assert t.loc["c", "call"] == "gain"
    assert t.loc["d", "call"] == "deep_deletion"
    f = calls.frequency(by=None).iloc[0]
    assert (f["n"], f["n_altered"]) == (3, 2)
    wide = pd.DataFrame({"s1": [1.5, 0.0], "s2": [0.1, 0.4]}, index=["PTK2", "MYC"])
    w = call_copy_number(wide, genes=["PTK2", "MYC"]).table
    assert w["call"].tolist() == ["amplification", "neutral", "neutral", "gain"]
    with pytest.raises(DataValidationError, match="no location for gene 'XYZ'"):
        call_copy_number(seg, genes=["XYZ"])
    with pytest.raises(DataValidationError, match="thresholds must satisfy"):
        call_copy_number(wide, genes=["PTK2"], thresholds={"gain": 2.0})


def test_cna_frequency_per_cohort():
    vals = pd.DataFrame({f"s{i}": [0.5 if i < 100 else 0.0] for i in range(228)}, index=["PTK2"])
    coh = pd.Series(["A"] * 114 + ["B"] * 114, index=vals.columns)
    f = call_copy_number(vals, cohort=coh).frequency()
    assert f["n"].tolist() == [114, 114]
    assert f["n_altered"].tolist() == [100, 0]
    overall = call_copy_number(vals).frequency(by=None).iloc[0]
    assert overall["text"] == "44 % of 228 (37–51 %)"


def test_stratify(rng):
    from lifelines import CoxPHFitter
    from lifelines.statistics import multivariate_logrank_test
    from statsmodels.duration.hazard_regression import PHReg

    n = 200
    d = pd.DataFrame(
        {
            "ptk2_gain": rng.random(n) < 0.44,
            "kras": rng.random(n) < 0.2,
            "hscore": rng.integers(0, 300, n),
            "time": np.ceil(rng.exponential(20, n)),  # whole days: tied times (Efron ties)
            "event": (rng.random(n) < 0.8).astype(int),
        },
        index=[f"p{i}" for i in range(n)],
    )
    before = d.copy()
    res = stratify(d, markers={"PTK2": "ptk2_gain", "KRAS": "kras", "pFAK": ("hscore", 150)})
    assert d.equals(before)
    assert res.table["n"].sum() == n
    assert res.table["prevalence_percent"].sum() == pytest.approx(100)
    assert len(res.table) == 8
    m = res.markers.set_index("marker")
    assert m.loc["pFAK", "n_positive"] == int((d["hscore"] >= 150).sum())
    a = res.assignments
    # k-group log-rank = lifelines multivariate_logrank_test (same closed form, R survdiff):
    # measured relative difference 1e-16; 1e-10 allows for the pseudo-inverse.
    lr = multivariate_logrank_test(a["time"], a["stratum"], a["event"])
    assert res.logrank_p == pytest.approx(lr.p_value, rel=1e-10)
    big = res.table[res.table["n"] >= 5]
    assert len(big) == 8
    z = stats.norm.ppf(0.975)
    for row in big.itertuples():
        x = (a["stratum"] == row.stratum).to_numpy(float)
        # Cox stratum vs rest, Efron ties: statsmodels PHReg Newton-iterates to a score of
        # ~1e-15, as we do (measured relative differences ≤ 5e-16 on HR, ≤ 3e-15 on p).
        f = PHReg(a["time"].to_numpy(), x[:, None], status=a["event"].to_numpy(), ties="efron")
        f = f.fit()
        b, se = f.params[0], f.bse[0]
        assert row.hr_vs_rest == pytest.approx(np.exp(b), rel=1e-10)
        assert row.hr_ci_low == pytest.approx(np.exp(b - z * se), rel=1e-10)
        assert row.hr_ci_high == pytest.approx(np.exp(b + z * se), rel=1e-10)
        assert row.p_value == pytest.approx(f.pvalues[0], rel=1e-9)
        # lifelines' damped Newton (step 0.95) stops by default at a relative log-lik change
        # of 1e-9 (HR off by 2e-4 here); with that criterion off and a step-size criterion
        # of 1e-12 it still stops with a score of up to ~4e-6: measured ≤ 4.6e-7 relative
        # on HR and ≤ 1.6e-6 on p, hence 5e-6 / 1e-5.
        cph = CoxPHFitter().fit(
            pd.DataFrame({"time": a["time"], "event": a["event"], "x": x}),
            "time",
            "event",
            fit_options={"precision": 1e-12, "r_precision": 0.0},
        )
        s = cph.summary.loc["x"]
        assert row.hr_vs_rest == pytest.approx(s["exp(coef)"], rel=5e-6)
        assert row.p_value == pytest.approx(s["p"], rel=1e-5)
    with pytest.raises(DataValidationError, match="no column 'nope'"):
        stratify(d, markers={"X": "nope"})
    neg = d.copy()
    neg.iloc[0, 3] = -1
    with pytest.raises(DataValidationError, match="negative"):
        stratify(neg, markers={"PTK2": "ptk2_gain"})
