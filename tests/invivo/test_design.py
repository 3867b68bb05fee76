"""Randomisation properties, schedules, dosing calendar, measurement plan, ICS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from repurposekit import DataValidationError
from repurposekit.invivo import (
    AgentDose,
    GroupDesign,
    StudyDesign,
    animal_doses,
    calendar_to_ics,
    dosing_calendar,
    measurement_plan,
    parse_schedule,
    randomize,
    study_calendar,
)
from repurposekit.invivo._design import _imbalance


def _cohort(seed: int, n: int) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "subject": [f"m{i}" for i in range(n)],
            "volume_mm3": r.uniform(95, 160, n),
            "body_weight_g": r.normal(22, 1.5, n),
        }
    )


@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(2, 6), min_size=2, max_size=4),
    extra=st.integers(0, 6),
)
def test_every_animal_once_and_sizes_respected(seed, sizes, extra):
    df = _cohort(seed, sum(sizes) + extra)
    before = df.copy()
    groups = {f"G{i}": n for i, n in enumerate(sizes)}
    a = randomize(df, group_sizes=groups, window_mm3=None, rng=seed, n_candidates=20, n_swaps=50)
    assert df.equals(before)
    assert a.table["subject"].is_unique
    assert a.table.groupby("group").size().to_dict() == groups
    assert set(a.table["subject"]) | set(a.excluded["subject"]) == set(df["subject"])
    assert not set(a.table["subject"]) & set(a.excluded["subject"])


def test_same_seed_same_allocation_and_different_seed_differs():
    df = _cohort(1, 40)
    kw = {
        "group_sizes": {"V": 8, "A": 8, "B": 8, "AB": 8},
        "balance_on": ("volume_mm3", "body_weight_g"),
        "window_mm3": None,
        "n_candidates": 200,
    }
    a = randomize(df, rng=42, **kw).table
    b = randomize(df, rng=42, **kw).table
    c = randomize(df, rng=43, **kw).table
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("seed", range(5))
def test_balance_better_than_random_allocation(seed):
    # simulated cohort of 40 animals in 4 groups of 10: the chosen allocation must beat the
    # 5th percentile of plain random allocations (same animals, same criterion)
    df = _cohort(100 + seed, 40)
    a = randomize(
        df,
        group_sizes=[10, 10, 10, 10],
        window_mm3=None,
        balance_on=("volume_mm3", "body_weight_g"),
        rng=seed,
        n_candidates=300,
    )
    X = df[["volume_mm3", "body_weight_g"]].to_numpy()
    mu, sd = X.mean(0), X.std(0, ddof=1)
    r = np.random.default_rng(999)
    base = np.repeat(np.arange(4), 10)
    rand = [_imbalance(X, r.permutation(base), 4, mu, sd) for _ in range(500)]
    assert a.score < np.quantile(rand, 0.05)
    assert a.score < a.score_random
    assert (a.tests["anova_p"] > 0.5).all()
    spread = a.balance["volume_mm3_mean"].max() - a.balance["volume_mm3_mean"].min()
    assert spread < 0.1 * df["volume_mm3"].std()


def test_window_and_too_few_animals():
    df = pd.DataFrame(
        {"subject": list("abcdefgh"), "volume_mm3": [80, 110, 120, 130, 140, 145, 170, 125]}
    )
    a = randomize(df, group_sizes=[2, 2], rng=0, n_candidates=10)
    assert set(a.excluded["subject"]) >= {"a", "g"}
    assert a.table["volume_mm3"].between(100, 150).all()
    with pytest.raises(DataValidationError, match="only 6 animals are eligible"):
        randomize(df, group_sizes=[4, 4], rng=0)
    with pytest.raises(DataValidationError, match="appears twice"):
        randomize(pd.concat([df, df.head(1)]), group_sizes=[2, 2], rng=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QD", ("QD", "daily")),
        ("BID", ("BID", "daily")),
        ("5 days/week", ("QD", "5/2")),
        ("3 weeks on / 1 week off", ("QD", "3on1off")),
        ("BID, 3 weeks on/1 off", ("BID", "3on1off")),
        ("twice weekly", ("BIW", "daily")),
        ("QW", ("QW", "daily")),
    ],
)
def test_parse_schedule(text, expected):
    assert parse_schedule(text) == expected


def test_parse_schedule_rejects_unknown():
    with pytest.raises(DataValidationError, match="cannot read the dosing schedule"):
        parse_schedule("every other full moon")


def _design(schedule: str, days: int = 56) -> StudyDesign:
    return StudyDesign(
        name="t",
        start_date=dt.date(2026, 1, 5),  # Monday
        duration_days=days,
        groups=(GroupDesign("Drug", 2, (AgentDose("defactinib", 50.0, schedule=schedule),)),),
    )


@pytest.mark.parametrize(
    ("schedule", "n_days", "admins"),
    [
        ("QD", 56, 56),
        ("BID", 56, 112),
        ("5 days/week", 40, 40),
        ("BID 3 weeks on/1 off", 42, 84),
        ("twice weekly", 16, 16),
    ],
)
def test_dosing_day_counts(schedule, n_days, admins):
    cal = dosing_calendar(_design(schedule))
    assert len(cal) == n_days
    assert cal["administrations"].sum() == admins
    if "5 days" in schedule:
        assert set(cal["weekday"]) == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    if "3 weeks" in schedule:
        assert not cal["study_day"].between(21, 27).any()
        assert cal["study_day"].between(28, 48).all() or cal["study_day"].max() == 48


def test_animal_doses_from_body_weight():
    d = _design("BID")
    bw = pd.DataFrame(
        {"subject": ["a", "b"], "group": ["Drug", "Drug"], "body_weight_g": [20.0, 25.0]}
    )
    t = animal_doses(d, bw).set_index("subject")
    assert t.loc["a", "dose_mg"] == pytest.approx(1.0)  # 50 mg/kg × 0.020 kg
    assert t.loc["b", "daily_dose_mg"] == pytest.approx(2.5)  # BID
    assert t.loc["b", "volume_ml"] == pytest.approx(0.25)  # 10 mL/kg
    assert t.loc["a", "concentration_mg_per_ml"] == pytest.approx(5.0)
    over_time = pd.DataFrame(
        {"subject": ["a", "a"], "group": ["Drug"] * 2, "day": [0, 7], "body_weight_g": [20.0, 18.0]}
    )
    t2 = animal_doses(d, over_time)
    assert t2.loc[t2.study_day == 6, "dose_mg"].iloc[0] == pytest.approx(1.0)
    assert t2.loc[t2.study_day == 7, "dose_mg"].iloc[0] == pytest.approx(0.9)
    with pytest.raises(DataValidationError, match="not in the design"):
        animal_doses(d, bw.assign(group="Other"))


def test_measurement_plan_and_ics():
    d = _design("QD", days=14)
    plan = measurement_plan(d)
    cal_days = plan[plan.task == "calipers"]
    assert set(cal_days["weekday"]) == {"Mon", "Wed", "Fri"}
    assert len(cal_days) == 6  # 2 weeks × 3
    assert len(plan[plan.task == "body_weight"]) == 4  # 2 weeks × 2 (Mon, Thu)
    cal = study_calendar(d)
    ics = calendar_to_ics(cal, name="test study")
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert ics.endswith("END:VCALENDAR\r\n")
    assert ics.count("BEGIN:VEVENT") == len(cal)
    assert "DTSTART;VALUE=DATE:20260105" in ics
    assert calendar_to_ics(cal, name="test study") == ics  # reproducible
    assert max(len(line.encode()) for line in ics.split("\r\n")) <= 75  # RFC 5545 folding
    long = cal.assign(details="x" * 200)
    unfolded = calendar_to_ics(long).replace("\r\n ", "")
    assert "DESCRIPTION:" + "x" * 200 in unfolded


def test_design_from_dict_errors():
    ok = {
        "study": {"start_date": "2026-01-05", "duration_days": 28},
        "groups": [{"name": "V", "n": 8}],
    }
    assert StudyDesign.from_dict(ok).control == "V"
    with pytest.raises(DataValidationError, match=r"\[study\].*start_date"):
        StudyDesign.from_dict({"study": {"duration_days": 28}, "groups": [{"name": "V", "n": 1}]})
    bad = {
        **ok,
        "groups": [
            {
                "name": "V",
                "n": 8,
                "agents": [{"agent": "x", "dose_mg_per_kg": 1, "schedule": "hourly-ish"}],
            }
        ],
    }
    with pytest.raises(DataValidationError, match=r"groups\[0\].agents\[0\].schedule"):
        StudyDesign.from_dict(bad)
    with pytest.raises(DataValidationError, match="not group names"):
        StudyDesign.from_dict(
            {**ok, "combination": {"control": "V", "a": "A", "b": "B", "combination": "AB"}}
        )


def test_follow_up_extends_measurements_not_dosing():
    # 2 weeks of treatment + 2 weeks of follow-up: calipers Mon/Wed/Fri for 4 weeks,
    # dosing only in the first 2
    base = _design("QD", days=14)
    d = StudyDesign.from_dict(
        {
            "study": {"start_date": "2026-01-05", "duration_days": 14, "follow_up_days": 14},
            "groups": [{"name": "Drug", "n": 2, "agents": [{"agent": "x", "dose_mg_per_kg": 1}]}],
        }
    )
    assert d.follow_up_days == 14
    plan = measurement_plan(d)
    assert len(plan[plan.task == "calipers"]) == 12  # 4 weeks × 3
    assert plan["study_day"].max() == 25  # Friday of week 4
    assert len(measurement_plan(d, extra_days=0)) == len(measurement_plan(base))
    assert dosing_calendar(d)["study_day"].max() == 13
    cal = study_calendar(d)
    assert cal.loc[cal.kind == "dosing", "study_day"].max() == 13
    assert cal["study_day"].max() == 25


def test_negative_follow_up_is_an_error():
    spec = {
        "study": {"start_date": "2026-01-05", "duration_days": 14, "follow_up_days": -3},
        "groups": [{"name": "V", "n": 2}],
    }
    with pytest.raises(DataValidationError, match=r"d.toml: \[study\] follow_up_days: -3"):
        StudyDesign.from_dict(spec, source="d.toml")
