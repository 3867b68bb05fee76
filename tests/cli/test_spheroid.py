"""``rk spheroid measure`` end to end on a few synthetic OME-TIFF stacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile
from typer.testing import CliRunner

from repurposekit.cli import app
from repurposekit.imaging import synthetic_spheroid_stack

runner = CliRunner()


def _write(folder, well, day, halo, seed, spacing=True, size=96, um=10.0):
    s = synthetic_spheroid_stack(
        size=size, spacing_um=um, n_planes=3, halo_radius_um=halo, rng=seed
    )
    meta = {"axes": "ZYX"}
    if spacing:
        meta["PhysicalSizeX"] = 10.0
    p = folder / f"{well}_day{day}.ome.tif"
    tifffile.imwrite(p, s.stack, ome=True, metadata=meta)
    return p


@pytest.fixture
def plate(tmp_path):
    img = tmp_path / "img"
    img.mkdir()
    rows = []
    for k, (well, comp, conc, halo) in enumerate(
        [("B02", "", 0, 300.0), ("B03", "", 0, 290.0), ("C02", "defactinib", 3, 220.0)]
    ):
        for day, h in ((0, None), (4, halo)):
            p = _write(img, well, day, h, 10 * k + day)
            rows.append(
                {
                    "file": p.name,
                    "well": well,
                    "day": day,
                    "compound": comp,
                    "concentration": conc,
                    "unit": "uM",
                    "role": "vehicle" if not comp else "treated",
                }
            )
    (img / "C03_day0.ome.tif").write_bytes(b"broken")
    rows.append(
        {
            "file": "C03_day0.ome.tif",
            "well": "C03",
            "day": 0,
            "compound": "defactinib",
            "concentration": 10,
            "unit": "uM",
            "role": "treated",
        }
    )
    lay = tmp_path / "layout.csv"
    pd.DataFrame(rows).to_csv(lay, index=False)
    return img, lay


def test_measure_writes_tables_and_figures(plate, tmp_path):
    img, lay = plate
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["spheroid", "measure", str(img), "--layout", str(lay), "--out", str(out), "-j", "1"]
    )
    assert res.exit_code == 0, res.output
    sph = pd.read_csv(out / "spheroids.csv")
    assert len(sph) == 7
    assert {
        "well",
        "day",
        "plane_choice",
        "total_area_um2",
        "core_area_um2",
        "invasive_area_um2",
        "circularity",
        "solidity",
        "feret_max_um",
        "n_strands",
        "max_invasion_distance_um",
        "flags",
        "error",
    } <= set(sph.columns)
    # the unreadable file is reported, not fatal
    bad = sph[sph["well"] == "C03"].iloc[0]
    assert "C03_day0" in bad["error"]
    assert (out / "errors.csv").exists()
    inv = pd.read_csv(out / "invasion.csv").set_index("well")
    assert inv.loc[["B02", "B03"], "invasion_rel_vehicle"].mean() == pytest.approx(1.0)
    assert inv.loc["C02", "invasion_rel_vehicle"] < 1.0
    assert (out / "qc" / "contact_sheet.png").exists()
    assert (out / "qc" / "B02_day4.png").exists()
    assert np.isfinite(sph.loc[sph["day"] == 4, "max_invasion_distance_um"]).all()


def test_uncalibrated_files_need_spacing(tmp_path):
    img = tmp_path / "img"
    img.mkdir()
    # uncalibrated images are segmented with parameters scaled for a nominal 1.6 µm/px, so
    # draw them at a pixel size near that (4 µm/px)
    _write(img, "A01", 0, None, 1, spacing=False, size=192, um=4.0)
    _write(img, "A01", 2, 250.0, 2, spacing=False, size=192, um=4.0)
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["spheroid", "measure", str(img), "--out", str(out), "-j", "1", "--no-figures"]
    )
    assert res.exit_code == 0
    sph = pd.read_csv(out / "spheroids.csv")
    assert sph["error"].str.contains("--spacing-um").all()
    res = runner.invoke(
        app,
        [
            "spheroid",
            "measure",
            str(img),
            "--out",
            str(out),
            "-j",
            "1",
            "--no-figures",
            "--spacing-um",
            "4",
        ],
    )
    sph = pd.read_csv(out / "spheroids.csv")
    assert sph["total_area_um2"].notna().all()
    res = runner.invoke(
        app,
        ["spheroid", "measure", str(img), "--out", str(out), "-j", "1", "--no-figures", "--pixels"],
    )
    sph = pd.read_csv(out / "spheroids.csv")
    assert sph["total_area_um2"].isna().all()
    assert (sph["total_area_px"] > 0).all()


def test_bad_layout_exit_code_2(tmp_path):
    import subprocess
    import sys

    lay = tmp_path / "layout.csv"
    pd.DataFrame({"file": ["x.tif"], "day": [0]}).to_csv(lay, index=False)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "repurposekit",
            "spheroid",
            "measure",
            str(tmp_path),
            "--layout",
            str(lay),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "layout.csv" in r.stderr
    assert "well" in r.stderr


def test_measure_bundled_plate_with_viability_and_ci(tmp_path):
    from repurposekit.datasets import path as dataset_path

    folder = dataset_path("spheroid")
    out = tmp_path / "out"
    args = ["spheroid", "measure", str(folder / "images"), "--layout", str(folder / "layout.csv")]
    args += ["--viability", str(folder / "viability_ctg.csv")]
    args += ["--viability-map", str(folder / "viability_map.csv")]
    res = runner.invoke(app, [*args, "--out", str(out), "-j", "1", "--no-figures"])
    assert res.exit_code == 0, res.output
    inv = pd.read_csv(out / "invasion.csv").set_index("well")
    assert inv["viability_pct"].notna().all()
    assert inv.loc[["B02", "B03", "B04"], "viability_pct"].mean() == pytest.approx(100.0)
    ci = pd.read_csv(out / "invasion_ci.csv", keep_default_na=False)
    levels = ci[ci["kind"] == "fa_level"]
    assert [float(f) for f in levels["fa"]] == [0.5, 0.75, 0.9]
    assert sorted(ci.loc[ci["kind"] == "well", "well"]) == ["E02", "E03", "E04"]
    assert "CI=" in res.output


def test_viability_file_errors_exit_2(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "ctg.csv"
    pd.DataFrame({"well": ["B02"], "rlu": [1.0]}).to_csv(bad, index=False)
    cmd = [sys.executable, "-m", "repurposekit", "spheroid", "measure", str(tmp_path)]
    r = subprocess.run(
        [*cmd, "--viability", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "ctg.csv" in r.stderr
    assert "viability_pct" in r.stderr
