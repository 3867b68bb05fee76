"""The in vivo demo section builds on the bundled (simulated) study."""

from __future__ import annotations

import pandas as pd

from repurposekit.report._demo_invivo import build


def test_build_invivo_section(tmp_path):
    sec = build(tmp_path)
    assert sec.key == "invivo"
    kinds = [b["type"] for b in sec.blocks]
    assert kinds.count("figure") >= 6
    assert kinds.count("table") >= 7
    folder = tmp_path / "invivo"
    syn = pd.read_csv(folder / "synergy.csv")
    # the simulated combination is synergistic by construction (PROVENANCE.md)
    assert syn["combination_index"].iloc[-1] < 1
    for fig in ("growth_curves", "spaghetti", "km", "waterfall", "body_weight"):
        assert (folder / f"{fig}.png").exists(), fig
    # the report says on which day TGI was computed, and it is the day of the table
    tgi = pd.read_csv(folder / "tgi.csv")
    day = tgi["day"].unique()
    assert len(day) == 1
    cap = next(b["caption"] for b in sec.blocks if b.get("file", "").endswith("tgi.csv"))
    assert f"on day {day[0]:g}, the last day on which every group still has at least half" in cap
    # follow-up to the endpoint: the survival table has medians for the arms
    surv = pd.read_csv(folder / "survival.csv")
    assert surv["median"].notna().sum() >= 3
    power = pd.read_csv(folder / "synergy_power.csv")
    assert power["n_per_group"].is_monotonic_increasing
    assert power["power"].between(0, 1).all()
