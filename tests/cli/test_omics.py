"""``rk omics`` commands on bundled data; bad input gives exit code 2 and names the place."""

from __future__ import annotations

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
    """First 400 genes × 158 tumours of the bundled GSE3143 subset."""
    d = tmp_path_factory.mktemp("expr")
    x = pd.read_csv(path("omics", "expression.tsv.gz"), sep="\t", index_col=0).iloc[:400]
    p = d / "expr.tsv"
    x.to_csv(p, sep="\t")
    return p


def test_score_then_survival(small_expr, tmp_path):
    out = tmp_path / "o"
    r = runner.invoke(
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
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out / "scores.csv", comment="#")
    assert scores.shape[1] == 159
    assert (out / "heatmap.png").stat().st_size > 1000
    feature = scores.iloc[0, 0]
    r = runner.invoke(
        app,
        [
            "omics",
            "survival",
            str(out / "scores.csv"),
            "--clinical",
            str(path("omics", "clinical.tsv")),
            "--out",
            str(out),
            "--km",
            feature,
        ],
    )
    assert r.exit_code == 0, r.output
    assoc = pd.read_csv(out / "survival_association.csv")
    assert {"hr", "p_value", "q_value", "concordance"} <= set(assoc.columns)
    assert (out / "forest.png").exists()
    assert (out / f"km_{feature}_optimal.png").exists()


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


def test_enrich_cna_de(tmp_path, small_expr):
    q = tmp_path / "q.txt"
    genes = pd.read_csv(small_expr, sep="\t", usecols=[0]).iloc[:60, 0]
    q.write_text("\n".join(genes))
    out = tmp_path / "o"
    r = runner.invoke(
        app,
        [
            "omics",
            "enrich",
            str(q),
            "--background",
            str(small_expr),
            "--gene-sets",
            "builtin:hallmark",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "ora.csv")) > 0
    r = runner.invoke(
        app, ["omics", "cna", str(path("omics", "acc_simulated_segments.tsv")), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    f = pd.read_csv(out / "cna_frequency.csv")
    assert f["n"].iloc[0] == 228
    clin = pd.read_csv(path("omics", "clinical.tsv"), sep="\t")
    g = tmp_path / "g.csv"
    pd.DataFrame(
        {"sample": clin["sample"], "group": ["ERhi" if v >= 2 else "ERlo" for v in clin["erlev"]]}
    ).to_csv(g, index=False)
    r = runner.invoke(
        app,
        [
            "omics",
            "de",
            str(small_expr),
            "--groups",
            str(g),
            "--group",
            "ERhi",
            "--reference",
            "ERlo",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    rnk = out / "ranking.rnk"
    r = runner.invoke(
        app,
        [
            "omics",
            "enrich",
            str(rnk),
            "--gene-sets",
            "builtin:hallmark",
            "--min-size",
            "5",
            "--permutations",
            "200",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "gsea.csv")) > 0


def test_bad_input_exit_code_2(tmp_path, capsys):
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


def test_help_has_examples():
    for cmd in ("score", "enrich", "survival", "cna", "de"):
        r = runner.invoke(app, ["omics", cmd, "--help"])
        assert r.exit_code == 0
        assert "Example:" in r.output
