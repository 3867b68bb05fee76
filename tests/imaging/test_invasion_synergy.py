"""Chou–Talalay CI of invasion inhibition, and the endpoint-viability join."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.imaging import (
    invasion_combination_index,
    invasion_index,
    join_viability,
)
from repurposekit.io.images import read_viability
from repurposekit.synergy import chou_talalay

DM_A, DM_B, M = 2e-6, 20e-6, 1.0  # median-effect parameters of the two drugs alone


def _plate(boost=1.6, ratio=0.1):
    """Invasion table whose Fa follows the median-effect equation exactly.

    Singles: Fa/(1−Fa) = (d/Dm)^m with m = 1. Mixture a:b at constant ratio with
    Fa/(1−Fa) = boost·(d_a/Dm_a + d_b/Dm_b): then CI = 1/boost at every Fa (Chou 2006).
    """
    rows = []
    for k, d in enumerate([0.5e-6, 1e-6, 3e-6, 10e-6]):
        u = d / DM_A
        rows.append((f"A{k + 1:02d}", "defa", d, "", 0.0, u))
    for k, d in enumerate([5e-6, 10e-6, 30e-6, 100e-6]):
        u = d / DM_B
        rows.append((f"B{k + 1:02d}", "mito", d, "", 0.0, u))
    for k, d in enumerate([0.5e-6, 1e-6, 3e-6, 10e-6]):
        u = boost * (d / DM_A + d / ratio / DM_B)
        rows.append((f"C{k + 1:02d}", "defa", d, "mito", d / ratio, u))
    t = pd.DataFrame(
        rows, columns=["well", "drug_a", "dose_a_molar", "drug_b", "dose_b_molar", "u"]
    )
    fa = t["u"] / (1 + t["u"])
    t["invasion_rel_vehicle"] = 1 - fa
    t["flags"] = ""
    return t.drop(columns="u")


@pytest.mark.parametrize(
    ("boost", "call"), [(1.6, "synergism"), (1.0, "additive"), (0.5, "antagonism")]
)
def test_exact_median_effect_data_give_ci_one_over_boost(boost, call):
    d = _plate(boost)
    copy = d.copy()
    r = invasion_combination_index(d, fa_levels=(0.5, 0.75, 0.9))
    assert d.equals(copy)
    # noise-free median-effect data: exact up to the OLS fit's rounding
    np.testing.assert_allclose(r.indices["ci"], 1 / boost, rtol=1e-9)
    np.testing.assert_allclose(r.wells["ci"], 1 / boost, rtol=1e-9)
    assert list(r.indices["fa"]) == [0.5, 0.75, 0.9]
    assert set(r.indices["call"]) == {call}
    assert set(r.wells["call"]) == {call}
    assert (r.wells["flags"] == "").all()
    single = r.parameters.set_index("agent")
    assert single.loc["defa", "Dm_molar"] == pytest.approx(DM_A, rel=1e-9)
    assert single.loc["mito", "m"] == pytest.approx(M, rel=1e-9)


def test_wells_agree_with_synergy_chou_talalay_points():
    # the per-well CI is the one repurposekit.synergy computes for a constant-ratio series
    d = _plate(1.3)
    r = invasion_combination_index(d)
    name = r.wells["mixture"].iloc[0]
    pts = r.chou[name].points
    np.testing.assert_allclose(np.sort(r.wells["ci"]), np.sort(pts["ci"]), rtol=1e-12)
    # a CI from chou_talalay directly on the same fa values
    fa = 1 - d["invasion_rel_vehicle"]
    is_c = d["drug_b"] != ""
    cdf = pd.DataFrame(
        {
            "agent": np.where(is_c, "mix", d["drug_a"]),
            "ratio_defa": np.where(is_c, 1 / 11, (d["drug_a"] == "defa").astype(float)),
            "ratio_mito": np.where(is_c, 10 / 11, (d["drug_a"] == "mito").astype(float)),
            "total_dose_molar": d["dose_a_molar"] + d["dose_b_molar"],
            "fa": fa,
        }
    )
    ref = chou_talalay(cdf, fa_levels=(0.5, 0.75, 0.9)).indices
    np.testing.assert_allclose(r.indices["ci"], ref["ci"], rtol=1e-12)


def test_fa_outside_unit_interval_is_clipped_and_flagged():
    d = _plate()
    d.loc[d["well"] == "C01", "invasion_rel_vehicle"] = 1.2  # more invasion than vehicle
    d.loc[d["well"] == "C04", "invasion_rel_vehicle"] = -0.05  # shrank below day 0
    r = invasion_combination_index(d, fa_clip=0.02).wells.set_index("well")
    assert r.loc["C01", "fa"] == pytest.approx(0.02)
    assert r.loc["C04", "fa"] == pytest.approx(0.98)
    assert "fa_clipped" in r.loc["C01", "flags"]
    assert "fa_clipped" in r.loc["C04", "flags"]
    assert r.loc["C02", "flags"] == ""


def test_missing_single_agent_is_flagged_not_fatal():
    d = _plate()
    d = d[d["drug_a"] != "mito"]
    r = invasion_combination_index(d)
    assert r.indices.empty
    assert r.wells["ci"].isna().all()
    assert r.wells["flags"].str.contains("no_single_fit_mito").all()
    assert "no CI" in r.summary()


def test_missing_columns_name_the_fix():
    d = _plate().drop(columns="drug_b")
    with pytest.raises(DataValidationError, match="drug_b"):
        invasion_combination_index(d)


def test_from_invasion_result():
    # the per-well invasion table of invasion_index feeds the CI directly
    base = _plate(1.6)
    rows = []
    for _, w in base.iterrows():
        rel = w["invasion_rel_vehicle"]
        rows += [
            dict(w, day=0, total_area_um2=100.0, role="treated"),
            dict(w, day=4, total_area_um2=100.0 + 200.0 * rel, role="treated"),
        ]
    rows += [
        {"well": "H01", "day": 0, "total_area_um2": 100.0, "role": "vehicle"},
        {"well": "H01", "day": 4, "total_area_um2": 300.0, "role": "vehicle"},
    ]
    inv = invasion_index(pd.DataFrame(rows).fillna({"drug_a": "", "drug_b": ""}), day_to=4)
    r = invasion_combination_index(inv)
    np.testing.assert_allclose(r.wells["ci"], 1 / 1.6, rtol=1e-9)
    out = r.to_frame()
    assert set(out["kind"]) == {"fa_level", "well"}
    assert {"mixture", "well", "fa", "ci", "call", "grade", "flags"} <= set(out.columns)


# ------------------------------------------------------------------ viability


def _inv():
    d = pd.DataFrame(
        {
            "well": ["B02", "B02", "C02", "C02", "C03", "C03"],
            "day": [0, 4] * 3,
            "total_area_um2": [1.0, 3.0, 1.0, 2.0, 1.0, 1.5],
            "role": ["vehicle"] * 2 + ["treated"] * 4,
        }
    )
    return invasion_index(d)


def test_join_viability_per_well(tmp_path):
    p = tmp_path / "ctg.csv"
    pd.DataFrame({"Well": ["b2", "C2"], "Viability_Percent": [101.0, 55.0]}).to_csv(p, index=False)
    v = read_viability(p)
    inv = _inv()
    before = inv.table.copy()
    out = join_viability(inv, v).table.set_index("well")
    assert inv.table.equals(before)
    assert out.loc["B02", "viability_pct"] == 101.0
    assert out.loc["C02", "viability_pct"] == 55.0
    assert np.isnan(out.loc["C03", "viability_pct"])  # no read: NaN, row kept
    assert out.loc["C02", "invasion_rel_vehicle"] == pytest.approx(0.5)


def test_read_viability_raw_plate_through_plates(tmp_path):
    reads = tmp_path / "ctg.csv"
    pmap = tmp_path / "map.csv"
    pd.DataFrame(
        {
            "plate": "P1",
            "well": ["A01", "A02", "B02", "B03", "C02", "C03"],
            "luminescence": [100, 100, 10000, 10200, 5100, 2100],
        }
    ).to_csv(reads, index=False)
    pd.DataFrame(
        {
            "well": ["A01", "A02", "B02", "B03", "C02", "C03"],
            "role": ["blank", "blank", "vehicle", "vehicle", "sample", "sample"],
            "compound": ["", "", "", "", "x", "x"],
            "concentration": ["", "", "", "", "1", "3"],
            "unit": ["", "", "", "", "uM", "uM"],
        }
    ).to_csv(pmap, index=False)
    v = read_viability(reads, plate_map=pmap).set_index("well")
    # blank-subtracted % of the blank-subtracted vehicle mean (10100 − 100): exact arithmetic
    assert v.loc["C02", "viability_pct"] == pytest.approx(50.0)
    assert v.loc["C03", "viability_pct"] == pytest.approx(20.0)
    assert "A01" not in v.index  # blanks are not wells of the assay
    assert "viability_qc_passed" in v.columns
    out = join_viability(_inv(), v.reset_index()).table.set_index("well")
    assert out.loc["C03", "viability_pct"] == pytest.approx(20.0)


def test_viability_bad_inputs_name_the_fix(tmp_path):
    p = tmp_path / "v.csv"
    pd.DataFrame({"well": ["A1"], "signal": [3]}).to_csv(p, index=False)
    with pytest.raises(DataValidationError, match="viability_pct"):
        read_viability(p)
    pd.DataFrame({"well": ["A1", "A01"], "viability": [3, 4]}).to_csv(p, index=False)
    with pytest.raises(DataValidationError, match="A01 appears more than once"):
        read_viability(p)
    two = pd.DataFrame({"plate": ["P1", "P2"], "well": ["B02", "B02"], "viability_pct": [1, 2]})
    with pytest.raises(DataValidationError, match="plate column"):
        join_viability(_inv(), two)
