"""Regimen calendar (21 days defactinib BID, 6 avutometinib doses per cycle) and monitoring dates."""

from __future__ import annotations

import datetime as dt

import pytest

from repurposekit import DataValidationError
from repurposekit.clinic import Course, monitoring_schedule, regimen_calendar
from repurposekit.knowledge._clinical import load_regimen


def test_one_cycle_supply_matches_the_regimen():
    cal = regimen_calendar(start="2026-01-05", cycles=3)
    sup = cal.supply()
    reg = load_regimen()
    for agent, days, units in (("defactinib", 21, 42), ("avutometinib", 6, 24)):
        rows = sup[sup["agent"] == agent]
        assert rows["dosing_days"].tolist() == [days] * 3
        assert rows["units"].tolist() == [units] * 3
        assert units == reg.agent(agent).supply_per_cycle
    t = cal.to_frame()
    avu = t[(t["agent"] == "avutometinib") & (t["status"] == "dose") & (t["cycle"] == 1)]
    assert avu["cycle_day"].tolist() == [1, 4, 8, 11, 15, 18]
    assert set(avu["weekday"]) == {"Mon", "Thu"}  # cycle starting on a Monday
    assert (t[t["cycle_day"] > 21]["status"] == "off").all()
    assert avu["dose_mg"].iloc[0] == pytest.approx(3.2)


def test_weekdays_option_and_any_start_day():
    cal = regimen_calendar(start="2026-01-07", cycles=1, weekdays=["Mon", "Thu"])  # a Wednesday
    t = cal.to_frame()
    avu = t[(t["agent"] == "avutometinib") & (t["status"] == "dose")]
    assert len(avu) == 6
    assert set(avu["weekday"]) == {"Mon", "Thu"}
    with pytest.raises(DataValidationError, match="weekdays"):
        regimen_calendar(start="2026-01-07", weekdays=["Funday", "Thu"])
    with pytest.raises(DataValidationError, match="cycles"):
        regimen_calendar(start="2026-01-07", cycles=0)
    with pytest.raises(DataValidationError, match="YYYY-MM-DD"):
        regimen_calendar(start="07/01/2026")


def test_reduced_levels_and_ics():
    cal = regimen_calendar(
        start="2026-01-05", cycles=1, levels={"defactinib": -1, "avutometinib": -1}
    )
    sup = cal.supply().set_index("agent")
    assert sup.loc["defactinib", "units"] == 21
    assert sup.loc["avutometinib", "units"] == 12
    ics = cal.to_ics(dtstamp=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert ics.count("BEGIN:VEVENT") == 27
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    assert "once daily" in cal.summary() or "tablets" in cal.summary()
    with pytest.raises(DataValidationError, match="unknown agent"):
        regimen_calendar(start="2026-01-05", levels={"trametinib": 0})


def test_course_calendar_applies_holds():
    c = Course(patient="p", start="2026-01-05")
    c.record({"date": "2026-01-12", "category": "rash", "grade": 3})
    c.record({"date": "2026-01-19", "category": "rash", "grade": 1})
    t = c.calendar(cycles=1).to_frame()
    dfc = t[t["agent"] == "defactinib"].set_index("date")
    assert dfc.loc[dt.date(2026, 1, 12), "status"] == "held"
    assert dfc.loc[dt.date(2026, 1, 18), "status"] == "held"
    assert dfc.loc[dt.date(2026, 1, 19), "status"] == "dose"
    assert (t["status"] == "held").sum() == 7 + 2  # 7 defactinib days, avutometinib days 8 and 11


def test_monitoring_dates_for_six_cycles():
    s = monitoring_schedule("2026-01-05", cycles=6).to_frame()
    start = dt.date(2026, 1, 5)

    def day(c, d):
        return start + dt.timedelta(days=28 * (c - 1) + d - 1)

    eye = s[s["item"] == "ophthalmic_exam"]["date"].tolist()
    assert eye == [day(1, 1), day(2, 1), day(5, 1)]
    expected = sorted([day(c, 1) for c in range(1, 7)] + [day(c, 15) for c in range(1, 5)])
    for item in ("liver_function_tests", "cpk"):
        assert s[s["item"] == item]["date"].tolist() == expected
    sup = monitoring_schedule("2026-01-05", cycles=6).supportive.set_index("item")
    assert sup.loc["oral_antibiotic_prophylaxis", "until_at_least"] == day(2, 28)
    assert sup.loc["sun_protection", "until_at_least"] is None
    assert "ophthalmic_exam" in monitoring_schedule("2026-01-05", cycles=2).summary()
    with pytest.raises(DataValidationError):
        monitoring_schedule("2026-01-05", cycles=0)
