"""The clinic demo section builds on the bundled simulated data and says it is simulated."""

from __future__ import annotations

from repurposekit.report._demo_clinic import build


def test_build(tmp_path):
    sec = build(tmp_path)
    assert sec.key == "clinic"
    texts = " ".join(b["text"] for b in sec.blocks if b["type"] == "text")
    assert "SIMULATED" in texts
    figs = [b for b in sec.blocks if b["type"] == "figure"]
    assert len(figs) == 4
    for b in sec.blocks:
        if b["type"] in ("figure", "table"):
            assert (tmp_path / b["file"]).stat().st_size > 0
