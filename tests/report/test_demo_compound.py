from __future__ import annotations

from repurposekit.report._demo_compound import build


def test_build(tmp_path):
    s = build(tmp_path)
    kinds = [b["type"] for b in s.blocks]
    assert "figure" in kinds
    assert (tmp_path / "compound" / "defactinib_profile.csv").exists()
    assert (tmp_path / "compound" / "defactinib_potency.png").stat().st_size > 10_000
