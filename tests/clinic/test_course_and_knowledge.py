"""Bad input gives clear errors and never changes the course; knowledge files validate."""

from __future__ import annotations

import pytest
import yaml

from repurposekit import DataValidationError, RuleError
from repurposekit.clinic import Course, parse_event
from repurposekit.knowledge._clinical import (
    available,
    load_ctcae,
    load_monitoring,
    load_regimen,
    load_rules,
)


@pytest.fixture
def course():
    c = Course(patient="p", start="2026-01-05", simulated=True)
    c.record({"date": "2026-01-20", "category": "rash", "grade": 3})
    return c


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"date": "2026-01-25", "category": "skin", "grade": 3}, "category 'skin' is unknown"),
        ({"date": "2026-01-25", "category": "rash", "grade": 7}, "not a valid grade"),
        ({"date": "2026-01-25", "category": "rash", "grade": 5}, "grade 5"),
        ({"date": "2026-01-25", "category": "rash"}, "needs 'grade'"),
        ({"date": "2026-01-10", "category": "rash", "grade": 1}, "before the last recorded event"),
        (
            {"date": "2026-01-25", "type": "lab", "results": [{"test": "ALT", "value": 90}]},
            "has no ULN",
        ),
        ({"date": "2026-01-25", "test": "ALT", "value": 90, "uln": None}, "has no ULN"),
        (
            {"date": "2026-01-25", "category": "ocular", "finding": "pink eye"},
            "unknown ocular finding",
        ),
        ({"date": "2026-01-25", "category": "ocular"}, "needs 'finding'"),
        ({"category": "rash", "grade": 1}, "no 'date'"),
        ({"date": "25/01/2026", "category": "rash", "grade": 1}, "YYYY-MM-DD"),
        (
            {"date": "2026-01-25", "category": "rash", "grade": 1, "colour": "red"},
            "unknown adverse-event field",
        ),
        (
            {"date": "2026-01-25", "category": "rash", "grade": 2, "rhabdomyolysis": True},
            "does not apply",
        ),
        (
            {"date": "2026-01-25", "category": "rash", "grade": 2, "bilirubin_grade": 2},
            "only applies",
        ),
        (
            {"date": "2026-01-25", "category": "rash", "grade": 2, "intolerable": "yes"},
            "true or false",
        ),
        ({"date": "2026-01-25", "type": "scan"}, "type 'scan' is unknown"),
        (
            {
                "date": "2026-01-25",
                "type": "lab",
                "results": [
                    {"test": "ALT", "value": 90, "uln": 40},
                    {"test": "CPK", "value": 90, "uln": 200},
                ],
            },
            "two lab events",
        ),
        ({"date": "2026-01-25", "type": "lab", "results": []}, "non-empty list"),
        (
            {"date": "2026-01-25", "type": "lab", "results": [{"test": "ALT"}]},
            "needs 'test' and 'value'",
        ),
        (
            {
                "date": "2026-01-25",
                "type": "lab",
                "results": [{"test": "ALT", "value": "x", "uln": 40}],
            },
            "not a number",
        ),
        (
            {
                "date": "2026-01-25",
                "type": "lab",
                "results": [{"test": "ALT", "value": 1, "uln": 0}],
            },
            "uln must be > 0",
        ),
        ({"date": "2026-01-25", "category": "other", "term": 3, "grade": 3}, "'term' must be text"),
        ("rash 3", "must be a mapping"),
    ],
)
def test_bad_event_is_refused_and_course_unchanged(course, event, message):
    before_entries, before_state = course.entries, course.state
    with pytest.raises(DataValidationError, match=message):
        course.record(event, source="event.yaml")
    assert course.entries == before_entries
    assert course.state is before_state
    assert len(course) == 1


def test_event_before_start_and_round_trip(tmp_path, course):
    with pytest.raises(DataValidationError, match="before the start"):
        course.record({"date": "2025-12-01", "category": "rash", "grade": 1})
    course.record({"date": "2026-01-27", "category": "rash", "grade": 1})
    p = course.to_yaml(tmp_path / "c.yaml")
    with pytest.raises(DataValidationError, match="never overwritten"):
        course.to_yaml(p)
    again = Course.from_yaml(p)
    assert [d.to_dict()["action"] for d in again.decisions] == ["withhold", "resume_same"]
    assert again.simulated
    assert "SIMULATED" in repr(again)
    assert len(again.to_frame()) == 2
    assert list(again.episodes()["resolved"].astype(str)) == ["2026-01-27"]
    d = again.decisions[-1].to_dict()
    assert d["inputs"]["event"]["grade"] == 1
    assert d["rule"]["citation"].startswith("seed003")
    with pytest.raises(AttributeError):
        again.decisions[0].action = "continue"


def test_course_file_errors(tmp_path):
    with pytest.raises(DataValidationError, match="not found"):
        Course.from_yaml(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: [", encoding="utf-8")
    with pytest.raises(DataValidationError, match="not valid YAML"):
        Course.from_yaml(bad)
    bad.write_text(yaml.safe_dump({"patient": "x"}), encoding="utf-8")
    with pytest.raises(DataValidationError, match="missing 'start'"):
        Course.from_yaml(bad)
    bad.write_text(
        yaml.safe_dump(
            {
                "patient": "x",
                "start": "2026-01-05",
                "events": [{"date": "2026-01-06", "category": "rash", "grade": 9}],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError, match=r"bad.yaml, event 1"):
        Course.from_yaml(bad)
    with pytest.raises(DataValidationError, match="baseline grade"):
        Course(patient="x", start="2026-01-05", baseline_grades={"skin": 1})
    with pytest.raises(DataValidationError, match="has no ULN"):
        Course(patient="x", start="2026-01-05", baseline_labs=[{"test": "ALT", "value": 30}])


def test_parse_event_round_trips():
    rules = load_rules()
    e = parse_event(
        {"date": "2026-01-05", "category": "other", "term": "Diarrhoea", "grade": 3}, rules=rules
    )
    assert e.term == "diarrhoea"
    assert parse_event(e, rules=rules) == e


def test_builtin_knowledge_files_load():
    assert available("regimens") == ["defactinib-avutometinib"]
    reg = load_regimen()
    assert reg.agent("defactinib").level(-1).label == "200 mg once daily (QD)"
    assert reg.agent("avutometinib").level(-1).verified is False  # recalled from the label
    assert set(reg.to_frame()["cite"].str.len() > 0) == {True}
    table = load_rules()
    assert all(r.cite for r in table.rows)
    assert len(table.to_frame()) == len(table.rows) + 4
    assert load_ctcae("5.0").version == "5.0"
    assert [a.id for a in load_monitoring().assessments] == [
        "ophthalmic_exam",
        "liver_function_tests",
        "cpk",
    ]


def _site_copy(tmp_path, kind, edit):
    from repurposekit.knowledge._clinical import DATA_DIR

    src = next((DATA_DIR / kind).iterdir())
    text = src.read_text(encoding="utf-8")
    dst = tmp_path / src.name
    dst.write_text(edit(text), encoding="utf-8")
    return dst


def test_site_tables_load_and_bad_tables_are_named(tmp_path):
    ok = _site_copy(
        tmp_path, "rules", lambda t: t.replace('version: "seed003-2026.02"', 'version: "site-1"')
    )
    assert load_rules(ok).version == "site-1"
    overlap = _site_copy(
        tmp_path,
        "rules",
        lambda t: t.replace(
            "when: {grade: 4}\n    action: discontinue\n    cite: {source: seed003, where: \"table row 'Rash' 4\"}",
            "when: {grade: {min: 3}}\n    action: discontinue\n    cite: {source: seed003, where: \"table row 'Rash' 4\"}",
        ),
    )
    with pytest.raises(RuleError, match="both match"):
        load_rules(overlap)
    for old, new, message in [
        ("action: reduce", "action: shrink", "unknown action"),
        ("{grade: 2, intolerable: true}", "{grade: 2, itchy: true}", "unknown state key"),
        (
            "source: seed003, where: \"table row 'Rash' 4\"",
            "source: nowhere, where: x",
            "unknown source",
        ),
        ("finding: [corneal_perforation]", "finding: [corneal_hole]", "unknown finding"),
        ("schema: 1", "schema: 2", "schema"),
    ]:
        bad = _site_copy(tmp_path, "rules", lambda t, o=old, n=new: t.replace(o, n, 1))
        with pytest.raises(DataValidationError, match=message):
            load_rules(bad)
    bad_reg = _site_copy(
        tmp_path, "regimens", lambda t: t.replace('  vomiting = ["label2025"]\n', "", 1)
    )
    with pytest.raises(DataValidationError, match="no citation"):
        load_regimen(bad_reg)
    bad_reg = _site_copy(
        tmp_path, "regimens", lambda t: t.replace("dose_mg = 1.6", "dose_mg = 1.2", 1)
    )
    with pytest.raises(DataValidationError, match="units"):
        load_regimen(bad_reg)
    with pytest.raises(DataValidationError, match="no built-in regimens"):
        load_regimen("folfox")
    with pytest.raises(DataValidationError, match="not found"):
        load_rules(tmp_path / "missing.yaml")
