"""Property tests of the engine over random courses (hypothesis, deterministic profile)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from repurposekit.clinic import ACTIONS, Course
from repurposekit.knowledge._clinical import condition_matches, load_rules

RULES = load_rules()
FINDINGS = list(RULES.categories["ocular"].findings)

ae = st.one_of(
    st.builds(
        lambda g, i: {"category": "rash", "grade": g, "intolerable": i and g == 2},
        st.integers(0, 4),
        st.booleans(),
    ),
    st.builds(
        lambda g, r: {"category": "cpk", "grade": g, "rhabdomyolysis": r},
        st.integers(0, 4),
        st.booleans().map(lambda b: b and False),
    ),
    st.builds(
        lambda g, b: {"category": "hepatotoxicity", "grade": g, "bilirubin_grade": b},
        st.integers(0, 4),
        st.integers(0, 3),
    ),
    st.builds(
        lambda g, t: {"category": "other", "grade": g, "term": t},
        st.integers(0, 4),
        st.sampled_from(["diarrhoea", "fatigue"]),
    ),
    st.builds(lambda f: {"category": "ocular", "finding": f}, st.sampled_from(FINDINGS)),
    st.builds(
        lambda v: {"type": "lab", "results": [{"test": "CPK", "value": v, "uln": 200}]},
        st.integers(50, 2600),
    ),
)
courses = st.lists(st.tuples(st.integers(0, 9), ae), min_size=1, max_size=14)


def _run(steps):
    c = Course(patient="prop", start="2026-01-05")
    day = dt.date(2026, 1, 5)
    for gap, event in steps:
        day += dt.timedelta(days=gap)
        c.record({"date": day.isoformat(), **event})
    return c


@given(courses)
def test_no_dose_is_raised_after_a_grade3_event(steps):
    c = _run(steps)
    seen_g3 = False
    floor = {"defactinib": 0, "avutometinib": 0}
    for e in c.entries:
        d = e.decision
        for a, lv in d.dose_levels.items():
            assert lv <= d.previous_levels[a]  # never raised at all
            if seen_g3:
                assert lv <= floor[a]
        if e.observation.grade >= 3:
            seen_g3 = True
        floor = dict(d.dose_levels)


@given(courses)
def test_every_state_matches_one_rule_or_an_explicit_no_rule(steps):
    c = _run(steps)
    for e in c.entries:
        d = e.decision
        assert d.action in ACTIONS
        state = d.inputs["state_keys"]
        hits = RULES.match(e.observation.category, state)
        assert len(hits) <= 1
        rule = RULES.rule(d.rule_id)
        if d.action == "no_rule":
            assert d.rule_id == "general-no-rule"
            assert not hits
        if d.phase == "event":
            assert hits == [rule]
            assert condition_matches(rule.when, state)
        if c.entries[: e.index] and c.entries[e.index - 1].state.discontinued:
            assert d.rule_id == "general-already-discontinued"


@given(courses)
def test_a_discontinuation_is_final(steps):
    c = _run(steps)
    stopped = False
    for d in c.decisions:
        if stopped:
            assert d.status == "discontinued"
            assert d.action == "discontinue"
        stopped = stopped or d.status == "discontinued"
