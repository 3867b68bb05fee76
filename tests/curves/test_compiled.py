"""The compiled (numba) engine of fit_ll4_batch against its oracle, the vectorised numpy engine.

Both engines run the same algorithm (self-start, EC50-shift polish, damped Gauss–Newton/Newton,
restarts, saddle check, scipy fall-back, drc covariance); they differ only in the order of
floating-point operations (row sums, a Cholesky with reciprocals). So on well-determined curves
they must land on the same optimum to the optimiser's stopping tolerance: ftol = 1e-10 on the
relative RSS reduction leaves the parameters determined to about sqrt(1e-10) SE ~ 1e-5 SE,
i.e. ~1e-7 relative for these curves; 1e-6 relative is the bar. On ill-determined curves
(steps, flat curves: no finite optimum) both creep along a flat valley and may stop at
different points, so only their RSS is compared there.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repurposekit.curves import _kernels as K
from repurposekit.curves._kernels import fit_ll4_batch, ll4

numba = pytest.importorskip("numba")
from repurposekit.curves import _compiled as C  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "curves"


@pytest.fixture(scope="session", autouse=True)
def _warm_jit():
    """Compile (or load from the on-disk cache) once per session, serial and threaded."""
    x = np.r_[0.0, np.logspace(-3, 1, 6)]
    y = ll4(x, np.array([[1.0], [-1.0]]), 0.0, 100.0, 0.1)
    for parallel in (False, True):
        C.fit_batch(
            x, y, None, None, np.full((2, 4), np.nan), None, x_is_log=False, max_iter=5,
            ftol=1e-10, xtol=1e-10, restarts=True, parallel=parallel,
        )  # fmt: skip


def _sim(rng, n, *, noise=3.0, rising=True):
    """Screen-like curves: vehicle + 8 doses over four decades, EC50 inside the range."""
    x = np.r_[0.0, np.logspace(-9, -5, 8)]
    b = rng.uniform(0.5, 3.0, n) * (np.where(rng.random(n) < 0.3, -1.0, 1.0) if rising else 1.0)
    e = 10 ** rng.uniform(-8.5, -5.5, n)
    c = rng.uniform(0.0, 20.0, n)
    d = rng.uniform(90.0, 110.0, n)
    y = ll4(x, b[:, None], c[:, None], d[:, None], e[:, None]) + rng.normal(0, noise, (n, 9))
    return x, y


def _well_determined(a, b, lo, hi):
    """Both converged, moderate slope, EC50 inside the tested doses ``[lo, hi]`` and pinned
    by the data (SE of ln EC50 < 0.5): the curves on which the engines must agree to 1e-6."""
    if a.x_is_log:
        e, se_log = np.exp(a.params[:, 3]), a.se[:, 3]
    else:
        e, se_log = a.params[:, 3], a.se[:, 3] / a.params[:, 3]
    return (
        a.converged
        & b.converged
        & (np.abs(a.params[:, 0]) < 10)
        & (e > lo)
        & (e < hi)
        & (se_log < 0.5)
    )


def _assert_engines_agree(a, b, ok):
    """Params (c, d against the response span) and SEs to 1e-6; RSS never worse by > 1e-9."""
    assert ok.sum() > 0
    span = np.abs(a.params[ok, 2] - a.params[ok, 1])[:, None]
    scale = np.abs(a.params[ok]) + np.c_[0 * span, span, span, 0 * span]
    np.testing.assert_array_less(np.abs(b.params[ok] - a.params[ok]), 1e-6 * scale + 1e-300)
    # SEs come from the Hessian at the optimum: they move with the parameters (1e-6 too)
    np.testing.assert_allclose(b.se[ok], a.se[ok], rtol=1e-6, atol=0)
    assert np.all(b.rss[ok] <= a.rss[ok] * (1 + 1e-9))


def test_engine_selection_and_result_field():
    x = np.r_[0.0, np.logspace(-3, 1, 6)]
    y = ll4(x, 1.2, 0.0, 100.0, 0.1)[None, :]
    # numba is installed here: auto = compiled for screens, numpy for small batches
    assert fit_ll4_batch(x, np.repeat(y, K.AUTO_COMPILED_MIN_CURVES, axis=0)).engine == "compiled"
    assert fit_ll4_batch(x, y).engine == "numpy"
    assert fit_ll4_batch(x, y, engine="compiled").engine == "compiled"
    assert fit_ll4_batch(x, y, engine="numpy").engine == "numpy"
    with pytest.raises(ValueError, match="engine"):
        fit_ll4_batch(x, y, engine="fortran")


def test_compiled_engine_shares_the_numpy_engine_constants():
    # repeated in _compiled (its numba cache does not see changes to _kernels): must match
    assert C._ZERO_LX == K._ZERO_LX
    assert C._ETA_SPAN == K._ETA_SPAN


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    # a None entry in sys.modules makes the import raise ImportError, as when numba is absent
    monkeypatch.setitem(sys.modules, "repurposekit.curves._compiled", None)
    x = np.r_[0.0, np.logspace(-3, 1, 6)]
    y = ll4(x, 1.2, 0.0, 100.0, 0.1)[None, :]
    assert fit_ll4_batch(x, y).engine == "numpy"
    with pytest.raises(ImportError, match="numba"):
        fit_ll4_batch(x, y, engine="compiled")


def test_engines_agree_on_a_screen_batch():
    rng = np.random.default_rng(42)
    x, y = _sim(rng, 600)
    a = fit_ll4_batch(x, y, engine="numpy")
    b = fit_ll4_batch(x, y, engine="compiled")
    ok = _well_determined(a, b, x[1], x[-1])
    assert ok.mean() > 0.8  # most screen curves are well determined
    _assert_engines_agree(a, b, ok)
    # convergence is decided by the same rules on the same optimum: identical flags here
    assert np.array_equal(a.converged, b.converged)
    assert np.array_equal(a.n_obs, b.n_obs)
    assert np.array_equal(a.df, b.df)
    assert np.array_equal(a.free, b.free)


@pytest.mark.parametrize(
    "case", ["mask", "weights", "fixed_cd", "fixed_b_e", "x_is_log", "start", "no_restarts"]
)
def test_engines_agree_with_options(case):
    rng = np.random.default_rng(7)
    x, y = _sim(rng, 120)
    n = y.shape[0]
    kw: dict = {}
    dose = x
    if case == "mask":  # ragged curves: drop 0-3 of the top doses per curve, and a NaN
        k = rng.integers(0, 4, n)
        kw["mask"] = np.arange(9)[None, :] < (9 - k)[:, None]
        y[::7, 4] = np.nan
    elif case == "weights":  # replicate counts as weights
        kw["weights"] = rng.integers(1, 4, y.shape).astype(float)
    elif case == "fixed_cd":  # SynergyFinder/ZIP style: c, d fixed for half the curves
        kw["fixed"] = {"c": np.where(np.arange(n) % 2 == 0, 0.0, np.nan), "d": 100.0}
    elif case == "fixed_b_e":
        kw["fixed"] = {"b": np.where(np.arange(n) % 3 == 0, 1.0, np.nan), "e": 1e-7}
    elif case == "x_is_log":  # drc L.4 on ln-dose (zero dose replaced by a low surrogate)
        dose = np.log(np.r_[1e-11, x[1:]])
        kw["x_is_log"] = True
    elif case == "start":
        kw["start"] = np.column_stack([np.ones(n), y.min(1), y.max(1), np.full(n, 1e-7)])
    elif case == "no_restarts":
        kw["restarts"] = False
    a = fit_ll4_batch(dose, y, engine="numpy", **kw)
    b = fit_ll4_batch(dose, y, engine="compiled", **kw)
    ok = _well_determined(a, b, x[1], x[-1])
    assert ok.mean() > 0.5
    _assert_engines_agree(a, b, ok)
    for name in ("n_obs", "n_free", "df", "free"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    # fixed parameters report exactly the value given, with zero SE (unless the whole
    # covariance is undefined: a singular Hessian), in both engines
    if "fixed" in kw:
        assert np.array_equal(a.params[~a.free], b.params[~b.free])
        fixed_se = b.se[~b.free]
        assert np.all((fixed_se == 0.0) | np.isnan(fixed_se))


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_negative_or_nan_weight_drops_the_point(engine):
    rng = np.random.default_rng(9)
    x, y = _sim(rng, 4)
    w = np.ones_like(y)
    w[0, 3] = -2.0
    w[1, 5] = np.nan
    weighted = fit_ll4_batch(x, y, weights=w, engine=engine)
    masked = fit_ll4_batch(x, y, mask=w > 0, engine=engine)
    # the same arrays reach the optimiser either way: equal to rounding
    np.testing.assert_allclose(weighted.params, masked.params, rtol=1e-12)
    assert weighted.n_obs.tolist() == [8, 8, 9, 9]


def test_engines_agree_on_hard_curves_in_rss():
    # noisy, few points, EC50 anywhere, steps and flat curves: no finite optimum for many, so
    # only the RSS is compared; rounding can send both engines to different points of a flat
    # valley, so the compiled fit may be better or worse there. On converged, moderately
    # sloped curves it must not be worse than the oracle by more than 1e-9 relative.
    rng = np.random.default_rng(1)
    n = 1500
    x = np.r_[0.0, np.logspace(-3, 1, 6)]
    b = rng.uniform(-6, 6, n)
    e = 10 ** rng.uniform(-4, 2, n)
    y = ll4(x, b[:, None], 0, 100, e[:, None]) + rng.normal(0, 15, (n, x.size))
    a = fit_ll4_batch(x, y, engine="numpy")
    c = fit_ll4_batch(x, y, engine="compiled")
    good = a.converged & c.converged & (np.abs(a.params[:, 0]) < 5)
    assert good.sum() > 100
    assert np.all(c.rss[good] <= a.rss[good] * (1 + 1e-9))
    assert np.array_equal(np.isfinite(a.rss), np.isfinite(c.rss))
    # the two engines disagree on convergence for at most a handful of such curves
    assert (a.converged != c.converged).sum() <= 0.005 * n


def test_scipy_fallback_runs_for_the_compiled_engine_too():
    # a curve whose whole drop lies between the vehicle and the lowest dose: Levenberg–
    # Marquardt stalls (the slope runs to 0 while c and d diverge), so both engines hand it
    # to scipy's trust-region refit (n_iter = -1) and report the same refitted curve
    x = np.r_[0.0, np.logspace(-3, 1, 6)]
    y = np.array([[93.758, 6.761, -1.169, -4.452, 16.673, 7.805, -2.063]])
    a = fit_ll4_batch(x, y, engine="numpy")
    b = fit_ll4_batch(x, y, engine="compiled")
    assert a.n_iter[0] == -1
    assert b.n_iter[0] == -1
    assert b.rss[0] <= a.rss[0] * (1 + 1e-9)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-6)
    assert a.converged[0] == b.converged[0]
    # without the fall-back the stalled fit stays "not converged"
    assert not fit_ll4_batch(x, y, engine="compiled", fallback=False).converged[0]


def test_compiled_fallback_rows_get_covariance_and_user_units(monkeypatch):
    # force every curve through the scipy refit: starting at the optimum it stays there, so
    # the refitted rows (n_iter = -1) must carry the same estimates, SEs and flags as the
    # plain compiled fit: this checks the row-wise re-preparation and back-transform
    rng = np.random.default_rng(3)
    x, y = _sim(rng, 30)
    mask = np.ones(y.shape, dtype=bool)
    mask[::4, -2:] = False
    fixed = {"c": np.where(np.arange(30) % 3 == 0, 5.0, np.nan)}
    plain = fit_ll4_batch(x, y, mask=mask, fixed=fixed, engine="compiled")
    real = C.fit_batch

    def everything_retried(*args, **kwargs):
        out = real(*args, **kwargs)
        return (*out[:6], np.ones_like(out[6]), out[7])

    monkeypatch.setattr(C, "fit_batch", everything_retried)
    forced = fit_ll4_batch(x, y, mask=mask, fixed=fixed, engine="compiled")
    refit = forced.n_iter == -1
    assert refit.mean() > 0.5
    ok = refit & plain.converged
    np.testing.assert_allclose(forced.params[ok], plain.params[ok], rtol=1e-6)
    np.testing.assert_allclose(forced.se[ok], plain.se[ok], rtol=1e-5)
    assert np.all(forced.rss <= plain.rss * (1 + 1e-12))
    assert np.all(forced.params[::3, 1] == 5.0)


def test_threaded_and_serial_kernels_are_identical():
    rng = np.random.default_rng(11)
    x, y = _sim(rng, 700)
    fx = np.full((700, 4), np.nan)
    kw = {"x_is_log": False, "max_iter": 60, "ftol": 1e-10, "xtol": 1e-10, "restarts": True}
    one = C.fit_batch(x, y, None, None, fx, None, parallel=False, **kw)
    many = C.fit_batch(x, y, None, None, fx, None, parallel=True, **kw)
    # each curve is fitted by the same code wherever it runs: bit-identical results
    for u, v in zip(one[:5], many[:5], strict=True):
        assert np.array_equal(u, v, equal_nan=True)
    for key in one[7]:
        assert np.array_equal(one[7][key], many[7][key], equal_nan=True)


def test_threads_only_from_the_main_thread_for_large_batches():
    assert not C._use_parallel(10)  # small batch: serial
    seen = []
    t = threading.Thread(target=lambda: seen.append(C._use_parallel(10**6)))
    t.start()
    t.join()
    assert seen == [False]  # numba's workqueue layer must not be entered from two threads
    assert C._use_parallel(10**6) == (numba.get_num_threads() > 1)


def test_no_threads_in_a_forked_child(monkeypatch):
    # the thread pool was started by another process (this one is a fork of it): numba's
    # GNU OpenMP layer would terminate us on a parallel launch, so the batch runs serially
    monkeypatch.setattr(C, "_PARALLEL_PID", [-1])
    assert not C._use_parallel(10**6)


def _fit_in_child(queue, x, y):
    queue.put(fit_ll4_batch(x, y).params)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method: Linux default")
def test_a_forked_worker_can_fit_a_large_batch():
    # multiprocessing's default on Linux forks the parent, whose thread pool has run: the
    # child must fit (serially) instead of being terminated by the OpenMP fork check
    import multiprocessing

    rng = np.random.default_rng(5)
    x, y = _sim(rng, C.PARALLEL_MIN_CURVES + 100)
    here = fit_ll4_batch(x, y)  # threaded when numba has more than one thread
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue, x, y))
    child.start()
    try:  # read before joining: the child cannot exit while its result fills the pipe
        got = queue.get(timeout=60)
    finally:
        child.join(10)
        if child.exitcode is None:
            child.kill()
    assert child.exitcode == 0
    assert np.array_equal(got, here.params, equal_nan=True)


# ---------------------------------------------------------------- anchors, both engines


@pytest.fixture
def ryegrass(reference_dir):
    d = pd.read_csv(reference_dir / "synergy" / "drc" / "ryegrass.csv")
    exp = pd.read_csv(reference_dir / "synergy" / "drc" / "ryegrass_LL4_expected.csv")
    return d, exp


@pytest.mark.reference
@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_ryegrass_ll4_matches_drc_with_either_engine(ryegrass, engine):
    d, exp = ryegrass
    ll4_rows = exp[exp["model"] == "LL.4"].set_index("parameter")
    fit = fit_ll4_batch(d["conc"].to_numpy(), d["rootl"].to_numpy()[None, :], engine=engine)
    assert fit.engine == engine
    assert fit.converged[0]
    for i, name in enumerate("bcde"):
        # issue acceptance 1e-4 relative for parameters; SEs likewise (both reach ~1e-5)
        assert fit.params[0, i] == pytest.approx(ll4_rows.loc[name, "estimate"], rel=1e-4)
        assert fit.se[0, i] == pytest.approx(ll4_rows.loc[name, "std_error"], rel=1e-4)
    assert fit.rss[0] == pytest.approx(ll4_rows.loc["RSS", "estimate"], rel=1e-7)


def _sf_single(block, col):
    m = pd.read_csv(DATA / "mathews_screening_data.csv")
    b = m[m["block_id"] == block]
    other = "conc_c" if col == "conc_r" else "conc_r"
    s = b[b[other] == 0].sort_values(col)
    return s[col].to_numpy(), 100.0 - s["response"].to_numpy()


@pytest.mark.reference
def test_anchors_same_flags_and_no_worse_rss_across_engines(reference_dir):
    # every anchor curve of tests/curves: drc's ryegrass (LL.4 and LL.3), SynergyFinder's
    # single-drug fits (well and ill determined) and its documentation example
    d = pd.read_csv(reference_dir / "synergy" / "drc" / "ryegrass.csv")
    doc = pd.read_csv(DATA / "synergyfinder_doc_example_input.csv")
    cases = [
        (d["conc"].to_numpy(), d["rootl"].to_numpy(), None),
        (d["conc"].to_numpy(), d["rootl"].to_numpy(), {"c": 0.0}),
        (doc["dose"].to_numpy(), doc["response"].to_numpy(float), None),
    ]
    for block, col in ((2, "conc_c"), (1, "conc_c"), (2, "conc_r"), (1, "conc_r")):
        x, y = _sf_single(block, col)
        cases.append((x, y, None))
    for x, y, fixed in cases:
        a = fit_ll4_batch(x, y[None, :], fixed=fixed, engine="numpy")
        b = fit_ll4_batch(x, y[None, :], fixed=fixed, engine="compiled")
        assert a.converged[0] == b.converged[0]
        assert b.rss[0] <= a.rss[0] * (1 + 1e-9)
        if a.converged[0]:
            # 1e-6 relative: the optimiser's tolerance (module docstring)
            np.testing.assert_allclose(b.params[0], a.params[0], rtol=1e-6, atol=1e-9)
