"""A patient's course: an append-only record of events, each with the decision it produced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from repurposekit._exceptions import DataValidationError
from repurposekit.clinic._calendar import RegimenCalendar, regimen_calendar
from repurposekit.clinic._engine import CourseState, Decision, Observation, evaluate, initial_state
from repurposekit.clinic._events import AdverseEvent, LabResult, parse_date, parse_event
from repurposekit.clinic._grading import LabGrade, grade_lab
from repurposekit.knowledge._clinical import Regimen, RuleTable, load_regimen, load_rules

__all__ = ["Course", "Entry"]


@dataclass(frozen=True, eq=False)
class Entry:
    """One recorded event with the observation derived from it and the decision it produced."""

    index: int
    event: AdverseEvent | LabResult
    observation: Observation
    decision: Decision
    state: CourseState
    lab_grades: tuple[LabGrade, ...] = ()


class Course:
    """A patient's treatment course under a regimen and a dose-modification table.

    The course is append-only: :meth:`record` validates a new event completely, evaluates it
    against the rule table and only then appends it with its :class:`Decision`. An invalid
    event raises :class:`~repurposekit.DataValidationError` and leaves the course unchanged;
    there is no method to edit or remove an entry.

    Parameters
    ----------
    patient : str
        Patient label (use a pseudonym).
    start : date or str
        Cycle 1 day 1.
    regimen : str, Path or Regimen
        Regimen id or file (default ``defactinib-avutometinib``).
    rules : str, Path or RuleTable, optional
        Dose-modification table (default: the regimen's built-in table).
    ctcae_version : str
        CTCAE version (or YAML path) used to grade laboratory values.
    baseline_labs : sequence of mapping, optional
        Pre-treatment values ``{test, value, uln}`` (for the CTCAE baseline-abnormal rule).
    baseline_grades : mapping, optional
        Pre-treatment grade per category (for "resolved to grade <= 1 or baseline").
    simulated : bool
        Mark a course that is simulated (demo data).

    Examples
    --------
    >>> c = Course(patient="SIM-1", start="2026-01-05", simulated=True)
    >>> d = c.record({"date": "2026-01-19", "category": "rash", "grade": 3})
    >>> d.action, d.rule_id, d.resume_condition
    ('withhold', 'rash-g3-first', 'rash grade <= 1 or back to baseline')
    >>> c.record({"date": "2026-01-26", "category": "rash", "grade": 1}).action
    'resume_same'
    """

    def __init__(
        self,
        *,
        patient: str,
        start: dt.date | str,
        regimen: str | Path | Regimen = "defactinib-avutometinib",
        rules: str | Path | RuleTable | None = None,
        ctcae_version: str = "5.0",
        baseline_labs: Sequence[Mapping[str, Any]] = (),
        baseline_grades: Mapping[str, int] | None = None,
        simulated: bool = False,
        source: str = "",
    ) -> None:
        self._regimen = regimen if isinstance(regimen, Regimen) else load_regimen(regimen)
        if rules is None:
            rules = self._regimen.id
        self._rules = rules if isinstance(rules, RuleTable) else load_rules(rules)
        if self._rules.regimen != self._regimen.id:
            msg = (
                f"rule table {self._rules.table} is for regimen {self._rules.regimen!r}, not "
                f"{self._regimen.id!r}; load the matching table."
            )
            raise DataValidationError(msg)
        self._where = f"{source}: " if source else ""
        self.patient = str(patient)
        self.start = parse_date(start, where=self._where, name="start")
        self.ctcae_version = str(ctcae_version)
        self.simulated = bool(simulated)
        self._source = source
        self._baseline: dict[str, LabGrade] = {}
        for i, b in enumerate(baseline_labs):
            w = f"{self._where}baseline.labs[{i}]"
            if not isinstance(b, Mapping) or "test" not in b or "value" not in b:
                msg = f"{w}: each baseline lab needs test, value and uln."
                raise DataValidationError(msg)
            g = grade_lab(
                b["test"], b["value"], uln=b.get("uln"), ctcae_version=self.ctcae_version, source=w
            )
            self._baseline[g.test] = g
        self._baseline_grades = dict(baseline_grades or {})
        for k, v in self._baseline_grades.items():
            cat = k.split(":")[0]
            if cat not in self._rules.categories or not isinstance(v, int) or v not in range(5):
                msg = f"{self._where}baseline grade {k}: {v!r} is invalid; use a category and a grade 0-4."
                raise DataValidationError(msg)
        self._state = initial_state(self._regimen)
        self._entries: list[Entry] = []

    # ------------------------------------------------------------------ read-only views
    @property
    def regimen(self) -> Regimen:
        """The regimen."""
        return self._regimen

    @property
    def rules(self) -> RuleTable:
        """The dose-modification table."""
        return self._rules

    @property
    def state(self) -> CourseState:
        """State after the last recorded event (immutable)."""
        return self._state

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Recorded entries, in order."""
        return tuple(self._entries)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Decisions, in order."""
        return tuple(e.decision for e in self._entries)

    @property
    def status(self) -> str:
        """``on``, ``held`` or ``discontinued``."""
        return self._state.status

    @property
    def dose_levels(self) -> Mapping[str, int]:
        """Current dose level per agent."""
        return self._state.levels

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        sim = ", SIMULATED" if self.simulated else ""
        return f"Course(patient={self.patient!r}, start={self.start}, entries={len(self)}, status={self.status}{sim})"

    # ------------------------------------------------------------------ recording
    def _observations(
        self, event: AdverseEvent | LabResult, where: str
    ) -> tuple[Observation, tuple[LabGrade, ...]]:
        if isinstance(event, AdverseEvent):
            cat = self._rules.categories[event.category]
            key = event.category
            if cat.keyed_by == "term":
                key = f"{event.category}:{event.term or 'unspecified'}"
            if cat.measure == "finding":
                desc = f"{event.category}: {', '.join(event.finding)}"
            else:
                desc = f"{event.category}{f' ({event.term})' if event.term else ''} grade {event.grade}"
            if event.intolerable:
                desc += " (intolerable)"
            if event.bilirubin_grade is not None:
                desc += f", bilirubin grade {event.bilirubin_grade}"
            if event.rhabdomyolysis:
                desc += " with rhabdomyolysis"
            return (
                Observation(
                    date=event.date,
                    category=event.category,
                    key=key,
                    grade=int(event.grade or 0),
                    finding=event.finding,
                    intolerable=event.intolerable,
                    rhabdomyolysis=event.rhabdomyolysis,
                    bilirubin_grade=int(event.bilirubin_grade or 0),
                    description=desc,
                ),
                (),
            )
        grades = []
        for i, r in enumerate(event.results):
            w = f"{where}results[{i}]" if len(event.results) > 1 else where.rstrip(": ")
            base = self._baseline.get(r.test.upper())
            g = grade_lab(
                r.test,
                r.value,
                uln=r.uln,
                baseline=None if base is None else base.value,
                ctcae_version=self.ctcae_version,
                source=w,
            )
            grades.append(g)
        cats = {g.category for g in grades}
        if len(cats) > 1:
            msg = (
                f"{where}one lab event mixes {sorted(cats)} tests; record the liver panel and "
                f"CPK as two lab events (the same date is fine)."
            )
            raise DataValidationError(msg)
        (cat,) = cats
        if cat not in self._rules.categories:
            msg = f"{where}lab category {cat!r} is not in rule table {self._rules.version}."
            raise DataValidationError(msg)
        notes: list[str] = [f"CTCAE: {g.summary()}" for g in grades]
        if cat == "cpk":
            grade = max(g.grade for g in grades)
            desc = "CPK " + ", ".join(f"{g.value:g} (grade {g.grade})" for g in grades)
            if event.rhabdomyolysis:
                desc += " with rhabdomyolysis"
            obs = Observation(
                date=event.date,
                category=cat,
                key=cat,
                grade=grade,
                rhabdomyolysis=event.rhabdomyolysis,
                description=desc,
                notes=tuple(notes),
            )
            return obs, tuple(grades)
        # hepatotoxicity: AST/ALT grade with the bilirubin grade as modifier; a test not in
        # this panel is taken from an earlier lab of the same date
        same_day = [g for e in self._entries if e.event.date == event.date for g in e.lab_grades]
        ast_alt = [g for g in grades if g.role == "ast_alt"]
        bili = [g for g in grades if g.role == "bilirubin"]
        if not ast_alt:
            ast_alt = [g for g in same_day if g.role == "ast_alt"]
            if ast_alt:
                notes.append("AST/ALT taken from an earlier result of the same date")
            else:
                notes.append("AST/ALT not measured on this date: AST/ALT grade taken as 0")
        if not bili:
            bili = [g for g in same_day if g.role == "bilirubin"]
            if bili:
                notes.append("total bilirubin taken from an earlier result of the same date")
            else:
                notes.append(
                    "total bilirubin not measured on this date: taken as grade 0 "
                    "(measure it: grade >= 2 with grade >= 3 AST/ALT means discontinuation)"
                )
        grade = max((g.grade for g in ast_alt), default=0)
        bgrade = max((g.grade for g in bili), default=0)
        desc = ", ".join(f"{g.test} {g.value:g} (grade {g.grade})" for g in grades)
        obs = Observation(
            date=event.date,
            category=cat,
            key=cat,
            grade=grade,
            bilirubin_grade=bgrade,
            description=f"liver tests: {desc} -> AST/ALT grade {grade}, bilirubin grade {bgrade}",
            notes=tuple(notes),
        )
        return obs, tuple(grades)

    def record(
        self, event: Mapping[str, Any] | AdverseEvent | LabResult, *, source: str = ""
    ) -> Decision:
        """Validate ``event``, decide, append, and return the :class:`Decision`.

        Parameters
        ----------
        event : mapping, AdverseEvent or LabResult
            See :func:`repurposekit.clinic.parse_event` for the fields.
        source : str
            Where the event came from (used in error messages).

        Raises
        ------
        DataValidationError
            The event is invalid or dated before the last recorded event or the start; the
            course is left unchanged.
        """
        where = f"{source}: " if source else self._where
        parsed = parse_event(event, rules=self._rules, source=source or self._source)
        if parsed.date < self.start:
            msg = (
                f"{where}event date {parsed.date} is before the start of treatment "
                f"({self.start}); fix the date."
            )
            raise DataValidationError(msg)
        if self._entries and parsed.date < self._entries[-1].event.date:
            msg = (
                f"{where}event date {parsed.date} is before the last recorded event "
                f"({self._entries[-1].event.date}); the course is append-only, record events in "
                f"date order."
            )
            raise DataValidationError(msg)
        obs, lab_grades = self._observations(parsed, where)
        decision, new_state = evaluate(
            self._state,
            obs,
            rules=self._rules,
            regimen=self._regimen,
            baseline_grades=self._baseline_grades,
        )
        inputs = dict(decision.inputs)
        inputs["event"] = parsed.to_dict()
        inputs["event_index"] = len(self._entries)
        inputs["patient"] = self.patient
        object.__setattr__(decision, "inputs", MappingProxyType(inputs))
        self._entries.append(
            Entry(len(self._entries), parsed, obs, decision, new_state, lab_grades)
        )
        self._state = new_state
        return decision

    def record_all(
        self, events: Iterable[Mapping[str, Any]], *, source: str = ""
    ) -> list[Decision]:
        """Record several events in order (stops at the first invalid one, keeping the others)."""
        out = []
        for i, e in enumerate(events):
            out.append(
                self.record(e, source=f"{source}event {i + 1}" if source else f"event {i + 1}")
            )
        return out

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """One row per decision."""
        if not self._entries:
            return pd.DataFrame(
                columns=["index", "date", "category", "observation", "action", "status", "rule"]
            )
        frames = [e.decision.to_frame().assign(index=e.index) for e in self._entries]
        out = pd.concat(frames, ignore_index=True)
        return out[["index", *[c for c in out.columns if c != "index"]]]

    def labs(self) -> pd.DataFrame:
        """Every laboratory value with its CTCAE grade."""
        rows = [
            {
                "date": e.event.date,
                "test": g.test,
                "value": g.value,
                "uln": g.uln,
                "ratio": g.ratio,
                "reference": g.reference,
                "grade": g.grade,
            }
            for e in self._entries
            for g in e.lab_grades
        ]
        return pd.DataFrame(
            rows, columns=["date", "test", "value", "uln", "ratio", "reference", "grade"]
        )

    def episodes(self) -> pd.DataFrame:
        """Adverse-event episodes: key, onset, peak grade, resolution date (None if ongoing).

        An episode starts at the first observation above the category's resolved level and
        ends at the first observation at or below it when nothing is withheld for it.
        """
        rows: list[dict[str, Any]] = []
        open_: dict[str, dict[str, Any]] = {}
        for e in self._entries:
            o = e.observation
            resolved = self._rules.categories[o.category].resolved_level
            cur = open_.get(o.key)
            if o.grade > resolved and cur is None:
                cur = {"key": o.key, "category": o.category, "onset": o.date, "peak_grade": o.grade}
                cur["resolved"] = None
                open_[o.key] = cur
                rows.append(cur)
            elif cur is not None:
                cur["peak_grade"] = max(cur["peak_grade"], o.grade)
                if o.grade <= resolved and o.key not in e.state.holds:
                    cur["resolved"] = o.date
                    del open_[o.key]
        return pd.DataFrame(rows, columns=["key", "category", "onset", "peak_grade", "resolved"])

    def timeline(self) -> list[tuple[dt.date, Mapping[str, int], str]]:
        """Dose levels and status effective from each decision date."""
        return [(d.date, dict(d.dose_levels), d.status) for d in self.decisions]

    def calendar(self, *, cycles: int | None = None) -> RegimenCalendar:
        """Per-day doses with this patient's dose levels and holds applied."""
        if cycles is None:
            last = self._entries[-1].event.date if self._entries else self.start
            cycles = (last - self.start).days // self._regimen.cycle_length_days + 1
        return regimen_calendar(
            self._regimen,
            start=self.start,
            cycles=cycles,
            changes=self.timeline(),
            patient=self.patient,
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Decision timeline (see :func:`repurposekit.plot.clinic.decision_timeline`)."""

        from repurposekit.plot import clinic as plot  # lazy: keeps matplotlib out

        return plot.decision_timeline(self, ax=ax, **kwargs)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """Plain mapping: header, baseline, events and the decisions with their inputs."""
        return {
            "patient": self.patient,
            "simulated": self.simulated,
            "regimen": self._regimen.id,
            "rules": self._rules.table,
            "rule_version": self._rules.version,
            "ctcae_version": self.ctcae_version,
            "start": self.start.isoformat(),
            "baseline": {
                "labs": [
                    {"test": g.test, "value": g.value, "uln": g.uln}
                    for g in self._baseline.values()
                ],
                "grades": dict(self._baseline_grades),
            },
            "events": [e.event.to_dict() for e in self._entries],
            "decisions": [e.decision.to_dict() for e in self._entries],
        }

    def to_yaml(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as YAML to a NEW file (refuses to overwrite)."""
        p = Path(path)
        if p.exists():
            msg = f"{p}: already exists; the course record is never overwritten, choose a new file name."
            raise DataValidationError(msg)
        p.write_text(
            yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        return p

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> Course:
        """Rebuild a course by replaying its events (recorded decisions are re-derived)."""
        where = f"{source}: " if source else ""
        if not isinstance(data, Mapping):
            msg = f"{where}a course file must be a mapping with patient, start and events."
            raise DataValidationError(msg)
        for key in ("patient", "start"):
            if key not in data:
                msg = f"{where}missing {key!r}; a course needs patient, start and events."
                raise DataValidationError(msg)
        rules = data.get("rules")
        if isinstance(rules, str) and source and rules.endswith((".yaml", ".yml")):
            rules = str(Path(source).parent / rules)
        baseline = data.get("baseline") or {}
        course = cls(
            patient=data["patient"],
            start=data["start"],
            regimen=data.get("regimen", "defactinib-avutometinib"),
            rules=None
            if rules in (None, "defactinib-avutometinib-ae-dose-modification")
            else rules,
            ctcae_version=str(data.get("ctcae_version", "5.0")),
            baseline_labs=baseline.get("labs") or (),
            baseline_grades=baseline.get("grades") or None,
            simulated=bool(data.get("simulated", False)),
            source=source,
        )
        events = data.get("events") or []
        if not isinstance(events, list):
            msg = f"{where}'events' must be a list."
            raise DataValidationError(msg)
        for i, e in enumerate(events):
            course.record(e, source=f"{source or 'course'}, event {i + 1}")
        return course

    @classmethod
    def from_yaml(cls, path: str | Path) -> Course:
        """Read a course YAML file (see :meth:`to_dict` for the layout)."""
        p = Path(path)
        if not p.is_file():
            msg = f"{p}: course file not found."
            raise DataValidationError(msg)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            msg = f"{p}: not valid YAML ({exc})."
            raise DataValidationError(msg) from None
        return cls.from_dict(data, source=str(p))
