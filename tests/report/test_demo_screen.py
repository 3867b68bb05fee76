"""The demo's screen section builds from the bundled data and flags the failing plate."""

from __future__ import annotations

import pandas as pd

from repurposekit.report._demo_screen import build


def test_build(tmp_path):
    sec = build(tmp_path)
    assert sec.key == "screen"
    folder = tmp_path / "screen"
    for name in (
        "plate_qc.csv",
        "dose_response_fits.csv",
        "plate_heatmaps.png",
        "dose_response.png",
    ):
        assert (folder / name).exists(), name
    warnings = [b["text"] for b in sec.blocks if b["type"] == "text" and b["kind"] == "warning"]
    assert any("ENDO-B" in w and "FAILED QC" in w for w in warnings)
    rec = pd.read_csv(folder / "recovery.csv")
    # simulated truth recovered: every absolute IC50 within 1.5-fold (8 replicates, 5 % CV)
    assert rec["fold_vs_truth"].between(1 / 1.5, 1.5).all()
    comp = pd.read_csv(folder / "defactinib_vs_published.csv")
    assert set(comp["sample"]) == {"ENDO-A", "ENDO-B", "TT", "K1"}
