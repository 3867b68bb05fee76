"""Benchmark: batch LL.4 fitter vs a loop of ``scipy.optimize.curve_fit`` on the same curves.

Simulates ``--n`` (default 10,000) nine-point dose-response curves (vehicle + 8 doses over four
decades, Gaussian noise of 3 % of the span), fits them with
``repurposekit.curves._kernels.fit_ll4_batch`` (the engine of ``fit_dose_response``) and with
two Python loops of ``curve_fit`` (Levenberg–Marquardt): the plain one most users write
(drc's b, c, d, e; p0 from the data) and a tuned one (log-EC50 parameterisation, which
converges in fewer evaluations). It prints the throughputs, the ratios and the agreement.

"Well-determined" curves, where the agreement is measured: both fits converged, the true EC50
lies inside the tested doses, and the fitted slope is moderate (|b| < 10; steeper curves are
steps between two doses whose slope no data can pin down).

Run: ``.venv/bin/python benchmarks/bench_curves.py [--n 10000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from repurposekit.curves._kernels import fit_ll4_batch, ll4


def simulate(n: int, rng: np.random.Generator):
    dose = np.r_[0.0, np.logspace(-9, -5, 8)]  # molar: vehicle + 1 nM .. 10 µM
    b = rng.uniform(0.5, 3.0, n)
    e = 10 ** rng.uniform(-8.5, -5.5, n)
    c = rng.uniform(0.0, 20.0, n)
    d = rng.uniform(90.0, 110.0, n)
    y = ll4(dose, b[:, None], c[:, None], d[:, None], e[:, None])
    y = y + rng.normal(0.0, 3.0, y.shape)
    return dose, y, np.column_stack([b, c, d, e])


def _ll4_log(x, b, c, d, loge):
    with np.errstate(divide="ignore", over="ignore"):
        return c + (d - c) / (1.0 + np.exp(b * (np.log(x) - loge)))


def _ll4_natural(x, b, c, d, e):
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return c + (d - c) / (1.0 + np.exp(b * (np.log(x) - np.log(e))))


def plain_loop(dose, y):
    """The loop most users write: drc's (b, c, d, e) directly, p0 from the data, defaults."""
    out = np.full((y.shape[0], 4), np.nan)
    ok = np.zeros(y.shape[0], dtype=bool)
    emid = np.sqrt(dose[1] * dose[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, yi in enumerate(y):
            try:
                p, _ = curve_fit(_ll4_natural, dose, yi, p0=[1.0, yi.min(), yi.max(), emid])
            except RuntimeError:
                continue
            out[i] = p
            ok[i] = p[3] > 0
    return out, ok


def scipy_loop(dose, y):
    """A tuned loop: curve_fit per curve, log-EC50 parameterised, data-driven p0."""
    out = np.full((y.shape[0], 4), np.nan)
    ok = np.zeros(y.shape[0], dtype=bool)
    lmid = np.log(np.sqrt(dose[1] * dose[-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, yi in enumerate(y):
            p0 = [1.0, yi.min(), yi.max(), lmid]
            try:
                p, _ = curve_fit(_ll4_log, dose, yi, p0=p0, maxfev=2000)
            except RuntimeError:
                continue
            out[i] = [p[0], p[1], p[2], np.exp(p[3])]
            ok[i] = True
    return out, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    dose, y, truth = simulate(args.n, rng)

    fit_ll4_batch(dose, y[:50])  # warm-up (imports, caches)
    t0 = time.perf_counter()
    ours = fit_ll4_batch(dose, y)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    peer, peer_ok = scipy_loop(dose, y)
    t_peer = time.perf_counter() - t0

    t0 = time.perf_counter()
    plain, plain_ok = plain_loop(dose, y)
    t_plain = time.perf_counter() - t0

    n = args.n
    print(f"curves: {n} x {dose.size} points")
    print(f"ours  fit_ll4_batch            : {t_ours:8.3f} s  {n / t_ours:12,.0f} curves/s")
    print(f"peer  curve_fit loop, tuned    : {t_peer:8.3f} s  {n / t_peer:12,.0f} curves/s")
    print(f"peer  curve_fit loop, plain    : {t_plain:8.3f} s  {n / t_plain:12,.0f} curves/s")
    print(f"ratio vs tuned loop: {t_peer / t_ours:,.1f}x   vs plain loop: {t_plain / t_ours:,.1f}x")
    print(
        f"converged: ours {ours.converged.mean():.2%}, tuned {peer_ok.mean():.2%}, "
        f"plain {plain_ok.mean():.2%}"
    )

    in_range = (truth[:, 3] > dose[1]) & (truth[:, 3] < dose[-1])
    good = ours.converged & peer_ok & in_range & (np.abs(ours.params[:, 0]) < 10)
    good &= np.abs(peer[:, 0]) < 10
    dlog = np.abs(np.log10(ours.params[good, 3]) - np.log10(peer[good, 3]))
    print(f"well-determined curves: {good.sum()} ({good.mean():.1%})")
    print(
        f"|dlog10 EC50| ours vs peer: median {np.median(dlog):.2e}, "
        f"95th pct {np.percentile(dlog, 95):.2e}, max {dlog.max():.2e}"
    )
    rss_peer = ((y - ll4(dose, *(peer[:, i : i + 1] for i in range(4)))) ** 2).sum(axis=1)
    worse = ours.rss[good] > rss_peer[good] * (1 + 1e-6)
    print(f"curves where ours has a higher RSS than the peer: {worse.sum()}")
    dtrue = np.abs(np.log10(ours.params[good, 3]) - np.log10(truth[good, 3]))
    print(f"|dlog10 EC50| ours vs truth: median {np.median(dtrue):.3f}")
    good2 = ours.converged & plain_ok & in_range & (np.abs(ours.params[:, 0]) < 10)
    dlog2 = np.abs(np.log10(ours.params[good2, 3]) - np.log10(plain[good2, 3]))
    print(f"|dlog10 EC50| ours vs plain loop: median {np.median(dlog2):.2e} ({good2.sum()} curves)")
    for name, t in (("tuned", t_peer), ("plain", t_plain)):
        met = (t / t_ours >= 100) and (np.median(dlog) < 0.01)
        print(
            f"target vs {name} loop (>= 100x, median |dlog10 EC50| < 0.01): {'MET' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
