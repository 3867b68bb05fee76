"""Synergy figures: the heatmap says when a ZIP/Loewe score rests on an ill-determined fit."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from _synergy_helpers import bliss_surface_arrays, matrix_frame

from repurposekit.io.synergy import read_synergy
from repurposekit.synergy import score_synergy

SF = "synergy/synergyfinder"


def _texts(ax) -> str:
    return " | ".join(t.get_text() for t in ax.texts)


@pytest.mark.reference
def test_heatmap_names_flagged_fits(reference_dir):
    df = read_synergy(reference_dir / SF / "mathews_screening_data.csv")
    res = score_synergy(df, methods=["zip", "bliss"], sensitivity=False)
    ax = res.plot(block=1, method="zip")
    text = _texts(ax)
    assert "robustness case" in text
    assert "ispinesib: EC50 below tested doses" in text
    assert "robustness case" not in _texts(res.plot(block=1, method="bliss"))
    plt.close("all")


def test_heatmap_without_flag_has_no_note():
    d, resp = bliss_surface_arrays()
    res = score_synergy(matrix_frame(d, d, resp), methods=["zip"], sensitivity=False)
    assert not res.blocks["fit_flag"].iloc[0]
    assert "robustness case" not in _texts(res.plot(method="zip"))
    plt.close("all")
