"""The bundled omics demo data are simulated, reproducible, small, and use real gene symbols."""

from __future__ import annotations

import pandas as pd
import pytest

from repurposekit.datasets import path


def test_generator_reproduces_bundled_files():
    # generate.py ships with the source tree (editable installs), not necessarily in wheels
    generate = pytest.importorskip("repurposekit.datasets.omics.generate")

    expr, clin = generate.simulate_expression()
    bundled = pd.read_csv(path("omics", "expression.tsv.gz"), sep="\t", index_col=0)
    # written with 2 decimals by the same code: equal exactly after the text round trip
    pd.testing.assert_frame_equal(expr, bundled, check_names=False, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(clin, pd.read_csv(path("omics", "clinical.tsv"), sep="\t"))
    seg, bio = generate.simulated_acc_cohort()
    seg_file = pd.read_csv(
        path("omics", "acc_simulated_segments.tsv"), sep="\t", dtype={"chrom": str}
    )
    pd.testing.assert_frame_equal(seg, seg_file)
    pd.testing.assert_frame_equal(
        bio, pd.read_csv(path("omics", "acc_simulated_biomarkers.tsv"), sep="\t")
    )


def test_demo_data_shape_symbols_and_size():
    from repurposekit.omics import builtin_gene_sets

    generate = pytest.importorskip("repurposekit.datasets.omics.generate")

    expr = pd.read_csv(path("omics", "expression.tsv.gz"), sep="\t", index_col=0)
    assert expr.shape == (generate.N_GENES, generate.N_TUMOURS)
    gs = builtin_gene_sets("all_symbols")
    assert set(expr.index) <= set(gs.table["gene"])
    for s in generate.KEY_SETS:  # every member of the demo's key sets is on the array
        assert set(gs.genes(s)) <= set(expr.index), s
    total = sum(p.stat().st_size for p in path("omics").iterdir() if p.is_file())
    assert total < 1.5e6
    # no GSE3143 sample or value left over from the GPL-licensed subset
    assert not any(c.startswith("GSM") for c in expr.columns)
