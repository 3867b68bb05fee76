"""Plate-reader exports and plate maps: formats, and a clear error for each kind of bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.datasets import path as dataset_path
from repurposekit.io.plates import read_plate, read_plate_map, well_name


def grid_text(nrow, ncol, *, sep=",", decimal=".", name=None, fill=None):
    rows = [chr(ord("A") + i) for i in range(nrow)]
    lines = []
    if name:
        lines.append(f"Plate: {name}")
    lines.append(sep.join(["", *map(str, range(1, ncol + 1))]))
    for r, row in enumerate(rows):
        vals = []
        for c in range(ncol):
            v = fill(r, c) if fill else 1000.0 + 10 * r + c + 0.5
            vals.append(str(v).replace(".", decimal) if decimal != "." else str(v))
        lines.append(sep.join([row, *vals]))
    return "\n".join(lines) + "\n"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize(("nrow", "ncol", "n"), [(8, 12, 96), (16, 24, 384)])
def test_grid_96_and_384(tmp_path, nrow, ncol, n):
    f = tmp_path / "plate.csv"
    f.write_text(grid_text(nrow, ncol))
    before = sha(f)
    p = read_plate(f)
    assert sha(f) == before  # never modified
    assert len(p) == n
    assert (p["n_wells"] == n).all()
    assert p["plate"].iloc[0] == "plate"  # the file name when the file does not name it
    last = p.iloc[-1]
    assert last["well"] == well_name(chr(ord("A") + nrow - 1), ncol)
    assert last["value"] == 1000.0 + 10 * (nrow - 1) + ncol - 1 + 0.5


def test_vendor_semicolon_decimal_comma_with_metadata(tmp_path):
    f = tmp_path / "export.csv"
    meta = "Application: reader\nDate;25.01.2026\nPlate name;P7\nGain;120\n\n"
    f.write_text(meta + grid_text(8, 12, sep=";", decimal=","))
    p = read_plate(f)
    assert p["plate"].unique().tolist() == ["P7"]
    assert p.loc[p["well"] == "B03", "value"].item() == 1012.5  # decimal comma read


def test_several_named_grids_in_one_file(tmp_path):
    f = tmp_path / "two.csv"
    f.write_text(grid_text(8, 12, name="first") + "\n" + grid_text(8, 12, name="second"))
    p = read_plate(f)
    assert p["plate"].unique().tolist() == ["first", "second"]


@pytest.mark.parametrize("well", ["A1", "A01"])
def test_long_table(tmp_path, well):
    f = tmp_path / "long.csv"
    f.write_text(f"plate,well,signal\nP1,{well},10\nP1,B2,20\n")
    p = read_plate(f)
    assert p["well"].tolist() == ["A01", "B02"]
    assert p["value"].tolist() == [10.0, 20.0]


def test_bundled_formats_agree_with_their_layout():
    frames = [read_plate(dataset_path("screen", f"plate_{x}.csv")) for x in ("ENDO-A", "TT", "K1")]
    for fr in frames:
        assert len(fr) == 384
        assert fr["value"].notna().all()
    assert [fr["plate"].iloc[0] for fr in frames] == ["ENDO-A", "TT", "K1"]


def test_non_numeric_cell_names_file_line_and_well(tmp_path):
    f = tmp_path / "bad.csv"
    text = grid_text(8, 12).splitlines()
    text[3] = text[3].replace("1021.5", "abc")  # row C, column 2
    f.write_text("\n".join(text))
    with pytest.raises(
        DataValidationError, match=r"bad\.csv, line 4, well C02: 'abc' is not a number"
    ):
        read_plate(f)


def test_saturated_well_is_explained(tmp_path):
    f = tmp_path / "sat.csv"
    f.write_text(grid_text(8, 12).replace("1000.5", "OVER"))
    with pytest.raises(DataValidationError, match=r"A01.*saturated"):
        read_plate(f)


def test_duplicated_wells(tmp_path):
    f = tmp_path / "dup.csv"
    f.write_text("well,value\nA1,1\nB1,2\nA01,3\n")
    with pytest.raises(
        DataValidationError, match=r"dup\.csv: well A01 of plate 'dup' appears 2 times"
    ):
        read_plate(f)


def test_empty_plate_and_empty_file(tmp_path):
    f = tmp_path / "blank.csv"
    f.write_text(grid_text(8, 12, fill=lambda r, c: ""))
    with pytest.raises(DataValidationError, match=r"blank\.csv: plate 'blank' is empty"):
        read_plate(f)
    g = tmp_path / "nothing.csv"
    g.write_text("")
    with pytest.raises(DataValidationError, match=r"nothing\.csv: the file is empty"):
        read_plate(g)


def test_truncated_grid(tmp_path):
    f = tmp_path / "short.csv"
    f.write_text("\n".join(grid_text(8, 12).splitlines()[:6]))
    with pytest.raises(DataValidationError, match="has 5 row"):
        read_plate(f)


def test_missing_columns_in_long_table(tmp_path):
    f = tmp_path / "long.csv"
    f.write_text("well,reading_x\nA1,3\n")
    with pytest.raises(DataValidationError, match=r"long\.csv: missing column\(s\) \['value'\]"):
        read_plate(f)


# ------------------------------------------------------------------------ plate maps


def test_plate_map_units_roles_and_aliases(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text(
        "well,role,compound,concentration,unit\n"
        "A1,DMSO,,,\nA2,blank,,,\nA3,sample,defactinib,10,uM\nA4,sample,defactinib,300,nM\n"
        "A5,positive control,staurosporine,10,µM\nA6,empty,,,\n"
    )
    before = sha(f)
    m = read_plate_map(f)
    assert sha(f) == before
    assert m["role"].tolist() == ["vehicle", "blank", "sample", "sample", "positive", "empty"]
    assert m["dose_molar"].to_numpy() == pytest.approx([0, 0, 1e-5, 3e-7, 1e-5, 0])
    assert m.loc[2, "dose_unit"] == "uM"


def test_plate_map_bad_inputs(tmp_path):
    cases = {
        "role": ("well,role\nA1,treated-ish\n", r"line 2: role 'treated-ish' is not one of"),
        "unit": ("well,role,concentration\nA1,sample,3\n", "line 2: concentration 3 has no unit"),
        "neg": (
            "well,role,concentration,unit\nA1,sample,-3,uM\n",
            "line 2: concentration -3 is negative",
        ),
        "num": ("well,role,concentration,unit\nA1,sample,three,uM\n", "'three' is not a number"),
        "dup": ("well,role\nA1,blank\nA01,vehicle\n", "well A01 is listed more than once"),
        "well": ("well,role\nZZ99,blank\n", "'ZZ99' is not a well name"),
        "cols": ("position,role\nA1,blank\n", r"missing column\(s\) \['well'\]"),
    }
    for name, (text, needle) in cases.items():
        f = tmp_path / f"map_{name}.csv"
        f.write_text(text)
        with pytest.raises(DataValidationError, match=needle) as exc:
            read_plate_map(f)
        assert f"map_{name}.csv" in str(exc.value)


def test_bundled_map_reads():
    m = read_plate_map(dataset_path("screen", "plate_map.csv"))
    assert set(m["plate"]) == {"ENDO-A", "ENDO-B", "TT", "K1"}
    assert (m.groupby("plate").size() == 384).all()
    assert np.isclose(m["dose_molar"].max(), 3e-5)
    assert isinstance(m, pd.DataFrame)
