"""Demo section: synergy of defactinib combinations (simulated example data)."""

from __future__ import annotations

from pathlib import Path

from repurposekit.report._html import Section


def build(out: Path) -> Section:
    """Score the bundled defactinib combination matrices and the constant-ratio series."""
    from repurposekit import datasets
    from repurposekit.io.synergy import read_constant_ratio, read_synergy
    from repurposekit.plot.synergy import (
        dose_response_matrix,
        fa_ci_plot,
        isobologram,
        musyc_fit_plot,
        synergy_heatmap,
        synergy_surface,
    )
    from repurposekit.synergy import CONVENTION, chou_talalay, fit_musyc, score_synergy

    sec = Section("synergy", "Drug combinations: synergy of defactinib partners", out)
    data = read_synergy(datasets.path("synergy", "defactinib_combinations.csv"))
    res = score_synergy(data)
    sec.text(
        "Simulated 6×6 viability matrices of defactinib with avutometinib and with trametinib "
        "(see datasets/synergy/PROVENANCE.md), scored with SynergyFinder's reference models. "
        + CONVENTION,
        kind="note",
    )
    cols = [
        "block_id",
        "drug1",
        "drug2",
        "zip",
        "zip_p_value",
        "bliss",
        "hsa",
        "loewe",
        "css",
        "zip_call",
    ]
    sec.table(
        res.blocks[cols], "blocks", caption="Block scores (% points of inhibition; > 0 synergy)."
    )
    sec.figure(
        dose_response_matrix(res, block=1).figure,
        "dose_response_block1",
        caption="Observed % inhibition, defactinib + avutometinib.",
    )
    sec.figure(
        synergy_heatmap(res, block=1, method="zip").figure,
        "zip_block1",
        caption="ZIP synergy map, defactinib + avutometinib (red = synergy).",
    )
    sec.figure(
        synergy_surface(res, block=2, method="zip").figure,
        "zip_surface_block2",
        caption="ZIP synergy surface, defactinib + trametinib.",
    )
    import numpy as np

    block1 = data[data["block_id"] == data["block_id"].iloc[0]]
    musyc = fit_musyc(block1, n_bootstrap=50, rng=np.random.default_rng(0))
    sec.table(
        musyc.to_frame(),
        "musyc",
        caption="MuSyC response surface, defactinib + avutometinib: alpha > 1 potency synergy, "
        "beta > 0 efficacy synergy (E on the viability-fraction scale; 95 % bootstrap CIs, 50 refits).",
    )
    sec.figure(
        musyc_fit_plot(musyc).figure,
        "musyc_fit",
        caption="MuSyC fitted surface (lines) against the observed matrix (points).",
    )
    ct = chou_talalay(
        read_constant_ratio(datasets.path("synergy", "defactinib_trametinib_constant_ratio.csv"))
    )
    sec.table(
        ct.indices[["agent", "fa", "ci", "call", "grade", "dri_defactinib", "dri_trametinib"]],
        "chou_talalay",
        caption="Chou–Talalay CI and DRI (CI < 0.9 synergism; < 0.3 strong synergism).",
    )
    sec.figure(
        fa_ci_plot(ct).figure,
        "fa_ci",
        caption="Fa–CI plot of the 100:1 defactinib:trametinib mixture.",
    )
    sec.figure(
        isobologram(ct).figure, "isobologram", caption="Normalised isobologram at Fa 0.5/0.75/0.9."
    )
    return sec
