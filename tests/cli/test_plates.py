"""``rk plates``: normalise the bundled screen end to end, and bad input → exit code 2."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from repurposekit.cli import main
from repurposekit.datasets import path as dataset_path

PLATES = [str(dataset_path("screen", f"plate_{x}.csv")) for x in ("ENDO-A", "ENDO-B", "TT", "K1")]
MAP = str(dataset_path("screen", "plate_map.csv"))


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_normalize_with_fit(tmp_path, capsys):
    digests = [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in PLATES]
    code, stdout, _ = run(
        [
            "plates",
            "normalize",
            *PLATES,
            "--map",
            MAP,
            "--fit",
            "--compound",
            "defactinib",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    assert [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in PLATES] == digests
    qc = pd.read_csv(tmp_path / "qc.csv")
    assert qc.set_index("plate").loc["ENDO-B", "passed"] == False  # noqa: E712
    assert "FAILED QC" in stdout
    wells = pd.read_csv(tmp_path / "wells.csv")
    assert len(wells) == 4 * 384
    fits = pd.read_csv(tmp_path / "fits.csv")
    assert len(fits) == 16
    assert not fits.loc[fits["sample"] == "ENDO-B", "qc_passed"].any()
    for plate in ("ENDO-A", "ENDO-B", "TT", "K1"):
        assert (tmp_path / f"heatmap_{plate}.png").exists()
    assert (tmp_path / "curves.png").exists()


def test_read_converts_to_long(tmp_path, capsys):
    code, _, _ = run(["plates", "read", PLATES[2], "--out", str(tmp_path)], capsys)
    assert code == 0
    long = pd.read_csv(tmp_path / "readings.csv")
    assert long["plate"].unique().tolist() == ["TT"]


def test_mismatched_map_exit_2(tmp_path, capsys):
    f = tmp_path / "plate96.csv"
    rows = ["," + ",".join(str(c) for c in range(1, 13))]
    rows += [r + "," + ",".join("100" for _ in range(12)) for r in "ABCDEFGH"]
    f.write_text("\n".join(rows) + "\n")
    m = tmp_path / "map.csv"
    m.write_text("well,role\nA1,blank\nB1,vehicle\nP24,vehicle\n")
    code, _, err = run(
        ["plates", "normalize", str(f), "--map", str(m), "--out", str(tmp_path)], capsys
    )
    assert code == 2
    text = " ".join(err.split())
    assert "map.csv" in text
    assert "P24" in text


def test_same_plate_twice_exit_2(tmp_path, capsys):
    code, _, err = run(
        ["plates", "normalize", PLATES[0], PLATES[0], "--map", MAP, "--out", str(tmp_path)], capsys
    )
    assert code == 2
    assert "give each plate its own name" in " ".join(err.split())
