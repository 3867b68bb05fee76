"""Readers of tumour-growth tables (long and invivoSyn wide) and study designs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.datasets import path as dataset_path
from repurposekit.io.invivo import (
    growth_from_wide,
    read_design,
    read_growth_table,
    read_wide_growth,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"


def test_wide_invivosyn_table():
    long = read_growth_table(DATA / "LS_1034.csv")
    assert list(long.columns) == ["subject", "group", "day", "volume_mm3"]
    assert long["subject"].nunique() == 41
    assert sorted(long["day"].unique())[:2] == [-1.0, 2.0]
    assert list(dict.fromkeys(long["group"])) == [
        "Vehicle",
        "Rabusertib",
        "Irinotecan",
        "Irinotecan+Rabusertib",
    ]
    # NA cells (animals removed) are dropped, not zero
    assert (long["volume_mm3"] > 0).any()
    assert long["volume_mm3"].notna().all()
    rebased = read_wide_growth(DATA / "LS_1034.csv", rebase_days=True)
    assert rebased["day"].min() == 0.0


def test_wide_days_out_of_order(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text("Treatment,Mouse,0,7,3\nV,1,100,200,150\n")
    with pytest.raises(
        DataValidationError, match=r"wide.csv: day columns are out of order: '7' is followed by '3'"
    ):
        read_growth_table(p)


def test_wide_text_cell(tmp_path):
    df = pd.DataFrame({"Treatment": ["V"], "Mouse": [1], "0": ["100"], "7": ["abc"]})
    with pytest.raises(DataValidationError, match="mouse 1, day 7: value is not a number"):
        growth_from_wide(df)


def test_long_aliases_and_unit_conversion(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("Mouse,Treatment,Time,length_cm,width_cm,body_weight_kg\n1,V,0,1.0,0.6,0.022\n")
    t = read_growth_table(p)
    assert t[["length_mm", "width_mm"]].iloc[0].tolist() == pytest.approx([10.0, 6.0])
    assert t["body_weight_g"].iloc[0] == pytest.approx(22.0)
    assert t.attrs["converted"]["length_mm"].startswith("length_cm")


def test_long_missing_columns(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("subject,volume_mm3\n1,100\n")
    with pytest.raises(DataValidationError, match=r"x.csv: missing column\(s\) \['group', 'day'\]"):
        read_growth_table(p)


def test_read_bundled_design_toml():
    d = read_design(dataset_path("invivo", "design.toml"))
    assert d.group_sizes == {"Vehicle": 8, "Mitotane": 8, "Defactinib": 8, "Defactinib+Mitotane": 8}
    assert d.combination["combination"] == "Defactinib+Mitotane"
    defac = d.groups[2].agents[0]
    assert (defac.frequency, defac.pattern, defac.dose_mg_per_kg) == ("BID", "3on1off", 50.0)


def test_yaml_design_and_errors(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text(
        "study: {start_date: 2026-02-02, duration_days: 21}\n"
        "groups:\n  - {name: Vehicle, n: 6}\n  - name: Defactinib\n    n: 6\n"
        "    agents: [{agent: defactinib, dose_mg_per_kg: 40, schedule: QD}]\n"
    )
    d = read_design(y)
    assert d.start_date.isoformat() == "2026-02-02"
    assert d.groups[1].agents[0].dose_mg_per_kg == 40.0
    bad = tmp_path / "bad.toml"
    bad.write_text("[study]\nstart_date = 2026-01-05\n")
    with pytest.raises(DataValidationError, match=r"bad.toml: \[study\]: missing 'duration_days'"):
        read_design(bad)
    with pytest.raises(DataValidationError, match=r"must end in \.toml"):
        read_design(DATA / "README.md")
    broken = tmp_path / "broken.toml"
    broken.write_text("[study\n")
    with pytest.raises(DataValidationError, match="not valid TOML"):
        read_design(broken)
