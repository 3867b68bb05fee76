"""Every omics result draws through ``.plot()`` and returns Axes (smoke tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurposekit import omics


def test_result_plots_return_axes(rng):
    genes = [f"g{i}" for i in range(120)]
    expr = pd.DataFrame(
        rng.normal(size=(120, 30)), index=genes, columns=[f"s{j}" for j in range(30)]
    )
    sets = {"A": genes[:15], "B": genes[20:40], "C": genes[60:80]}
    scores = omics.score_gene_sets(expr, sets, method="zscore")
    clin = pd.DataFrame(
        {"time": rng.exponential(10, 30), "event": rng.integers(0, 2, 30)}, index=expr.columns
    )
    grp = pd.Series(["T"] * 15 + ["C"] * 15, index=expr.columns)
    de = omics.differential_expression(expr, grp, group="T", reference="C")
    results = [
        scores,
        omics.survival_association(scores, clin),
        omics.cutpoint_analysis(scores.scores.loc["A"], clin, method="median"),
        omics.ora(genes[:20], sets, background=genes),
        omics.gsea_preranked(de.ranking(), sets, permutations=50, min_size=5, rng=1),
        de,
        omics.call_copy_number(
            pd.DataFrame(rng.normal(0.2, 0.3, size=(1, 30)), index=["PTK2"], columns=expr.columns)
        ),
        omics.stratify(clin.assign(m=rng.random(30) < 0.5), markers={"M": "m"}),
    ]
    for res in results:
        ax = res.plot()
        assert ax.figure is not None
        assert isinstance(res.summary(), str)
        assert isinstance(res.to_frame(), pd.DataFrame)
    assert np.isfinite(results[1].table["hr"]).all()
