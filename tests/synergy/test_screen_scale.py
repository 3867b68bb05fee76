"""Screen-scale paths: vectorised Loewe grid search, array-shipping Dask, vectorised reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synergy_helpers import matrix_frame

from repurposekit import DataValidationError
from repurposekit.io.synergy import tidy_synergy
from repurposekit.synergy import _kernels as K
from repurposekit.synergy import score_screen, score_synergy


def _grid_reference(xs, dk):
    """SynergyFinder's ``.SolveLoewe`` index rule, cell by cell (R: ``which(dist ==
    min(dist, na.rm = TRUE))[1]``): the first minimum of the non-NaN distances, which is the
    first inf when no distance is finite; -1 (NA) when every distance is NaN."""
    B, S = xs[0].shape
    out = np.full((B, S), -1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for b in range(B):
            for s in range(S):
                dist = np.abs(sum(xs[k][b, s] / dk[k][b] for k in range(len(xs))) - 1.0)
                ok = ~np.isnan(dist)
                if ok.any():
                    out[b, s] = int(np.flatnonzero(dist == dist[ok].min())[0])
    return out


@pytest.mark.parametrize("n_drugs", [2, 3])
def test_loewe_grid_search_matches_cellwise_rule(monkeypatch, n_drugs):
    rng = np.random.default_rng(11)
    B, S, T = 23, 7, 12
    xs = [rng.choice([0.0, 1e-8, 1e-7, 1e-6], size=(B, S)) for _ in range(n_drugs)]
    # inverse curves with SynergyFinder's out-of-range values: 0 below, inf above the range
    dk = [rng.choice([0.0, np.inf, 1e-8, 3e-7, 2e-6], size=(B, T)) for _ in range(n_drugs)]
    dk[0][0] = 0.0  # a block where drug 1 never reaches the grid: 0/0 = NaN cells
    dk[0][1] = np.inf
    # small chunks (with a remainder) exercise the chunk loop
    monkeypatch.setattr(K, "_LOEWE_CHUNK", 3 * S * T)
    best, worst = K._loewe_grid_argmin(xs, dk)
    ref = _grid_reference(xs, dk)
    finite = ~worst
    np.testing.assert_array_equal(best[finite], ref[finite])
    assert (ref[finite] >= 0).all()
    # the caller applies R's rule where no distance is finite; check it end to end below
    assert worst.any()


def test_loewe_reference_matches_cellwise_rule_end_to_end():
    """``loewe`` (chunked, vectorised) against the cell-by-cell rule on random fits."""
    rng = np.random.default_rng(5)
    B, shape = 40, (4, 5)
    resp = rng.uniform(-20, 120, (B, *shape))
    doses = [np.sort(rng.uniform(1e-9, 1e-5, (B, n)), axis=1) for n in shape]
    for d in doses:
        d[:, 0] = 0.0
    fits = [
        {
            "b": rng.normal(0, 3, B),
            "c": rng.uniform(-30, 60, B),
            "d": rng.uniform(20, 130, B),
            "e": 10 ** rng.uniform(-9, -5, B),
        }
        for _ in range(2)
    ]
    ref, syn = K.loewe(resp, doses, fits)
    n_steps = 100
    for b in range(B):
        par = [{n: f[n][b] for n in "bcde"} for f in fits]
        lo = min(min(p["c"], p["d"]) for p in par)
        hi = max(max(p["c"], p["d"]) for p in par)
        y_test = lo + (hi - lo) * (np.arange(n_steps) / (n_steps - 1))
        y_test[-1] = hi
        dk = [K.sf_dose_for_response(y_test, **p) for p in par]
        for i in range(1, shape[0]):
            for j in range(1, shape[1]):
                y = resp[b, i, j]
                x = (doses[0][b, i], doses[1][b, j])
                if not any(np.isfinite(K.sf_dose_for_response(y, **p)) for p in par):
                    continue  # the summed-dose fall-back, not the grid
                idx = _grid_reference(
                    [np.array([[x[0]]]), np.array([[x[1]]])], [dk[0][None], dk[1][None]]
                )[0, 0]
                expect = np.nan if idx < 0 else y_test[idx]
                np.testing.assert_equal(ref[b, i, j], expect)
    np.testing.assert_array_equal(syn[:, 0, :], 0.0)  # monotherapy edges score 0


def _screen(n, rng, *, bad=None):
    d1 = np.array([0, 1e-8, 1e-7, 1e-6])
    d2 = np.array([0, 3e-9, 3e-8, 3e-7, 3e-6])
    frames = []
    for i in range(n):
        f = matrix_frame(d1, d2, rng.uniform(0, 100, (4, 5)), block=f"b{i}")
        if i == bad:
            f = f[f["dose2_molar"] > 0]  # no monotherapy of drug 1
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def test_process_cluster_matches_serial(rng):
    """2-worker LocalCluster of processes (arrays shipped, workers warmed) = serial path."""
    df = _screen(10, rng, bad=3)
    copy = df.copy()
    methods = ["bliss", "hsa", "zip", "loewe"]
    serial = score_synergy(df, methods=methods)
    par = score_screen(df, methods=methods, scheduler="processes", n_workers=2)
    assert df.equals(copy)
    assert list(par.blocks.columns) == list(serial.blocks.columns)
    assert list(par.cells.columns) == list(serial.cells.columns)
    # same kernels on the same curves: equal up to float rounding (1e-12)
    for table in ("blocks", "cells"):
        a, b = getattr(serial, table), getattr(par, table)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(a[num], b[num], rtol=0, atol=1e-12)
        other = a.columns.difference(num)
        assert a[other].equals(b[other])
    assert list(par.errors["block_id"]) == ["b3"] == list(serial.errors["block_id"])
    assert par.errors["error"].iloc[0] == serial.errors["error"].iloc[0]


def test_serial_screen_in_chunks_equals_one_call(rng):
    df = _screen(9, rng, bad=4)
    one = score_synergy(df, methods=["bliss", "zip", "loewe"], sensitivity=False)
    seen = []
    chunked = score_screen(
        df,
        methods=["bliss", "zip", "loewe"],
        sensitivity=False,
        scheduler=None,
        chunk_size=2,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    pd.testing.assert_frame_equal(one.blocks, chunked.blocks)
    pd.testing.assert_frame_equal(one.cells, chunked.cells)
    pd.testing.assert_frame_equal(one.errors, chunked.errors)
    assert seen == [(i, 5) for i in range(1, 6)]


def test_screen_bootstrap_reproducible_for_a_seed(rng):
    df = _screen(4, rng)
    rep = pd.concat([df, df.assign(inhibition_pct=df["inhibition_pct"] + 2.0)], ignore_index=True)
    kw = {"methods": ["bliss"], "replicates": "bootstrap", "n_boot": 20, "sensitivity": False}
    a = score_screen(rep, scheduler=None, chunk_size=2, rng=3, **kw)
    b = score_screen(rep, scheduler=None, chunk_size=2, rng=3, **kw)
    pd.testing.assert_frame_equal(a.blocks, b.blocks)
    assert (a.blocks["bliss_ci_low"] <= a.blocks["bliss_ci_high"]).all()


def test_screen_rejects_unknown_option(rng):
    with pytest.raises(TypeError, match="unexpected option"):
        score_screen(_screen(2, rng), scheduler=None, replicate="mean")


def _long(blocks):
    """SynergyFinder long table from {block_id: (responses 3x3, unit)} (rows = drug_row)."""
    d = [0.0, 0.1, 1.0]
    rows = []
    for b, (resp, unit) in blocks.items():
        for i, r in enumerate(d):
            for j, c in enumerate(d):
                rows.append((b, "A", "B", r, c, resp[i][j], unit, unit))
    cols = ["block_id", "drug_row", "drug_col", "conc_r", "conc_c", "response"]
    return pd.DataFrame(rows, columns=[*cols, "conc_r_unit", "conc_c_unit"])


VIAB = [[100.0, 90, 70], [80, 60, 40], [60, 30, 10]]
INHIB = [[0.0, 10, 30], [20, 40, 60], [40, 70, 90]]


def test_reading_a_screen_equals_reading_each_block():
    """Per-block scale inference, vectorised over blocks: the same rows as block by block."""
    raw = _long({1: (VIAB, "uM"), 2: (INHIB, "nM"), 3: (VIAB, " µM ")})
    whole = tidy_synergy(raw)
    parts = pd.concat(
        [tidy_synergy(g) for _, g in raw.groupby("block_id", sort=False)], ignore_index=True
    )
    # source_row restarts per part (file lines); compare everything else
    pd.testing.assert_frame_equal(
        whole.drop(columns="source_row"), parts.drop(columns="source_row")
    )
    assert list(whole.groupby("block_id")["input_scale"].first()) == [
        "viability",
        "inhibition",
        "viability",
    ]
    np.testing.assert_allclose(whole["inhibition_pct"], np.tile(np.ravel(INHIB), 3))
    assert set(whole["unit1"]) == {"uM", "nM"}


def test_first_block_without_control_is_named():
    v2 = [row[:] for row in VIAB]
    raw = _long({1: (VIAB, "uM"), 2: (v2, "uM")})
    raw = raw[~((raw["block_id"] == 2) & (raw["conc_r"] == 0) & (raw["conc_c"] == 0))]
    with pytest.raises(DataValidationError, match=r"block 2 has no no-drug control"):
        tidy_synergy(raw)
    out = tidy_synergy(raw, input_scale="viability")
    assert set(out["input_scale"]) == {"viability"}


def test_first_contradicting_block_is_named():
    raw = _long({1: (INHIB, "uM"), 2: (VIAB, "uM"), 3: (VIAB, "uM")})
    with pytest.raises(DataValidationError, match=r"block 2: the no-drug control reads 100"):
        tidy_synergy(raw, input_scale="inhibition")


def test_loewe_without_finite_distances_follows_r():
    """A flat drug (c = d = top of the grid) has inverse dose 0 on the whole grid: with the
    drug present every distance is inf or NaN, and R takes the first inf; absent (x = 0) in
    a 3-drug block, 0/0 makes every distance NaN (R: NA)."""
    flat = {
        "b": np.array([2.0]),
        "c": np.array([80.0]),
        "d": np.array([80.0]),
        "e": np.array([1e-7]),
    }
    rise = {
        "b": np.array([-1.0]),
        "c": np.array([0.0]),
        "d": np.array([60.0]),
        "e": np.array([1e-7]),
    }
    d = np.array([[0.0, 1e-7, 1e-6]])
    resp = np.array([[[0.0, 20.0, 40.0], [10.0, 30.0, 45.0], [25.0, 35.0, 50.0]]])
    ref, _ = K.loewe(resp, [d, d], [flat, rise])
    # grid 0, 80/99, ..., 80: at 0 the rising drug's inverse is -0.0 (inf - inf = NaN), so
    # the first inf is the second grid point
    second = 0.0 + 80.0 * (1 / 99)  # the kernel's grid arithmetic, lo + (hi - lo) * step
    np.testing.assert_array_equal(ref[0, 1:, 1:], second)
    d3 = np.array([[0.0, 1e-6]])
    resp3 = np.full((1, 2, 2, 2), 30.0)
    ref3, _ = K.loewe(resp3, [d3, d3, d3], [rise, rise, flat])
    assert np.isnan(ref3[0, 1, 1, 0])  # drugs 1 + 2, flat drug 3 absent: NA
    assert ref3[0, 1, 1, 1] == second  # all three present: first inf, as above
