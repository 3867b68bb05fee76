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


def test_threshold_2000_single_event_uses_firth(cr1197, expected):
    e = expected["cr1197_time_to_endpoint"]["rule_first_at_or_above_2000"]
    es = endpoint_survival(cr1197, threshold_mm3=2000)
    assert es.logrank.chisq == pytest.approx(e["logrank_4group_chi2"], abs=1e-5)
    med = es.medians().set_index("group")["median"]
    for g, v in e["median_R"].items():
        assert med[g] == pytest.approx(v)
    hr = es.to_frame().set_index("group")["hazard_ratio"]
    # one event in the combination arm: Firth keeps the HR finite and positive
    assert 0 < hr["Palbociclib+Cetuximab"] < 0.2
    assert es.settings["threshold_mm3"] == 2000


def test_bad_rule_and_threshold(cr1197):
    with pytest.raises(DataValidationError, match="rule must be"):
        time_to_endpoint(cr1197, rule="median")
    with pytest.raises(DataValidationError, match="threshold_mm3"):
        time_to_endpoint(cr1197, threshold_mm3=0)
