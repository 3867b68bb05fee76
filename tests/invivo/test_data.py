"""Input validation, caliper volumes, relative volumes, flags and body-weight change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.invivo import (
    body_weight_change,
    caliper_volume,
    growth_curves,
    prepare_growth_data,
)


def _long():
    rows = []
    for s, g, k in (("a", "V", 0.1), ("b", "V", 0.12), ("c", "T", 0.02), ("d", "T", 0.0)):
        for day in (0, 3, 7, 10, 14):
            v = 120 * np.exp(k * day)
            rows.append(
                {
                    "subject": s,
                    "group": g,
                    "day": day,
                    "volume_mm3": v,
                    "body_weight_g": 22 - (4 if s == "c" else 0) * day / 14,
                }
            )
    return pd.DataFrame(rows)


def test_caliper_formulas():
    assert float(caliper_volume(10, 6)) == 180.0
    assert float(caliper_volume(10, 6, formula="lw2_pi6")) == pytest.approx(np.pi / 6 * 360)
    assert float(caliper_volume(10, 10, formula="lw_pow1.5_pi6")) == pytest.approx(np.pi / 6 * 1000)
    with pytest.raises(DataValidationError, match="unknown volume formula"):
        caliper_volume(1, 1, formula="cube")


def test_volumes_from_calipers_and_width_gt_length_flag():
    df = pd.DataFrame(
        {
            "subject": ["a", "a"],
            "group": ["V", "V"],
            "day": [0, 7],
            "length_mm": [8.0, 6.0],
            "width_mm": [6.0, 10.0],
        }
    )
    gd = prepare_growth_data(df)
    assert gd.data["volume_mm3"].tolist() == [144.0, 180.0]  # 8·6²/2 and 10·6²/2
    assert gd.flags["flag"].tolist() == ["width_gt_length"]


def test_rtv_delta_and_input_unchanged():
    df = _long()
    before = df.copy()
    gd = prepare_growth_data(df)
    assert df.equals(before)
    a = gd.data[gd.data.subject == "a"]
    np.testing.assert_allclose(a["rtv"], np.exp(0.1 * a["day"]))
    np.testing.assert_allclose(a["delta_volume_mm3"], a["volume_mm3"] - 120)


def test_animal_in_two_groups_is_an_error():
    df = _long()
    df.loc[3, "group"] = "T"
    with pytest.raises(DataValidationError, match="animal 'a' is listed in more than one group"):
        prepare_growth_data(df, source="study.csv")


def test_duplicate_day_is_an_error():
    df = pd.concat([_long(), _long().iloc[[2]]])
    with pytest.raises(DataValidationError, match="more than one row for day 7"):
        prepare_growth_data(df)


def test_negative_length_names_row():
    df = pd.DataFrame(
        {
            "subject": ["a", "a"],
            "group": ["V", "V"],
            "day": [0, 7],
            "length_mm": [8.0, -6.0],
            "width_mm": [6.0, 5.0],
        }
    )
    with pytest.raises(
        DataValidationError, match=r"study.csv: column 'length_mm', row 3: -6 is negative"
    ):
        prepare_growth_data(df, source="study.csv")


def test_non_numeric_volume_names_cell():
    df = _long().astype({"volume_mm3": object})
    df.loc[4, "volume_mm3"] = "12o"
    with pytest.raises(DataValidationError, match=r"'volume_mm3', row 6: '12o' is not a number"):
        prepare_growth_data(df)


def test_typo_jump_is_flagged_not_dropped():
    df = _long()
    i = df.index[(df.subject == "b") & (df.day == 7)][0]
    df.loc[i, "volume_mm3"] *= 10  # misplaced decimal point
    gd = prepare_growth_data(df)
    f = gd.flags[gd.flags.flag == "volume_jump"]
    assert f[["subject", "day"]].values.tolist() == [["b", 7.0]]
    assert len(gd.data) == len(df)  # kept


def test_missing_baseline_is_flagged():
    df = _long()
    df = df[~((df.subject == "d") & (df.day == 0))]
    gd = prepare_growth_data(df)
    f = gd.flags[gd.flags.flag == "missing_baseline"]
    assert f["subject"].tolist() == ["d"]
    assert gd.data.loc[gd.data.subject == "d", "rtv"].isna().all()
    assert "baseline" in f["message"].iloc[0]


def test_missing_columns_message():
    with pytest.raises(DataValidationError, match="no tumour size columns"):
        prepare_growth_data(pd.DataFrame({"subject": [1], "group": ["V"], "day": [0]}))


def test_endpoint_and_removal_tracked():
    df = _long()
    gd = prepare_growth_data(df, endpoint_mm3=400)
    a = gd.animals.set_index("subject")
    assert a.loc["a", "endpoint_day"] == 14.0  # 120·e^1.4 = 487
    assert a.loc["b", "endpoint_day"] == 14.0  # 120·e^1.2 = 398 < 400 on day 10
    assert gd.data.loc[gd.data.subject == "a", "after_endpoint"].sum() == 0
    assert np.isnan(a.loc["d", "endpoint_day"])


def test_body_weight_flags():
    gd = prepare_growth_data(_long())
    bw = body_weight_change(gd)
    an = bw.animals.set_index("subject")
    assert an.loc["c", "nadir_pct_change"] == pytest.approx(-100 * 4 / 22)
    assert bool(an.loc["c", "loss_ge_15"])
    assert not bool(an.loc["c", "loss_ge_20"])
    assert not an.drop("c")["loss_ge_15"].any()
    with pytest.raises(DataValidationError, match="no body_weight_g"):
        body_weight_change(prepare_growth_data(_long().drop(columns="body_weight_g")))


def test_growth_curves_counts():
    t = growth_curves(prepare_growth_data(_long())).table
    assert (t["n"] == 2).all()
    assert (t["n_removed"] == 0).all()
    np.testing.assert_allclose(t["sem"], t["sd"] / np.sqrt(2))
