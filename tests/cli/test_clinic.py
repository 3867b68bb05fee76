"""``rk clinic``: calendar, grade, decide, monitoring; bad input -> exit code 2 naming the place."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from repurposekit.cli import main
from repurposekit.cli.clinic import app
from repurposekit.datasets import path

runner = CliRunner()


def rk(capsys, *args):
    """Run ``rk`` in-process; return (exit code, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code, capsys.readouterr().err


def test_calendar_writes_csv_ics_png(tmp_path):
    r = runner.invoke(
        app,
        [
            "calendar",
            "--regimen",
            "defactinib-avutometinib",
            "--start",
            "2026-01-05",
            "--cycles",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    for f in ("calendar.csv", "calendar.ics", "supply.csv", "calendar.png"):
        assert (tmp_path / f).stat().st_size > 0
    assert "42" in (tmp_path / "supply.csv").read_text()
    assert "24" in (tmp_path / "supply.csv").read_text()


def test_calendar_from_course(tmp_path):
    r = runner.invoke(
        app,
        [
            "calendar",
            "--start",
            "2026-01-05",
            "--course",
            str(path("clinic", "simulated_course.yaml")),
            "--cycles",
            "5",
            "--out",
            str(tmp_path),
            "--no-plot",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "held" in (tmp_path / "calendar.csv").read_text()


def test_grade_json():
    r = runner.invoke(app, ["grade", "--test", "ALT", "--value", "201", "--uln", "40"])
    assert r.exit_code == 0
    assert json.loads(r.output)["grade"] == 3


def test_decide_event_and_lab(tmp_path):
    ev = tmp_path / "event.yaml"
    ev.write_text(
        yaml.safe_dump({"date": "2026-05-04", "category": "rash", "grade": 3}), encoding="utf-8"
    )
    course = tmp_path / "course.yaml"
    course.write_text(
        yaml.safe_dump({"patient": "X", "start": "2026-01-05", "events": []}), encoding="utf-8"
    )
    r = runner.invoke(
        app, ["decide", "--course", str(course), "--event", str(ev), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["action"] == "withhold"
    assert d["rule"]["id"] == "rash-g3-first"
    assert (tmp_path / "o" / "course_001.yaml").exists()
    assert (tmp_path / "o" / "decision.json").exists()
    lab = tmp_path / "lab.yaml"
    lab.write_text(
        yaml.safe_dump(
            {"date": "2026-05-04", "results": [{"test": "CPK", "value": 2100, "uln": 200}]}
        )
    )
    r = runner.invoke(app, ["decide", "--course", str(course), "--lab", str(lab)])
    assert json.loads(r.output)["rule"]["id"] == "cpk-g4"


def test_bad_input_exit_2(tmp_path, capsys):
    ev = tmp_path / "event.yaml"
    ev.write_text(
        yaml.safe_dump({"date": "2026-05-04", "category": "skin", "grade": 3}), encoding="utf-8"
    )
    code, err = rk(
        capsys,
        "clinic",
        "decide",
        "--course",
        str(path("clinic", "simulated_course.yaml")),
        "--event",
        str(ev),
    )
    assert code == 2
    assert "event.yaml" in err
    assert "skin" in err
    code, err = rk(capsys, "clinic", "grade", "--test", "ALT", "--value", "201")
    assert code == 2
    assert "no ULN" in err
    code, err = rk(
        capsys, "clinic", "decide", "--course", str(tmp_path / "none.yaml"), "--event", str(ev)
    )
    assert code == 2
    assert "not found" in err
    code, err = rk(capsys, "clinic", "calendar", "--start", "tomorrow", "--out", str(tmp_path))
    assert code == 2
    assert "YYYY-MM-DD" in err
    code, err = rk(capsys, "clinic", "decide", "--course", str(tmp_path / "none.yaml"))
    assert code == 2
    assert "exactly one" in err


def test_monitoring(tmp_path):
    r = runner.invoke(
        app, ["monitoring", "--start", "2026-01-05", "--cycles", "6", "--out", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    assert "ophthalmic_exam" in r.output
    assert (tmp_path / "monitoring.csv").exists()
