"""Benchmark: RepurposeKit survival vs lifelines on the same data, in one run.

Prints throughput of both, the ratio, and the agreement:

1. univariate Cox over genes (20,000 genes x 500 samples by default): our vectorised
   ``cox_univariate_batch`` vs a loop of lifelines ``CoxPHFitter`` (timed on a subset of genes
   and extrapolated per gene; the subset is also used for the agreement check);
2. Kaplan-Meier + log-rank on 200,000 subjects in 4 groups;
3. a multivariable Cox model (Efron) on 5,000 subjects x 8 covariates.

Usage: .venv/bin/python benchmarks/bench_survival.py [--genes 20000] [--samples 500] [--loop 40]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from repurposekit.survival import cox_ph, cox_univariate_batch, kaplan_meier, logrank_test


def _simulate(rng, n, m):
    X = rng.normal(size=(n, m))
    risk = 0.4 * X[:, 0] - 0.3 * X[:, 1]
    t = rng.exponential(np.exp(-risk)) * 60
    c = rng.uniform(20, 120, n)
    return np.round(np.minimum(t, c), 3), (t <= c).astype(int), X


def bench_univariate(rng, n, m, n_loop):
    time_, event, X = _simulate(rng, n, m)
    t0 = time.perf_counter()
    ours = cox_univariate_batch(X, time=time_, event=event)
    t_ours = time.perf_counter() - t0
    cols = np.linspace(0, m - 1, n_loop).astype(int)
    rows = []
    t0 = time.perf_counter()
    for j in cols:
        df = pd.DataFrame({"T": time_, "E": event, "x": X[:, j]})
        cph = CoxPHFitter().fit(df, "T", "E")
        rows.append(
            (
                cph.params_["x"],
                cph.standard_errors_["x"],
                cph.summary["p"]["x"],
                cph.concordance_index_,
            )
        )
    t_loop = (time.perf_counter() - t0) / n_loop
    ll = np.array(rows)
    rel = lambda a, b: np.max(np.abs(a - b) / np.abs(b))  # noqa: E731
    print(f"[1] univariate Cox, {m} genes x {n} samples (Efron ties)")
    print(f"    ours      : {t_ours:8.2f} s  ({m / t_ours:,.0f} genes/s)")
    print(
        f"    lifelines : {t_loop * m:8.1f} s  ({1 / t_loop:,.1f} genes/s; loop of {n_loop} timed)"
    )
    print(f"    ratio     : {t_loop * m / t_ours:,.0f}x")
    print(
        f"    agreement on the {n_loop} genes: max |coef diff| "
        f"{np.max(np.abs(ours.coef[cols] - ll[:, 0])):.1e}, max rel diff se "
        f"{rel(ours.se[cols], ll[:, 1]):.1e}, HR {rel(ours.hr[cols], np.exp(ll[:, 0])):.1e}, "
        f"concordance {rel(ours.concordance[cols], ll[:, 3]):.1e}\n"
        "    (lifelines stops Newton at a looser tolerance: on this data its worst gene has\n"
        "    |score| ~8e-3 at its estimate, ours ~1e-14. Agreement with R coxph to 1e-6 is\n"
        "    tested in tests/survival)"
    )


def bench_km_logrank(rng, n=200_000):
    g = rng.choice(list("ABCD"), n)
    t = np.round(rng.exponential(10 + (g == "B") * 1.0), 2)
    e = (rng.random(n) < 0.7).astype(int)
    df = pd.DataFrame({"time": t, "event": e, "group": g})
    t0 = time.perf_counter()
    km = kaplan_meier(df, by="group")
    med = km.median()
    lr = logrank_test(df)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    meds = []
    for k in "ABCD":
        s = df[df.group == k]
        meds.append(KaplanMeierFitter().fit(s.time, s.event).median_survival_time_)
    ll = multivariate_logrank_test(df.time, df.group, df.event)
    t_ll = time.perf_counter() - t0
    print(f"[2] Kaplan-Meier (4 curves, medians) + log-rank, {n:,} subjects")
    print(f"    ours {t_ours:.2f} s, lifelines {t_ll:.2f} s, ratio {t_ll / t_ours:.1f}x")
    print(
        f"    agreement: chi2 rel diff {abs(lr.chisq - ll.test_statistic) / ll.test_statistic:.1e}, "
        f"medians equal (no flat at 0.5): {np.allclose(med['median'], meds)}"
    )


def bench_cox(rng, n=5000, p=8):
    t, e, X = _simulate(rng, n, p)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(p)]).assign(T=t, E=e)
    t0 = time.perf_counter()
    ours = cox_ph(df, time="T", event="E", covariates=[f"x{i}" for i in range(p)])
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    cph = CoxPHFitter().fit(df, "T", "E")
    t_ll = time.perf_counter() - t0
    diff = np.max(np.abs(ours.coefficients["coef"].to_numpy() - cph.params_.to_numpy()))
    print(f"[3] Cox PH (Efron), {n:,} subjects x {p} covariates")
    print(f"    ours {t_ours:.3f} s, lifelines {t_ll:.3f} s, ratio {t_ll / t_ours:.1f}x")
    print(
        f"    agreement: max |coef diff| {diff:.1e}, loglik diff {abs(ours.loglik[1] - cph.log_likelihood_):.1e}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--loop", type=int, default=40, help="genes timed in the lifelines loop")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(20261125)
    bench_univariate(rng, args.samples, args.genes, args.loop)
    bench_km_logrank(rng)
    bench_cox(rng)


if __name__ == "__main__":
    main()
