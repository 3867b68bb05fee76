"""ORA against R phyper/p.adjust; preranked GSEA against the GSEA desktop EDB result."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.io.expression import read_gene_sets
from repurposekit.omics import _kernels as K
from repurposekit.omics import gsea_preranked, ora


@pytest.mark.reference
def test_ora_matches_r(gse3143, reference_dir):
    expr, _, gs = gse3143
    d = reference_dir / "expression/survjamda_gse3143/expected_R"
    query = (d / "ora_query_top300_variance_genes.txt").read_text().split()
    ref = pd.read_csv(d / "ora_top300_variance_vs_genesets.tsv", sep="\t").set_index("gene_set")
    res = ora(query, gs, background=list(expr.index)).table.set_index("set").loc[ref.index]
    assert (res["n_overlap"] == ref["k_overlap"]).all()
    assert (res["n_set"] == ref["K_set_in_universe"]).all()
    assert (res["n_background"] == ref["N_universe"]).all()
    # issue tolerance 1e-10 relative; scipy's hypergeom.sf and R's phyper agree to ~2e-13
    np.testing.assert_allclose(res["p_value"], ref["p_hypergeom_upper"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(res["p_value"], ref["p_fisher_greater"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(res["q_value"], ref["p_adj_BH_all_sets"], rtol=1e-10, atol=0)


def test_ora_needs_background_and_reports_unmatched():
    bg = [f"g{i}" for i in range(50)]
    with pytest.raises(DataValidationError, match="background is empty"):
        ora(["g1"], {"S": ["g1"]}, background=[])
    with pytest.warns(UserWarning, match="not in the background"):
        res = ora(["g1", "g2", "XX"], {"S": ["g1", "g2", "g3"], "T": ["g10"]}, background=bg)
    assert res.unmatched_query == ["XX"]
    assert res.table["set"].iloc[0] == "S"
    # brute force: P(X ≥ 2) for N=50, K=3, n=2 -> choose(3,2)/choose(50,2)
    assert res.table["p_value"].iloc[0] == pytest.approx(3 / 1225, rel=1e-12)


def test_bh_matches_definition(rng):
    p = rng.random(40)
    q = K.bh_adjust(p)
    order = np.argsort(p)
    naive = np.minimum.accumulate((p[order] * 40 / np.arange(1, 41))[::-1])[::-1]
    np.testing.assert_allclose(q[order], np.minimum(naive, 1), rtol=1e-14)


def _edb(reference_dir):
    d = reference_dir / "expression/gsea_desktop_edb_example"
    text = (d / "results.edb").read_text()
    rows = {}
    for m in re.finditer(r"<DTG ([^>]*)/>", text):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        rows[a["GENESET"].split("#")[1]] = a
    rnk = pd.read_csv(d / "gsea_data.gsea_data.rnk", sep="\t", header=None, index_col=0).iloc[:, 0]
    return rnk, read_gene_sets(d / "gene_sets.gmt"), rows


@pytest.mark.reference
def test_gsea_es_hits_and_profile_match_edb(reference_dir):
    rnk, gs, edb = _edb(reference_dir)
    res = gsea_preranked(rnk, gs, permutations=100, min_size=1, rng=0)
    tab = res.table.set_index("set")
    for name, a in edb.items():
        # EDB values are printed with 4 decimals
        assert tab.loc[name, "es"] == pytest.approx(float(a["ES"]), abs=5e-5)
        assert res.hits[name].tolist() == [int(v) for v in a["HIT_INDICES"].split()]
        prof = res.running_sum(name)[res.hits[name]]
        np.testing.assert_allclose(prof, np.array(a["ES_PROFILE"].split(), float), atol=5e-5)
        assert tab.loc[name, "rank_at_max"] == int(float(a["RANK_AT_ES"]))


@pytest.mark.reference
def test_gsea_nes_p_fdr_fwer_from_edb_null(reference_dir):
    """Given GSEA desktop's own 1,000 null ES per set, our NES, NP, FDR and FWER equal its EDB."""
    rnk, gs, edb = _edb(reference_dir)
    res = gsea_preranked(rnk, gs, permutations=10, min_size=1, rng=0)
    es = res.table.set_index("set")["es"]
    names = list(edb)
    nes, nps, nulls = [], [], []
    for n in names:
        null = np.array(edb[n]["RND_ES"].split(), float)
        v, p, nn = K.gsea_nes_p(float(es[n]), null)
        nes.append(v)
        nps.append(p)
        nulls.append(nn)
    nes = np.array(nes)
    fdr = K.gsea_fdr(nes, nulls)
    fwer = K.gsea_fwer(nes, nulls)
    for i, n in enumerate(names):
        # 4 printed decimals in the EDB
        assert nes[i] == pytest.approx(float(edb[n]["NES"]), abs=1e-4), n
        assert nps[i] == pytest.approx(float(edb[n]["NP"]), abs=5e-5), n
        assert fdr[i] == pytest.approx(float(edb[n]["FDR"]), abs=5e-5), n
        assert fwer[i] == pytest.approx(float(edb[n]["FWER"]), abs=5e-5), n


@pytest.mark.reference
def test_gsea_own_permutations_close_to_edb(reference_dir):
    """With our own 1,000 permutations NES agrees with GSEA's within permutation noise."""
    rnk, gs, edb = _edb(reference_dir)
    res = gsea_preranked(rnk, gs, permutations=1000, min_size=1, rng=20261125).table.set_index(
        "set"
    )
    for n, a in edb.items():
        # mean of ~500 same-sign null ES has ~2-3 % Monte-Carlo error
        assert res.loc[n, "nes"] == pytest.approx(float(a["NES"]), rel=0.06), n


def test_gsea_null_kernel_matches_naive(rng):
    metric = np.sort(rng.normal(size=60))[::-1]
    aw = np.abs(metric)
    pos = np.sort(rng.choice(60, 7, replace=False))
    fast = K.gsea_es_batch(aw, pos[None, :])[0]
    hit = np.zeros(60, bool)
    hit[pos] = True
    rs = K.gsea_running_sum(metric, hit)
    assert fast == pytest.approx(rs[np.argmax(np.abs(rs))], abs=1e-12)


def test_gsea_bad_input(rng):
    r = pd.Series(rng.normal(size=30), index=[f"g{i}" for i in range(30)])
    with pytest.raises(DataValidationError, match="no gene set has between"):
        gsea_preranked(r, {"S": ["g1"]})
    dup = pd.concat([r, r.iloc[:1]])
    with pytest.raises(DataValidationError, match="duplicated genes"):
        gsea_preranked(dup, {"S": ["g1"]})
