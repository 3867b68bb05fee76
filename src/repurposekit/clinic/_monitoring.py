"""Monitoring schedule: what is due when (eye exams, liver tests, CPK) and supportive care."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.clinic._events import parse_date
from repurposekit.knowledge._clinical import MonitoringPlan, load_monitoring, load_regimen

__all__ = ["MonitoringSchedule", "monitoring_schedule"]


@dataclass(frozen=True, eq=False)
class MonitoringSchedule:
    """Dated monitoring items and supportive care for a number of cycles.

    Attributes
    ----------
    table : DataFrame
        ``date``, ``cycle``, ``cycle_day``, ``item``, ``what``, ``timing``, ``cite``; one row
        per assessment due (due on or before the date).
    supportive : DataFrame
        ``item``, ``what``, ``from_date``, ``until_at_least`` (None: throughout), ``cite``.
    """

    table: pd.DataFrame
    supportive: pd.DataFrame
    plan: MonitoringPlan
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The dated assessments (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Dates per item, one line each."""
        lines = []
        for item, g in self.table.groupby("item", sort=False):
            dates = ", ".join(f"{d:%Y-%m-%d}" for d in g["date"])
            lines.append(f"{item}: {dates}")
        return "\n".join(lines)


def monitoring_schedule(
    start: dt.date | str,
    *,
    cycles: int = 6,
    plan: str | Path | MonitoringPlan = "defactinib-avutometinib",
    cycle_length_days: int | None = None,
) -> MonitoringSchedule:
    """Dates of every monitoring item for ``cycles`` cycles from ``start`` (cycle 1 day 1).

    Parameters
    ----------
    start : date or str
        Cycle 1 day 1.
    cycles : int
        Number of cycles to list.
    plan : str, Path or MonitoringPlan
        Built-in plan name, a site's YAML file, or a loaded plan.
    cycle_length_days : int, optional
        Cycle length; by default that of the plan's regimen (28 days).

    Returns
    -------
    MonitoringSchedule

    Notes
    -----
    "Before cycle *n*" is dated on cycle *n* day 1 (due on or before it); the baseline is dated
    on cycle 1 day 1. "Every 3 cycles thereafter" after cycle 2 gives cycles 5, 8, 11, ...

    Examples
    --------
    >>> s = monitoring_schedule("2026-01-05", cycles=6)
    >>> s.to_frame().groupby("item")["date"].count().to_dict()
    {'cpk': 10, 'liver_function_tests': 10, 'ophthalmic_exam': 3}
    """
    mp = plan if isinstance(plan, MonitoringPlan) else load_monitoring(plan)
    start_date = parse_date(start, name="start")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1:
        msg = f"cycles must be a whole number >= 1, got {cycles!r}."
        raise DataValidationError(msg)
    length = cycle_length_days or load_regimen(mp.regimen).cycle_length_days

    def day(cycle: int, cday: int) -> dt.date:
        return start_date + dt.timedelta(days=(cycle - 1) * length + cday - 1)

    rows = []
    for a in mp.assessments:
        due: dict[tuple[int, int], str] = {}
        if a.baseline:
            due[(1, 1)] = "baseline (before cycle 1)"
        for c in range(1, cycles + 1):
            before = a.before_each_cycle or c in a.before_cycles
            if a.every_n_cycles is not None:
                n, after = a.every_n_cycles
                before = before or (c > after and (c - after) % n == 0)
            if before and (c, 1) not in due:
                due[(c, 1)] = f"before cycle {c}"
            if a.cycle_day is not None and c <= a.cycle_day[1]:
                due[(c, a.cycle_day[0])] = f"cycle {c} day {a.cycle_day[0]}"
        for (c, cd), timing in sorted(due.items()):
            rows.append(
                {
                    "date": day(c, cd),
                    "cycle": c,
                    "cycle_day": cd,
                    "item": a.id,
                    "what": a.what,
                    "timing": timing,
                    "cite": "; ".join(a.cite),
                }
            )
    table = pd.DataFrame(rows).sort_values(["date", "item"], kind="stable").reset_index(drop=True)
    care = []
    for s in mp.supportive_care:
        until = None
        if s.for_at_least_cycles is not None:
            until = day(s.from_cycle + s.for_at_least_cycles - 1, length)
        care.append(
            {
                "item": s.id,
                "what": s.what,
                "from_date": day(s.from_cycle, 1),
                "until_at_least": until,
                "cite": "; ".join(s.cite),
            }
        )
    return MonitoringSchedule(
        table=table,
        supportive=pd.DataFrame(care),
        plan=mp,
        settings=_settings(start=start_date.isoformat(), cycles=cycles, plan_version=mp.version),
    )
