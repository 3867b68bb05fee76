from __future__ import annotations

import json

from typer.testing import CliRunner

from repurposekit.cli import app

runner = CliRunner()


def test_show_json():
    r = runner.invoke(app, ["compound", "show", "defactinib", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert any(row["item"] == "CAS" and row["value"] == "1073154-85-4" for row in rows)


def test_show_text_keeps_citation_brackets():
    r = runner.invoke(app, ["compound", "show", "mitotane"])
    assert r.exit_code == 0
    assert "[seed000]" in r.output


def test_list_and_tables():
    for args in (["list"], ["pathways"], ["models"], ["potency", "defactinib"], ["sources"]):
        r = runner.invoke(app, ["compound", *args])
        assert r.exit_code == 0, (args, r.output)


def test_outcomes_csv(tmp_path):
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["compound", "outcomes", "--kind", "clinical", "--out", str(out)])
    assert r.exit_code == 0
    assert out.read_text().count("\n") == 6  # header + 5 clinical rows


def test_compare():
    r = runner.invoke(app, ["compound", "compare", "defactinib", "2.5", "--unit", "uM"])
    assert r.exit_code == 0
    assert "consistent" in r.output


def test_unknown_compound_exit_2():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "repurposekit", "compound", "show", "aspirin"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    assert "Unknown compound 'aspirin'" in r.stderr
    assert "Traceback" not in r.stderr
