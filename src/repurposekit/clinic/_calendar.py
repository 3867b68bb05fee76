"""Regimen calendars: per-day doses of each agent over 28-day cycles, with dose levels and holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.clinic._events import parse_date
from repurposekit.knowledge._clinical import Agent, Regimen, load_regimen

__all__ = ["RegimenCalendar", "regimen_calendar"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: A change of dose levels / status effective from a date (inclusive): (date, levels, status).
Change = tuple[dt.date, Mapping[str, int], str]


@dataclass(frozen=True, eq=False)
class RegimenCalendar:
    """Per-day, per-agent dosing plan.

    Attributes
    ----------
    table : DataFrame
        One row per day and agent: ``date``, ``cycle``, ``cycle_day``, ``weekday``, ``agent``,
        ``scheduled`` (a dosing day of the regimen), ``status`` (``dose``, ``off``, ``held``,
        ``discontinued``), ``dose_level``, ``dose_mg`` (per administration),
        ``administrations``, ``units`` (tablets/capsules that day), ``unit_form``, ``label``.
    regimen : Regimen
    start : datetime.date
        Day 1 of cycle 1.
    cycles : int
    """

    table: pd.DataFrame
    regimen: Regimen
    start: dt.date
    cycles: int
    patient: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-day table (a copy)."""
        return self.table.copy()

    def supply(self) -> pd.DataFrame:
        """Units, administrations and dosing days per cycle and agent (given doses only).

        Examples
        --------
        >>> cal = regimen_calendar(start="2026-01-05", cycles=1)
        >>> cal.supply()[["agent", "dosing_days", "units"]].to_dict("records")
        [{'agent': 'defactinib', 'dosing_days': 21, 'units': 42}, {'agent': 'avutometinib', 'dosing_days': 6, 'units': 24}]
        """
        dosed = self.table[self.table["status"] == "dose"]
        out = []
        for (cycle, agent), g in dosed.groupby(["cycle", "agent"], sort=False):
            out.append(
                {
                    "cycle": int(cycle),
                    "agent": agent,
                    "dosing_days": len(g),
                    "administrations": int(g["administrations"].sum()),
                    "units": int(g["units"].sum()),
                    "unit_form": g["unit_form"].iloc[0],
                    "total_mg": float((g["dose_mg"] * g["administrations"]).sum()),
                }
            )
        return pd.DataFrame(out).sort_values(["cycle"], kind="stable").reset_index(drop=True)

    def summary(self) -> str:
        """One line per agent: doses given per cycle."""
        sup = self.supply()
        lines = [f"{self.regimen.name}: {self.cycles} cycle(s) from {self.start}"]
        for agent, g in sup.groupby("agent", sort=False):
            lines.append(
                f"  {agent}: {g['units'].sum()} {g['unit_form'].iloc[0]}s over "
                f"{g['dosing_days'].sum()} dosing days"
            )
        return "\n".join(lines)

    def to_ics(self, *, dtstamp: dt.datetime | None = None) -> str:
        """iCalendar (RFC 5545) text: one all-day event per agent and dosing (or held) day."""
        stamp = (dtstamp or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        who = f" ({self.patient})" if self.patient else ""
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//RepurposeKit//clinic calendar//EN",
            "CALSCALE:GREGORIAN",
            f"X-WR-CALNAME:{_ics_escape(self.regimen.name + who)}",
        ]
        rows = self.table[self.table["status"].isin(["dose", "held"])]
        for r in rows.itertuples(index=False):
            day = r.date
            agent = self.regimen.agent(r.agent)
            if r.status == "dose":
                summary = f"{agent.display} {r.label}"
                desc = (
                    f"Cycle {r.cycle} day {r.cycle_day}: {r.units} x {agent.unit_strength_mg:g} mg "
                    f"{agent.form}(s) in {r.administrations} administration(s). {agent.administration}"
                )
            else:
                summary = f"{agent.display} WITHHELD"
                desc = f"Cycle {r.cycle} day {r.cycle_day}: dose withheld (adverse-event rule)."
            lines += [
                "BEGIN:VEVENT",
                f"UID:{day:%Y%m%d}-{r.agent}-{self.patient or 'patient'}@repurposekit",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_ics_escape(summary)}",
                f"DESCRIPTION:{_ics_escape(desc)}",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return "\r\n".join(_fold(line) for line in lines) + "\r\n"

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Calendar strip (see :func:`repurposekit.plot.clinic.calendar_strip`)."""

        from repurposekit.plot import clinic as plot  # lazy: keeps matplotlib out

        return plot.calendar_strip(self, ax=ax, **kwargs)


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,").replace("\n", r"\n")


def _fold(line: str) -> str:
    """Fold iCalendar lines longer than 75 octets (RFC 5545 section 3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, cur = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > (75 if not parts else 74):
            parts.append(cur.decode("utf-8"))
            cur = b""
        cur += b
    parts.append(cur.decode("utf-8"))
    return "\r\n ".join(parts)


def _scheduled(
    agent: Agent, cycle_day: int, date: dt.date, weekdays: tuple[int, ...] | None
) -> bool:
    first, last = agent.on_days
    if not first <= cycle_day <= last:
        return False
    if agent.schedule == "daily":
        return True
    if weekdays is not None:
        return date.weekday() in weekdays
    return ((cycle_day - 1) % 7) + 1 in agent.week_days


def regimen_calendar(
    regimen: str | Path | Regimen = "defactinib-avutometinib",
    *,
    start: dt.date | str,
    cycles: int = 1,
    weekdays: Sequence[str] | None = None,
    levels: Mapping[str, int] | None = None,
    changes: Sequence[Change] = (),
    patient: str = "",
) -> RegimenCalendar:
    """Per-day doses of each agent for ``cycles`` cycles starting on ``start`` (cycle 1 day 1).

    Parameters
    ----------
    regimen : str, Path or Regimen
        Built-in regimen id, a site's TOML file, or a loaded :class:`Regimen`.
    start : date or str
        Cycle 1 day 1 (``YYYY-MM-DD``).
    cycles : int
        Number of cycles (>= 1).
    weekdays : sequence of str, optional
        Calendar weekdays for twice-weekly agents, e.g. ``("Mon", "Thu")``. By default the
        regimen's days of each treatment week are used (days 1 and 4 of each week, which fall on
        Monday and Thursday when a cycle starts on a Monday).
    levels : mapping, optional
        Current dose level per agent (0 starting, -1 reduced); default all 0.
    changes : sequence of (date, levels, status)
        Changes effective from a date (inclusive), in date order, e.g. from a patient's
        decisions; ``status`` is ``on``, ``held`` or ``discontinued``.
    patient : str
        Patient label (calendar name and event ids).

    Returns
    -------
    RegimenCalendar

    Notes
    -----
    Cycles keep their 28-day rhythm: a withheld dose is skipped, not made up, and the next cycle
    starts on schedule. Units per day are ``units_per_administration x administrations``.

    Examples
    --------
    >>> cal = regimen_calendar(start="2026-01-05", cycles=2)
    >>> cal.to_frame().groupby("agent")["units"].sum().to_dict()
    {'avutometinib': 48, 'defactinib': 84}
    """
    reg = regimen if isinstance(regimen, Regimen) else load_regimen(regimen)
    start_date = parse_date(start, name="start")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1:
        msg = f"cycles must be a whole number >= 1, got {cycles!r}."
        raise DataValidationError(msg)
    wd = None
    if weekdays is not None:
        names = [str(w).strip()[:3].title() for w in weekdays]
        bad = [w for w in names if w not in _WEEKDAYS]
        if bad or len(names) != 2:
            msg = f"weekdays must be two of {', '.join(_WEEKDAYS)} (e.g. Mon,Thu), got {list(weekdays)}."
            raise DataValidationError(msg)
        wd = tuple(_WEEKDAYS.index(w) for w in names)
    cur_levels = {a.id: 0 for a in reg.agents}
    if levels:
        unknown = set(levels) - set(cur_levels)
        if unknown:
            msg = f"unknown agent(s) {sorted(unknown)} in levels; agents: {', '.join(cur_levels)}."
            raise DataValidationError(msg)
        for a, lv in levels.items():
            reg.agent(a).level(lv)
            cur_levels[a] = lv
    status = "on"
    pending = sorted(changes, key=lambda c: c[0])
    rows = []
    n_days = cycles * reg.cycle_length_days
    ci = 0
    for offset in range(n_days):
        date = start_date + dt.timedelta(days=offset)
        while ci < len(pending) and pending[ci][0] <= date:
            cur_levels = dict(pending[ci][1])
            status = pending[ci][2]
            ci += 1
        cycle, cycle_day = divmod(offset, reg.cycle_length_days)
        for a in reg.agents:
            sched = _scheduled(a, cycle_day + 1, date, wd)
            lv = a.level(cur_levels[a.id])
            if not sched:
                st = "off"
            elif status == "discontinued":
                st = "discontinued"
            elif status == "held":
                st = "held"
            else:
                st = "dose"
            given = st == "dose"
            rows.append(
                {
                    "date": date,
                    "cycle": cycle + 1,
                    "cycle_day": cycle_day + 1,
                    "weekday": _WEEKDAYS[date.weekday()],
                    "agent": a.id,
                    "scheduled": sched,
                    "status": st,
                    "dose_level": cur_levels[a.id],
                    "dose_mg": lv.dose_mg if given else 0.0,
                    "administrations": lv.administrations_per_day if given else 0,
                    "units": lv.units_per_administration * lv.administrations_per_day
                    if given
                    else 0,
                    "unit_form": a.form,
                    "label": lv.label if given else st,
                }
            )
    table = pd.DataFrame(rows)
    return RegimenCalendar(
        table=table,
        regimen=reg,
        start=start_date,
        cycles=cycles,
        patient=patient,
        settings=_settings(
            regimen=reg.id,
            regimen_version=reg.version,
            start=start_date.isoformat(),
            cycles=cycles,
            weekdays=list(weekdays) if weekdays else None,
        ),
    )
