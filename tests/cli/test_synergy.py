from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from repurposekit import datasets
from repurposekit.cli import app


def test_score_writes_tables_and_figures(tmp_path):
    f = datasets.path("synergy", "defactinib_combinations.csv")
    r = CliRunner().invoke(
        app,
        ["synergy", "score", str(f), "--methods", "zip,bliss,hsa,loewe,ci", "--out", str(tmp_path)],
    )
    assert r.exit_code == 0, r.output
    for name in (
        "blocks.csv",
        "cells.csv",
        "errors.csv",
        "README.txt",
        "block_1_zip_heatmap.png",
        "block_1_dose_response.png",
    ):
        assert (tmp_path / name).exists(), name
    head = (tmp_path / "blocks.csv").read_text().splitlines()
    assert head[0].startswith("# Scores follow SynergyFinder")
    assert "zip" in head[1].split(",")
    assert "ci_median" in head[1].split(",")
    assert {"fit_flag", "fit1_status", "fit2_status", "ci_flag"} <= set(head[1].split(","))
    readme = (tmp_path / "README.txt").read_text()
    assert "fit1_status" in readme
    assert "ci_flag" in readme


def test_join_flags_dedupes_parts():
    import pandas as pd

    from repurposekit.cli.synergy import _join_flags

    flags = pd.Series(["r<0.9 (drug1)", "fa outside (0,1); r<0.9 (drug1)", None, ""])
    assert _join_flags(flags) == "r<0.9 (drug1); fa outside (0,1)"
    assert _join_flags(pd.Series([None, ""])) == ""


def test_ci_command(tmp_path):
    f = datasets.path("synergy", "defactinib_trametinib_constant_ratio.csv")
    r = CliRunner().invoke(app, ["synergy", "ci", str(f), "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "fa_ci.png").exists()
    assert (tmp_path / "isobologram.png").exists()


def test_bad_input_exit_code_2(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "block_id,drug_row,drug_col,conc_r,conc_c,response,conc_r_unit,conc_c_unit\n1,A,B,0,0,100,nM,nM\n1,A,B,x,1,50,nM,nM\n"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "repurposekit",
            "synergy",
            "score",
            str(p),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "row 3" in r.stderr
    assert "conc_r" in r.stderr


def test_score_reports_flagged_blocks(tmp_path):
    rows = ["block_id,drug_row,drug_col,conc_r,conc_c,response,conc_r_unit,conc_c_unit"]
    # drug A: a step before its first dose (all doses at the plateau) -> EC50 not identifiable
    a = {0: 0.0, 1: 60.0, 10: 61.0, 100: 60.5}
    b = {0: 0.0, 1: 10.0, 10: 50.0, 100: 85.0}
    for ca, ya in a.items():
        for cb, yb in b.items():
            y = 100 * (1 - (1 - ya / 100) * (1 - yb / 100))
            rows.append(f"1,A,B,{ca},{cb},{y:.4f},nM,nM")
    f = tmp_path / "step.csv"
    f.write_text("\n".join(rows) + "\n")
    r = CliRunner().invoke(
        app,
        ["synergy", "score", str(f), "--input-scale", "inhibition", "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 0, r.output
    assert "1 block(s) rest on a monotherapy fit that is not identifiable" in r.output
