"""Engine paths that need a site table or a direct call (100 % coverage of the rule engine)."""

from __future__ import annotations

import datetime as dt

import pytest

from repurposekit import DataValidationError
from repurposekit.clinic import Course, Observation, evaluate
from repurposekit.clinic._engine import _plain, initial_state
from repurposekit.knowledge._clinical import DATA_DIR, load_regimen, load_rules


def test_site_table_restricting_a_row_to_one_agent(tmp_path):
    text = (DATA_DIR / "rules" / "defactinib-avutometinib.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "when: {grade: 2, intolerable: true}\n    action: reduce",
        "when: {grade: 2, intolerable: true}\n    action: reduce\n    agents: [avutometinib]",
    )
    site = tmp_path / "site.yaml"
    site.write_text(text, encoding="utf-8")
    c = Course(patient="p", start="2026-01-05", rules=site)
    d = c.record({"date": "2026-01-10", "category": "rash", "grade": 2, "intolerable": True})
    assert dict(d.dose_levels) == {"defactinib": 0, "avutometinib": -1}
    # a later reduction of both agents lowers defactinib and leaves avutometinib at its floor
    c.record({"date": "2026-01-12", "category": "cpk", "grade": 4})
    d = c.record({"date": "2026-01-19", "category": "cpk", "grade": 1})
    assert d.action == "resume_reduced"
    assert dict(d.dose_levels) == {
        "defactinib": -1,
        "avutometinib": -1,
    }
    assert any("already at the lowest level, unchanged: avutometinib" in t for t in d.trace)
    # the intolerable-rash row now has nothing left to lower
    d = c.record({"date": "2026-02-01", "category": "rash", "grade": 2, "intolerable": True})
    assert d.rule_id == "general-reduction-impossible"


def test_evaluate_refuses_an_unknown_category():
    rules, reg = load_rules(), load_regimen()
    obs = Observation(date=dt.date(2026, 1, 5), category="skin", key="skin", grade=3)
    with pytest.raises(DataValidationError, match="not in rule table"):
        evaluate(initial_state(reg), obs, rules=rules, regimen=reg)


def test_plain_and_frames():
    assert _plain({"d": dt.date(2026, 1, 5), "l": (1, 2)}) == {"d": "2026-01-05", "l": [1, 2]}
    c = Course(patient="p", start="2026-01-05")
    assert c.to_frame().empty
    assert c.labs().empty
    assert c.status == "on"
    c.record(
        {
            "date": "2026-01-06",
            "type": "lab",
            "results": [{"test": "CPK", "value": 1100, "uln": 200}],
        }
    )
    assert c.labs()["grade"].tolist() == [3]
    assert c.decisions[0].to_frame()["rule"].iloc[0] == "cpk-g3"
    assert c.state.to_dict()["holds"]["cpk"]["recheck"] == "2026-01-27"
