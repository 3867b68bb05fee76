"""The omics demo section runs on bundled data and states the null finding plainly."""

from __future__ import annotations

import warnings

import pandas as pd


def test_demo_omics_builds(tmp_path):
    from repurposekit.report._demo_omics import build

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bundled data warnings are part of the demo text
        sec = build(tmp_path)
    texts = " ".join(b["text"] for b in sec.blocks if b["type"] == "text")
    assert "SIMULATED" in texts
    assert "NOT prognostic" in texts  # the null finding, stated from the computed table
    assert "PID_FAK_PATHWAY HR" in texts
    assert "Proliferation is prognostic" in texts
    key = pd.read_csv(tmp_path / "omics" / "cox_key_sets.csv", comment="#").set_index("feature")
    # the simulation's built-in shape: proliferation drives survival, FAK does not
    assert key.loc["HALLMARK_G2M_CHECKPOINT", "q_value"] < 0.05
    assert key.loc["PID_FAK_PATHWAY", "p_value"] > 0.05
    figs = [b for b in sec.blocks if b["type"] == "figure"]
    assert len(figs) >= 6
    for b in figs:
        assert (tmp_path / b["file"]).stat().st_size > 5000
    tables = {p.name for p in (tmp_path / "omics").glob("*.csv")}
    assert {"cox_key_sets.csv", "strata.csv", "gsea_er_high_vs_low.csv"} <= tables
