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


def test_km_and_forest_delegate_to_survival_plots(rng):
    """Omics KM/forest figures are plot.survival's, plus the cut point, corrected p and BH q."""
    n = 80
    idx = [f"s{i}" for i in range(n)]
    x = pd.Series(rng.normal(size=n), index=idx, name="SIG")
    t = rng.exponential(np.exp(-0.8 * x.to_numpy())) * 10
    clin = pd.DataFrame({"time": t, "event": 1}, index=idx)
    opt = omics.cutpoint_analysis(x, clin, method="optimal")
    ax = opt.plot(time_label="months")
    texts = [a.get_text() for a in ax.texts]
    assert "Number at risk" in texts  # km_plot's risk table
    assert any("corrected (Lausen–Schumacher)" in s for s in texts)
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert labels[0].startswith(f"low, ≤ {opt.cutpoint:.3g} (n=")
    assert ax.get_xlabel() == "months"
    feats = pd.DataFrame({"SIG": x, "noise": rng.normal(size=n)}, index=idx)
    assoc = omics.survival_association(feats, clin)
    ax = assoc.plot()
    assert ax.get_xscale() == "log"
    assert [tk.get_text() for tk in ax.get_yticklabels()] == ["SIG", "noise"]  # by p, top first
    q = assoc.table.set_index("feature").loc["SIG", "q_value"]
    assert any(s.get_text().endswith(f"q = {q:.2g}") for s in ax.texts)
