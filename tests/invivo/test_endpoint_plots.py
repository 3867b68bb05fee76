"""Monotone Cox likelihood handled by Firth; the in vivo figures draw what they promise."""

from __future__ import annotations

import warnings

import matplotlib
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


def _hand_times(hits: dict[str, int | None]) -> pd.DataFrame:
    """The time/event table of :func:`_study` written out by hand (not via time_to_endpoint):
    event on the jump day, otherwise censored at the last weekly measurement (day 42)."""
    return pd.DataFrame(
        {
            "group": [s[0].upper() for s in hits],
            "time": [42.0 if h is None else float(h) for h in hits.values()],
            "event": [0 if h is None else 1 for h in hits.values()],
        }
    )


def test_separation_switches_to_firth_without_warning():
    from repurposekit.survival import cox_ph

    # group T reaches 1,500 mm³ (days 28, 35) only after every V animal has (7, 14, 21):
    # complete separation although each group has 2+ events
    hits = {"v1": 7, "v2": 14, "v3": 21, "t1": 28, "t2": 35, "t3": None}
    gd = prepare_growth_data(_study(hits))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es = endpoint_survival(gd)
    assert es.settings["cox_firth"]
    got = es.cox.coefficients.loc["group[T]"]
    hr = es.to_frame().set_index("group").loc["T", "hazard_ratio"]
    # R coxphf (the Firth anchor) is not packaged in Debian, so it cannot be run here.
    # repurposekit.survival.cox_ph(firth=True) is anchored in tests/survival (penalised score
    # = 0 at the fit, profile CI end points on the chi² cut-off); here the endpoint code must
    # give exactly what that function gives on the hand-derived time/event table (same
    # rows, same Efron ties, same Newton start: rounding only, 1e-12 relative)
    ref = cox_ph(
        _hand_times(hits),
        covariates=["group"],
        reference={"group": "V"},
        firth=True,
    ).coefficients.loc["group[T]"]
    for col in ("coef", "hr", "se", "p_value", "hr_lower", "hr_upper"):
        assert got[col] == pytest.approx(ref[col], rel=1e-12)
    assert hr == pytest.approx(ref["hr"], rel=1e-12)
    assert 0 < hr < 1  # T reaches the endpoint later: protective


def test_no_separation_keeps_ordinary_cox():
    from lifelines import CoxPHFitter

    hits = {"v1": 7, "v2": 28, "v3": 21, "t1": 14, "t2": 35, "t3": None}
    gd = prepare_growth_data(_study(hits))
    es = endpoint_survival(gd)
    assert not es.settings["cox_firth"]
    hr = es.to_frame().set_index("group").loc["T", "hazard_ratio"]
    got = es.cox.coefficients.loc["group[T]"]
    tab = _hand_times(hits)
    tab["T"] = (tab["group"] == "T").astype(float)
    # lifelines' Newton stops at a step norm of 1e-7 by default (measured HR error 3e-5);
    # with precision 1e-12 it agrees with ours (and R coxph) to 2.4e-10 in coef, so
    # 1e-8 relative on HR and SE covers lifelines' convergence
    cph = CoxPHFitter().fit(
        tab[["time", "event", "T"]], "time", "event", fit_options={"precision": 1e-12}
    )
    assert hr == pytest.approx(cph.hazard_ratios_["T"], rel=1e-8)
    assert got["se"] == pytest.approx(cph.standard_errors_["T"], rel=1e-8)


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
