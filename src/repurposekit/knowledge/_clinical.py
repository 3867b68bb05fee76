"""Clinical knowledge files: regimens, dose-modification rules, CTCAE grading, monitoring.

The files live in ``knowledge/data/{regimens,rules,ctcae,monitoring}/`` and are plain TOML or
YAML so that a clinician can read them and a site can keep its own version. Every loader takes
either a built-in name (``"defactinib-avutometinib"``, CTCAE ``"5.0"``) or a path to a file,
validates the whole file and returns frozen objects. A malformed file raises
:class:`~repurposekit.DataValidationError` naming the file, the entry and the fix; a rule table
whose rows overlap raises :class:`~repurposekit.RuleError`.

Examples
--------
>>> regimen = load_regimen("defactinib-avutometinib")
>>> regimen.agent("defactinib").level(-1).label
'200 mg once daily (QD)'
>>> rules = load_rules("defactinib-avutometinib")
>>> rules.rule("cpk-g4").resume.dose
'reduced'
>>> load_ctcae("5.0").test("alt").term
'Alanine aminotransferase increased'
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomllib
import yaml

from repurposekit._exceptions import DataValidationError, RuleError

__all__ = [
    "STATE_KEYS",
    "Agent",
    "Assessment",
    "Band",
    "CTCAETable",
    "Category",
    "DoseLevel",
    "LabTest",
    "MonitoringPlan",
    "Regimen",
    "Resume",
    "Rule",
    "RuleTable",
    "SupportiveCare",
    "available",
    "condition_matches",
    "load_ctcae",
    "load_monitoring",
    "load_regimen",
    "load_rules",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Keys a rule condition may test, with their type ("int", "bool" or "finding").
STATE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "grade": "int",
        "finding": "finding",
        "occurrence": "int",
        "all_reduced": "bool",
        "held": "bool",
        "intolerable": "bool",
        "rhabdomyolysis": "bool",
        "bilirubin_grade": "int",
        "days_since_onset": "int",
    }
)
ACTIONS = ("continue", "withhold", "reduce", "discontinue", "no_rule")
_KINDS = {"regimens": (".toml",), "rules": (".yaml", ".yml"), "ctcae": (".yaml", ".yml")}
_KINDS["monitoring"] = (".yaml", ".yml")


# ----------------------------------------------------------------------------- file access
def available(kind: str) -> list[str]:
    """Built-in names of one kind of file (``regimens``, ``rules``, ``ctcae``, ``monitoring``).

    Examples
    --------
    >>> available("ctcae")
    ['5.0']
    """
    if kind not in _KINDS:
        msg = f"unknown knowledge kind {kind!r}; use one of {', '.join(sorted(_KINDS))}."
        raise DataValidationError(msg)
    names = []
    for p in sorted((DATA_DIR / kind).iterdir()):
        if p.suffix in _KINDS[kind]:
            names.append(p.stem.removeprefix("v") if kind == "ctcae" else p.stem)
    return names


def _resolve(kind: str, name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if isinstance(name_or_path, Path) or p.suffix in _KINDS[kind] or len(p.parts) > 1:
        if not p.is_file():
            msg = f"{p}: {kind} file not found. Check the path, or use a built-in name: {', '.join(available(kind))}."
            raise DataValidationError(msg)
        return p
    stem = f"v{name_or_path}" if kind == "ctcae" else str(name_or_path)
    for ext in _KINDS[kind]:
        candidate = DATA_DIR / kind / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    msg = (
        f"no built-in {kind} entry {str(name_or_path)!r}; available: "
        f"{', '.join(available(kind))} (or pass the path of your own file)."
    )
    raise DataValidationError(msg)


def _cached(kind: str) -> Any:
    """Cache a loader's result per (file, modification time); the results are immutable."""

    def deco(func: Any) -> Any:
        @functools.lru_cache(maxsize=32)
        def by_file(path_str: str, mtime_ns: int) -> Any:
            return func(Path(path_str))

        default = inspect.signature(func).parameters["name_or_path"].default

        @functools.wraps(func)
        def wrapper(name_or_path: str | Path = default) -> Any:
            path = _resolve(kind, name_or_path)
            return by_file(str(path.resolve()), path.stat().st_mtime_ns)

        return wrapper

    return deco


def _read(path: Path) -> dict[str, Any]:
    import copy

    return copy.deepcopy(_read_cached(str(path.resolve()), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _read_cached(path_str: str, mtime_ns: int) -> dict[str, Any]:
    path = Path(path_str)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        msg = f"{path}: cannot be parsed ({exc}). Fix the syntax."
        raise DataValidationError(msg) from None
    if not isinstance(data, dict):
        msg = f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}."
        raise DataValidationError(msg)
    if data.get("schema") != 1:
        msg = f"{path}: 'schema' must be 1 (got {data.get('schema')!r}); this RepurposeKit reads schema 1."
        raise DataValidationError(msg)
    return data


def _need(d: Mapping[str, Any], key: str, where: str, typ: type | tuple[type, ...] = object) -> Any:
    if not isinstance(d, Mapping) or key not in d:
        msg = f"{where}: missing required key {key!r}."
        raise DataValidationError(msg)
    value = d[key]
    if not isinstance(value, typ) or (
        isinstance(value, bool) and typ in (int, float, (int, float))
    ):
        name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        msg = f"{where}: {key!r} must be {name}, got {value!r}."
        raise DataValidationError(msg)
    return value


def _cites(value: Any, sources: Mapping[str, str], where: str) -> tuple[str, ...]:
    refs = [value] if isinstance(value, str) else value
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        msg = f"{where}: a citation must be a source key or a non-empty list of keys."
        raise DataValidationError(msg)
    unknown = [r for r in refs if r not in sources]
    if unknown:
        msg = f"{where}: cites unknown source(s) {unknown}; add them to 'sources' ({', '.join(sources)})."
        raise DataValidationError(msg)
    return tuple(refs)


# ----------------------------------------------------------------------------- regimens
@dataclass(frozen=True)
class DoseLevel:
    """One rung of an agent's dose ladder (0 = starting, -1 = first reduction …)."""

    level: int
    name: str
    dose_mg: float
    units_per_administration: int
    administrations_per_day: int
    frequency: str
    cite: tuple[str, ...]
    verified: bool

    @property
    def label(self) -> str:
        """Human-readable dose, e.g. ``'200 mg twice daily (BID)'``."""
        return f"{self.dose_mg:g} mg {self.frequency}"


@dataclass(frozen=True)
class Agent:
    """One drug of a regimen: schedule inside the cycle, dose ladder, supply, instructions."""

    id: str
    display: str
    form: str
    unit_strength_mg: float
    schedule: str
    on_days: tuple[int, int]
    week_days: tuple[int, ...]
    supply_per_cycle: int
    administration: str
    missed_dose: str
    vomiting: str
    levels: tuple[DoseLevel, ...]
    cite: Mapping[str, tuple[str, ...]]
    verified: Mapping[str, bool]

    def level(self, level: int) -> DoseLevel:
        """The :class:`DoseLevel` numbered ``level``."""
        for lv in self.levels:
            if lv.level == level:
                return lv
        msg = f"{self.id} has no dose level {level}; levels are {[lv.level for lv in self.levels]}."
        raise DataValidationError(msg)

    @property
    def lowest_level(self) -> int:
        """Number of the lowest (most reduced) dose level."""
        return min(lv.level for lv in self.levels)


@dataclass(frozen=True)
class Regimen:
    """A combination regimen loaded from ``knowledge/data/regimens/<id>.toml``."""

    id: str
    name: str
    product: str
    version: str
    cycle_length_days: int
    treatment_duration: str
    agents: tuple[Agent, ...]
    sources: Mapping[str, str]
    cite: Mapping[str, tuple[str, ...]]
    path: Path

    def agent(self, agent_id: str) -> Agent:
        """The :class:`Agent` called ``agent_id``."""
        for a in self.agents:
            if a.id == agent_id:
                return a
        msg = f"regimen {self.id} has no agent {agent_id!r}; agents: {', '.join(self.agent_ids)}."
        raise DataValidationError(msg)

    @property
    def agent_ids(self) -> tuple[str, ...]:
        """Agent identifiers in file order."""
        return tuple(a.id for a in self.agents)

    def to_frame(self) -> Any:
        """Every value of the regimen with its citation and verification status (a DataFrame)."""
        import pandas as pd

        rows = [
            {
                "agent": "",
                "field": "cycle_length_days",
                "value": self.cycle_length_days,
                "cite": "; ".join(self.cite.get("cycle_length_days", ())),
                "verified": True,
            }
        ]
        for a in self.agents:
            for f in ("unit_strength_mg", "schedule", "on_days", "week_days", "supply_per_cycle"):
                value = getattr(a, f)
                if f == "week_days" and not value:
                    continue
                rows.append(
                    {
                        "agent": a.id,
                        "field": f,
                        "value": value,
                        "cite": "; ".join(a.cite.get(f, ())),
                        "verified": a.verified.get(f, True),
                    }
                )
            for lv in a.levels:
                rows.append(
                    {
                        "agent": a.id,
                        "field": f"dose level {lv.level} ({lv.name})",
                        "value": lv.label,
                        "cite": "; ".join(lv.cite),
                        "verified": lv.verified,
                    }
                )
        return pd.DataFrame(rows)


@_cached("regimens")
def load_regimen(name_or_path: str | Path = "defactinib-avutometinib") -> Regimen:
    """Load and validate a regimen TOML file.

    Parameters
    ----------
    name_or_path : str or Path
        Built-in regimen id, or the path of a site's own ``.toml`` file (same schema).

    Returns
    -------
    Regimen

    Raises
    ------
    DataValidationError
        The file is missing, unparsable, or a value lacks its citation.
    """
    path = _resolve("regimens", name_or_path)
    d = _read(path)
    sources = _need(d, "sources", str(path), dict)
    cite = d.get("cite", {})
    top_cites = {k: _cites(v, sources, f"{path}: cite.{k}") for k, v in cite.items()}
    for key in ("cycle_length_days",):
        if key not in top_cites:
            msg = f"{path}: {key!r} has no citation; add it under [cite]."
            raise DataValidationError(msg)
    cycle = _need(d, "cycle_length_days", str(path), int)
    agents = []
    for i, a in enumerate(_need(d, "agents", str(path), list)):
        where = f"{path}: agents[{i}]"
        aid = _need(a, "id", where, str)
        where = f"{path}: agent {aid!r}"
        acite_raw = _need(a, "cite", where, dict)
        acite = {k: _cites(v, sources, f"{where} cite.{k}") for k, v in acite_raw.items()}
        schedule = _need(a, "schedule", where, str)
        if schedule not in ("daily", "twice_weekly"):
            msg = f"{where}: schedule {schedule!r} is not supported; use 'daily' or 'twice_weekly'."
            raise DataValidationError(msg)
        on_days = _need(a, "on_days", where, list)
        if len(on_days) != 2 or not 1 <= on_days[0] <= on_days[1] <= cycle:
            msg = f"{where}: on_days must be [first, last] within 1..{cycle}, got {on_days}."
            raise DataValidationError(msg)
        week_days = tuple(a.get("week_days", ()))
        if schedule == "twice_weekly" and (
            len(week_days) != 2 or not all(1 <= w <= 7 for w in week_days)
        ):
            msg = f"{where}: a twice-weekly agent needs week_days = [d1, d2] with days 1..7."
            raise DataValidationError(msg)
        fields = ["unit_strength_mg", "schedule", "on_days", "supply_per_cycle"]
        fields += ["administration", "missed_dose", "vomiting"]
        if schedule == "twice_weekly":
            fields.append("week_days")
        missing = [f for f in fields if f not in acite]
        if missing:
            msg = f"{where}: value(s) {missing} have no citation; add them under [agents.cite]."
            raise DataValidationError(msg)
        levels = []
        for j, lv in enumerate(_need(a, "levels", where, list)):
            lw = f"{where} levels[{j}]"
            levels.append(
                DoseLevel(
                    level=_need(lv, "level", lw, int),
                    name=_need(lv, "name", lw, str),
                    dose_mg=float(_need(lv, "dose_mg", lw, (int, float))),
                    units_per_administration=_need(lv, "units_per_administration", lw, int),
                    administrations_per_day=_need(lv, "administrations_per_day", lw, int),
                    frequency=_need(lv, "frequency", lw, str),
                    cite=_cites(_need(lv, "cite", lw), sources, lw),
                    verified=bool(lv.get("verified", False)),
                )
            )
        numbers = sorted(lv.level for lv in levels)
        if not levels or numbers[-1] != 0 or numbers != list(range(numbers[0], 1)):
            msg = (
                f"{where}: dose levels must be 0 (starting), -1, -2 … without gaps; got {numbers}."
            )
            raise DataValidationError(msg)
        strength = float(_need(a, "unit_strength_mg", where, (int, float)))
        for lv in levels:
            if abs(lv.units_per_administration * strength - lv.dose_mg) > 1e-9:
                msg = (
                    f"{where}: level {lv.level} is {lv.dose_mg} mg but {lv.units_per_administration}"
                    f" x {strength} mg units = {lv.units_per_administration * strength:g} mg; fix one."
                )
                raise DataValidationError(msg)
        agents.append(
            Agent(
                id=aid,
                display=str(a.get("display", aid)),
                form=_need(a, "form", where, str),
                unit_strength_mg=strength,
                schedule=schedule,
                on_days=(int(on_days[0]), int(on_days[1])),
                week_days=week_days,
                supply_per_cycle=_need(a, "supply_per_cycle", where, int),
                administration=_need(a, "administration", where, str),
                missed_dose=_need(a, "missed_dose", where, str),
                vomiting=_need(a, "vomiting", where, str),
                levels=tuple(sorted(levels, key=lambda lv: -lv.level)),
                cite=MappingProxyType(acite),
                verified=MappingProxyType(dict(a.get("verified", {}))),
            )
        )
    if not agents:
        msg = f"{path}: the regimen has no agents."
        raise DataValidationError(msg)
    return Regimen(
        id=_need(d, "id", str(path), str),
        name=_need(d, "name", str(path), str),
        product=str(d.get("product", "")),
        version=str(_need(d, "version", str(path))),
        cycle_length_days=cycle,
        treatment_duration=str(d.get("treatment_duration", "")),
        agents=tuple(agents),
        sources=MappingProxyType(dict(sources)),
        cite=MappingProxyType(top_cites),
        path=path,
    )


# ----------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Category:
    """An adverse-event category of a rule table and the values its observations may take."""

    id: str
    label: str
    measure: str
    grades: tuple[int, ...]
    findings: Mapping[str, int]
    flags: tuple[str, ...]
    modifiers: Mapping[str, tuple[int, ...]]
    keyed_by: str | None
    resolved_level: int

    def level_of(self, findings: Sequence[str]) -> int:
        """Severity level of a set of eye findings (the worst one)."""
        return max(self.findings[f] for f in findings) if findings else 0


@dataclass(frozen=True)
class Resume:
    """When and at which dose a withheld treatment restarts."""

    when: Mapping[str, Any]
    or_baseline: bool
    dose: str
    within_days: int | None
    condition: str


@dataclass(frozen=True)
class Rule:
    """One row of the dose-modification table (or a general rule of the engine)."""

    id: str
    category: str | None
    row: str
    when: Mapping[str, Any]
    action: str
    resume: Resume | None
    agents: tuple[str, ...] | None
    source: str
    where: str
    citation: str
    note: str = ""

    @property
    def cite(self) -> str:
        """Short citation: source key and place in it."""
        return f"{self.source}: {self.where}"


@dataclass(frozen=True)
class RuleTable:
    """A versioned dose-modification table loaded from ``knowledge/data/rules/``."""

    table: str
    regimen: str
    version: str
    sources: Mapping[str, str]
    categories: Mapping[str, Category]
    rows: tuple[Rule, ...]
    general: Mapping[str, Rule]
    path: Path
    _by_id: Mapping[str, Rule] = field(repr=False, default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        """The row or general rule called ``rule_id``."""
        try:
            return self._by_id[rule_id]
        except KeyError:
            msg = f"rule table {self.version} has no rule {rule_id!r}."
            raise RuleError(msg) from None

    def rows_for(self, category: str) -> tuple[Rule, ...]:
        """Rows of one category, in table order."""
        return tuple(r for r in self.rows if r.category == category)

    def match(self, category: str, state: Mapping[str, Any]) -> list[Rule]:
        """Rows of ``category`` whose conditions all hold in ``state``."""
        return [r for r in self.rows_for(category) if condition_matches(r.when, state)]

    def to_frame(self) -> Any:
        """The table as a DataFrame (one line per row, general rules last)."""
        import pandas as pd

        out = []
        for r in (*self.rows, *self.general.values()):
            out.append(
                {
                    "id": r.id,
                    "category": r.category or "general",
                    "row": r.row,
                    "action": r.action,
                    "resume_dose": r.resume.dose if r.resume else "",
                    "resume_condition": r.resume.condition if r.resume else "",
                    "cite": r.cite,
                }
            )
        return pd.DataFrame(out)


def condition_matches(when: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    """True when every condition of ``when`` holds in ``state`` (absent keys match anything).

    A number condition is an int, a list of ints, or ``{min: , max: }``; a boolean condition
    is ``true``/``false``; ``finding`` is a list of finding names.

    Examples
    --------
    >>> condition_matches({"grade": {"min": 3}, "held": False}, {"grade": 4, "held": False})
    True
    """
    for key, cond in when.items():
        value = state.get(key)
        if value is None:
            return False
        if isinstance(cond, bool):
            if bool(value) is not cond:
                return False
        elif isinstance(cond, dict):
            if "min" in cond and value < cond["min"]:
                return False
            if "max" in cond and value > cond["max"]:
                return False
        elif isinstance(cond, list):
            if value not in cond:
                return False
        elif value != cond:
            return False
    return True


def _check_condition(
    when: Any, cat: Category | None, where: str, *, allowed: Sequence[str] = tuple(STATE_KEYS)
) -> dict[str, Any]:
    if not isinstance(when, dict):
        msg = f"{where}: 'when' must be a mapping of state keys to conditions."
        raise DataValidationError(msg)
    for key, cond in when.items():
        if key not in allowed:
            msg = f"{where}: unknown state key {key!r}; use one of {', '.join(allowed)}."
            raise DataValidationError(msg)
        kind = STATE_KEYS[key]
        if kind == "bool" and not isinstance(cond, bool):
            msg = f"{where}: {key!r} must be true or false, got {cond!r}."
            raise DataValidationError(msg)
        if kind == "int":
            ok = (isinstance(cond, int) and not isinstance(cond, bool)) or (
                isinstance(cond, list) and all(isinstance(c, int) for c in cond)
            )
            if isinstance(cond, dict):
                ok = set(cond) <= {"min", "max"} and all(isinstance(v, int) for v in cond.values())
            if not ok:
                msg = f"{where}: {key!r} must be an int, a list of ints or {{min:, max:}}, got {cond!r}."
                raise DataValidationError(msg)
        if kind == "finding":
            if cat is None or cat.measure != "finding":
                msg = f"{where}: 'finding' is only allowed in a category measured by findings."
                raise DataValidationError(msg)
            bad = [f for f in cond if f not in cat.findings] if isinstance(cond, list) else [cond]
            if bad:
                msg = f"{where}: unknown finding(s) {bad}; known: {', '.join(cat.findings)}."
                raise DataValidationError(msg)
    return dict(when)


def _state_space(cat: Category) -> list[dict[str, Any]]:
    """Every combination of the values a state of ``cat`` can take (for the overlap check)."""
    axes: dict[str, Sequence[Any]] = {
        "occurrence": (0, 1, 2, 3),
        "all_reduced": (False, True),
        "held": (False, True),
        "days_since_onset": (0, 21, 22, 60),
    }
    if cat.measure == "finding":
        axes["finding"] = tuple(cat.findings)
    else:
        axes["grade"] = cat.grades
    for flag in cat.flags:
        axes[flag] = (False, True)
    for mod, values in cat.modifiers.items():
        axes[mod] = values
    keys = list(axes)
    states = []
    for combo in itertools.product(*(axes[k] for k in keys)):
        s = dict(zip(keys, combo, strict=True))
        if cat.measure == "finding":
            s["grade"] = cat.findings[s["finding"]]
        for flag in ("intolerable", "rhabdomyolysis"):
            s.setdefault(flag, False)
        s.setdefault("bilirubin_grade", 0)
        states.append(s)
    return states


@_cached("rules")
def load_rules(name_or_path: str | Path = "defactinib-avutometinib") -> RuleTable:
    """Load and validate a dose-modification rule table (YAML).

    Besides the structure, the loader checks that no two rows of a category can match the
    same state (over the whole finite state space), so that every state matches exactly one
    row or none (then the engine answers "no rule: consult the label").

    Parameters
    ----------
    name_or_path : str or Path
        Built-in table name, or the path of a site's own table (same schema).

    Returns
    -------
    RuleTable

    Raises
    ------
    DataValidationError
        Missing keys, unknown state keys, findings or sources.
    RuleError
        Two rows of a category overlap, or a required general rule is missing.
    """
    path = _resolve("rules", name_or_path)
    d = _read(path)
    where0 = str(path)
    sources = _need(d, "sources", where0, dict)
    categories: dict[str, Category] = {}
    for cid, c in _need(d, "categories", where0, dict).items():
        w = f"{path}: category {cid!r}"
        measure = _need(c, "measure", w, str)
        if measure not in ("grade", "finding"):
            msg = f"{w}: measure must be 'grade' or 'finding', got {measure!r}."
            raise DataValidationError(msg)
        findings = dict(c.get("findings", {}))
        if measure == "finding" and not findings:
            msg = f"{w}: a category measured by findings needs a 'findings' map name -> level."
            raise DataValidationError(msg)
        categories[cid] = Category(
            id=cid,
            label=str(c.get("label", cid)),
            measure=measure,
            grades=tuple(c.get("grades", sorted(set(findings.values())))),
            findings=MappingProxyType(findings),
            flags=tuple(c.get("flags", ())),
            modifiers=MappingProxyType({k: tuple(v) for k, v in c.get("modifiers", {}).items()}),
            keyed_by=c.get("keyed_by"),
            resolved_level=_need(c, "resolved_level", w, int),
        )

    def make_rule(r: Any, i: int, *, general: bool) -> Rule:
        w = f"{path}: {'general' if general else 'rows'}[{i}]"
        rid = _need(r, "id", w, str)
        w = f"{path}: rule {rid!r}"
        cat = None
        if not general:
            cid = _need(r, "category", w, str)
            if cid not in categories:
                msg = f"{w}: unknown category {cid!r}; declared: {', '.join(categories)}."
                raise DataValidationError(msg)
            cat = categories[cid]
        action = _need(r, "action", w, str)
        if action not in ACTIONS:
            msg = f"{w}: unknown action {action!r}; use one of {', '.join(ACTIONS)}."
            raise DataValidationError(msg)
        when = {} if general else _check_condition(_need(r, "when", w), cat, w)
        resume = None
        if action == "withhold":
            rs = _need(r, "resume", w, dict)
            dose = _need(rs, "dose", f"{w} resume", str)
            if dose not in ("same", "reduced"):
                msg = f"{w}: resume dose must be 'same' or 'reduced', got {dose!r}."
                raise DataValidationError(msg)
            resume = Resume(
                when=MappingProxyType(_check_condition(_need(rs, "when", f"{w} resume"), cat, w)),
                or_baseline=bool(rs.get("or_baseline", False)),
                dose=dose,
                within_days=rs.get("within_days"),
                condition=_need(rs, "condition", f"{w} resume", str),
            )
        cite = _need(r, "cite", w, dict)
        src = _need(cite, "source", f"{w} cite", str)
        _cites(src, sources, f"{w} cite")
        agents = r.get("agents")
        return Rule(
            id=rid,
            category=None if general else cat.id,  # type: ignore[union-attr]
            row=_need(r, "row", w, str),
            when=MappingProxyType(when),
            action=action,
            resume=resume,
            agents=tuple(agents) if agents else None,
            source=src,
            where=_need(cite, "where", f"{w} cite", str),
            citation=" ".join(str(sources[src]).split()),
            note=str(r.get("note", "")),
        )

    rows = tuple(
        make_rule(r, i, general=False) for i, r in enumerate(_need(d, "rows", where0, list))
    )
    general = {
        g.id: g
        for g in (
            make_rule(r, i, general=True) for i, r in enumerate(_need(d, "general", where0, list))
        )
    }
    required = (
        "general-reduction-impossible",
        "general-already-discontinued",
        "general-no-adverse-event",
        "general-no-rule",
    )
    missing = [g for g in required if g not in general]
    if missing:
        msg = f"{path}: general rule(s) {missing} are missing; the engine needs them."
        raise RuleError(msg)
    by_id: dict[str, Rule] = {}
    for r in (*rows, *general.values()):
        if r.id in by_id:
            msg = f"{path}: rule id {r.id!r} is used twice; ids must be unique."
            raise DataValidationError(msg)
        by_id[r.id] = r
    table = RuleTable(
        table=_need(d, "table", where0, str),
        regimen=_need(d, "regimen", where0, str),
        version=str(_need(d, "version", where0)),
        sources=MappingProxyType(dict(sources)),
        categories=MappingProxyType(categories),
        rows=rows,
        general=MappingProxyType(general),
        path=path,
        _by_id=MappingProxyType(by_id),
    )
    for cat in categories.values():
        for state in _state_space(cat):
            hits = table.match(cat.id, state)
            if len(hits) > 1:
                msg = (
                    f"{path}: rows {[h.id for h in hits]} of category {cat.id!r} both match the "
                    f"state {state}; make their conditions mutually exclusive."
                )
                raise RuleError(msg)
    return table


# ----------------------------------------------------------------------------- CTCAE
@dataclass(frozen=True)
class Band:
    """Lower bound of one grade band, as a multiple of ULN or of baseline."""

    grade: int
    bound: Decimal
    inclusive: bool


@dataclass(frozen=True)
class LabTest:
    """A laboratory CTCAE term with its grade bands."""

    id: str
    term: str
    aliases: tuple[str, ...]
    category: str
    role: str
    cite: str
    uln_bands: tuple[Band, ...]
    baseline_bands: tuple[Band, ...] | None


@dataclass(frozen=True)
class CTCAETable:
    """CTCAE grading bands of one version."""

    version: str
    source: str
    tests: Mapping[str, LabTest]
    path: Path

    def test(self, name: str) -> LabTest:
        """Look a test up by id or alias (case-insensitive)."""
        key = str(name).strip().lower()
        for t in self.tests.values():
            if key == t.id.lower() or key in t.aliases:
                return t
        msg = (
            f"unknown lab test {name!r} for CTCAE v{self.version}; known: {', '.join(self.tests)}."
        )
        raise DataValidationError(msg)


def _bands(raw: Any, where: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        msg = f"{where}: bands must be a non-empty list of {{grade:, above:|at_least:}}."
        raise DataValidationError(msg)
    out = []
    for b in raw:
        keys = set(b) & {"above", "at_least"}
        if len(keys) != 1 or "grade" not in b:
            msg = (
                f"{where}: each band needs 'grade' and exactly one of 'above' or 'at_least' ({b})."
            )
            raise DataValidationError(msg)
        k = keys.pop()
        out.append(Band(int(b["grade"]), Decimal(str(b[k])), k == "at_least"))
    if [b.grade for b in out] != sorted(b.grade for b in out) or [b.bound for b in out] != sorted(
        b.bound for b in out
    ):
        msg = f"{where}: bands must be in increasing grade and bound order."
        raise DataValidationError(msg)
    return tuple(out)


@_cached("ctcae")
def load_ctcae(name_or_path: str | Path = "5.0") -> CTCAETable:
    """Load CTCAE grading bands (built-in version, e.g. ``"5.0"``, or a YAML path).

    Returns
    -------
    CTCAETable
    """
    path = _resolve("ctcae", name_or_path)
    d = _read(path)
    tests = {}
    for tid, t in _need(d, "tests", str(path), dict).items():
        w = f"{path}: test {tid!r}"
        base = t.get("baseline_bands")
        tests[tid] = LabTest(
            id=tid,
            term=_need(t, "term", w, str),
            aliases=tuple(str(a).lower() for a in t.get("aliases", ())),
            category=_need(t, "category", w, str),
            role=_need(t, "role", w, str),
            cite=_need(t, "cite", w, str),
            uln_bands=_bands(_need(t, "uln_bands", w), f"{w} uln_bands"),
            baseline_bands=None if base is None else _bands(base, f"{w} baseline_bands"),
        )
    return CTCAETable(
        version=str(_need(d, "version", str(path))),
        source=" ".join(str(_need(d, "source", str(path))).split()),
        tests=MappingProxyType(tests),
        path=path,
    )


# ----------------------------------------------------------------------------- monitoring
@dataclass(frozen=True)
class Assessment:
    """A recurring examination or laboratory panel."""

    id: str
    what: str
    tests: tuple[str, ...]
    baseline: bool
    before_each_cycle: bool
    before_cycles: tuple[int, ...]
    every_n_cycles: tuple[int, int] | None
    cycle_day: tuple[int, int] | None
    also: str
    cite: tuple[str, ...]


@dataclass(frozen=True)
class SupportiveCare:
    """Supportive care given from a cycle for at least a number of cycles (None: throughout)."""

    id: str
    what: str
    from_cycle: int
    for_at_least_cycles: int | None
    cite: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringPlan:
    """Monitoring and supportive care of a regimen."""

    regimen: str
    version: str
    sources: Mapping[str, str]
    assessments: tuple[Assessment, ...]
    supportive_care: tuple[SupportiveCare, ...]
    path: Path


@_cached("monitoring")
def load_monitoring(name_or_path: str | Path = "defactinib-avutometinib") -> MonitoringPlan:
    """Load and validate a monitoring plan (YAML).

    Returns
    -------
    MonitoringPlan
    """
    path = _resolve("monitoring", name_or_path)
    d = _read(path)
    sources = _need(d, "sources", str(path), dict)
    assessments = []
    for i, a in enumerate(_need(d, "assessments", str(path), list)):
        w = f"{path}: assessments[{i}]"
        every = a.get("every_n_cycles")
        cday = a.get("cycle_day")
        assessments.append(
            Assessment(
                id=_need(a, "id", w, str),
                what=_need(a, "what", w, str),
                tests=tuple(a.get("tests", ())),
                baseline=bool(a.get("baseline", False)),
                before_each_cycle=bool(a.get("before_each_cycle", False)),
                before_cycles=tuple(int(c) for c in a.get("before_cycles", ())),
                every_n_cycles=None
                if every is None
                else (_need(every, "n", w, int), _need(every, "after_cycle", w, int)),
                cycle_day=None
                if cday is None
                else (_need(cday, "day", w, int), _need(cday, "first_cycles", w, int)),
                also=str(a.get("also", "")),
                cite=_cites(_need(a, "cite", w), sources, w),
            )
        )
    care = []
    for i, c in enumerate(d.get("supportive_care", [])):
        w = f"{path}: supportive_care[{i}]"
        care.append(
            SupportiveCare(
                id=_need(c, "id", w, str),
                what=_need(c, "what", w, str),
                from_cycle=_need(c, "from_cycle", w, int),
                for_at_least_cycles=c.get("for_at_least_cycles"),
                cite=_cites(_need(c, "cite", w), sources, w),
            )
        )
    return MonitoringPlan(
        regimen=_need(d, "regimen", str(path), str),
        version=str(_need(d, "version", str(path))),
        sources=MappingProxyType(dict(sources)),
        assessments=tuple(assessments),
        supportive_care=tuple(care),
        path=path,
    )
