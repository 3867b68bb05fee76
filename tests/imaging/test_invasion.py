"""Invasion index arithmetic, vehicle normalisation and the table handed to curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit._exceptions import StatisticalWarning
from repurposekit.imaging import invasion_index


def _table():
    return pd.DataFrame(
        {
            "well": ["A01"] * 3 + ["A02"] * 3 + ["B01"] * 3 + ["B02"] * 2,
            "day": [0, 2, 4] * 3 + [0, 2],
            "total_area_um2": [100, 200, 400, 100, 250, 400, 100, 150, 200, 100, 120],
            "role": ["vehicle"] * 6 + ["treated"] * 5,
            "compound": [""] * 6 + ["defactinib"] * 5,
            "dose_molar": [0] * 6 + [1e-6] * 3 + [3e-6] * 2,
            "flags": [""] * 8 + ["debris"] + [""] * 2,
        }
    )


def test_index_and_vehicle_normalisation():
    d = _table()
    copy = d.copy()
    r = invasion_index(d, day_from=0, day_to=4)
    assert d.equals(copy)
    t = r.table.set_index("well")
    assert t.loc["A01", "invasion_index"] == pytest.approx(3.0)
    assert t.loc["B01", "invasion_index"] == pytest.approx(1.0)
    assert r.vehicle_mean == pytest.approx(3.0)
    assert t.loc["B01", "invasion_rel_vehicle"] == pytest.approx(1 / 3)
    assert t.loc["B01", "invasion_inhibition"] == pytest.approx(2 / 3)
    assert "debris" in t.loc["B01", "flags"]
    # B02 has no day 4: kept, NaN, flagged
    assert np.isnan(t.loc["B02", "invasion_index"])
    assert "missing_day" in t.loc["B02", "flags"]


def test_any_day_pair():
    r = invasion_index(_table(), day_from=0, day_to=2).table.set_index("well")
    assert r.loc["A02", "invasion_index"] == pytest.approx(1.5)
    assert r.loc["B02", "invasion_index"] == pytest.approx(0.2)
    last = invasion_index(_table(), day_from=0).table.set_index("well")
    assert last.loc["B02", "day_to"] == 2  # default: last day of each well


def test_for_curves_adds_vehicle_at_zero_dose():
    r = invasion_index(_table(), day_to=4)
    c = r.for_curves()
    assert set(c["compound"]) == {"defactinib"}
    assert (c.loc[c["role"] == "vehicle", "dose_molar"] == 0).all()
    assert {"well", "compound", "dose_molar", "invasion_index", "invasion_rel_vehicle"} <= set(c)


def test_no_vehicle_warns():
    d = _table()
    d["role"] = "treated"
    with pytest.warns(StatisticalWarning, match="vehicle"):
        r = invasion_index(d, day_to=4)
    assert r.table["invasion_rel_vehicle"].isna().all()


def test_missing_column_names_fix():
    with pytest.raises(DataValidationError, match="total_area_um2"):
        invasion_index(_table().drop(columns="total_area_um2"))
