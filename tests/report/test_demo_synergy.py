from __future__ import annotations

from repurposekit.report._demo_synergy import build


def test_demo_synergy_builds(tmp_path):
    sec = build(tmp_path)
    assert sec.key == "synergy"
    assert (tmp_path / "synergy" / "blocks.csv").exists()
    assert (tmp_path / "synergy" / "fa_ci.png").exists()
