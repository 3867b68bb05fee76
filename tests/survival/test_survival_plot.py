"""Survival figures: KM with CI bands, censor ticks and numbers at risk; forest plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from repurposekit.plot.survival import forest_plot, km_plot
from repurposekit.survival import (
    cox_ph,
    cox_univariate_batch,
    kaplan_meier,
    logrank_test,
    pairwise_logrank,
)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_km_plot_draws_curves_bands_censor_ticks_and_risk_table(cr1197):
    res = kaplan_meier(cr1197, by="Treatment")
    ax = res.plot(risk_times=[0, 10, 20, 30])
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 4  # one CI band per group
    texts = _texts(ax)
    assert "Number at risk" in texts
    nar = res.number_at_risk([0, 10, 20, 30])
    # every number at risk is written under the axis
    for v in nar.to_numpy().ravel():
        assert str(int(v)) in texts
    # censoring ticks: one marker line per group with censored subjects
    markers = [ln for ln in ax.lines if ln.get_marker() == "|"]
    assert len(markers) == 4
    ax.figure.canvas.draw()  # layout works with the table outside the axes


def test_km_plot_options_and_user_axes(gehan):
    import matplotlib.pyplot as plt

    _fig, ax0 = plt.subplots()
    res = kaplan_meier(gehan, event="status", by="arm")
    ax = km_plot(res, ax=ax0, ci=False, risk_table=False, censor_marks=False, show_median=True)
    assert ax is ax0
    assert not ax.collections
    assert "Number at risk" not in _texts(ax)


def test_forest_plot_from_cox_batch_and_frame(rossi):
    fit = cox_ph(rossi, time="week", event="arrest", covariates=["fin", "age", "prio"])
    ax = forest_plot(fit)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fin", "age", "prio"]
    assert any(t.startswith("1.1") and "p=" in t for t in _texts(ax))  # prio HR 1.1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 20))
    t = rng.exponential(np.exp(-X[:, 0]))
    ax = cox_univariate_batch(X, time=t, event=np.ones(60)).plot(top=5)
    assert len(ax.get_yticklabels()) == 5
    assert ax.get_yticklabels()[0].get_text() == "x0"  # smallest p drawn at the top
    frame = pd.DataFrame({"feature": ["a"], "hr": [2.0], "hr_lower": [1.0], "hr_upper": [4.0]})
    assert isinstance(forest_plot(frame), Axes)
    with pytest.raises(ValueError, match="forest_plot needs columns"):
        forest_plot(frame.drop(columns="hr_upper"))


def test_logrank_and_pairwise_figures(cr1197):
    ax = logrank_test(cr1197, group="Treatment").plot()
    assert "χ²" in ax.get_title()
    ax = pairwise_logrank(cr1197, group="Treatment").plot()
    assert len(ax.texts) == 6
