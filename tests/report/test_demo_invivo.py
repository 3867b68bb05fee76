"""The in vivo demo section builds on the bundled (simulated) study."""

from __future__ import annotations

import pandas as pd

from repurposekit.report._demo_invivo import build


def test_build_invivo_section(tmp_path):
    sec = build(tmp_path)
    assert sec.key == "invivo"
    kinds = [b["type"] for b in sec.blocks]
    assert kinds.count("figure") >= 6
    assert kinds.count("table") >= 6
    syn = pd.read_csv(tmp_path / "invivo" / "synergy.csv")
    # the simulated combination is synergistic by construction (PROVENANCE.md)
    assert syn["combination_index"].iloc[-1] < 1
    assert (tmp_path / "invivo" / "growth_curves.png").exists()
