"""Time to a volume endpoint per animal, and its survival analysis via repurposekit.survival."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.invivo import endpoint_survival, prepare_growth_data, time_to_endpoint
from repurposekit.io.invivo import read_growth_table

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def cr1197(invivo_ref):
    return prepare_growth_data(read_growth_table(invivo_ref / "invivoSyn" / "CR1197.csv"))


def test_per_animal_times_match_derived_file(cr1197, invivo_ref):
    ref = pd.read_csv(invivo_ref / "derived" / "CR1197_time_to_1500_first_at_or_above.csv")
    got = time_to_endpoint(cr1197, threshold_mm3=1500)
    m = got.assign(Mouse=got["subject"].astype(int)).merge(ref, on="Mouse", validate="one_to_one")
    assert len(m) == len(ref) == 37
    assert (m["time_x"] == m["time_y"]).all()
    assert (m["event_x"] == m["event_y"]).all()


def test_medians_and_logrank(cr1197, expected):
    e = expected["cr1197_time_to_endpoint"]["rule_first_at_or_above_1500"]
    es = endpoint_survival(cr1197, threshold_mm3=1500)
    med = es.medians().set_index("group")
    for g, v in e["median_R_survfit"].items():
        if v is None:
            assert np.isnan(med.loc[g, "median"])
        else:
            assert med.loc[g, "median"] == pytest.approx(v)
    for g, (n, ev) in e["n_events"].items():
        assert (med.loc[g, "n"], med.loc[g, "n_event"]) == (n, ev)
    # R survdiff printed to 6 decimals
    assert es.logrank.chisq == pytest.approx(e["logrank_4group"]["chi2"], abs=1e-6)
    assert es.logrank.df == 3
    hr = es.to_frame().set_index("group")["hazard_ratio"]
    for g, v in e["cox_efron_HR_vs_vehicle"].items():
        assert hr[g] == pytest.approx(v, rel=1e-3)  # R printed 4-5 significant digits


@pytest.mark.parametrize(
    ("rule", "key"),
    [("last_below", "rule_last_below_1500"), ("interpolate", "rule_loglinear_interp_1500")],
)
def test_other_rules(cr1197, expected, rule, key):
    e = expected["cr1197_time_to_endpoint"][key]
    es = endpoint_survival(cr1197, threshold_mm3=1500, rule=rule)
    med = es.medians().set_index("group")["median"]
    for g, v in e["median_R"].items():
        assert med[g] == pytest.approx(v, abs=1e-4)  # R printed 4 decimals
    assert es.logrank.chisq == pytest.approx(e["logrank_4group_chi2"], abs=1e-5)


def test_threshold_2000_single_event_uses_firth(cr1197, expected, invivo_ref):
    from repurposekit.survival import cox_ph

    e = expected["cr1197_time_to_endpoint"]["rule_first_at_or_above_2000"]
    es = endpoint_survival(cr1197, threshold_mm3=2000)
    assert es.logrank.chisq == pytest.approx(e["logrank_4group_chi2"], abs=1e-5)
    med = es.medians().set_index("group")["median"]
    for g, v in e["median_R"].items():
        assert med[g] == pytest.approx(v)
    hr = es.to_frame().set_index("group")["hazard_ratio"]
    # one event in the combination arm: Firth keeps the HR finite and positive
    assert es.settings["cox_firth"]
    assert 0 < hr["Palbociclib+Cetuximab"] < 0.2
    assert es.settings["threshold_mm3"] == 2000
    # R coxphf (the Firth anchor) is not packaged in Debian, so it cannot be run here.
    # repurposekit.survival.cox_ph(firth=True) is anchored in tests/survival; the endpoint
    # code must give what it gives on the time/event table derived straight from the raw
    # wide CSV (first day with TV >= 2000, else censored at the last measured day; days
    # re-based to the first column). Same rows, order, Efron ties: rounding only, 1e-12.
    ref = cox_ph(
        _times_from_raw(invivo_ref / "invivoSyn" / "CR1197.csv", 2000.0),
        covariates=["group"],
        reference={"group": "Vehicle"},
        firth=True,
    ).coefficients
    got = es.cox.coefficients
    assert list(got.index) == list(ref.index)
    for col in ("coef", "hr", "se", "p_value", "hr_lower", "hr_upper"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-12, atol=0)
    for g in ref.index:
        assert hr[g.removeprefix("group[").removesuffix("]")] == pytest.approx(
            ref.loc[g, "hr"], rel=1e-12
        )


def _times_from_raw(path, threshold: float) -> pd.DataFrame:
    raw = pd.read_csv(path)
    days = np.array([float(c) for c in raw.columns[2:]])
    rows = []
    for treatment, v in zip(raw["Treatment"], raw.iloc[:, 2:].to_numpy(float), strict=True):
        ok = np.isfinite(v)
        hit = np.flatnonzero(ok & (v >= threshold))
        t = days[hit[0]] if len(hit) else days[ok][-1]
        rows.append((treatment, t - days[0], int(len(hit) > 0)))
    return pd.DataFrame(rows, columns=["group", "time", "event"])


def test_bad_rule_and_threshold(cr1197):
    with pytest.raises(DataValidationError, match="rule must be"):
        time_to_endpoint(cr1197, rule="median")
    with pytest.raises(DataValidationError, match="threshold_mm3"):
        time_to_endpoint(cr1197, threshold_mm3=0)
