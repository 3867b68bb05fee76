"""``rk curves fit``: outputs, the published comparison, and bad input → exit code 2."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from repurposekit.cli import main
from repurposekit.curves._kernels import ll4


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture
def screen_csv(tmp_path):
    doses = np.r_[0, np.geomspace(0.01, 30, 9)]  # µM
    rng = np.random.default_rng(4)
    rows = []
    for comp, e in (("defactinib", 2.5), ("trametinib", 0.005)):
        for rep in range(2):
            y = ll4(doses, 1.3, 5.0, 100.0, e) + rng.normal(0, 1.5, doses.size)
            rows += [
                {"compound": comp, "rep": rep, "conc_uM": x, "viab": v}
                for x, v in zip(doses, y, strict=True)
            ]
    f = tmp_path / "screen.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    return f


def test_fit_writes_table_and_figure(screen_csv, tmp_path, capsys):
    digest = hashlib.sha256(screen_csv.read_bytes()).hexdigest()
    out = tmp_path / "out"
    code, stdout, _ = run(
        [
            "curves",
            "fit",
            str(screen_csv),
            "--dose",
            "conc_uM",
            "--dose-unit",
            "uM",
            "--response",
            "viab",
            "--scale",
            "percent",
            "--by",
            "compound",
            "--compound",
            "defactinib",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert hashlib.sha256(screen_csv.read_bytes()).hexdigest() == digest
    fits = pd.read_csv(out / "fits.csv", comment="#")
    for col in (
        "compound",
        "bottom",
        "top",
        "hill",
        "ec50",
        "ic50",
        "emax",
        "auc",
        "bottom_se",
        "ic50_se",
        "converged",
        "flags",
        "ic50_uM",
    ):
        assert col in fits.columns
    assert len(fits) == 2
    defac = fits.set_index("compound").loc["defactinib"]
    # 50 % crossing of the simulated curve (c 5, d 100, b 1.3, e 2.5 µM):
    # e ((100 - 50) / (50 - 5))^(1/b) = 2.71 µM; 20 points with noise 1.5 pin it to ~3 %
    assert defac["ic50_uM"] == pytest.approx(2.5 * (50 / 45) ** (1 / 1.3), rel=0.1)
    assert (out / "curves.png").stat().st_size > 10_000
    comp = pd.read_csv(out / "published_comparison.csv")
    assert set(comp["compound"]) == {"defactinib"}
    assert "defactinib" in stdout


def test_ryegrass_raw_scale(reference_dir, tmp_path, capsys):
    f = reference_dir / "synergy" / "drc" / "ryegrass.csv"
    code, _, _ = run(
        [
            "curves",
            "fit",
            str(f),
            "--dose",
            "conc",
            "--dose-unit",
            "uM",
            "--response",
            "rootl",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    fits = pd.read_csv(tmp_path / "fits.csv", comment="#")
    # drc LL.4 e = 3.05795 (dose unit as given): 1e-4 relative
    assert fits["ec50_uM"].iloc[0] == pytest.approx(3.05795, rel=1e-4)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--dose", "nope", "--dose-unit", "uM", "--response", "viab"],
            "missing column(s) ['nope']",
        ),
        (["--dose", "rep", "--response", "viab"], "pass --dose-unit"),
        (["--dose", "conc_uM", "--dose-unit", "furlong", "--response", "viab"], "Unknown unit"),
        (
            [
                "--dose",
                "conc_uM",
                "--dose-unit",
                "uM",
                "--response",
                "viab",
                "--scale",
                "inhibition",
            ],
            "this looks like % viability",
        ),
    ],
)
def test_bad_input_exit_2_one_line(screen_csv, tmp_path, capsys, args, needle):
    code, _, err = run(["curves", "fit", str(screen_csv), *args, "--out", str(tmp_path)], capsys)
    assert code == 2
    assert needle in " ".join(err.split())
    assert "Traceback" not in err


def test_non_numeric_and_negative_doses_name_the_row(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_text("dose,resp\n0,100\n1,90\nx,50\n")
    code, _, err = run(
        [
            "curves",
            "fit",
            str(f),
            "--dose",
            "dose",
            "--dose-unit",
            "uM",
            "--response",
            "resp",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 2
    assert "row 4" in err
    assert "'x' is not a number" in " ".join(err.split())
    f.write_text("dose,resp\n0,100\n-1,90\n3,50\n")
    code, _, err = run(
        [
            "curves",
            "fit",
            str(f),
            "--dose",
            "dose",
            "--dose-unit",
            "uM",
            "--response",
            "resp",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 2
    assert "row 3: -1 is negative" in " ".join(err.split())
