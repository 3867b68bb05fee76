"""Figures of the clinic stage: regimen calendar strip and a patient's decision timeline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax, tidy_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["calendar_strip", "decision_timeline"]

# status colours: full dose, reduced dose, withheld, off week, discontinued
_STATUS_COLOURS = {
    "dose": "#0072B2",
    "reduced": "#56B4E9",
    "held": "#D55E00",
    "off": "#EEEEEE",
    "discontinued": "#555555",
}
_GRADE_COLOURS = ("#BBBBBB", "#F0E442", "#E69F00", "#D55E00", "#7F0000")
_ACTION_SHORT = {
    "continue": "continue",
    "withhold": "withhold",
    "resume_same": "resume same",
    "resume_reduced": "resume reduced",
    "reduce": "reduce",
    "discontinue": "DISCONTINUE",
    "no_rule": "no rule",
}


def _status_codes(table: Any, agents: list[str]) -> tuple[np.ndarray, list[dt.date]]:
    keys = list(_STATUS_COLOURS)
    dates = sorted(table["date"].unique())
    codes = np.zeros((len(agents), len(dates)), dtype=int)
    for i, a in enumerate(agents):
        sub = table[table["agent"] == a].set_index("date")
        for j, d in enumerate(dates):
            st = sub.at[d, "status"]
            if st == "dose" and sub.at[d, "dose_level"] < 0:
                st = "reduced"
            codes[i, j] = keys.index(st)
    return codes, dates


def _status_legend(
    ax: Axes, used: set[int], *, loc: str = "upper center", extra: list | None = None
) -> None:
    from matplotlib.patches import Patch

    labels = {
        "dose": "dose (starting level)",
        "reduced": "dose (reduced level)",
        "held": "withheld",
        "off": "off (days 22-28)",
        "discontinued": "discontinued",
    }
    keys = list(_STATUS_COLOURS)
    handles = [
        Patch(facecolor=_STATUS_COLOURS[keys[i]], edgecolor="#999999", label=labels[keys[i]])
        for i in sorted(used)
    ]
    handles += list(extra or [])
    ax.legend(
        handles=handles, loc=loc, bbox_to_anchor=(0.5, -0.22), ncol=len(handles), fontsize="small"
    )


def calendar_strip(
    calendar: Any, *, ax: Axes | None = None, monitoring: Any = None, title: str | None = None
) -> Axes:
    """Day-by-day strip of each agent's dosing status over the calendar's cycles.

    Parameters
    ----------
    calendar : RegimenCalendar
        From :func:`repurposekit.clinic.regimen_calendar` or ``Course.calendar()``.
    ax : Axes, optional
    monitoring : MonitoringSchedule, optional
        Adds a marker row of monitoring dates (eye exam, liver tests/CPK).
    title : str, optional

    Returns
    -------
    Axes
    """
    from matplotlib.colors import ListedColormap

    table = calendar.table
    agents = list(calendar.regimen.agent_ids)
    codes, dates = _status_codes(table, agents)
    n_days = len(dates)
    ax = get_ax(ax, figsize=(min(14.0, 3.0 + n_days * 0.06), 1.6 + 0.45 * len(agents)))
    cmap = ListedColormap(list(_STATUS_COLOURS.values()))
    ax.imshow(
        codes,
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=len(_STATUS_COLOURS) - 0.5,
        interpolation="nearest",
        extent=(-0.5, n_days - 0.5, len(agents) - 0.5, -0.5),
    )
    # doses per day as small numbers of units (tablets/capsules) when the strip is short
    if n_days <= 60:
        for i, a in enumerate(agents):
            sub = table[table["agent"] == a].reset_index(drop=True)
            for j, u in enumerate(sub["units"]):
                if u:
                    ax.text(j, i, str(u), ha="center", va="center", fontsize=6, color="white")
    labels = [
        f"{calendar.regimen.agent(a).display}\n{calendar.regimen.agent(a).levels[0].label}"
        for a in agents
    ]
    ax.set_yticks(range(len(agents)), labels, fontsize="small")
    length = calendar.regimen.cycle_length_days
    starts = list(range(0, n_days, length))
    ax.set_xticks(
        starts, [f"C{k + 1}D1\n{dates[s]:%d %b}" for k, s in enumerate(starts)], fontsize="small"
    )
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="black", lw=0.8)
    if monitoring is not None:
        mon = monitoring.table
        offsets = {d: i for i, d in enumerate(dates)}
        marks = {
            "ophthalmic_exam": ("v", "#CC79A7", "eye exam"),
            "liver_function_tests": ("^", "#009E73", "LFT + CPK"),
        }
        for item, (marker, colour, label) in marks.items():
            xs = [offsets[d] for d in mon.loc[mon["item"] == item, "date"] if d in offsets]
            ax.scatter(
                xs,
                [-0.75] * len(xs),
                marker=marker,
                color=colour,
                s=28,
                label=label,
                clip_on=False,
                zorder=5,
            )
        ax.set_ylim(len(agents) - 0.5, -1.0)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _status_legend(ax, set(np.unique(codes).tolist()), extra=ax.get_legend_handles_labels()[0])
    who = f" — {calendar.patient}" if calendar.patient else ""
    ax.set_title(title or f"{calendar.regimen.name}: {calendar.cycles} cycle(s){who}", loc="left")
    return ax


def decision_timeline(course: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Adverse events, lab grades and dose decisions of one patient over time.

    Top rows: each agent's daily status (full dose, reduced, withheld, discontinued). Below: one
    row per adverse-event category with a marker per observation coloured by grade and labelled
    with the decision and the rule that fired.

    Parameters
    ----------
    course : Course
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    cal = course.calendar()
    agents = list(course.regimen.agent_ids)
    codes, dates = _status_codes(cal.table, agents)
    # dosing rows show the status over every day (off days included)
    cats = [
        c
        for c in course.rules.categories
        if any(e.observation.category == c for e in course.entries)
    ]
    n_rows = len(agents) + len(cats)
    ax = get_ax(ax, figsize=(12.0, 2.2 + 0.6 * n_rows))
    x0 = dates[0]
    cmap = ListedColormap(list(_STATUS_COLOURS.values()))
    ax.imshow(
        codes,
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=len(_STATUS_COLOURS) - 0.5,
        interpolation="nearest",
        extent=(-0.5, len(dates) - 0.5, len(agents) - 0.5, -0.5),
    )
    y_of = {c: len(agents) + i for i, c in enumerate(cats)}
    for i in range(len(cats)):
        ax.axhline(len(agents) + i, color="#DDDDDD", lw=0.8, zorder=0)
    last_label_x: dict[str, float] = {}
    for e in course.entries:
        o, d = e.observation, e.decision
        x = (o.date - x0).days
        y = y_of[o.category]
        ax.scatter(x, y, s=70, color=_GRADE_COLOURS[min(o.grade, 4)], edgecolor="black", zorder=4)
        if d.action in ("continue",) or (d.action == "no_rule" and o.grade <= 1):
            continue
        # alternate above/below the marker when the previous label on the row is close
        below = x - last_label_x.get(o.category, -99) < 16
        last_label_x[o.category] = x if not below else -99
        text = f"{_ACTION_SHORT[d.action]} [{d.rule_id}]"
        weight = "bold" if d.action == "discontinue" else "normal"
        ax.annotate(
            text,
            (x, y),
            xytext=(5 if x < 0.8 * len(dates) else -5, -7 if below else 7),
            textcoords="offset points",
            fontsize=6.5,
            fontweight=weight,
            va="top" if below else "bottom",
            ha="left" if x < 0.8 * len(dates) else "right",
        )
    ax.set_ylim(n_rows - 0.3, -0.5)
    ax.set_xlim(-0.5, len(dates) - 0.5)
    ax.set_yticks(
        range(n_rows),
        [course.regimen.agent(a).display for a in agents]
        + [course.rules.categories[c].label.split(" (")[0] for c in cats],
        fontsize="small",
    )
    length = course.regimen.cycle_length_days
    starts = list(range(0, len(dates), length))
    ax.set_xticks(
        starts, [f"C{k + 1}\n{dates[s]:%d %b}" for k, s in enumerate(starts)], fontsize="small"
    )
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="black", lw=0.6, alpha=0.5)
    tidy_axes(ax)
    grade_handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=_GRADE_COLOURS[g],
            markeredgecolor="black",
            label=f"grade {g}",
        )
        for g in range(5)
    ]
    _status_legend(ax, set(np.unique(codes).tolist()), extra=grade_handles)
    sim = " (SIMULATED patient)" if course.simulated else ""
    ax.set_title(title or f"Dose decisions: {course.patient}{sim}", loc="left")
    return ax
