"""The ``rk`` entry point: version, help, and bad input → one line and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repurposekit import DataValidationError
from repurposekit.cli import app, main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repurposekit", *args], capture_output=True, text=True, check=False
    )


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("repurposekit ")


def test_help_lists_demo():
    r = run("--help")
    assert r.returncode == 0
    assert "demo" in r.stdout


def test_validation_error_is_one_line_exit_2(monkeypatch, capsys):
    @app.command("boom-test", hidden=True)
    def boom() -> None:
        raise DataValidationError("plate.csv: row 3, column 'value': 'abc' is not a number.")

    with pytest.raises(SystemExit) as exc:
        main(["boom-test"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "plate.csv: row 3" in err
    assert "Traceback" not in err

    with pytest.raises(DataValidationError):
        main(["--debug", "boom-test"])


def test_unknown_command_is_usage_error():
    r = run("no-such-command")
    assert r.returncode == 2
