"""Benchmark: batch LL.4 fitter (compiled and numpy engines) vs loops of scipy ``curve_fit``.

Simulates ``--n`` (default 10,000) nine-point dose-response curves (vehicle + 8 doses over four
decades, Gaussian noise of 3 % of the span) and fits the same curves with

* ``fit_ll4_batch(engine="compiled")`` (the default engine of ``fit_dose_response``: a
  numba-compiled loop over curves), on one thread and on all of numba's threads;
* ``fit_ll4_batch(engine="numpy")`` (the vectorised numpy engine, the tested oracle);
* two Python loops of ``curve_fit`` (Levenberg–Marquardt): the plain one most users write
  (drc's b, c, d, e; p0 from the data) and a tuned one (log-EC50 parameterisation, which
  converges in fewer evaluations).

It prints the throughputs, the ratios and the agreement. JIT compilation (or loading the
compiled code from numba's on-disk cache) happens before the timed runs and is reported on
its own line; ``--cold-jit`` compiles into a throw-away cache so that line shows the real
compile time. Our engines are timed ``--repeat`` times (median reported, min in brackets);
the loops once. The machine's load average is printed at the start and the end: the
timings are only as good as the machine is quiet.

"Well-determined" curves, where the agreement is measured: both fits converged, the true EC50
lies inside the tested doses, and the fitted slope is moderate (|b| < 10; steeper curves are
steps between two doses whose slope no data can pin down).

Run: ``.venv/bin/python benchmarks/bench_curves.py [--n 10000] [--seed 0] [--cold-jit]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np


def _parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each of our engines")
    ap.add_argument("--cold-jit", action="store_true", help="compile into a throw-away numba cache")
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None and ARGS.cold_jit:  # must be set before numba is imported
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="rk_numba_cold_")

from scipy.optimize import OptimizeWarning, curve_fit  # noqa: E402

from repurposekit.curves._kernels import fit_ll4_batch, ll4  # noqa: E402


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


def _timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times)), float(np.min(times))


def _load():
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def main() -> None:
    args = ARGS or _parse()
    print(f"load average at start: {_load()}")
    rng = np.random.default_rng(args.seed)
    dose, y, truth = simulate(args.n, rng)
    n = args.n

    # --- JIT: compile (or load from the on-disk cache) before timing; report it apart
    try:
        import numba

        from repurposekit.curves import _compiled
    except ImportError:
        print("numba is not installed: only the numpy engine is benchmarked")
        numba = _compiled = None
    engines = []
    if _compiled is not None:
        n_threads = numba.get_num_threads()
        t0 = time.perf_counter()
        fit_ll4_batch(dose, y[:50], engine="compiled")  # serial kernel
        t_jit1 = time.perf_counter() - t0
        fixed = np.full((50, 4), np.nan)
        kw = {"x_is_log": False, "max_iter": 60, "ftol": 1e-10, "xtol": 1e-10, "restarts": True}
        t0 = time.perf_counter()
        _compiled.fit_batch(dose, y[:50], None, None, fixed, None, parallel=True, **kw)
        t_jitp = time.perf_counter() - t0
        how = "compile (cold cache)" if args.cold_jit else "compile or load from cache"
        print(
            f"JIT {how}, not in the timings: serial kernel {t_jit1:.2f} s, "
            f"threaded kernel {t_jitp:.2f} s (numba {numba.__version__}, "
            f"threading layer {numba.threading_layer()}, {n_threads} threads)"
        )

        def serial():
            numba.set_num_threads(1)  # the default engine, one thread
            try:
                return fit_ll4_batch(dose, y, engine="compiled")
            finally:
                numba.set_num_threads(n_threads)

        engines.append(("compiled, 1 thread", serial))
        if n_threads > 1:
            engines.append(
                (
                    f"compiled, {n_threads} threads",
                    lambda: fit_ll4_batch(dose, y, engine="compiled"),
                )
            )
    fit_ll4_batch(dose, y[:50], engine="numpy")  # warm-up (imports, caches)
    engines.append(("numpy engine", lambda: fit_ll4_batch(dose, y, engine="numpy")))

    results = {}
    for name, fn in engines:
        results[name] = _timed(fn, args.repeat)

    t0 = time.perf_counter()
    peer, peer_ok = scipy_loop(dose, y)
    t_peer = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain, plain_ok = plain_loop(dose, y)
    t_plain = time.perf_counter() - t0

    print(f"curves: {n} x {dose.size} points")
    for name, (_, t_med, t_min) in results.items():
        print(
            f"ours  {name:<22}: {t_med:8.3f} s [{t_min:.3f}]  {n / t_med:12,.0f} curves/s  "
            f"x{t_peer / t_med:7.1f} tuned  x{t_plain / t_med:7.1f} plain"
        )
    print(f"peer  curve_fit loop, tuned   : {t_peer:8.3f} s  {n / t_peer:12,.0f} curves/s")
    print(f"peer  curve_fit loop, plain   : {t_plain:8.3f} s  {n / t_plain:12,.0f} curves/s")

    main_name = engines[0][0]
    ours = results[main_name][0]
    oracle = results["numpy engine"][0]
    print(
        f"converged: ours {ours.converged.mean():.2%}, numpy engine {oracle.converged.mean():.2%},"
        f" tuned {peer_ok.mean():.2%}, plain {plain_ok.mean():.2%}"
    )

    # --- agreement: compiled vs its numpy oracle, all engines vs the loops and the truth
    in_range = (truth[:, 3] > dose[1]) & (truth[:, 3] < dose[-1])
    if ours is not oracle:
        same = ours.converged & oracle.converged & in_range & (np.abs(oracle.params[:, 0]) < 10)
        span = np.abs(oracle.params[:, 2] - oracle.params[:, 1])
        scale = np.abs(oracle.params) + np.c_[0 * span, span, span, 0 * span]
        rel = (np.abs(ours.params - oracle.params) / scale)[same].max(axis=0)
        rss_rel = (ours.rss - oracle.rss) / oracle.rss
        print(
            f"compiled vs numpy engine ({same.sum()} well-determined curves): max rel diff "
            f"b {rel[0]:.1e}, c {rel[1]:.1e}, d {rel[2]:.1e}, e {rel[3]:.1e} (c, d vs span); "
            f"RSS worse by > 1e-9 rel: {(rss_rel[same] > 1e-9).sum()}; converged flags "
            f"differ: {(ours.converged != oracle.converged).sum()} of {n}"
        )
        t_par = [v[0] for k, v in results.items() if "threads" in k]
        if t_par:
            same_bits = all(
                np.array_equal(getattr(t_par[0], f), getattr(ours, f), equal_nan=True)
                for f in ("params", "rss", "cov", "converged")
            )
            print(f"threaded == single-thread results bit for bit: {same_bits}")

    good = ours.converged & peer_ok & in_range & (np.abs(ours.params[:, 0]) < 10)
    good &= np.abs(peer[:, 0]) < 10
    dlog = np.abs(np.log10(ours.params[good, 3]) - np.log10(peer[good, 3]))
    print(f"well-determined curves (ours and tuned loop): {good.sum()} ({good.mean():.1%})")
    print(
        f"|dlog10 EC50| ours vs tuned loop: median {np.median(dlog):.2e}, "
        f"95th pct {np.percentile(dlog, 95):.2e}, max {dlog.max():.2e}"
    )
    rss_peer = ((y - ll4(dose, *(peer[:, i : i + 1] for i in range(4)))) ** 2).sum(axis=1)
    worse = ours.rss[good] > rss_peer[good] * (1 + 1e-6)
    print(f"curves where ours has a higher RSS than the tuned loop (> 1e-6 rel): {worse.sum()}")
    dtrue = np.abs(np.log10(ours.params[good, 3]) - np.log10(truth[good, 3]))
    print(f"|dlog10 EC50| ours vs truth: median {np.median(dtrue):.3f}")
    good2 = ours.converged & plain_ok & in_range & (np.abs(ours.params[:, 0]) < 10)
    dlog2 = np.abs(np.log10(ours.params[good2, 3]) - np.log10(plain[good2, 3]))
    print(f"|dlog10 EC50| ours vs plain loop: median {np.median(dlog2):.2e} ({good2.sum()} curves)")
    for name, (_, t_med, _) in results.items():
        for peer_name, t in (("tuned", t_peer), ("plain", t_plain)):
            met = (t / t_med >= 100) and (np.median(dlog) < 0.01)
            print(
                f"target, {name} vs {peer_name} loop (>= 100x, median |dlog10 EC50| < 0.01): "
                f"{'MET' if met else 'NOT met'} ({t / t_med:,.0f}x)"
            )
    print(f"load average at end: {_load()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
