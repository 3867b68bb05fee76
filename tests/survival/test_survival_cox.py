"""Cox PH: R coxph anchors, lifelines cross-checks, Firth, categorical covariates, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from repurposekit import DataValidationError
from repurposekit._exceptions import StatisticalWarning
from repurposekit.survival import cox_ph
from repurposekit.survival._cox import _penalised, _profile_loglik
from repurposekit.survival._kernels import CoxData

ROSSI_COVS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def test_gehan_efron_and_breslow(gehan, expected):
    ref = expected["lifelines_vs_R_survival"]["gehan"]
    fit = cox_ph(gehan, event="status", covariates=["arm"], reference={"arm": "6-MP"})
    row = fit.coefficients.loc["arm[placebo]"]
    r = ref["cox_efron_placebo"]
    # R stops Newton when the log-likelihood changes < 1e-9 (relative), which leaves ~2e-7
    # relative error in R's coef (we iterate to the exact MLE): compare at 1e-6 relative
    assert row["coef"] == pytest.approx(r["coef"], rel=1e-6)
    assert row["se"] == pytest.approx(r["se"], rel=1e-6)
    assert row["hr"] == pytest.approx(r["HR"], rel=1e-6)
    assert [row["hr_lower"], row["hr_upper"]] == pytest.approx(r["HR95"], rel=1e-6)
    assert row["p_value"] == pytest.approx(r["wald_p"], rel=1e-5)
    assert fit.loglik[1] == pytest.approx(r["loglik"], rel=1e-8)
    assert fit.lr_test[0] == pytest.approx(r["LRT"], rel=1e-6)
    assert fit.score_test[0] == pytest.approx(r["score_test"], abs=0.005)  # R printed 17.25
    assert fit.reference_levels == {"arm": "6-MP"}
    br = cox_ph(gehan, event="status", covariates=["arm"], ties="breslow")
    assert br.coefficients.loc["arm[placebo]", "coef"] == pytest.approx(
        ref["cox_breslow_placebo"]["coef"], rel=1e-6
    )
    assert br.coefficients.loc["arm[placebo]", "hr"] == pytest.approx(
        ref["cox_breslow_placebo"]["HR"], rel=1e-6
    )


def test_rossi_efron(rossi, expected):
    ref = expected["lifelines_vs_R_survival"]["rossi"]
    fit = cox_ph(rossi, time="week", event="arrest", covariates=ROSSI_COVS)
    for k, v in ref["cox_efron"].items():
        # 6 printed decimals -> 5e-7 absolute
        assert fit.coefficients.loc[k, "coef"] == pytest.approx(v, abs=5e-7)
    assert fit.coefficients.loc["fin", "se"] == pytest.approx(ref["se_fin"], abs=5e-7)
    assert fit.loglik[1] == pytest.approx(ref["loglik"], abs=5e-7)
    assert fit.lr_test[0] == pytest.approx(ref["LRT"], abs=5e-7)
    assert fit.lr_test[1] == ref["LRT_df"]
    assert fit.lr_test[2] == pytest.approx(ref["LRT_p"], rel=1e-6)
    assert fit.concordance == pytest.approx(ref["concordance"], abs=5e-7)
    assert "Concordance" in fit.summary()


def test_cr1197_hazard_ratios_vs_vehicle(cr1197, expected):
    ref = expected["cr1197_time_to_endpoint"]["rule_first_at_or_above_1500"]
    fit = cox_ph(cr1197, covariates=["Treatment"], reference={"Treatment": "Vehicle"})
    for g, hr in ref["cox_efron_HR_vs_vehicle"].items():
        # printed with 4-5 significant digits
        assert fit.coefficients.loc[f"Treatment[{g}]", "hr"] == pytest.approx(hr, rel=5e-4)


@pytest.mark.parametrize("seed", [3, 4])
def test_matches_lifelines_with_ties_and_strata(seed):
    rng = np.random.default_rng(seed)
    n = 150
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.binomial(1, 0.4, n).astype(float),
            "site": rng.choice(["A", "B", "C"], n),
        }
    )
    t = rng.exponential(np.exp(-(0.5 * df.x1 - 0.7 * df.x2)))
    c = rng.exponential(1.5, n)
    df["time"] = np.ceil(np.minimum(t, c) * 10)  # many ties
    df["event"] = (t <= c).astype(int)
    ours = cox_ph(df, covariates=["x1", "x2"], strata="site")
    cph = CoxPHFitter().fit(
        df,
        duration_col="time",
        event_col="event",
        strata=["site"],
        fit_options={"precision": 1e-12, "r_precision": 1e-14},
    )
    # lifelines uses Efron ties too; both converge to the same MLE (1e-6 relative)
    assert np.allclose(ours.coefficients["coef"], cph.params_[["x1", "x2"]], rtol=1e-6)
    assert np.allclose(ours.coefficients["se"], cph.standard_errors_[["x1", "x2"]], rtol=1e-6)
    assert ours.loglik[1] == pytest.approx(cph.log_likelihood_, rel=1e-9)


def test_categorical_default_reference_is_first_level(cr1197):
    fit = cox_ph(cr1197, covariates=["Treatment"])
    assert fit.reference_levels == {"Treatment": "Cetuximab"}
    assert list(fit.coefficients.index) == [
        "Treatment[Palbociclib]",
        "Treatment[Palbociclib+Cetuximab]",
        "Treatment[Vehicle]",
    ]
    assert fit.to_frame().columns[0] == "term"


# ---------------------------------------------------------------- Firth


def _design(df):
    X = pd.get_dummies(df["Treatment"])[["Cetuximab", "Palbociclib", "Palbociclib+Cetuximab"]]
    X = X.to_numpy(dtype=float)
    return CoxData(df["time"].to_numpy(float), df["event"].to_numpy(float), X - X.mean(0), None)


def test_monotone_likelihood_warns_and_firth_is_finite(cr1197_2000):
    # 2000 mm3 endpoint: the combination arm has a single event (monotone likelihood)
    assert cr1197_2000.groupby("Treatment")["event"].sum()["Palbociclib+Cetuximab"] == 1
    with pytest.warns(StatisticalWarning, match="firth=True"):
        plain = cox_ph(cr1197_2000, covariates=["Treatment"], reference={"Treatment": "Vehicle"})
    assert plain.coefficients.loc["Treatment[Palbociclib+Cetuximab]", "se"] > 100
    fit = cox_ph(
        cr1197_2000,
        covariates=["Treatment"],
        reference={"Treatment": "Vehicle"},
        firth=True,
        ties="breslow",
    )
    c = fit.coefficients
    assert np.isfinite(c["coef"]).all()
    assert np.isfinite(c["hr_lower"]).all()
    assert fit.converged
    # Firth shrinks towards 0 compared with the ML estimate
    assert abs(c.loc["Treatment[Cetuximab]", "coef"]) < abs(
        plain.coefficients.loc["Treatment[Cetuximab]", "coef"]
    )
    assert (c["hr_lower"] < c["hr"]).all()
    assert (c["hr"] < c["hr_upper"]).all()


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_firth_score_is_gradient_and_zero_at_fit(cr1197_2000, ties):
    fit = cox_ph(
        cr1197_2000,
        covariates=["Treatment"],
        reference={"Treatment": "Vehicle"},
        firth=True,
        ties=ties,
    )
    cd = _design(cr1197_2000)
    b = fit.coefficients["coef"].to_numpy()
    _, u_hat, _ = _penalised(cd, b, ties)
    assert np.max(np.abs(u_hat)) < 1e-6
    b2 = b + np.array([0.3, -0.2, 0.5])
    _, u, _ = _penalised(cd, b2, ties)
    h = 1e-6
    num = [
        (_penalised(cd, b2 + e, ties)[0] - _penalised(cd, b2 - e, ties)[0]) / (2 * h)
        for e in np.eye(3) * h
    ]
    # central differences: truncation error O(h^2), rounding O(eps/h) ~ 1e-9 relative
    assert np.allclose(u, num, rtol=1e-6, atol=1e-7)


def test_firth_profile_ci_endpoints_hit_the_chi2_cutoff(cr1197_2000):
    fit = cox_ph(
        cr1197_2000,
        covariates=["Treatment"],
        reference={"Treatment": "Vehicle"},
        firth=True,
        ties="breslow",
    )
    cd = _design(cr1197_2000)
    b = fit.coefficients["coef"].to_numpy()
    crit = 3.841458820694124  # chi2(1) 95 %
    for r in range(3):
        for bound in ("coef_lower", "coef_upper"):
            v = fit.coefficients.iloc[r][bound]
            prof = _profile_loglik(cd, 3, r, v, b, "breslow")
            assert 2 * (fit.loglik[1] - prof) == pytest.approx(crit, abs=1e-5)


# ---------------------------------------------------------------- bad input


def test_bad_input(cr1197, rossi):
    before = rossi.copy()
    cox_ph(rossi, time="week", event="arrest", covariates=["fin"])
    assert rossi.equals(before)
    with pytest.raises(DataValidationError, match=r"'age', row 3.*missing"):
        cox_ph(
            rossi.assign(age=[30, np.nan, *rossi.age[2:]]),
            time="week",
            event="arrest",
            covariates=["age"],
        )
    with pytest.raises(DataValidationError, match="reference level 'Placebo'"):
        cox_ph(cr1197, covariates=["Treatment"], reference={"Treatment": "Placebo"})
    with pytest.raises(DataValidationError, match="constant"):
        cox_ph(cr1197.assign(k=1.0), covariates=["k"])
    with pytest.raises(DataValidationError, match="collinear"):
        cox_ph(
            rossi.assign(f2=2 * rossi.fin), time="week", event="arrest", covariates=["fin", "f2"]
        )
    with pytest.raises(DataValidationError, match="ties"):
        cox_ph(rossi, time="week", event="arrest", covariates=["fin"], ties="exact")
    with pytest.raises(DataValidationError, match="no events"):
        cox_ph(rossi.assign(arrest=0), time="week", event="arrest", covariates=["fin"])
    with pytest.raises(DataValidationError, match="at least one covariate"):
        cox_ph(rossi, time="week", event="arrest")


def test_firth_is_close_to_ml_when_the_likelihood_is_well_behaved(rossi):
    # The Firth penalty is O(1) while the log-likelihood is O(n): with 114 events the
    # penalised estimate moves by a small fraction of a standard error (bias correction).
    kw = {"time": "week", "event": "arrest", "covariates": ["fin", "age", "prio"], "strata": "race"}
    ml = cox_ph(rossi, **kw).coefficients
    fi = cox_ph(rossi, firth=True, **kw).coefficients
    assert (np.abs(fi["coef"] - ml["coef"]) < 0.2 * ml["se"]).all()
    # profile-likelihood and Wald CIs nearly coincide in this regular case
    np.testing.assert_allclose(fi["hr_lower"], ml["hr_lower"], rtol=0.03)
    np.testing.assert_allclose(fi["hr_upper"], ml["hr_upper"], rtol=0.03)
