"""The dose-modification engine: one observation + the course state -> a Decision.

The engine is deliberately small: the protocol lives in the rule table (YAML data, see
``knowledge/data/rules/``); this module only computes the state of an observation, asks the
table which row matches, and applies the row's action to the dose levels and holds.

Order of evaluation for an observation of category *c* (key *k*: *c*, or ``other:<term>``):

1. treatment already permanently discontinued -> ``general-already-discontinued``;
2. a row of *c* matches the observation's state (at most one can: the loader checks this):
   if a hold for *k* is pending and the row is not more severe than the held row, keep
   withholding under the held row; otherwise apply the row (withhold / reduce / discontinue);
3. no row matches but *k* is withheld: if the held row's resume condition is met, resume
   (same or reduced dose), else keep withholding;
4. no row, nothing withheld: grade 0 -> ``general-no-adverse-event`` (continue), otherwise
   ``general-no-rule`` (no rule: consult the label; doses unchanged).

A reduction asked for when the targeted agents are all at their lowest level becomes
``general-reduction-impossible`` (permanent discontinuation). Dose levels are never raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from repurposekit._exceptions import DataValidationError
from repurposekit.knowledge._clinical import Regimen, Rule, RuleTable, condition_matches

__all__ = ["ACTIONS", "CourseState", "Decision", "Hold", "Observation", "evaluate", "initial_state"]

#: Decisions the engine can return.
ACTIONS = (
    "continue",
    "withhold",
    "resume_same",
    "resume_reduced",
    "reduce",
    "discontinue",
    "no_rule",
)


@dataclass(frozen=True)
class Observation:
    """The engine's view of one event: a category, a grade (or eye-finding level) and flags."""

    date: dt.date
    category: str
    key: str
    grade: int
    finding: tuple[str, ...] = ()
    intolerable: bool = False
    rhabdomyolysis: bool = False
    bilirubin_grade: int = 0
    description: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hold:
    """Treatment withheld for one adverse-event key until the rule's resume condition holds."""

    key: str
    category: str
    rule_id: str
    since: dt.date
    onset: dt.date
    recheck: dt.date | None


@dataclass(frozen=True)
class Episode:
    """A run of observations of one key above the category's resolved level."""

    onset: dt.date
    peak: int
    last: int
    open: bool
    counted: bool


@dataclass(frozen=True)
class CourseState:
    """Everything the rules may depend on, after the last recorded event."""

    levels: Mapping[str, int]
    holds: Mapping[str, Hold]
    discontinued: tuple[dt.date, str] | None
    episodes: Mapping[str, Episode]
    occurrences: Mapping[str, int]

    @property
    def status(self) -> str:
        """``"discontinued"``, ``"held"`` or ``"on"``."""
        if self.discontinued:
            return "discontinued"
        return "held" if self.holds else "on"

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (for the record of a decision's inputs)."""
        return {
            "status": self.status,
            "levels": dict(self.levels),
            "holds": {
                k: {
                    "rule": h.rule_id,
                    "since": h.since.isoformat(),
                    "onset": h.onset.isoformat(),
                    "recheck": h.recheck.isoformat() if h.recheck else None,
                }
                for k, h in self.holds.items()
            },
            "discontinued": None
            if self.discontinued is None
            else {"date": self.discontinued[0].isoformat(), "rule": self.discontinued[1]},
            "occurrences_grade3": dict(self.occurrences),
        }


def initial_state(regimen: Regimen) -> CourseState:
    """State at the start of treatment: every agent at its starting level, nothing withheld."""
    return CourseState(
        levels=MappingProxyType({a.id: 0 for a in regimen.agents}),
        holds=MappingProxyType({}),
        discontinued=None,
        episodes=MappingProxyType({}),
        occurrences=MappingProxyType({}),
    )


@dataclass(frozen=True, eq=False)
class Decision:
    """What to do after one observation, with the rule that fired and why.

    Attributes
    ----------
    date : datetime.date
        Date of the observation (the decision takes effect that day).
    action : str
        One of ``continue``, ``withhold``, ``resume_same``, ``resume_reduced``, ``reduce``,
        ``discontinue``, ``no_rule`` (no rule: consult the label; doses unchanged).
    status : str
        Treatment status after the decision: ``on``, ``held`` or ``discontinued``.
    dose_levels, previous_levels : mapping
        Dose level of each agent after / before the decision (0 starting, -1 reduced).
    doses : mapping
        Human-readable dose of each agent after the decision.
    resume_condition : str or None
        What must be true to restart, while withheld.
    recheck_date : datetime.date or None
        Date by which the resume condition must be checked (the CPK 3-week window).
    rule_id, rule_row, citation : str
        The rule that fired, its protocol row and its source.
    phase : str
        ``event`` (a row fired on this observation), ``hold`` (still withheld under an
        earlier row), ``resume`` (an earlier row's resume condition is met), ``escalation``
        (a reduction was impossible) or ``general``.
    trace : tuple of str
        Why, step by step.
    inputs : mapping
        The observation, its derived state and the course state before the decision.
    """

    date: dt.date
    category: str
    observation: str
    action: str
    status: str
    dose_levels: Mapping[str, int]
    previous_levels: Mapping[str, int]
    doses: Mapping[str, str]
    resume_condition: str | None
    recheck_date: dt.date | None
    rule_id: str
    rule_row: str
    citation: str
    phase: str
    trace: tuple[str, ...]
    inputs: Mapping[str, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: date, observation, action and rule."""
        doses = ", ".join(f"{a} {d}" for a, d in self.doses.items())
        return (
            f"{self.date}: {self.observation} -> {self.action.upper()} [{self.rule_id}] ({doses})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON."""
        return {
            "date": self.date.isoformat(),
            "category": self.category,
            "observation": self.observation,
            "action": self.action,
            "status": self.status,
            "dose_levels": dict(self.dose_levels),
            "previous_levels": dict(self.previous_levels),
            "doses": dict(self.doses),
            "resume_condition": self.resume_condition,
            "recheck_date": self.recheck_date.isoformat() if self.recheck_date else None,
            "rule": {
                "id": self.rule_id,
                "row": self.rule_row,
                "citation": self.citation,
                "phase": self.phase,
            },
            "trace": list(self.trace),
            "inputs": _plain(self.inputs),
            "settings": _plain(dict(self.settings)),
        }

    def to_frame(self) -> Any:
        """One-row DataFrame."""
        import pandas as pd

        d = self.to_dict()
        row = {k: d[k] for k in ("date", "category", "observation", "action", "status")}
        row.update({f"level_{a}": v for a, v in self.dose_levels.items()})
        row.update(
            rule=self.rule_id,
            phase=self.phase,
            resume_condition=self.resume_condition or "",
            recheck_date=d["recheck_date"] or "",
            citation=self.citation,
        )
        return pd.DataFrame([row])


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dt.date):
        return x.isoformat()
    return x


_SEVERITY = {"reduce": 1, "withhold:same": 2, "withhold:reduced": 3, "discontinue": 4}


def _severity(rule: Rule) -> int:
    if rule.action == "withhold" and rule.resume is not None:
        return _SEVERITY[f"withhold:{rule.resume.dose}"]
    return _SEVERITY.get(rule.action, 0)


def _observation_state(
    obs: Observation, state: CourseState, rules: RuleTable, regimen: Regimen
) -> tuple[dict[str, Any], Episode | None]:
    """State keys of ``obs`` (see ``STATE_KEYS``) and the episode after it."""
    cat = rules.categories[obs.category]
    ep = state.episodes.get(obs.key)
    held = obs.key in state.holds
    in_episode = ep is not None and (ep.open or held)
    above = obs.grade > cat.resolved_level
    if in_episode:
        onset = ep.onset  # type: ignore[union-attr]
        days = (obs.date - onset).days
    elif above:
        onset, days = obs.date, 0
    else:
        onset, days = obs.date, 0
    counted = bool(in_episode and ep.counted)  # type: ignore[union-attr]
    new_count = obs.grade >= 3 and not counted
    occurrence = state.occurrences.get(obs.key, 0) + (1 if new_count else 0)
    all_reduced = all(state.levels[a.id] <= a.lowest_level for a in regimen.agents)
    fields = {
        "grade": obs.grade,
        "occurrence": occurrence,
        "all_reduced": all_reduced,
        "held": held,
        "intolerable": obs.intolerable,
        "rhabdomyolysis": obs.rhabdomyolysis,
        "bilirubin_grade": obs.bilirubin_grade,
        "days_since_onset": days,
    }
    if cat.measure == "finding":
        fields["finding"] = (
            max(obs.finding, key=lambda f: cat.findings[f]) if obs.finding else "none"
        )
    episode = None
    if in_episode or above:
        episode = Episode(
            onset=onset,
            peak=max(obs.grade, ep.peak if in_episode else 0),  # type: ignore[union-attr]
            last=obs.grade,
            open=True,
            counted=counted or new_count,
        )
    return fields, episode


def _doses(regimen: Regimen, levels: Mapping[str, int], status: str) -> dict[str, str]:
    if status == "discontinued":
        return {a.id: "discontinued" for a in regimen.agents}
    out = {}
    for a in regimen.agents:
        label = a.level(levels[a.id]).label
        out[a.id] = f"withheld (then {label})" if status == "held" else label
    return out


def evaluate(
    state: CourseState,
    obs: Observation,
    *,
    rules: RuleTable,
    regimen: Regimen,
    baseline_grades: Mapping[str, int] | None = None,
) -> tuple[Decision, CourseState]:
    """Decide on one observation; return the decision and the new course state.

    Pure function: ``state`` is not modified.

    Parameters
    ----------
    state : CourseState
        State after the previous events (:func:`initial_state` for a new course).
    obs : Observation
        The new observation (built by :class:`repurposekit.clinic.Course` from an event).
    rules : RuleTable
        Dose-modification table.
    regimen : Regimen
        Provides the agents and their dose ladders.
    baseline_grades : mapping, optional
        Pre-treatment grade per category (for "resolved to grade <= 1 or baseline").

    Returns
    -------
    (Decision, CourseState)
    """
    if obs.category not in rules.categories:
        msg = f"category {obs.category!r} is not in rule table {rules.version}."
        raise DataValidationError(msg)
    baseline_grades = baseline_grades or {}
    fields, episode = _observation_state(obs, state, rules, regimen)
    levels = dict(state.levels)
    holds = dict(state.holds)
    episodes = dict(state.episodes)
    occurrences = dict(state.occurrences)
    discontinued = state.discontinued
    trace: list[str] = [f"observation: {obs.description}", *obs.notes]
    trace.append(
        "state: "
        + ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("intolerable",) or v)
    )
    phase = "event"
    resume_condition: str | None = None
    recheck: dt.date | None = None
    other_holds = sorted(k for k in holds if k != obs.key)

    def reduce(rule: Rule) -> Rule:
        """Lower the targeted agents one level; escalate when none can be lowered."""
        nonlocal phase
        targets = rule.agents or tuple(a.id for a in regimen.agents)
        lowerable = [a for a in targets if levels[a] > regimen.agent(a).lowest_level]
        floor = [a for a in targets if a not in lowerable]
        if not lowerable:
            trace.append(
                f"{rule.id} asks for a reduced dose but {', '.join(targets)} "
                f"{'is' if len(targets) == 1 else 'are'} already at the lowest level"
            )
            phase = "escalation"
            return rules.general["general-reduction-impossible"]
        for a in lowerable:
            old = regimen.agent(a).level(levels[a]).label
            levels[a] -= 1
            trace.append(f"{a}: {old} -> {regimen.agent(a).level(levels[a]).label}")
        if floor:
            trace.append(f"already at the lowest level, unchanged: {', '.join(floor)}")
        return rule

    if obs.grade >= 3 and fields["occurrence"] > state.occurrences.get(obs.key, 0):
        occurrences[obs.key] = fields["occurrence"]
        trace.append(f"grade >= 3 occurrence number {fields['occurrence']} of {obs.key}")

    if discontinued is not None:
        fired = rules.general["general-already-discontinued"]
        phase = "general"
        trace.append(
            f"treatment was permanently discontinued on {discontinued[0]} ({discontinued[1]})"
        )
        action = "discontinue"
    else:
        hits = rules.match(obs.category, fields)
        pending = holds.get(obs.key)
        pending_rule = rules.rule(pending.rule_id) if pending else None
        if hits:
            row = hits[0]
            trace.append(f"row matched: {row.id} ({row.row})")
        if hits and pending_rule is not None and _severity(hits[0]) <= _severity(pending_rule):
            fired, phase, action = pending_rule, "hold", "withhold"
            trace.append(
                f"already withheld since {pending.since} under {pending_rule.id}; "  # type: ignore[union-attr]
                f"{hits[0].id} is not more severe, so the earlier row still governs"
            )
            resume_condition = pending_rule.resume.condition if pending_rule.resume else None
            recheck = pending.recheck  # type: ignore[union-attr]
        elif hits:
            fired = hits[0]
            if fired.action == "discontinue":
                action = "discontinue"
            elif fired.action == "reduce":
                fired = reduce(fired)
                action = "discontinue" if fired.action == "discontinue" else "reduce"
            elif (
                fired.resume is not None
                and fired.resume.dose == "reduced"
                and not any(
                    levels[a] > regimen.agent(a).lowest_level
                    for a in (fired.agents or tuple(x.id for x in regimen.agents))
                )
            ):
                trace.append(
                    f"{fired.id} would resume at a reduced dose, but the agents are already at "
                    "their lowest level"
                )
                fired, phase, action = (
                    rules.general["general-reduction-impossible"],
                    "escalation",
                    "discontinue",
                )
            else:  # withhold
                action = "withhold"
                assert fired.resume is not None  # guaranteed by the loader
                onset = episode.onset if episode else obs.date
                within = fired.resume.within_days
                recheck = onset + dt.timedelta(days=within) if within else None
                since = pending.since if pending else obs.date
                if pending_rule is not None:
                    trace.append(f"replaces the hold under {pending_rule.id} (more severe)")
                holds[obs.key] = Hold(obs.key, obs.category, fired.id, since, onset, recheck)
                resume_condition = fired.resume.condition
                trace.append(
                    f"withhold until: {fired.resume.condition}; then resume at the "
                    f"{fired.resume.dose} dose"
                    + (
                        f"; re-check by {recheck} (day {within} after onset {onset})"
                        if recheck
                        else ""
                    )
                )
        elif pending_rule is not None:
            assert pending_rule.resume is not None  # guaranteed by the loader
            assert pending is not None
            rs = pending_rule.resume
            met = condition_matches(rs.when, fields)
            base = baseline_grades.get(obs.key, baseline_grades.get(obs.category, 0))
            if not met and rs.or_baseline and obs.grade <= base:
                met = True
                trace.append(f"back to baseline (baseline grade {base})")
            fired = pending_rule
            if met:
                phase = "resume"
                trace.append(f"resume condition of {pending_rule.id} met: {rs.condition}")
                del holds[obs.key]
                if rs.dose == "reduced":
                    fired = reduce(pending_rule)
                if fired.action == "discontinue":
                    action = "discontinue"
                elif holds:
                    action = "withhold"
                    trace.append(f"still withheld for: {', '.join(sorted(holds))}")
                else:
                    action = f"resume_{rs.dose}"
            else:
                phase, action = "hold", "withhold"
                resume_condition, recheck = rs.condition, pending.recheck
                trace.append(f"resume condition not met ({rs.condition}); keep withholding")
        else:
            phase = "general"
            if obs.grade == 0 and obs.bilirubin_grade == 0:
                fired, action = rules.general["general-no-adverse-event"], "continue"
            else:
                fired, action = rules.general["general-no-rule"], "no_rule"
                trace.append("no row of the table covers this observation: consult the label")
            if other_holds:
                trace.append(f"treatment remains withheld for: {', '.join(other_holds)}")
        if action == "discontinue":
            discontinued = (obs.date, fired.id)
            holds.clear()
            resume_condition = recheck = None
            trace.append("permanently discontinue both agents")

    # the episode closes when the observation is at or below the resolved level and the key is
    # no longer withheld
    if episode is not None:
        closes = obs.grade <= rules.categories[obs.category].resolved_level and obs.key not in holds
        episodes[obs.key] = replace(episode, open=not closes)
    new_state = CourseState(
        levels=MappingProxyType(levels),
        holds=MappingProxyType(holds),
        discontinued=discontinued,
        episodes=MappingProxyType(episodes),
        occurrences=MappingProxyType(occurrences),
    )
    for a in regimen.agents:  # the engine's invariant: a dose level is never raised
        if levels[a.id] > state.levels[a.id]:  # pragma: no cover - defensive
            msg = f"engine error: {a.id} level raised by {fired.id}"
            raise AssertionError(msg)
    decision = Decision(
        date=obs.date,
        category=obs.category,
        observation=obs.description,
        action=action,
        status=new_state.status,
        dose_levels=MappingProxyType(dict(levels)),
        previous_levels=MappingProxyType(dict(state.levels)),
        doses=MappingProxyType(_doses(regimen, levels, new_state.status)),
        resume_condition=resume_condition,
        recheck_date=recheck,
        rule_id=fired.id,
        rule_row=fired.row,
        citation=f"{fired.cite} [{fired.citation}]",
        phase=phase,
        trace=tuple(trace),
        inputs=MappingProxyType(
            {
                "observation": {
                    "date": obs.date.isoformat(),
                    "category": obs.category,
                    "key": obs.key,
                    "grade": obs.grade,
                    "finding": list(obs.finding),
                    "intolerable": obs.intolerable,
                    "rhabdomyolysis": obs.rhabdomyolysis,
                    "bilirubin_grade": obs.bilirubin_grade,
                },
                "state_keys": fields,
                "course_before": state.to_dict(),
            }
        ),
        settings=MappingProxyType(
            {"rule_table": rules.table, "rule_version": rules.version, "regimen": regimen.id}
        ),
    )
    return decision, new_state
