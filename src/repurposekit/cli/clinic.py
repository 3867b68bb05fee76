"""``rk clinic``: regimen calendars, CTCAE grading, dose-modification decisions, monitoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from repurposekit.cli._common import console, ensure_out_dir, write_table

app = typer.Typer(no_args_is_help=True)


def _read_yaml(path: Path, what: str) -> Any:
    import yaml

    from repurposekit._exceptions import DataValidationError

    if not path.is_file():
        msg = f"{path}: {what} file not found."
        raise DataValidationError(msg)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        msg = f"{path}: not valid YAML ({str(exc).splitlines()[0]})."
        raise DataValidationError(msg) from None


@app.command()
def calendar(
    regimen: str = typer.Option(
        "defactinib-avutometinib", "--regimen", help="Regimen id or TOML file."
    ),
    start: str = typer.Option(..., "--start", help="Cycle 1 day 1 (YYYY-MM-DD)."),
    cycles: int = typer.Option(1, "--cycles", min=1, help="Number of 28-day cycles."),
    weekdays: str = typer.Option(
        "",
        "--weekdays",
        help="Weekdays of twice-weekly agents, e.g. Mon,Thu (default: days 1 and 4 of each week).",
    ),
    course: Path = typer.Option(
        None, "--course", help="Patient course YAML: apply its dose levels and holds."
    ),
    out: Path = typer.Option(Path("rk-clinic"), "--out", "-o", help="Output folder."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Also write calendar.png."),
) -> None:
    """Per-day doses of each agent (calendar.csv, calendar.ics, supply.csv).

    Example: rk clinic calendar --regimen defactinib-avutometinib --start 2026-01-05 --cycles 2 --out cal
    """
    from repurposekit.cli._common import parse_list, save_figure
    from repurposekit.clinic import Course, regimen_calendar

    out = ensure_out_dir(out)
    if course is not None:
        c = Course.from_yaml(course)
        cal = c.calendar(cycles=cycles)
    else:
        cal = regimen_calendar(
            regimen, start=start, cycles=cycles, weekdays=parse_list(weekdays) or None
        )
    write_table(
        cal.to_frame(),
        out / "calendar.csv",
        header=[f"{cal.regimen.name}, version {cal.regimen.version}"],
    )
    write_table(cal.supply(), out / "supply.csv")
    (out / "calendar.ics").write_text(cal.to_ics(), encoding="utf-8", newline="")
    if plot:
        from repurposekit.plot.clinic import calendar_strip

        save_figure(calendar_strip(cal).figure, out / "calendar.png")
    console.print(cal.summary(), highlight=False)
    console.print(f"wrote {out}/calendar.csv, calendar.ics, supply.csv", highlight=False)


@app.command()
def grade(
    test: str = typer.Option(..., "--test", help="ALT, AST, bilirubin or CPK."),
    value: float = typer.Option(..., "--value", help="Measured value."),
    uln: float = typer.Option(None, "--uln", help="Upper limit of normal (same unit). Required."),
    baseline: float = typer.Option(
        None, "--baseline", help="Baseline value (baseline-abnormal rule)."
    ),
    ctcae: str = typer.Option("5.0", "--ctcae", help="CTCAE version or YAML file."),
) -> None:
    """CTCAE grade of one laboratory value (JSON on stdout).

    Example: rk clinic grade --test ALT --value 201 --uln 40
    """
    from repurposekit.clinic import grade_lab

    g = grade_lab(test, value, uln=uln, baseline=baseline, ctcae_version=ctcae, source="--value")
    typer.echo(json.dumps(g.to_dict(), indent=2))


@app.command()
def decide(
    course: Path = typer.Option(
        ..., "--course", help="Patient course YAML (header, baseline, events)."
    ),
    event: Path = typer.Option(
        None, "--event", help="YAML file with one adverse-event observation."
    ),
    lab: Path = typer.Option(
        None, "--lab", help="YAML file with one lab event (liver panel or CPK)."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Folder for decision.json and the updated course (a new file)."
    ),
) -> None:
    """Decision for a new event or lab given a patient's course (JSON on stdout).

    Example: rk clinic decide --course course.yaml --event event.yaml
    """
    from repurposekit._exceptions import DataValidationError
    from repurposekit.clinic import Course

    if (event is None) == (lab is None):
        msg = "give exactly one of --event or --lab."
        raise DataValidationError(msg)
    path = event or lab
    data = _read_yaml(path, "event")
    if isinstance(data, dict) and lab is not None:
        data.setdefault("type", "lab")
    c = Course.from_yaml(course)
    decision = c.record(data, source=str(path))
    text = json.dumps(decision.to_dict(), indent=2)
    typer.echo(text)
    if out is not None:
        out = ensure_out_dir(out)
        (out / "decision.json").write_text(text + "\n", encoding="utf-8")
        n = 1
        while (out / f"course_{n:03d}.yaml").exists():
            n += 1
        c.to_yaml(out / f"course_{n:03d}.yaml")


@app.command()
def monitoring(
    start: str = typer.Option("2026-01-05", "--start", help="Cycle 1 day 1 (YYYY-MM-DD)."),
    cycles: int = typer.Option(6, "--cycles", min=1, help="Number of cycles."),
    plan: str = typer.Option(
        "defactinib-avutometinib", "--plan", help="Monitoring plan name or YAML file."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Folder for monitoring.csv and supportive_care.csv."
    ),
) -> None:
    """What is due when: eye exams, liver tests, CPK, and supportive care.

    Example: rk clinic monitoring --start 2026-01-05 --cycles 6
    """
    from rich.table import Table

    from repurposekit.clinic import monitoring_schedule

    s = monitoring_schedule(start, cycles=cycles, plan=plan)
    t = Table(title=f"Monitoring, {cycles} cycles from {start}")
    for col in ("date", "cycle", "day", "item", "timing"):
        t.add_column(col)
    for r in s.table.itertuples():
        t.add_row(f"{r.date}", str(r.cycle), str(r.cycle_day), r.item, r.timing)
    console.print(t)
    for r in s.supportive.itertuples():
        until = f"for at least until {r.until_at_least}" if r.until_at_least else "throughout"
        console.print(f"supportive care: {r.what} — from {r.from_date}, {until}", highlight=False)
    if out is not None:
        out = ensure_out_dir(out)
        write_table(s.to_frame(), out / "monitoring.csv")
        write_table(s.supportive, out / "supportive_care.csv")
