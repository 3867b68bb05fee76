"""Events of a patient course: adverse-event observations and laboratory results.

Events are parsed from plain mappings (YAML/JSON) with every field checked, so that a bad
event is refused with a message naming where it came from and how to fix it, before anything
is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from repurposekit._exceptions import DataValidationError
from repurposekit.knowledge._clinical import RuleTable

__all__ = ["AdverseEvent", "LabResult", "LabValue", "parse_date", "parse_event"]


def parse_date(value: Any, *, where: str = "", name: str = "date") -> dt.date:
    """A ``datetime.date`` from a date, datetime or ISO string (``2026-01-05``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    msg = f"{where}{name} {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-01-05)."
    raise DataValidationError(msg)


@dataclass(frozen=True)
class AdverseEvent:
    """An observation of one adverse-event category on a date.

    ``grade`` is the CTCAE grade (0 = resolved / absent). Ocular observations give ``finding``
    (eye-exam findings) instead. For hepatotoxicity ``grade`` is the AST/ALT grade and
    ``bilirubin_grade`` the total-bilirubin grade. ``term`` names an "other" adverse reaction
    (recurrences are counted per term).
    """

    date: dt.date
    category: str
    grade: int | None = None
    finding: tuple[str, ...] = ()
    term: str | None = None
    intolerable: bool = False
    rhabdomyolysis: bool = False
    bilirubin_grade: int | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping that :func:`parse_event` reads back."""
        out: dict[str, Any] = {
            "date": self.date.isoformat(),
            "type": "ae",
            "category": self.category,
        }
        if self.grade is not None:
            out["grade"] = self.grade
        if self.finding:
            out["finding"] = list(self.finding)
        for k in ("term", "bilirubin_grade"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        for k in ("intolerable", "rhabdomyolysis"):
            if getattr(self, k):
                out[k] = True
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class LabValue:
    """One laboratory value with the ULN of the laboratory that measured it."""

    test: str
    value: float
    uln: float


@dataclass(frozen=True)
class LabResult:
    """Laboratory results drawn on one date (liver panel, or CPK)."""

    date: dt.date
    results: tuple[LabValue, ...]
    rhabdomyolysis: bool = False
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping that :func:`parse_event` reads back."""
        out: dict[str, Any] = {
            "date": self.date.isoformat(),
            "type": "lab",
            "results": [{"test": r.test, "value": r.value, "uln": r.uln} for r in self.results],
        }
        if self.rhabdomyolysis:
            out["rhabdomyolysis"] = True
        if self.note:
            out["note"] = self.note
        return out


_AE_KEYS = {
    "date",
    "type",
    "category",
    "grade",
    "finding",
    "term",
    "intolerable",
    "rhabdomyolysis",
    "bilirubin_grade",
    "note",
}
_LAB_KEYS = {"date", "type", "results", "test", "value", "uln", "rhabdomyolysis", "note"}


def _bool(d: Mapping[str, Any], key: str, where: str) -> bool:
    v = d.get(key, False)
    if not isinstance(v, bool):
        msg = f"{where}{key!r} must be true or false, got {v!r}."
        raise DataValidationError(msg)
    return v


def _int_grade(v: Any, allowed: tuple[int, ...], where: str, name: str = "grade") -> int:
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or v != int(v)
        or int(v) not in allowed
    ):
        msg = (
            f"{where}{name} {v!r} is not a valid grade; use one of {', '.join(map(str, allowed))}"
            " (CTCAE grade 5, death, ends the course and is not a dose decision)."
        )
        raise DataValidationError(msg)
    return int(v)


def _number(v: Any, where: str, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(v)
        except (TypeError, ValueError):
            msg = f"{where}{name} {v!r} is not a number."
            raise DataValidationError(msg) from None
    if not v >= 0:
        msg = f"{where}{name} must be a number >= 0, got {v!r}."
        raise DataValidationError(msg)
    return float(v)


def parse_event(
    event: Mapping[str, Any] | AdverseEvent | LabResult, *, rules: RuleTable, source: str = ""
) -> AdverseEvent | LabResult:
    """Check one event mapping and return an :class:`AdverseEvent` or :class:`LabResult`.

    Parameters
    ----------
    event : mapping
        ``{date, type: ae, category, grade | finding, [term], [intolerable], [rhabdomyolysis],
        [bilirubin_grade]}`` or ``{date, type: lab, results: [{test, value, uln}, ...]}``
        (a single ``test``/``value``/``uln`` is accepted too). ``type`` may be omitted.
    rules : RuleTable
        Defines the categories, grades and findings that are allowed.
    source : str
        Where the event came from (file, index), used in error messages.

    Returns
    -------
    AdverseEvent or LabResult

    Raises
    ------
    DataValidationError
        Unknown category, grade, finding or field; missing date or ULN; wrong types.
    """
    if isinstance(event, (AdverseEvent, LabResult)):
        event = event.to_dict()
    where = f"{source}: " if source else ""
    if not isinstance(event, Mapping):
        msg = f"{where}an event must be a mapping of fields, got {type(event).__name__}."
        raise DataValidationError(msg)
    kind = event.get("type") or ("lab" if ("results" in event or "test" in event) else "ae")
    if "date" not in event:
        msg = f"{where}the event has no 'date'; add date: YYYY-MM-DD."
        raise DataValidationError(msg)
    date = parse_date(event["date"], where=where)
    if kind == "lab":
        unknown = set(event) - _LAB_KEYS
        if unknown:
            msg = f"{where}unknown lab field(s) {sorted(unknown)}; allowed: {', '.join(sorted(_LAB_KEYS))}."
            raise DataValidationError(msg)
        raw = event.get("results")
        if raw is None:
            raw = [{k: event.get(k) for k in ("test", "value", "uln") if k in event}]
        if not isinstance(raw, list) or not raw:
            msg = f"{where}'results' must be a non-empty list of {{test, value, uln}}."
            raise DataValidationError(msg)
        values = []
        for i, r in enumerate(raw):
            w = f"{where}results[{i}]: " if len(raw) > 1 else where
            if not isinstance(r, Mapping) or "test" not in r or "value" not in r:
                msg = f"{w}each lab result needs 'test' and 'value' (and 'uln')."
                raise DataValidationError(msg)
            if r.get("uln") is None:
                msg = (
                    f"{w}{r['test']} value {r['value']!r} has no ULN; add uln: <upper limit of "
                    f"normal of the reporting laboratory>, same unit as the value."
                )
                raise DataValidationError(msg)
            uln = _number(r["uln"], w, "uln")
            if uln == 0:
                msg = f"{w}uln must be > 0."
                raise DataValidationError(msg)
            values.append(LabValue(str(r["test"]), _number(r["value"], w, "value"), uln))
        return LabResult(
            date=date,
            results=tuple(values),
            rhabdomyolysis=_bool(event, "rhabdomyolysis", where),
            note=str(event.get("note", "")),
        )
    if kind != "ae":
        msg = f"{where}event type {kind!r} is unknown; use 'ae' (adverse event) or 'lab'."
        raise DataValidationError(msg)
    unknown = set(event) - _AE_KEYS
    if unknown:
        msg = f"{where}unknown adverse-event field(s) {sorted(unknown)}; allowed: {', '.join(sorted(_AE_KEYS))}."
        raise DataValidationError(msg)
    cid = event.get("category")
    if cid not in rules.categories:
        msg = (
            f"{where}adverse-event category {cid!r} is unknown; use one of "
            f"{', '.join(rules.categories)} (rule table {rules.version})."
        )
        raise DataValidationError(msg)
    cat = rules.categories[cid]
    grade = None
    finding: tuple[str, ...] = ()
    if cat.measure == "finding":
        raw_f = event.get("finding")
        if raw_f is None:
            msg = f"{where}an {cid} observation needs 'finding' (one of {', '.join(cat.findings)})."
            raise DataValidationError(msg)
        finding = (raw_f,) if isinstance(raw_f, str) else tuple(raw_f)
        bad = [f for f in finding if f not in cat.findings]
        if bad or not finding:
            msg = (
                f"{where}unknown {cid} finding(s) {bad or raw_f!r}; use: {', '.join(cat.findings)}."
            )
            raise DataValidationError(msg)
        grade = cat.level_of(finding)
    else:
        if "grade" not in event:
            msg = f"{where}a {cid} observation needs 'grade' ({', '.join(map(str, cat.grades))})."
            raise DataValidationError(msg)
        grade = _int_grade(event["grade"], cat.grades, where)
    bili = None
    if "bilirubin_grade" in event:
        allowed = cat.modifiers.get("bilirubin_grade")
        if allowed is None:
            msg = f"{where}'bilirubin_grade' only applies to hepatotoxicity observations."
            raise DataValidationError(msg)
        bili = _int_grade(event["bilirubin_grade"], allowed, where, "bilirubin_grade")
    for flag in ("intolerable", "rhabdomyolysis"):
        if event.get(flag) and flag not in cat.flags:
            msg = f"{where}{flag!r} does not apply to {cid}; it is a flag of: " + ", ".join(
                c.id for c in rules.categories.values() if flag in c.flags
            )
            raise DataValidationError(msg)
    term = event.get("term")
    if term is not None and not isinstance(term, str):
        msg = f"{where}'term' must be text (the adverse reaction, e.g. 'diarrhoea')."
        raise DataValidationError(msg)
    return AdverseEvent(
        date=date,
        category=cid,
        grade=grade,
        finding=finding,
        term=term.strip().lower() if isinstance(term, str) else None,
        intolerable=_bool(event, "intolerable", where),
        rhabdomyolysis=_bool(event, "rhabdomyolysis", where),
        bilirubin_grade=bili,
        note=str(event.get("note", "")),
    )
