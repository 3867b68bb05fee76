from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.io.synergy import read_synergy, tidy_synergy

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"


def _table(**over):
    df = pd.DataFrame(
        {
            "block_id": [1] * 4,
            "drug_row": ["A"] * 4,
            "drug_col": ["B"] * 4,
            "conc_r": [0, 0, 10, 10],
            "conc_c": [0, 5, 0, 5],
            "response": [100.0, 80, 60, 30],
            "conc_r_unit": ["nM"] * 4,
            "conc_c_unit": ["uM"] * 4,
        }
    )
    for k, v in over.items():
        df[k] = v
    return df


def test_units_and_scale_inferred():
    t = tidy_synergy(_table())
    np.testing.assert_allclose(t["dose1_molar"], [0, 0, 1e-8, 1e-8])
    np.testing.assert_allclose(t["dose2_molar"], [0, 5e-6, 0, 5e-6])
    np.testing.assert_allclose(t["inhibition_pct"], [0, 20, 40, 70])
    assert set(t["input_scale"]) == {"viability"}


def test_contradicting_scale_is_an_error():
    with pytest.raises(DataValidationError, match=r"block 1.*control reads 100.*viability"):
        tidy_synergy(_table(), input_scale="inhibition")


def test_non_numeric_concentration_names_row():
    with pytest.raises(DataValidationError, match=r"conc_r.*row 4.*'ten'"):
        tidy_synergy(_table(conc_r=["0", "0", "ten", "10"]))


def test_unit_mismatch_inside_block_names_block_and_row():
    with pytest.raises(DataValidationError, match=r"block 1, row 5.*one unit per drug"):
        tidy_synergy(_table(conc_r_unit=["nM", "nM", "nM", "uM"]))


def test_negative_response_beyond_noise():
    with pytest.raises(DataValidationError, match=r"block 1, row 5.*below 0"):
        tidy_synergy(_table(response=[100.0, 80, 60, -35]))


def test_matrix_layout_oneil():
    df = read_synergy(DATA / "ONEILMatrix.csv", input_scale="inhibition")
    assert df["block_id"].nunique() == 2
    assert len(df) == 50
    assert df.loc[0, "drug1"] == "MK-1775"
    np.testing.assert_allclose(df["dose1_molar"].max(), 0.5e-6)


def test_file_not_modified(tmp_path):
    p = tmp_path / "t.csv"
    _table().to_csv(p, index=False)
    before = p.read_bytes()
    read_synergy(p)
    assert p.read_bytes() == before
