"""The spheroid demo section runs on the bundled plate."""

from __future__ import annotations

import pytest

from repurposekit.report._demo_spheroid import build


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numerical noise inside curves' fitter
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_build(tmp_path):
    sec = build(tmp_path)
    kinds = [b["type"] for b in sec.blocks]
    assert kinds.count("figure") >= 3
    assert (tmp_path / "spheroid" / "spheroids.csv").exists()
    assert (tmp_path / "spheroid" / "invasion.csv").exists()
    assert (tmp_path / "spheroid" / "contact_sheet.png").exists()
