"""CTCAE v5.0 grading boundaries (NCI CTCAE v5.0, Investigations SOC)."""

from __future__ import annotations

import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.clinic import grade_lab, grade_labs


@pytest.mark.parametrize(
    ("test", "value", "uln", "grade"),
    [
        # ALT/AST: >ULN-3, >3-5, >5-20, >20 x ULN (exclusive lower bounds)
        ("ALT", 40, 40, 0),
        ("ALT", 41, 40, 1),
        ("ALT", 120, 40, 1),
        ("ALT", 121, 40, 2),
        ("ALT", 200, 40, 2),
        ("ALT", 201, 40, 3),
        ("ALT", 800, 40, 3),
        ("ALT", 801, 40, 4),
        ("AST", 200, 40, 2),
        ("AST", 200.01, 40, 3),
        # bilirubin: >ULN-1.5, >1.5-3, >3-10, >10 x ULN
        ("bilirubin", 1.2, 1.2, 0),
        ("bilirubin", 1.8, 1.2, 1),
        ("bilirubin", 1.81, 1.2, 2),
        ("bilirubin", 3.6, 1.2, 2),
        ("bilirubin", 3.61, 1.2, 3),
        ("bilirubin", 12.0, 1.2, 3),
        ("bilirubin", 12.01, 1.2, 4),
        # CPK: >ULN-2.5, >2.5-5, >5-10, >10 x ULN
        ("CPK", 500, 200, 1),
        ("CPK", 501, 200, 2),
        ("CPK", 1000, 200, 2),
        ("CPK", 1001, 200, 3),
        ("CPK", 2000, 200, 3),
        ("CPK", 2001, 200, 4),
        ("CK", 3.0, 0.3, 3),
    ],
)
def test_band_edges(test, value, uln, grade):
    assert grade_lab(test, value, uln=uln).grade == grade


def test_decimal_edges_are_exact():
    # 0.9 / 0.3 is 3.0000000000000004 in binary floating point; CTCAE says 3 x ULN is grade 1
    assert grade_lab("ALT", 0.9, uln=0.3).grade == 1


def test_baseline_abnormal_rule():
    # baseline 60 > ULN 40: bands are multiples of baseline (1.5-3.0 x baseline is grade 1)
    assert grade_lab("ALT", 89, uln=40, baseline=60).grade == 0
    assert grade_lab("ALT", 90, uln=40, baseline=60).grade == 1
    assert grade_lab("ALT", 301, uln=40, baseline=60).grade == 3
    assert grade_lab("ALT", 301, uln=40, baseline=30).grade == 3  # normal baseline: x ULN
    assert grade_lab("ALT", 90, uln=40, baseline=60).reference == "baseline"
    # CPK has no baseline-abnormal rule
    assert grade_lab("CPK", 1100, uln=200, baseline=400).reference == "ULN"


def test_errors_are_clear():
    with pytest.raises(DataValidationError, match="no ULN"):
        grade_lab("ALT", 100, uln=None)
    with pytest.raises(DataValidationError, match="unknown lab test"):
        grade_lab("GGT", 100, uln=40)
    with pytest.raises(DataValidationError, match="ULN must be > 0"):
        grade_lab("ALT", 100, uln=0)
    with pytest.raises(DataValidationError, match="not a number"):
        grade_lab("ALT", "abc", uln=40)
    with pytest.raises(DataValidationError, match=">= 0"):
        grade_lab("ALT", -1, uln=40)
    with pytest.raises(DataValidationError, match="no built-in ctcae"):
        grade_lab("ALT", 100, uln=40, ctcae_version="4.03")


def test_grade_labs_table_and_input_unchanged():
    df = pd.DataFrame(
        {
            "test": ["ALT", "CPK", "AST"],
            "value": [201, 2001, 90],
            "uln": [40, 200, 40],
            "baseline": [None, None, 60],
        }
    )
    copy = df.copy()
    out = grade_labs(df)
    assert out["grade"].tolist() == [3, 4, 1]
    assert df.equals(copy)
    bad = df.assign(uln=[40, None, 40])
    with pytest.raises(DataValidationError, match="row 2"):
        grade_labs(bad)


def test_summary_and_dict():
    g = grade_lab("ALT", 201, uln=40)
    assert "grade 3" in g.summary()
    assert g.to_dict()["ctcae_version"] == "5.0"
