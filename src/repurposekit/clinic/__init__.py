"""Clinic: regimen calendars, CTCAE grading, dose-modification decisions, monitoring, trial endpoints.

The protocol is data (``repurposekit/knowledge/data/``): the regimen (agents, dose levels,
schedule), the adverse-event dose-modification table, CTCAE grading bands and the monitoring
plan, each value with its citation. This package evaluates them:

- :func:`regimen_calendar` — per-day doses of each agent (CSV / ICS);
- :func:`grade_lab` / :func:`grade_labs` — CTCAE grade of ALT, AST, bilirubin, CPK;
- :class:`Course` — a patient's append-only course; ``Course.record(event)`` returns a frozen
  :class:`Decision` with the rule that fired, its citation and the trace of why;
- :func:`monitoring_schedule` — eye exams, LFT/CPK draws and supportive care, with dates;
- trial endpoints: :func:`objective_response_rate`, :func:`response_rates`,
  :func:`duration_of_response`, :func:`time_to_event`, :func:`simon_two_stage`,
  :func:`waterfall_data`, :func:`swimmer_data`.

The rules are decision support for review by a clinician, not a substitute for the label.
"""

from repurposekit.clinic._calendar import RegimenCalendar, regimen_calendar
from repurposekit.clinic._course import Course, Entry
from repurposekit.clinic._engine import ACTIONS, CourseState, Decision, Observation, evaluate
from repurposekit.clinic._events import AdverseEvent, LabResult, LabValue, parse_event
from repurposekit.clinic._grading import LabGrade, grade_lab, grade_labs
from repurposekit.clinic._monitoring import MonitoringSchedule, monitoring_schedule
from repurposekit.clinic._trial import (
    RESPONSE_CATEGORIES,
    EndpointKM,
    RateResult,
    ResponseRates,
    SimonDesign,
    SimonResult,
    clopper_pearson,
    duration_of_response,
    objective_response_rate,
    response_rates,
    simon_two_stage,
    swimmer_data,
    time_to_event,
    waterfall_data,
)

__all__ = [
    "ACTIONS",
    "RESPONSE_CATEGORIES",
    "AdverseEvent",
    "Course",
    "CourseState",
    "Decision",
    "EndpointKM",
    "Entry",
    "LabGrade",
    "LabResult",
    "LabValue",
    "MonitoringSchedule",
    "Observation",
    "RateResult",
    "RegimenCalendar",
    "ResponseRates",
    "SimonDesign",
    "SimonResult",
    "clopper_pearson",
    "duration_of_response",
    "evaluate",
    "grade_lab",
    "grade_labs",
    "monitoring_schedule",
    "objective_response_rate",
    "parse_event",
    "regimen_calendar",
    "response_rates",
    "simon_two_stage",
    "swimmer_data",
    "time_to_event",
    "waterfall_data",
]
