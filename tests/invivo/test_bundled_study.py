"""The bundled SIMULATED H295R study has the properties PROVENANCE.md promises."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from repurposekit import datasets
from repurposekit import invivo as iv
from repurposekit.io.invivo import read_design, read_growth_table

FOLDER = datasets.path("invivo")


@pytest.fixture(scope="module")
def design():
    return read_design(FOLDER / "design.toml")


@pytest.fixture(scope="module")
def study(design):
    return iv.prepare_growth_data(
        read_growth_table(FOLDER / "study.csv"),
        groups=[g.name for g in design.groups],
        endpoint_mm3=design.endpoint_mm3,
    )


def test_followed_to_endpoint_or_end_of_follow_up(study, design):
    # 4 weeks of treatment, then calipers until 1,500 mm³ or the last planned day (~day 70)
    assert (design.duration_days, design.follow_up_days) == (28, 42)
    plan = iv.measurement_plan(design)
    last_planned = plan.loc[plan.task == "calipers", "study_day"].max()
    assert 63 <= last_planned <= 70
    for _, a in study.data.dropna(subset=["volume_mm3"]).groupby("subject"):
        v = a["volume_mm3"].to_numpy()
        hit = np.flatnonzero(v >= design.endpoint_mm3)
        if len(hit):  # removed at the first measurement at or above the endpoint
            assert hit[0] == len(v) - 1
        else:
            assert a["day"].max() == last_planned


def test_dosing_follows_the_protocol(design):
    cal = iv.dosing_calendar(design)
    combo = cal[cal.group == "Defactinib+Mitotane"].groupby("agent")
    assert combo["study_day"].max().to_dict() == {"defactinib": 20, "mitotane": 27}
    assert combo["administrations"].sum().to_dict() == {"defactinib": 42, "mitotane": 28}


def test_time_to_endpoint_separates_the_arms(study):
    # by construction: vehicle < monotherapies < combination (late or not reached)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the separation is handled (Firth), not warned about
        es = iv.endpoint_survival(study)
    med = es.medians().set_index("group")["median"]
    assert med["Vehicle"] < min(med["Mitotane"], med["Defactinib"])
    comb = med["Defactinib+Mitotane"]
    assert np.isnan(comb) or comb >= 1.5 * max(med["Mitotane"], med["Defactinib"])
    assert es.logrank.p_value < 1e-3
    assert es.settings["cox_firth"]  # combination events only after the others left
    hr = es.to_frame().set_index("group")["hazard_ratio"]
    assert np.isfinite(hr.drop("Vehicle")).all()
    assert (hr.drop("Vehicle") < 1).all()


def test_default_tgi_day_keeps_half_of_every_group(study):
    day = iv.default_day(study)
    d = study.data
    n0 = study.animals.groupby("group").size()
    on = d[d["day"] == day].groupby("group")["subject"].nunique()
    assert (on >= n0 / 2).all()
    later = [x for x in sorted(d["day"].unique()) if x > day]
    nxt = d[d["day"] == later[0]].groupby("group")["subject"].nunique()
    assert (nxt.reindex(n0.index, fill_value=0) < n0 / 2).any()
    assert day < 28  # before the end of treatment: the vehicle arm is gone soon after


def test_synergistic_during_treatment(study, design):
    syn = iv.lmm_synergy(study, arms=design.combination, day_max=design.duration_days)
    t = syn.table
    assert t["day"].max() <= design.duration_days
    assert t["day"].min() > study.baseline_day
    assert (t["combination_index"] < 1).all()
    assert t["p_value"].iloc[-1] < 0.01


def test_lmm_synergy_day_max_without_days_is_an_error(study, design):
    from repurposekit import DataValidationError

    with pytest.raises(DataValidationError, match="no day to evaluate"):
        iv.lmm_synergy(study, arms=design.combination, day_max=2)


def test_body_weight_tolerable(study):
    bw = iv.body_weight_change(study)
    nadir = bw.groups.groupby("group")["mean_pct_change"].min()
    assert nadir["Defactinib+Mitotane"] == nadir.min()
    assert not bw.animals["loss_ge_20"].any()
