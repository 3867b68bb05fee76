"""Kaplan–Meier: R survfit anchors, lifelines cross-checks, properties and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from repurposekit import DataValidationError
from repurposekit.survival import kaplan_meier


def _med(res, group):
    m = res.median().set_index("group")
    return m.loc[group]


# ---------------------------------------------------------------- R anchors (exact values)
# Medians and their CI limits are observed times, so the comparison is exact (R prints the
# same time values); NaN in R (NA) means "not reached".


def test_waltons_medians_and_ci_log_and_loglog(waltons, expected):
    ref = expected["lifelines_vs_R_survival"]["waltons"]
    log = kaplan_meier(waltons, time="T", event="E", by="group")
    ll = kaplan_meier(waltons, time="T", event="E", by="group", conf_type="log-log")
    for g in ("control", "miR-137"):
        assert _med(log, g)["median"] == ref["median"][g]
        assert [_med(log, g)["lower"], _med(log, g)["upper"]] == ref["median_95CI_R_default_log"][g]
        key = "median_95CI_loglog (lifelines default = R conf.type='log-log')"
        assert [_med(ll, g)["lower"], _med(ll, g)["upper"]] == ref[key][g]


def test_gehan_medians_ci_landmark_and_rmst(gehan, expected):
    ref = expected["lifelines_vs_R_survival"]["gehan"]
    res = kaplan_meier(gehan, event="status", by="arm")
    ll = kaplan_meier(gehan, event="status", by="arm", conf_type="log-log")
    for g in ("6-MP", "placebo"):
        row = _med(res, g)
        assert row["median"] == ref["median"][g]
        lo, hi = ref["median_95CI_R_default_log"][g]
        assert row["lower"] == lo
        assert (np.isnan(row["upper"]) and hi is None) or row["upper"] == hi
        lo, hi = ref["median_95CI_loglog"][g]
        assert _med(ll, g)["lower"] == lo
        assert (np.isnan(_med(ll, g)["upper"]) and hi is None) or _med(ll, g)["upper"] == hi
    s10 = res.survival_at(10).set_index("group")["survival"]
    rm = res.rmst(23).set_index("group")["rmst"]
    for g in ("6-MP", "placebo"):
        # R prints 6 decimals: agreement to 5e-7 absolute is the printed precision
        assert s10[g] == pytest.approx(ref["S_at_10"][g], abs=5e-7)
        assert rm[g] == pytest.approx(ref["RMST_tau23"][g], abs=5e-7)


def test_cr1197_time_to_1500_medians_r_convention(cr1197, expected):
    ref = expected["cr1197_time_to_endpoint"]["rule_first_at_or_above_1500"]
    res = kaplan_meier(cr1197, by="Treatment")
    med = res.median().set_index("group")
    for g, m in ref["median_R_survfit"].items():
        if m is None:
            assert np.isnan(med.loc[g, "median"])  # not reached
        else:
            assert med.loc[g, "median"] == m  # Cetuximab 29.5: midpoint of the flat at 0.5
    for g, (lo, hi) in ref["R_median_95CI_log"].items():
        assert med.loc[g, "lower"] == lo
        assert hi is None
        assert np.isnan(med.loc[g, "upper"])
    for g, (n, d) in ref["n_events"].items():
        assert (med.loc[g, "n"], med.loc[g, "n_event"]) == (n, d)
    assert "not reached" in res.summary()


def test_toy_flat_at_half_uses_midpoint(expected):
    ref = expected["lifelines_vs_R_survival"]["toy_median_tie_at_half"]
    df = pd.DataFrame({"time": ref["times"], "event": 1})
    assert kaplan_meier(df).median()["median"].iloc[0] == ref["median_R"]


TOY = Path(__file__).resolve().parents[1] / "data" / "survival"


def _toy_r(name, conf_type):
    ref = pd.read_csv(TOY / name, comment="#")
    return ref[(ref.dataset == "toy") & (ref.conf_type == conf_type)].reset_index(drop=True)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_curve_ending_flat_at_half_uses_last_followup(conf_type):
    # km_toy_cases.csv and the R rows come from generate_survival_r.R (survival 3.5-3
    # survfit + quantile.survfit). toy1: S = 1/2 from t = 3 to the last (censored) follow-up
    # at 9; toy2: S = 1/2 from t = 2 (two deaths) to 9; toy4: as toy1 but the last subject
    # dies at 9; toy3/5/6/7 never reach 1/2 (median not reached, NaN = R's NA)
    toy = pd.read_csv(TOY / "km_toy_cases.csv", comment="#")
    res = kaplan_meier(toy, by="case", conf_type=conf_type)
    tab = res.table.reset_index(drop=True)
    ref = _toy_r("survfit_tables_from_r.csv", conf_type)
    assert np.array_equal(tab["case"].astype(str), ref["group"])
    for col in ("time", "n_risk", "n_event", "n_censor"):
        assert np.array_equal(tab[col].to_numpy(float), ref[col].to_numpy(float)), col
    # same closed-form estimates: agreement to floating-point rounding (R writes 15 digits)
    for col in ("survival", "std_err", "lower", "upper"):
        np.testing.assert_allclose(tab[col], ref[col], rtol=1e-12, atol=1e-14, err_msg=col)
    q = res.quantile([0.25, 0.5, 0.75]).reset_index(drop=True)
    ref_q = _toy_r("survfit_quantiles_from_r.csv", conf_type)
    assert np.array_equal(q["case"].astype(str), ref_q["group"])
    assert np.array_equal(q["q"].to_numpy(), ref_q["q"].to_numpy())
    # quantiles are observed times or midpoints of two: exact equality, NaN = not reached
    for col in ("time", "lower", "upper"):
        np.testing.assert_array_equal(q[col].to_numpy(float), ref_q[col].to_numpy(float), col)
    # the median table reports the same R values (toy1 (3 + 9) / 2, toy2 (2 + 9) / 2)
    med = res.median().set_index("case")["median"]
    r_med = ref_q[ref_q["q"] == 0.5].set_index("group")["time"]
    np.testing.assert_array_equal(med.to_numpy(float), r_med.loc[med.index].to_numpy(float))
    assert r_med["toy1"] == 6.0  # guards the regenerated file: R's (3 + 9) / 2
    assert r_med["toy2"] == 5.5  # R's (2 + 9) / 2


# ---------------------------------------------------------------- lifelines cross-check


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_lifelines_survival_and_loglog_ci_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame(
        {
            "time": np.round(rng.exponential(10, n), 0) + 1,  # ties on purpose
            "event": (rng.random(n) < 0.7).astype(int),
        }
    )
    ours = kaplan_meier(df, conf_type="log-log").table.set_index("time")
    kmf = KaplanMeierFitter().fit(df["time"], df["event"])
    sf = kmf.survival_function_.iloc[1:, 0]  # lifelines adds t=0
    ci = kmf.confidence_interval_.iloc[1:]
    assert np.allclose(ours["survival"].to_numpy(), sf.to_numpy(), rtol=1e-12)
    ok = ours["lower"].notna().to_numpy()
    # both implement the same log-log formula; 1e-10 allows for summation order
    assert np.allclose(ours["lower"].to_numpy()[ok], ci.iloc[:, 0].to_numpy()[ok], atol=1e-10)
    assert np.allclose(ours["upper"].to_numpy()[ok], ci.iloc[:, 1].to_numpy()[ok], atol=1e-10)
    assert np.array_equal(ours["n_risk"].to_numpy(), kmf.event_table["at_risk"].iloc[1:].to_numpy())


# ---------------------------------------------------------------- properties


@given(
    times=st.lists(st.integers(0, 30), min_size=1, max_size=40),
    data=st.data(),
)
def test_survival_non_increasing_in_unit_interval_and_bands_contain_it(times, data):
    events = data.draw(st.lists(st.integers(0, 1), min_size=len(times), max_size=len(times)))
    df = pd.DataFrame({"time": times, "event": events})
    for ct in ("log", "log-log", "plain"):
        tab = kaplan_meier(df, conf_type=ct).table
        s = tab["survival"].to_numpy()
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 0)
        lo, hi = tab["lower"].to_numpy(), tab["upper"].to_numpy()
        ok = ~np.isnan(lo)
        assert np.all(lo[ok] <= s[ok] + 1e-12)
        assert np.all(hi[ok] >= s[ok] - 1e-12)
        assert np.all((lo[ok] >= 0) & (hi[ok] <= 1))
    assert tab["n_event"].sum() == sum(events)
    assert tab["n_event"].sum() + tab["n_censor"].sum() == len(times)


def test_input_not_modified_and_groups_follow_category_order(cr1197):
    df = cr1197.copy()
    df["Treatment"] = pd.Categorical(
        df["Treatment"],
        categories=["Vehicle", "Cetuximab", "Palbociclib", "Palbociclib+Cetuximab"],
    )
    before = df.copy()
    res = kaplan_meier(df, by="Treatment")
    assert df.equals(before)
    assert list(res.median()["group"]) == list(df["Treatment"].cat.categories)
    assert res.settings["by"] == ["Treatment"]


def test_survival_at_and_number_at_risk(gehan):
    res = kaplan_meier(gehan, event="status", by="arm")
    out = res.survival_at([0, 100]).set_index(["group", "time"])
    assert out.loc[("placebo", 0.0), "survival"] == 1.0
    # placebo reaches S = 0 at 23 weeks, so S(100) = 0; 6-MP follow-up ends at 35 weeks
    assert out.loc[("placebo", 100.0), "survival"] == 0.0
    assert np.isnan(out.loc[("6-MP", 100.0), "survival"])
    nar = res.number_at_risk([0, 10, 20])
    assert nar.loc["placebo"].tolist() == [21, 8, 2]
    assert nar.loc["6-MP"].tolist() == [21, 15, 8]


def test_multiple_by_columns_and_quantiles(rossi):
    res = kaplan_meier(rossi, time="week", event="arrest", by=["fin", "race"])
    assert len(res.groups) == 4
    q = res.quantile([0.1, 0.2])
    assert set(q["q"]) == {0.1, 0.2}
    # a later quantile is never earlier (NaN = not reached, e.g. fin=1/race=0 at 20 %)
    for _, g in q.groupby("group"):
        t = g.sort_values("q")["time"].dropna().to_numpy()
        assert np.all(np.diff(t) >= 0)
    assert list(res.groups["group"]) == ["0 / 0", "0 / 1", "1 / 0", "1 / 1"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"time": [1.0, -2.0], "event": [1, 0]}), r"'time', row 3.*negative"),
        (pd.DataFrame({"time": [1.0, 2.0], "event": [1, 2]}), r"'event', row 3.*0 \(censored\)"),
        (pd.DataFrame({"time": [1.0, np.nan], "event": [1, 0]}), r"'time', row 3.*missing"),
        (pd.DataFrame({"time": [1.0, 2.0], "event": [1, None]}), r"'event', row 3.*missing"),
        (
            pd.DataFrame({"time": ["1", "x"], "event": [1, 0]}),
            r"'time', row 3.*'x' is not a number",
        ),
        (pd.DataFrame({"t": [1.0], "event": [1]}), r"missing column\(s\) \['time'\]"),
    ],
)
def test_bad_input_names_column_and_row(frame, match):
    with pytest.raises(DataValidationError, match=match):
        kaplan_meier(frame)


def test_bad_group_value_and_options():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "g": ["a", None]})
    with pytest.raises(DataValidationError, match=r"'g', row 3.*missing"):
        kaplan_meier(df, by="g")
    with pytest.raises(DataValidationError, match="conf_type"):
        kaplan_meier(df.dropna(), conf_type="arcsin")
    with pytest.raises(DataValidationError, match="confidence_level"):
        kaplan_meier(df.dropna(), confidence_level=95)
