"""Shared fixtures for the omics tests: the GSE3143 reference (read-only, GPL: not copied)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def gse3143(reference_dir):
    """(expression, clinical, 81 reference gene sets) of GSE3143 as the R script used them."""
    from repurposekit.io.expression import read_clinical, read_expression, read_gene_sets

    d = reference_dir / "expression" / "survjamda_gse3143"
    expr = read_expression(d / "expression.tsv.gz")
    clin = read_clinical(d / "clinical.tsv")
    g = reference_dir / "genesets"
    gs = read_gene_sets(g / "msigdb_hallmark_v7.0.symbols.gmt") + read_gene_sets(
        g / "msigdb_v7.5.1_c2_fak_integrin_ecm.symbols.gmt"
    )
    return expr, clin, gs


@pytest.fixture(scope="session")
def gse3143_expected(reference_dir):
    d = reference_dir / "expression" / "survjamda_gse3143" / "expected_R"

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(d / f"gse3143_{name}.tsv", sep="\t", index_col=0)

    return load


@pytest.fixture(scope="session")
def gse3143_scores(gse3143):
    """Our scores for every method (computed once per session)."""
    from repurposekit.omics import score_gene_sets

    expr, _, gs = gse3143
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, kw in {
            "ssgsea_norm": {"method": "ssgsea"},
            "ssgsea_raw": {"method": "ssgsea", "normalize": False},
            "zscore": {"method": "zscore"},
            "plage": {"method": "plage"},
        }.items():
            out[key] = score_gene_sets(expr, gs, min_size=5, max_size=500, **kw)
    return out


@pytest.fixture(scope="session")
def gse3143_gsva(gse3143):
    """GSVA (Gaussian kernel) scores: the slowest method, computed only when needed."""
    from repurposekit.omics import score_gene_sets

    expr, _, gs = gse3143
    return score_gene_sets(expr, gs, method="gsva", min_size=5, max_size=500)
