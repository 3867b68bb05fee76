"""Monotone Cox likelihood handled by Firth; the in vivo figures draw what they promise."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from repurposekit.invivo import (
    body_weight_change,
    endpoint_survival,
    growth_curves,
    lmm_synergy,
    mrecist,
    prepare_growth_data,
)

matplotlib.use("Agg")


def _study(hits: dict[str, int | None]) -> pd.DataFrame:
    """Weekly volumes; animal ``s`` jumps to 1,600 mm³ on day ``hits[s]`` (None: never)."""
    rows = []
    for s, hit in hits.items():
        for d in range(0, 43, 7):
            v = 100.0 + d if hit is None or d < hit else 1600.0
            rows.append((s, s[0].upper(), d, v))
            if hit is not None and d >= hit:
                break
    return pd.DataFrame(rows, columns=["subject", "group", "day", "volume_mm3"])


def test_separation_switches_to_firth_without_warning():
    # group T reaches 1,500 mm³ (days 28, 35) only after every V animal has (7, 14, 21):
    # complete separation although each group has 2+ events
    gd = prepare_growth_data(_study({"v1": 7, "v2": 14, "v3": 21, "t1": 28, "t2": 35, "t3": None}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es = endpoint_survival(gd)
    assert es.settings["cox_firth"]
    hr = es.to_frame().set_index("group").loc["T", "hazard_ratio"]
    assert np.isfinite(hr)
    assert 0 < hr < 1


def test_no_separation_keeps_ordinary_cox():
    gd = prepare_growth_data(_study({"v1": 7, "v2": 28, "v3": 21, "t1": 14, "t2": 35, "t3": None}))
    es = endpoint_survival(gd)
    assert not es.settings["cox_firth"]
    assert np.isfinite(es.to_frame().set_index("group").loc["T", "hazard_ratio"])


@pytest.fixture(scope="module")
def bundled():
    from repurposekit import datasets
    from repurposekit.io.invivo import read_design, read_growth_table

    folder = datasets.path("invivo")
    des = read_design(folder / "design.toml")
    gd = prepare_growth_data(
        read_growth_table(folder / "study.csv"), groups=[g.name for g in des.groups]
    )
    return gd, des


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_km_figure_states_medians_and_logrank(bundled):
    gd, _ = bundled
    es = endpoint_survival(gd)
    ax = es.plot(treatment=(0, 28))
    box = next(t for t in _texts(ax) if t.startswith("Median time to endpoint"))
    for r in es.medians().itertuples():
        assert f"{r.group}: " in box
    assert "Log-rank χ²" in box
    assert f"(df {es.logrank.df})" in box
    assert "log-rank p" in ax.get_title(loc="left")
    # four distinguishable step curves (one colour each)
    cols = {ln.get_color() for ln in ax.get_lines() if ln.get_label().endswith("(n=8)")}
    assert len(cols) == 4
    matplotlib.pyplot.close(ax.figure)


def _bbox(artist, renderer):
    return artist.get_window_extent(renderer)


def test_growth_legend_does_not_cover_the_endpoint_label(bundled):
    gd, _ = bundled
    ax = growth_curves(gd, min_n=4).plot(treatment=(0, 28))
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    leg = _bbox(ax.get_legend(), r)
    label = next(t for t in ax.texts if t.get_text().startswith("endpoint"))
    assert not leg.overlaps(_bbox(label, r))
    assert not leg.overlaps(ax.get_window_extent(r))  # the legend sits below the axes
    matplotlib.pyplot.close(fig)


def test_waterfall_groups_and_synergy_ticks(bundled):
    gd, des = bundled
    ax = mrecist(gd).plot()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert [lab.split("\n")[0] for lab in labels] == list(gd.groups)
    matplotlib.pyplot.close(ax.figure)
    ax = lmm_synergy(gd, arms=des.combination, days=[14, 21]).plot()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "1" in ticks
    assert len(ticks) <= 8
    matplotlib.pyplot.close(ax.figure)
    ax = body_weight_change(gd).plot(min_n=4, treatment=(0, 28))
    assert any("−15 % loss" in t for t in _texts(ax))
    matplotlib.pyplot.close(ax.figure)
