"""Differential expression (PyDESeq2 fixture), copy-number calls and stratification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


def test_welch_matches_scipy_and_moderated_is_shrunk(rng):
    from scipy import stats

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
    m = differential_expression(x, grp, group="T", reference="C", method="moderated")
    assert (m.table["q_value"].iloc[:10] < 0.05).all()
    assert m.table["df"].iloc[0] >= 8  # prior df added to the residual df
    assert m.ranking().index[0] == "g0"


def test_fit_f_dist_recovers_prior(rng):
    # s2 ~ s0^2 * chi2(d0)/d0 prior with d = 4 residual df: method of moments recovers d0, s0
    d0, s0, d = 10.0, 0.5, 4
    sigma2 = s0 * d0 / rng.chisquare(d0, 20000)
    s2 = sigma2 * rng.chisquare(d, 20000) / d
    est_d0, est_s0 = _fit_f_dist(s2, d)
    assert est_d0 == pytest.approx(d0, rel=0.15)
    assert est_s0 == pytest.approx(s0, rel=0.05)


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
    from scipy import stats

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
    n = 200
    d = pd.DataFrame(
        {
            "ptk2_gain": rng.random(n) < 0.44,
            "kras": rng.random(n) < 0.2,
            "hscore": rng.integers(0, 300, n),
            "time": rng.exponential(20, n),
            "event": (rng.random(n) < 0.8).astype(int),
        },
        index=[f"p{i}" for i in range(n)],
    )
    before = d.copy()
    res = stratify(d, markers={"PTK2": "ptk2_gain", "KRAS": "kras", "pFAK": ("hscore", 150)})
    assert d.equals(before)
    assert res.table["n"].sum() == n
    assert res.table["prevalence_percent"].sum() == pytest.approx(100)
    assert len(res.table) <= 8
    assert 0 <= res.logrank_p <= 1
    m = res.markers.set_index("marker")
    assert m.loc["pFAK", "n_positive"] == int((d["hscore"] >= 150).sum())
    big = res.table[res.table["n"] >= 5]
    assert big["hr_vs_rest"].notna().all()
    with pytest.raises(DataValidationError, match="no column 'nope'"):
        stratify(d, markers={"X": "nope"})
    neg = d.copy()
    neg.iloc[0, 3] = -1
    with pytest.raises(DataValidationError, match="negative"):
        stratify(neg, markers={"PTK2": "ptk2_gain"})
