"""Plate normalisation and QC: exact arithmetic on hand-made plates, flags, map mismatches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.datasets import path as dataset_path
from repurposekit.io.plates import read_plate, read_plate_map, well_name
from repurposekit.plates import (
    annotate_plates,
    curve_table,
    normalize_plates,
    plate_qc,
    z_prime,
)

ROWS = "ABCDEFGH"


def plate96(values: dict[str, float], *, default=np.nan, name="P1") -> pd.DataFrame:
    rows = []
    for r in ROWS:
        for c in range(1, 13):
            w = well_name(r, c)
            rows.append(
                {
                    "plate": name,
                    "well": w,
                    "row": r,
                    "column": c,
                    "value": values.get(w, default),
                    "n_wells": 96,
                }
            )
    return pd.DataFrame(rows)


def simple_map(extra=()) -> pd.DataFrame:
    rows = [
        *({"well": f"{r}01", "role": "blank"} for r in "ABCD"),
        *({"well": f"{r}12", "role": "vehicle", "solvent": "DMSO"} for r in ROWS),
        *({"well": f"{r}01", "role": "positive"} for r in "EFGH"),
        {"well": "B05", "role": "sample", "compound": "x", "dose_molar": 1e-6, "solvent": "DMSO"},
        *extra,
    ]
    m = pd.DataFrame(rows)
    for c in ("sample", "compound", "solvent", "replicate", "dose_unit"):
        m[c] = m[c].fillna("") if c in m else ""
    m["dose_molar"] = m["dose_molar"].fillna(0.0) if "dose_molar" in m else 0.0
    return m


def test_z_prime_by_hand():
    hi = np.array([100.0, 110.0, 90.0])
    lo = np.array([10.0, 12.0, 8.0])
    expected = 1 - 3 * (hi.std(ddof=1) + lo.std(ddof=1)) / abs(hi.mean() - lo.mean())
    assert z_prime(hi, lo) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(z_prime(hi[:1], lo))


def test_blank_subtraction_and_percent_of_vehicle():
    vals = {f"{r}01": 100.0 for r in "ABCD"}  # blank
    vals |= {f"{r}12": 1100.0 for r in ROWS}  # vehicle
    vals |= {f"{r}01": 200.0 for r in "EFGH"}  # positive control
    vals["B05"] = 600.0
    data = annotate_plates(plate96(vals), simple_map())
    before = data.copy()
    res = normalize_plates(data)
    assert data.equals(before)
    w = res.wells.set_index("well")
    # (600 - 100) / (1100 - 100) = 50 %
    assert w.loc["B05", "viability_percent"] == pytest.approx(50.0)
    assert w.loc["B05", "inhibition_percent"] == pytest.approx(50.0)
    assert w.loc["B05", "value_blanked"] == pytest.approx(500.0)
    # positive-control scaling: (600 - 200) / (1100 - 200)
    pc = normalize_plates(data, positive_control=True).wells.set_index("well")
    assert pc.loc["B05", "viability_percent"] == pytest.approx(100 * 400 / 900)
    assert pc.loc["E01", "viability_percent"] == pytest.approx(0.0)


def test_solvent_matched_vehicle():
    extra = [
        *({"well": f"{r}11", "role": "vehicle", "solvent": "ethanol"} for r in ROWS),
        {
            "well": "C05",
            "role": "sample",
            "compound": "y",
            "dose_molar": 1e-6,
            "solvent": "ethanol",
        },
    ]
    vals = {f"{r}01": 0.0 for r in "ABCDEFGH"}
    vals |= {f"{r}12": 1000.0 for r in ROWS} | {f"{r}11": 800.0 for r in ROWS}
    vals |= {"B05": 500.0, "C05": 400.0}
    data = annotate_plates(plate96(vals), simple_map(extra))
    w = normalize_plates(data).wells.set_index("well")
    assert w.loc["B05", "viability_percent"] == pytest.approx(50.0)  # vs DMSO 1000
    assert w.loc["C05", "viability_percent"] == pytest.approx(50.0)  # vs ethanol 800
    pooled = normalize_plates(data, solvent_matched=False).wells.set_index("well")
    assert pooled.loc["C05", "viability_percent"] == pytest.approx(100 * 400 / 900)


def test_bundled_screen_qc_flags_the_bad_plate_without_dropping_it():
    reads = pd.concat(
        [
            read_plate(dataset_path("screen", f"plate_{x}.csv"))
            for x in ("ENDO-A", "ENDO-B", "TT", "K1")
        ]
    )
    pmap = read_plate_map(dataset_path("screen", "plate_map.csv"))
    res = normalize_plates(annotate_plates(reads, pmap))
    qc = res.qc.set_index("plate")
    assert res.failed_plates == ["ENDO-B"]
    assert "edge_effect" in qc.loc["ENDO-B", "qc_flags"]
    assert "z_prime" in qc.loc["ENDO-B", "qc_flags"]
    # simulated with 5 % CV controls and a 37-fold window: excellent Z′
    assert (qc.loc[["ENDO-A", "TT", "K1"], "z_prime"] > 0.7).all()
    # the failing plate's wells are kept and carry the flag
    bad = res.wells[res.wells["plate"] == "ENDO-B"]
    assert len(bad) == 384
    assert not bad["qc_passed"].any()
    # vehicle wells are normalised to 100 % on average
    veh = res.wells[res.wells["role"] == "vehicle"].groupby("plate")["viability_percent"].mean()
    assert veh.to_numpy() == pytest.approx(100.0, abs=1e-9)
    ct = curve_table(res)
    assert set(ct.columns) >= {"sample", "compound", "dose_molar", "viability_percent"}
    # 8 replicates x 10 doses + 32 vehicle wells per (cell line, compound)
    assert (ct.groupby(["sample", "compound"]).size() == 112).all()
    assert "FAIL" in res.summary()


def test_edge_effect_is_measured():
    vals = {f"{r}01": 0.0 for r in "ABCDEFGH"}
    extra = [{"well": f"{r}06", "role": "vehicle", "solvent": "DMSO"} for r in "CDEF"]
    vals |= {f"{r}12": 700.0 for r in ROWS}  # edge column: 30 % low
    vals |= {f"{r}06": 1000.0 for r in "CDEF"}
    vals["B05"] = 500.0
    res = normalize_plates(annotate_plates(plate96(vals), simple_map(extra)))
    q = res.qc.iloc[0]
    assert q["edge_effect"] == pytest.approx(-0.3)
    assert not q["passed"]


def test_map_that_does_not_match_the_plate():
    vals = {well_name(r, c): 1.0 for r in ROWS for c in range(1, 13)}
    big_map = simple_map([{"well": "P24", "role": "sample", "compound": "x", "dose_molar": 1e-6}])
    with pytest.raises(
        DataValidationError, match=r"map\.csv: plate map does not match plate\.csv: well P24"
    ):
        annotate_plates(plate96(vals), big_map, source="plate.csv", map_source="map.csv")
    named = simple_map().assign(plate="OTHER")
    with pytest.raises(DataValidationError, match=r"names plate\(s\) \['OTHER'\]"):
        annotate_plates(plate96(vals), named, source="plate.csv", map_source="map.csv")


def test_plate_without_vehicle_wells_is_an_error():
    vals = {well_name(r, c): 1.0 for r in ROWS for c in range(1, 13)}
    pmap = simple_map()
    pmap = pmap[pmap["role"] != "vehicle"]
    data = annotate_plates(plate96(vals), pmap)
    with pytest.raises(DataValidationError, match="no vehicle wells"):
        normalize_plates(data)


def test_plate_qc_needs_controls():
    vals = {f"{r}12": 1000.0 + i for i, r in enumerate(ROWS)} | {"B05": 1.0}
    pmap = simple_map()
    pmap = pmap[pmap["role"].isin(["vehicle", "sample"])]
    res = normalize_plates(annotate_plates(plate96(vals), pmap))
    qc = plate_qc(res.wells)
    assert np.isnan(qc["z_prime"].iloc[0])
    assert "z_prime_not_computable" in qc["qc_flags"].iloc[0]


def test_heatmap_smoke():
    vals = {f"{r}01": 100.0 for r in "ABCD"} | {f"{r}12": 1100.0 for r in ROWS}
    vals |= {f"{r}01": 200.0 for r in "EFGH"} | {"B05": 600.0}
    res = normalize_plates(annotate_plates(plate96(vals), simple_map()))
    ax = res.plot()
    assert ax.get_title().startswith("P1")
    assert len(ax.get_yticklabels()) == 8
