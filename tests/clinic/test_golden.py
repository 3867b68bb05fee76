"""Golden cases: every row of the dose-modification table and every history-dependent path.

Each case in ``golden/*.yaml`` cites the protocol row it checks (seed note 003, dose-modification
table). The expected actions and rules were written by hand from the protocol text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from repurposekit.clinic import Course
from repurposekit.knowledge._clinical import load_rules

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    (f.stem, case)
    for f in sorted(GOLDEN.glob("*.yaml"))
    for case in yaml.safe_load(f.read_text(encoding="utf-8"))
]


def _course(case):
    return Course(
        patient=case["id"],
        start="2026-01-05",
        baseline_grades=case.get("baseline_grades"),
        baseline_labs=case.get("baseline_labs", ()),
        simulated=True,
    )


@pytest.mark.parametrize(("file", "case"), CASES, ids=[f"{f}:{c['id']}" for f, c in CASES])
def test_golden_case(file, case):
    assert case["cites"], "every golden case cites its protocol row"
    assert len(case["events"]) == len(case["expect"])
    course = _course(case)
    for i, (event, exp) in enumerate(zip(case["events"], case["expect"], strict=True)):
        d = course.record(event)
        where = f"{case['id']} event {i + 1}: {d.summary()}\n" + "\n".join(d.trace)
        assert d.action == exp["action"], where
        assert d.rule_id == exp["rule"], where
        if "levels" in exp:
            assert [d.dose_levels["defactinib"], d.dose_levels["avutometinib"]] == exp["levels"], (
                where
            )
        if "phase" in exp:
            assert d.phase == exp["phase"], where
        if "recheck" in exp:
            assert d.recheck_date == exp["recheck"], where
        assert d.citation
        assert d.rule_row


def test_every_table_row_has_a_golden_case():
    fired = {exp["rule"] for _, c in CASES for exp in c["expect"]}
    table = load_rules()
    missing = [r.id for r in (*table.rows, *table.general.values()) if r.id not in fired]
    assert not missing, f"rows without a golden case: {missing}"


def test_history_paths_are_covered():
    ids = {c["id"] for _, c in CASES}
    for needed in (
        "rash-g3-first-then-recurrence-then-recurrent-despite-reduction",  # first vs second
        "other-g3-first-second-recurrent",  # recurrence after reduction
        "cpk-g3-fails-to-resolve-within-3-weeks",  # failure to resolve in 3 weeks
        "cpk-g4-when-both-already-reduced",  # both drugs already reduced
    ):
        assert needed in ids


def test_recheck_date_is_three_weeks_after_onset():
    c = Course(patient="p", start="2026-01-05")
    d = c.record(
        {
            "date": "2026-01-20",
            "type": "lab",
            "results": [{"test": "CPK", "value": 1500, "uln": 200}],
        }
    )
    assert d.recheck_date == dt.date(2026, 2, 10)
    assert "21 days" in d.resume_condition
