"""``rk omics`` commands on bundled data; bad input gives exit code 2 and names the place."""

from __future__ import annotations

import shlex
import shutil
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from repurposekit.cli import app
from repurposekit.datasets import path

runner = CliRunner()


def _run(args):
    from repurposekit.cli import main

    try:
        main(args)
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.fixture(scope="module")
def small_expr(tmp_path_factory):
    """First 400 genes × 150 tumours of the bundled simulated cohort."""
    d = tmp_path_factory.mktemp("expr")
    x = pd.read_csv(path("omics", "expression.tsv.gz"), sep="\t", index_col=0).iloc[:400]
    p = d / "expr.tsv"
    x.to_csv(p, sep="\t")
    return p


def _example(command: str) -> list[str]:
    """The ``Example:`` line of an ``rk omics`` command's docstring, as argv (without ``rk``)."""
    from repurposekit.cli.omics import app as omics_app

    cb = next(c.callback for c in omics_app.registered_commands if c.name == command)
    line = next(ln.strip() for ln in cb.__doc__.splitlines() if ln.strip().startswith("Example:"))
    argv = shlex.split(line.removeprefix("Example:"))
    assert argv[:3] == ["rk", "omics", command]
    return argv[1:]


def test_help_examples_run_end_to_end_on_bundled_data(tmp_path, monkeypatch):
    """Every help Example is a real command: run them in order in a copy of the bundled folder."""
    for f in path("omics").glob("*.tsv*"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    for command in ("score", "survival", "de", "enrich", "cna"):
        r = runner.invoke(app, _example(command))
        assert r.exit_code == 0, (command, r.output)
    out = tmp_path / "out"
    scores = pd.read_csv(out / "scores.csv", comment="#")
    assert scores.shape[1] == 151  # set + 150 simulated tumours
    assoc = pd.read_csv(out / "survival_association.csv").set_index("feature")
    assert {"hr", "p_value", "q_value", "concordance"} <= set(assoc.columns)
    # the simulated cohort's built-in shape: proliferation prognostic, FAK not
    assert assoc.loc["HALLMARK_G2M_CHECKPOINT", "q_value"] < 0.05
    assert assoc.loc["PID_FAK_PATHWAY", "p_value"] > 0.05
    for png in ("heatmap", "forest", "km_HALLMARK_G2M_CHECKPOINT_optimal", "volcano"):
        assert (out / f"{png}.png").stat().st_size > 5000, png
    de = pd.read_csv(out / "de.csv")
    assert len(de) == 3000
    gsea = pd.read_csv(out / "gsea.csv")
    assert gsea["set"].iloc[0].startswith("HALLMARK_ESTROGEN_RESPONSE")  # ER 3 vs 0
    freq = pd.read_csv(out / "cna_frequency.csv")
    assert set(freq["cohort"]) == {"cohort A", "cohort B"}
    assert freq["n"].sum() == 228


def test_survival_reports_dropped_samples(small_expr, tmp_path):
    out = tmp_path / "o"
    runner.invoke(
        app,
        [
            "omics",
            "score",
            str(small_expr),
            "--gene-sets",
            "builtin:hallmark",
            "--method",
            "zscore",
            "--out",
            str(out),
        ],
    )
    clin = pd.read_csv(path("omics", "clinical.tsv"), sep="\t").iloc[5:]
    cp = tmp_path / "clin.tsv"
    clin.to_csv(cp, sep="\t", index=False)
    r = runner.invoke(
        app,
        ["omics", "survival", str(out / "scores.csv"), "--clinical", str(cp), "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "dropped_samples.csv")) == 5


def test_bad_input_exit_code_2(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\tS1\tS2\nPTK2\t1\tx\nKRAS\t2\t3\n")
    assert _run(["omics", "score", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.tsv" in err
    assert "'S2'" in err
    clin = tmp_path / "c.tsv"
    clin.write_text("sample\ttime\tevent\nA\t-1\t1\n")
    scores = tmp_path / "s.csv"
    scores.write_text("set,A\nX,1\n")
    assert (
        _run(["omics", "survival", str(scores), "--clinical", str(clin), "--out", str(tmp_path)])
        == 2
    )
    assert "negative" in capsys.readouterr().err
    gmt = tmp_path / "e.gmt"
    gmt.write_text("S\td\tNOT1\tNOT2\n")
    ok = tmp_path / "ok.tsv"
    ok.write_text("gene\tS1\tS2\nPTK2\t1\t2\nKRAS\t2\t3\n")
    assert _run(["omics", "score", str(ok), "--gene-sets", str(gmt), "--out", str(tmp_path)]) == 2
    assert "no gene set could be scored" in capsys.readouterr().err
    pq = tmp_path / "m.parquet"
    pq.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if pyarrow were not installed
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    assert _run(["omics", "score", str(pq), "--out", str(tmp_path)]) == 2
    assert "m.parquet: reading Parquet needs pyarrow" in capsys.readouterr().err


def test_help_has_examples():
    for cmd in ("score", "enrich", "survival", "cna", "de"):
        r = runner.invoke(app, ["omics", cmd, "--help"])
        assert r.exit_code == 0
        assert "Example:" in r.output
