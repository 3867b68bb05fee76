"""Study design: balanced randomisation, dosing schedules, measurement plan, calendars."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit._validate import check_nonnegative, coerce_numeric, require_columns

__all__ = [
    "FREQUENCIES",
    "AgentDose",
    "Allocation",
    "GroupDesign",
    "StudyDesign",
    "animal_doses",
    "calendar_to_ics",
    "dosing_calendar",
    "measurement_plan",
    "parse_schedule",
    "randomize",
    "study_calendar",
]

# ----------------------------------------------------------------------------- randomisation


@dataclass(frozen=True, eq=False)
class Allocation:
    """A randomised allocation of animals to groups.

    ``table``: ``subject, group`` and the balancing variables, one row per enrolled animal;
    ``excluded``: animals not enrolled with the reason; ``balance``: per group ``n`` and mean,
    SD of each variable; ``tests``: per variable one-way ANOVA F and p and Levene's p
    (equal variances) across groups; ``score``: the imbalance criterion of the chosen
    allocation; ``score_random``: median criterion over plain random allocations of the same
    animals (for comparison: lower is better).
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    balance: pd.DataFrame
    tests: pd.DataFrame
    score: float
    score_random: float
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Allocation table."""
        return self.table.copy()

    def summary(self) -> str:
        """Balance report as text."""
        lines = [
            f"Allocation of {len(self.table)} animals to {self.balance.shape[0]} groups "
            f"({len(self.excluded)} not enrolled); imbalance {self.score:.3g} "
            f"(random allocation median {self.score_random:.3g})"
        ]
        lines.append(self.balance.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        lines.append(self.tests.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Baseline volume per group (:func:`repurposekit.plot.invivo.allocation`)."""
        from repurposekit.plot.invivo import allocation

        return allocation(self, ax=ax, **kwargs)


def _imbalance(X: np.ndarray, labels: np.ndarray, k: int, mu: np.ndarray, sd: np.ndarray) -> float:
    # sum over variables and groups of squared standardised differences of group means and SDs
    n = np.bincount(labels, minlength=k).astype(float)
    score = 0.0
    for j in range(X.shape[1]):
        s1 = np.bincount(labels, weights=X[:, j], minlength=k)
        s2 = np.bincount(labels, weights=X[:, j] ** 2, minlength=k)
        m = s1 / n
        score += (((m - mu[j]) / sd[j]) ** 2).sum()
        big = n > 1
        v = np.maximum(s2[big] - n[big] * m[big] ** 2, 0.0) / (n[big] - 1)
        score += (((np.sqrt(v) - sd[j]) / sd[j]) ** 2).sum()
    return float(score)


def randomize(
    data: pd.DataFrame,
    *,
    group_sizes: Mapping[str, int] | Sequence[int],
    window_mm3: tuple[float, float] | None = (100.0, 150.0),
    balance_on: Sequence[str] = ("volume_mm3",),
    subject: str = "subject",
    n_candidates: int = 2000,
    n_swaps: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> Allocation:
    """Allocate animals to groups with balanced baseline volume (and body weight).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per candidate animal: ``subject``, ``volume_mm3`` and any other variable in
        ``balance_on`` (e.g. ``body_weight_g``). Not modified.
    group_sizes : mapping group → n, or sequence of n
        Group names and sizes (a sequence gives groups "G1", "G2", …).
    window_mm3 : (low, high), mm³, or None
        Enrolment window for ``volume_mm3`` (inclusive). Animals outside are not enrolled.
        When more animals are eligible than needed, those closest to the median eligible
        volume are enrolled (the extremes are left out, as is usual).
    balance_on : sequence of str
        Variables whose group means and SDs are balanced.
    n_candidates : int
        Random allocations drawn; the best is refined by ``n_swaps`` random pairwise swaps
        (a swap is kept when it lowers the imbalance).
    rng : numpy.random.Generator or int, optional
        Same seed → same allocation.

    Returns
    -------
    Allocation

    Notes
    -----
    Imbalance criterion, summed over balancing variables :math:`v` and groups :math:`g`:
    :math:`\\sum ((\\bar x_{gv} - \\bar x_v)/s_v)^2 + ((s_{gv} - s_v)/s_v)^2`, with the
    mean and SD :math:`\\bar x_v, s_v` of all enrolled animals. Because the search starts
    from random allocations and only the criterion is optimised, which balanced allocation
    is chosen is itself random (seeded).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> r = np.random.default_rng(0)
    >>> df = pd.DataFrame({"subject": range(30), "volume_mm3": r.uniform(90, 160, 30)})
    >>> a = randomize(df, group_sizes={"Vehicle": 8, "Drug": 8}, rng=1, n_candidates=200)
    >>> a.table.groupby("group").size().to_dict()
    {'Drug': 8, 'Vehicle': 8}
    """
    require_columns(data, [subject, *balance_on])
    if isinstance(group_sizes, Mapping):
        names = [str(k) for k in group_sizes]
        sizes = [int(v) for v in group_sizes.values()]
    else:
        sizes = [int(v) for v in group_sizes]
        names = [f"G{i + 1}" for i in range(len(sizes))]
    if not sizes or min(sizes) < 1:
        msg = f"group sizes must be positive integers, got {sizes}."
        raise DataValidationError(msg)
    subj = data[subject].astype(str)
    if subj.duplicated().any():
        msg = f"animal {subj[subj.duplicated()].iloc[0]!r} appears twice in the candidate table; one row per animal."
        raise DataValidationError(msg)
    X = np.column_stack([coerce_numeric(data, v) for v in balance_on])
    for j, v in enumerate(balance_on):
        check_nonnegative(pd.Series(X[:, j], index=data.index), v)
    need = sum(sizes)
    elig = np.ones(len(data), dtype=bool)
    excluded = []
    if window_mm3 is not None and "volume_mm3" in balance_on:
        lo, hi = window_mm3
        vol = X[:, list(balance_on).index("volume_mm3")]
        elig = (vol >= lo) & (vol <= hi)
        for i in np.flatnonzero(~elig):
            excluded.append(
                {
                    "subject": subj.iloc[i],
                    "reason": f"volume {vol[i]:.4g} mm³ outside {lo:g}–{hi:g}",
                }
            )
    idx = np.flatnonzero(elig)
    if len(idx) < need:
        msg = (
            f"only {len(idx)} animals are eligible (within the enrolment window {window_mm3}) "
            f"but the groups need {need}; widen the window, wait for more tumours, or reduce "
            "group sizes."
        )
        raise DataValidationError(msg)
    if len(idx) > need:
        v0 = X[idx, 0]
        order = np.argsort(np.abs(v0 - np.median(v0)), kind="stable")
        for i in idx[order[need:]]:
            excluded.append({"subject": subj.iloc[i], "reason": "surplus (farthest from median)"})
        idx = np.sort(idx[order[:need]])
    Xe = X[idx]
    mu = Xe.mean(0)
    sd = Xe.std(0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    k = len(sizes)
    base = np.repeat(np.arange(k), sizes)
    gen = np.random.default_rng(rng)
    best, best_s = None, np.inf
    scores = np.empty(max(n_candidates, 1))
    for c in range(max(n_candidates, 1)):
        lab = gen.permutation(base)
        s = _imbalance(Xe, lab, k, mu, sd)
        scores[c] = s
        if s < best_s:
            best, best_s = lab, s
    lab = best.copy()
    for _ in range(n_swaps):
        i, j = gen.integers(0, need, size=2)
        if lab[i] == lab[j]:
            continue
        lab[i], lab[j] = lab[j], lab[i]
        s = _imbalance(Xe, lab, k, mu, sd)
        if s < best_s:
            best_s = s
        else:
            lab[i], lab[j] = lab[j], lab[i]
    table = pd.DataFrame({"subject": subj.iloc[idx].to_numpy(), "group": np.array(names)[lab]})
    for j, v in enumerate(balance_on):
        table[v] = Xe[:, j]
    table["_g"] = lab
    table = (
        table.sort_values(["_g", "subject"], kind="stable")
        .drop(columns="_g")
        .reset_index(drop=True)
    )
    bal = []
    for g in names:
        sub = table[table["group"] == g]
        row: dict[str, Any] = {"group": g, "n": len(sub)}
        for v in balance_on:
            row[f"{v}_mean"] = sub[v].mean()
            row[f"{v}_sd"] = sub[v].std(ddof=1)
        bal.append(row)
    tests = []
    for v in balance_on:
        samples = [table.loc[table["group"] == g, v].to_numpy() for g in names]
        ok = k > 1 and all(len(s) >= 2 for s in samples)
        with np.errstate(divide="ignore", invalid="ignore"):  # degenerate tiny groups → NaN/inf
            f = stats.f_oneway(*samples) if ok else None
            lev = stats.levene(*samples) if ok else None
        tests.append(
            {
                "variable": v,
                "anova_f": np.nan if f is None else f.statistic,
                "anova_p": np.nan if f is None else f.pvalue,
                "levene_p": np.nan if lev is None else lev.pvalue,
            }
        )
    return Allocation(
        table=table,
        excluded=pd.DataFrame(excluded, columns=["subject", "reason"]),
        balance=pd.DataFrame(bal),
        tests=pd.DataFrame(tests),
        score=best_s,
        score_random=float(np.median(scores)),
        settings=_settings(
            data,
            group_sizes=dict(zip(names, sizes, strict=False)),
            window_mm3=window_mm3,
            balance_on=list(balance_on),
            n_candidates=n_candidates,
            n_swaps=n_swaps,
        ),
    )


# ------------------------------------------------------------------------------ schedules
#: dosing frequencies: name -> (administrations per dosing day, weekdays offsets or None=every day)
FREQUENCIES: dict[str, tuple[int, tuple[int, ...] | None]] = {
    "QD": (1, None),
    "BID": (2, None),
    "TID": (3, None),
    "QW": (1, (0,)),
    "BIW": (1, (0, 3)),
    "TIW": (1, (0, 2, 4)),
}
_PATTERNS = ("daily", "5/2", "3on1off")


def parse_schedule(text: str) -> tuple[str, str]:
    """Parse a schedule string into ``(frequency, pattern)``.

    Frequencies: ``QD`` (daily), ``BID`` (twice daily), ``TID``, ``QW`` (weekly), ``BIW``
    (twice weekly: study days 0 and 3 of each week), ``TIW`` (days 0, 2, 4). Patterns:
    ``daily``, ``5/2`` (5 days on, 2 off each week: Monday–Friday when the calendar has
    dates, else study days 0–4), ``3on1off`` (3 weeks on, 1 week off: 28-day cycles).

    Examples
    --------
    >>> parse_schedule("BID, 3 weeks on / 1 week off")
    ('BID', '3on1off')
    >>> parse_schedule("5 days/week")
    ('QD', '5/2')
    >>> parse_schedule("twice weekly")
    ('BIW', 'daily')
    """
    t = str(text).strip().lower()
    freq = "QD"
    if re.search(r"twice[ -]weekly|\bbiw\b|2x ?/ ?week|twice a week", t):
        freq = "BIW"
    elif re.search(r"three times weekly|\btiw\b|3x ?/ ?week", t):
        freq = "TIW"
    elif re.search(r"once weekly|\bqw\b|weekly", t) and "day" not in t:
        freq = "QW"
    elif re.search(r"\bbid\b|twice daily|q12h", t):
        freq = "BID"
    elif re.search(r"\btid\b|three times daily|q8h", t):
        freq = "TID"
    pattern = "daily"
    if re.search(r"3 ?(weeks?|w(k)?) ?on|3on1off|3/1", t):
        pattern = "3on1off"
    elif re.search(
        r"5 ?(days?|d) ?(/|per|a) ?(week|wk)|5 ?on ?2 ?off|5/2|5on2off|mon(day)?.?fri", t
    ):
        pattern = "5/2"
    allowed = {
        "qd", "bid", "tid", "biw", "tiw", "qw", "daily", "twice", "three", "times", "once",
        "weekly", "week", "weeks", "wk", "wks", "w", "day", "days", "d", "on", "off", "per",
        "a", "x", "q12h", "q8h", "mon", "monday", "fri", "friday", "to", "and", "then",
    }  # fmt: skip
    known = " ".join(w for w in re.findall(r"[a-z][a-z0-9]*", t) if w not in allowed)
    if known:
        msg = (
            f"cannot read the dosing schedule {text!r} (left over: {known!r}). Use e.g. 'QD', "
            "'BID', '5 days/week', '3 weeks on/1 off', 'twice weekly' or combinations like "
            "'BID 3 weeks on/1 off'."
        )
        raise DataValidationError(msg)
    return freq, pattern


@dataclass(frozen=True)
class AgentDose:
    """One agent given to a group: dose (mg/kg), route, schedule, formulation volume."""

    agent: str
    dose_mg_per_kg: float
    route: str = "PO"
    schedule: str = "QD"
    dose_volume_ml_per_kg: float = 10.0
    start_day: int = 0
    end_day: int | None = None  # inclusive; default: the study's last day

    @property
    def frequency(self) -> str:
        """QD, BID, … (from :func:`parse_schedule`)."""
        return parse_schedule(self.schedule)[0]

    @property
    def pattern(self) -> str:
        """daily, 5/2 or 3on1off."""
        return parse_schedule(self.schedule)[1]


@dataclass(frozen=True)
class GroupDesign:
    """A study arm: name, number of animals and the agents it receives."""

    name: str
    n: int
    agents: tuple[AgentDose, ...] = ()


@dataclass(frozen=True)
class StudyDesign:
    """A xenograft study design (from a TOML/YAML file via ``repurposekit.io.read_design``).

    Parameters
    ----------
    name : str
    start_date : datetime.date
        Day 0 (first dose).
    duration_days : int
        Treatment period length (4–8 weeks typical).
    groups : tuple of GroupDesign
        First group = control.
    endpoint_mm3 : float
        Humane endpoint.
    window_mm3 : (float, float)
        Enrolment window.
    caliper_per_week, weight_per_week : int
        Measurement frequency (3 and 2 by default).
    combination : mapping or None
        ``control, a, b, combination`` group names for in vivo synergy.
    follow_up_days : int
        Days of measurements after the treatment period (animals followed to the humane
        endpoint; ``[study] follow_up_days``, default 0).
    """

    name: str
    start_date: _dt.date
    duration_days: int
    groups: tuple[GroupDesign, ...]
    endpoint_mm3: float = 1500.0
    window_mm3: tuple[float, float] = (100.0, 150.0)
    caliper_per_week: int = 3
    weight_per_week: int = 2
    combination: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    follow_up_days: int = 0

    @property
    def group_sizes(self) -> dict[str, int]:
        """Group name → n."""
        return {g.name: g.n for g in self.groups}

    @property
    def control(self) -> str:
        """The first group."""
        return self.groups[0].name

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, source: str = "design") -> StudyDesign:
        """Build from a parsed TOML/YAML mapping (see ``docs/invivo.md`` for the format)."""

        def bad(where_: str, what: str) -> DataValidationError:
            return DataValidationError(f"{source}: {where_}: {what}")

        study = dict(spec.get("study", {}))
        for key in ("start_date", "duration_days"):
            if key not in study:
                msg = "[study]"
                raise bad(
                    msg,
                    f"missing '{key}' (e.g. start_date = 2026-01-05, duration_days = 28).",
                )
        sd = study["start_date"]
        if isinstance(sd, _dt.datetime):
            sd = sd.date()
        if not isinstance(sd, _dt.date):
            try:
                sd = _dt.date.fromisoformat(str(sd))
            except ValueError:
                msg = "[study] start_date"
                raise bad(msg, f"{sd!r} is not a date (YYYY-MM-DD).") from None
        groups = []
        raw_groups = spec.get("groups", [])
        if not raw_groups:
            msg = "[[groups]]"
            raise bad(msg, "no groups; add one [[groups]] table per arm with name and n.")
        for i, g in enumerate(raw_groups):
            if "name" not in g or "n" not in g:
                msg = f"groups[{i}]"
                raise bad(msg, "each group needs 'name' and 'n'.")
            agents = []
            for j, a in enumerate(g.get("agents", [])):
                if "agent" not in a or "dose_mg_per_kg" not in a:
                    msg = f"groups[{i}].agents[{j}]"
                    raise bad(msg, "each agent needs 'agent' and 'dose_mg_per_kg'.")
                try:
                    parse_schedule(a.get("schedule", "QD"))
                except DataValidationError as exc:
                    msg = f"groups[{i}].agents[{j}].schedule"
                    raise bad(msg, str(exc)) from None
                dose = float(a["dose_mg_per_kg"])
                if dose < 0:
                    msg = f"groups[{i}].agents[{j}]"
                    raise bad(msg, f"dose_mg_per_kg {dose} is negative.")
                agents.append(
                    AgentDose(
                        agent=str(a["agent"]),
                        dose_mg_per_kg=dose,
                        route=str(a.get("route", "PO")),
                        schedule=str(a.get("schedule", "QD")),
                        dose_volume_ml_per_kg=float(a.get("dose_volume_ml_per_kg", 10.0)),
                        start_day=int(a.get("start_day", 0)),
                        end_day=None if a.get("end_day") is None else int(a["end_day"]),
                    )
                )
            groups.append(GroupDesign(name=str(g["name"]), n=int(g["n"]), agents=tuple(agents)))
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            msg = "[[groups]]"
            raise bad(msg, f"group names repeat: {names}.")
        meas = dict(spec.get("measurements", {}))
        comb = spec.get("combination")
        if comb is not None:
            missing = [k for k in ("control", "a", "b", "combination") if k not in comb]
            if missing:
                msg = "[combination]"
                raise bad(msg, f"missing {missing}.")
            unknown = [v for v in comb.values() if str(v) not in names]
            if unknown:
                msg = "[combination]"
                raise bad(msg, f"{unknown} are not group names {names}.")
        window = tuple(float(x) for x in study.get("window_mm3", (100.0, 150.0)))
        follow_up = int(study.get("follow_up_days", 0))
        if follow_up < 0:
            msg = "[study] follow_up_days"
            raise bad(msg, f"{follow_up} is negative (days of follow-up after treatment).")
        return cls(
            name=str(study.get("name", "xenograft study")),
            start_date=sd,
            duration_days=int(study["duration_days"]),
            groups=tuple(groups),
            endpoint_mm3=float(study.get("endpoint_mm3", 1500.0)),
            window_mm3=(window[0], window[1]),
            caliper_per_week=int(meas.get("caliper_per_week", 3)),
            weight_per_week=int(meas.get("weight_per_week", 2)),
            combination=None if comb is None else {k: str(v) for k, v in comb.items()},
            extra={
                k: v
                for k, v in spec.items()
                if k not in {"study", "groups", "measurements", "combination"}
            },
            follow_up_days=follow_up,
        )


def _dosing_days(a: AgentDose, design: StudyDesign) -> list[tuple[int, int]]:
    """(study day, administrations) for one agent."""
    n_admin, weekdays = FREQUENCIES[a.frequency]
    pattern = a.pattern
    last = (
        design.duration_days - 1 if a.end_day is None else min(a.end_day, design.duration_days - 1)
    )
    out = []
    for day in range(a.start_day, last + 1):
        rel = day - a.start_day
        if weekdays is not None and rel % 7 not in weekdays:
            continue
        if pattern == "5/2":
            wd = (design.start_date + _dt.timedelta(days=day)).weekday()
            if wd >= 5:
                continue
        elif pattern == "3on1off" and (rel % 28) >= 21:
            continue
        out.append((day, n_admin))
    return out


def dosing_calendar(design: StudyDesign) -> pd.DataFrame:
    """Every dosing day of every group and agent.

    Returns
    -------
    pandas.DataFrame
        ``date, study_day, weekday, group, agent, dose_mg_per_kg, route, schedule,
        administrations`` (per day: 2 for BID).
    """
    rows = []
    for g in design.groups:
        for a in g.agents:
            for day, n_admin in _dosing_days(a, design):
                date = design.start_date + _dt.timedelta(days=day)
                rows.append(
                    {
                        "date": date.isoformat(),
                        "study_day": day,
                        "weekday": date.strftime("%a"),
                        "group": g.name,
                        "agent": a.agent,
                        "dose_mg_per_kg": a.dose_mg_per_kg,
                        "route": a.route,
                        "schedule": a.schedule,
                        "administrations": n_admin,
                    }
                )
    cols = [
        "date",
        "study_day",
        "weekday",
        "group",
        "agent",
        "dose_mg_per_kg",
        "route",
        "schedule",
        "administrations",
    ]
    return (
        pd.DataFrame(rows, columns=cols)
        .sort_values(["study_day", "group", "agent"], kind="stable")
        .reset_index(drop=True)
    )


def animal_doses(design: StudyDesign, body_weights: pd.DataFrame) -> pd.DataFrame:
    """Per-animal dose (mg) and formulation volume (mL) of every agent, from body weight.

    Parameters
    ----------
    design : StudyDesign
    body_weights : pandas.DataFrame
        ``subject, group, body_weight_g`` (one row per animal: the latest weight), or with a
        ``day`` column (weights over time: each dosing day uses the last weight on or before
        it, or the first weight if none).

    Returns
    -------
    pandas.DataFrame
        ``subject, group, agent, [study_day, date,] body_weight_g, dose_mg_per_kg,
        dose_mg`` (per administration), ``administrations, daily_dose_mg, volume_ml`` (per
        administration), ``concentration_mg_per_ml``.

    Notes
    -----
    dose (mg) = dose (mg/kg) × BW (g) / 1000; volume (mL) = dosing volume (mL/kg) × BW / 1000;
    concentration = dose (mg/kg) / dosing volume (mL/kg).

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> d = StudyDesign("s", datetime.date(2026, 1, 5), 7,
    ...     (GroupDesign("Defactinib", 1, (AgentDose("defactinib", 40.0),)),))
    >>> bw = pd.DataFrame({"subject": ["m1"], "group": ["Defactinib"], "body_weight_g": [25.0]})
    >>> animal_doses(d, bw)[["dose_mg", "volume_ml"]].values.tolist()
    [[1.0, 0.25]]
    """
    require_columns(body_weights, ["subject", "group", "body_weight_g"])
    bw = body_weights.copy()
    bw["subject"] = bw["subject"].astype(str)
    bw["body_weight_g"] = coerce_numeric(bw, "body_weight_g")
    check_nonnegative(bw["body_weight_g"], "body_weight_g")
    by_group = {g.name: g for g in design.groups}
    unknown = sorted(set(bw["group"].astype(str)) - set(by_group))
    if unknown:
        msg = (
            f"body-weight table has group(s) {unknown} that are not in the design {list(by_group)}."
        )
        raise DataValidationError(msg)
    rows = []
    over_time = "day" in bw.columns
    for s, sub in bw.groupby("subject", sort=False):
        g = by_group[str(sub["group"].iloc[0])]
        sub = sub.sort_values("day") if over_time else sub
        for a in g.agents:
            conc = (
                a.dose_mg_per_kg / a.dose_volume_ml_per_kg
                if a.dose_volume_ml_per_kg > 0
                else np.nan
            )
            days = _dosing_days(a, design) if over_time else [(None, FREQUENCIES[a.frequency][0])]
            for day, n_admin in days:
                if over_time:
                    prior = sub[sub["day"] <= day]
                    w = float((prior if len(prior) else sub.head(1))["body_weight_g"].iloc[-1])
                else:
                    w = float(sub["body_weight_g"].iloc[-1])
                dose = a.dose_mg_per_kg * w / 1000.0
                row = {"subject": s, "group": g.name, "agent": a.agent}
                if over_time:
                    row["study_day"] = day
                    row["date"] = (design.start_date + _dt.timedelta(days=day)).isoformat()
                row.update(
                    body_weight_g=w,
                    dose_mg_per_kg=a.dose_mg_per_kg,
                    dose_mg=dose,
                    administrations=n_admin,
                    daily_dose_mg=dose * n_admin,
                    volume_ml=a.dose_volume_ml_per_kg * w / 1000.0,
                    concentration_mg_per_ml=conc,
                )
                rows.append(row)
    return pd.DataFrame(rows)


_WEEKDAYS = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: tuple(range(7)),
}


def measurement_plan(design: StudyDesign, *, extra_days: int | None = None) -> pd.DataFrame:
    """Caliper and body-weight days (default 3×/week Mon-Wed-Fri and 2×/week Mon-Thu).

    Parameters
    ----------
    design : StudyDesign
    extra_days : int, optional
        Follow-up days after the treatment period (measurements continue); default the
        design's ``follow_up_days``.

    Returns
    -------
    pandas.DataFrame
        ``date, study_day, weekday, task`` with task ``calipers`` or ``body_weight``; day 0
        (baseline) always has both.
    """
    if extra_days is None:
        extra_days = design.follow_up_days
    rows = []
    for task, per_week in (
        ("calipers", design.caliper_per_week),
        ("body_weight", design.weight_per_week),
    ):
        if per_week not in _WEEKDAYS:
            msg = f"{task} per week must be 1–7, got {per_week}."
            raise DataValidationError(msg)
        wds = _WEEKDAYS[per_week]
        for day in range(design.duration_days + extra_days):
            date = design.start_date + _dt.timedelta(days=day)
            if day == 0 or date.weekday() in wds:
                rows.append(
                    {
                        "date": date.isoformat(),
                        "study_day": day,
                        "weekday": date.strftime("%a"),
                        "task": task,
                    }
                )
    return (
        pd.DataFrame(rows).sort_values(["study_day", "task"], kind="stable").reset_index(drop=True)
    )


def study_calendar(design: StudyDesign, *, extra_days: int | None = None) -> pd.DataFrame:
    """One table of everything that happens each day: dosing per group and measurements.

    ``extra_days``: follow-up days of measurements after treatment (default the design's
    ``follow_up_days``).

    Returns
    -------
    pandas.DataFrame
        ``date, study_day, weekday, kind`` (``dosing``/``calipers``/``body_weight``),
        ``details``.
    """
    dc = dosing_calendar(design)
    rows = []
    for (date, day, wd), sub in dc.groupby(["date", "study_day", "weekday"], sort=False):
        det = "; ".join(
            f"{r.group}: {r.agent}"
            + (f" {r.dose_mg_per_kg:g} mg/kg" if r.dose_mg_per_kg > 0 else "")
            + f" {r.route}"
            + (f" ×{r.administrations}" if r.administrations > 1 else "")
            for r in sub.itertuples()
        )
        rows.append(
            {"date": date, "study_day": day, "weekday": wd, "kind": "dosing", "details": det}
        )
    mp = measurement_plan(design, extra_days=extra_days)
    for r in mp.itertuples():
        det = "tumour calipers (length, width)" if r.task == "calipers" else "body weight"
        rows.append(
            {
                "date": r.date,
                "study_day": r.study_day,
                "weekday": r.weekday,
                "kind": r.task,
                "details": det,
            }
        )
    out = pd.DataFrame(rows, columns=["date", "study_day", "weekday", "kind", "details"])
    return out.sort_values(["study_day", "kind"], kind="stable").reset_index(drop=True)


def _ics_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_to_ics(calendar: pd.DataFrame, *, name: str = "xenograft study") -> str:
    """iCalendar (RFC 5545) text with one all-day event per row of :func:`study_calendar`.

    Examples
    --------
    >>> cal = pd.DataFrame({"date": ["2026-01-05"], "study_day": [0], "kind": ["calipers"],
    ...                     "details": ["tumour calipers"]})
    >>> "DTSTART;VALUE=DATE:20260105" in calendar_to_ics(cal)
    True
    """
    require_columns(calendar, ["date", "study_day", "kind", "details"])
    stamp = "19700101T000000Z"  # fixed: the file depends only on the design (reproducible)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//RepurposeKit//invivo calendar//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_escape(name)}",
    ]
    for i, r in enumerate(calendar.itertuples()):
        d = _dt.date.fromisoformat(str(r.date))
        nxt = d + _dt.timedelta(days=1)
        title = {"dosing": "Dosing", "calipers": "Calipers", "body_weight": "Body weight"}.get(
            r.kind, str(r.kind)
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:rk-{d.strftime('%Y%m%d')}-{r.kind}-{i}@repurposekit",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{d.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{nxt.strftime('%Y%m%d')}",
            f"SUMMARY:{_ics_escape(f'{name}: {title} (day {r.study_day})')}",
            f"DESCRIPTION:{_ics_escape(str(r.details))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _fold(line: str, limit: int = 75) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(cur)
            cur, size = " ", 1
        cur += ch
        size += n
    out.append(cur)
    return "\r\n".join(out)
