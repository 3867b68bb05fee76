"""``rk trial``: orr, simon, pfs, responses."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from repurposekit.cli.trial import app
from repurposekit.datasets import path

runner = CliRunner()


def test_orr():
    r = runner.invoke(app, ["orr", "--responders", "25", "--n", "57"])
    assert r.exit_code == 0
    assert "43.9%" in r.output
    assert "30.7-57.6%" in r.output
    assert json.loads(r.output.strip().splitlines()[-1])["count"] == 25


def test_simon():
    r = runner.invoke(
        app, ["simon", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.05", "--beta", "0.2"]
    )
    assert r.exit_code == 0
    assert "3/13 then 12/43" in r.output
    assert "4/18 then 10/33" in r.output


def test_pfs_and_responses(tmp_path):
    data = str(path("clinic", "simulated_trial_cohort.csv"))
    r = runner.invoke(app, ["pfs", "--data", data, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pfs_km.png").exists()
    assert (tmp_path / "pfs_median.csv").exists()
    r = runner.invoke(app, ["responses", "--data", data, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "waterfall.png").exists()
    assert "ORR" in r.output


def test_bad_input_exit_2(capsys):
    import pytest

    from repurposekit.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["trial", "simon", "--p0", "0.4", "--p1", "0.2"])
    assert exc.value.code == 2
    assert "p1" in capsys.readouterr().err
