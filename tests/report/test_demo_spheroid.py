"""The spheroid demo section runs on the bundled plate."""

from __future__ import annotations

import pandas as pd

from repurposekit.report._demo_spheroid import build


def test_build(tmp_path):
    sec = build(tmp_path)
    kinds = [b["type"] for b in sec.blocks]
    assert kinds.count("figure") >= 5
    d = tmp_path / "spheroid"
    assert (d / "spheroids.csv").exists()
    assert (d / "contact_sheet.png").exists()
    inv = pd.read_csv(d / "invasion.csv")
    # simulated CellTiter-Glo reads cover every well of the plate
    assert inv["viability_pct"].notna().all()
    ci = pd.read_csv(d / "invasion_ci_levels.csv")
    assert list(ci["fa"]) == [0.5, 0.75, 0.9]
    assert set(ci["call"]) <= {"synergism", "additive", "antagonism"}
    wells = pd.read_csv(d / "invasion_ci_wells.csv")
    assert sorted(wells["well"]) == ["E02", "E03", "E04"]
