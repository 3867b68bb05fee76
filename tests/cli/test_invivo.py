"""``rk invivo`` commands: outputs written, bad input → exit code 2 with a located message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from repurposekit.cli import app
from repurposekit.datasets import path as dataset_path

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
runner = CliRunner()


def test_analyze_bundled_study(tmp_path):
    folder = dataset_path("invivo")
    res = runner.invoke(
        app,
        [
            "invivo",
            "analyze",
            str(folder / "study.csv"),
            "--design",
            str(folder / "design.toml"),
            "--out",
            str(tmp_path),
            "--n-boot",
            "50",
        ],
    )
    assert res.exit_code == 0, res.output
    for name in ("growth", "tgi", "synergy", "survival", "mrecist", "lmm", "flags", "body_weight"):
        assert (tmp_path / f"{name}.csv").exists(), name
    for fig in (
        "growth_curves",
        "spaghetti",
        "waterfall_mrecist",
        "synergy_over_time",
        "body_weight",
    ):
        assert (tmp_path / f"{fig}.png").stat().st_size > 5000
    syn = pd.read_csv(tmp_path / "synergy.csv", comment="#")
    assert syn["convention"].notna().all()
    assert set(syn["basis"]) == {"lmm_growth_rate", "tgi_delta", "auc_egr"}


def test_analyze_wide_table_without_design(tmp_path):
    res = runner.invoke(
        app,
        [
            "invivo",
            "analyze",
            str(DATA / "LS_1034.csv"),
            "--out",
            str(tmp_path),
            "--n-boot",
            "20",
            "--no-figures",
        ],
    )
    assert res.exit_code == 0, res.output
    tgi = pd.read_csv(tmp_path / "tgi.csv", comment="#")
    assert set(tgi["method"]) == {"delta", "rtv", "volume", "auc"}
    assert not list(tmp_path.glob("*.png"))


def test_randomize_and_calendar(tmp_path):
    folder = dataset_path("invivo")
    res = runner.invoke(
        app,
        [
            "invivo",
            "randomize",
            str(folder / "candidates.csv"),
            "--design",
            str(folder / "design.toml"),
            "--seed",
            "3",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 0, res.output
    alloc = pd.read_csv(tmp_path / "r" / "allocation.csv", comment="#")
    assert alloc.groupby("group").size().tolist() == [8, 8, 8, 8]
    res = runner.invoke(
        app,
        [
            "invivo",
            "calendar",
            str(folder / "design.toml"),
            "--weights",
            str(tmp_path / "r" / "allocation.csv"),
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert res.exit_code == 0, res.output
    ics = (tmp_path / "c" / "study_calendar.ics").read_text()
    assert ics.count("BEGIN:VEVENT") == len(pd.read_csv(tmp_path / "c" / "study_calendar.csv"))
    doses = pd.read_csv(tmp_path / "c" / "animal_doses.csv", comment="#")
    assert (doses.loc[doses.agent == "defactinib", "administrations"] == 2).all()


BAD = [
    (
        "subject,group,day,volume_mm3\na,V,0,100\na,T,7,200\n",
        "animal 'a' is listed in more than one group",
    ),
    ("subject,group,day,length_mm,width_mm\na,V,0,5,4\na,V,7,-5,4\n", "column 'length_mm', row 3"),
    ("Treatment,Mouse,0,7,3\nV,1,100,200,150\n", "day columns are out of order"),
]


@pytest.mark.parametrize(("content", "needle"), BAD)
def test_bad_input_exit_code_2(tmp_path, capsys, content, needle):
    from repurposekit.cli import main

    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(SystemExit) as exc:
        main(["invivo", "analyze", str(p), "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert needle in err
    assert "bad.csv" in err


def test_bad_input_exit_code_2_subprocess(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD[0][0])
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "repurposekit",
            "invivo",
            "analyze",
            str(p),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert BAD[0][1] in " ".join(out.stderr.split())
