"""Synergy panel throughput: RepurposeKit vs the `synergy` package (1.0.0) on the same random 6×6 blocks.

Run: .venv/bin/python benchmarks/bench_synergy.py [n_blocks] [n_peer_blocks]
The peer is slow (tens of ms per block per method), so it is timed on the first
``n_peer_blocks`` blocks (default 40) and its rate extrapolated; this is printed.

Our timings are steady-state: one small warm-up run first loads the compiled LL.4 engine
(numba's on-disk cache; a fresh environment compiles once, for several seconds), and its
time is printed separately. The Dask start-up (cluster + the same warm-up in each worker)
is printed and also folded into one throughput line.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from repurposekit.synergy import score_screen, score_synergy

PANEL = ["bliss", "hsa", "loewe", "zip"]


def make_blocks(n: int, rng: np.random.Generator) -> pd.DataFrame:
    d = np.array([0, 0.0625, 0.25, 1, 4, 16.0]) * 1e-6
    rows = []
    for b in range(n):
        c1, c2 = 10 ** rng.uniform(-7, -5.5, 2)
        h1, h2 = rng.uniform(0.7, 2.0, 2)
        e1 = 100 * d**h1 / (d**h1 + c1**h1)
        e2 = 90 * d**h2 / (d**h2 + c2**h2)
        resp = 100 * (1 - (1 - e1[:, None] / 100) * (1 - e2[None, :] / 100)) + rng.normal(
            0, 4, (6, 6)
        )
        resp[1:, 1:] += rng.uniform(-10, 10)
        for i in range(6):
            for j in range(6):
                rows.append((b, "A", "B", d[i], d[j], resp[i, j], "uM", "uM"))
    return pd.DataFrame(
        rows,
        columns=[
            "block_id",
            "drug1",
            "drug2",
            "dose1_molar",
            "dose2_molar",
            "inhibition_pct",
            "unit1",
            "unit2",
        ],
    )


def peer(df: pd.DataFrame, n: int) -> tuple[dict[str, float], dict[str, list]]:
    """Seconds per block of each `synergy` model, and the fitted models (for agreement)."""
    from synergy.combination import HSA, ZIP, Bliss, Loewe
    from synergy.single import Hill

    out, models = {}, {}
    blocks = [g for _, g in df.groupby("block_id")][:n]

    def loewe():
        return Loewe(mode="delta_HSA", drug1_model=Hill, drug2_model=Hill)

    for name, cls in (("bliss", Bliss), ("hsa", HSA), ("loewe", loewe), ("zip", ZIP)):
        fitted = []
        t = time.perf_counter()
        for g in blocks:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = cls()
                model.fit(
                    g["dose1_molar"].to_numpy() * 1e6,
                    g["dose2_molar"].to_numpy() * 1e6,
                    1 - g["inhibition_pct"].to_numpy() / 100,
                )
            fitted.append(model)
        out[name] = (time.perf_counter() - t) / len(blocks)
        models[name] = fitted
    return out, models


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    res = fn(*args, **kwargs)
    return res, time.perf_counter() - t


def main() -> None:
    from repurposekit.curves._kernels import fit_ll4_batch
    from repurposekit.synergy import _ll4
    from repurposekit.synergy._batch import _warm

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_peer = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    load0 = os.getloadavg()
    df = make_blocks(n, np.random.default_rng(7))
    _, warm = _timed(_warm)  # compiled LL.4 engine from numba's cache (once per process)
    # 250 blocks = 2,500 ZIP curves: also loads the engine's multi-threaded kernel
    _, warm2 = _timed(score_synergy, df.iloc[: 36 * 250], methods=PANEL, sensitivity=False)
    ours = {}
    for m in PANEL:
        _, dt = _timed(score_synergy, df, methods=[m], sensitivity=False)
        ours[m] = dt / n
    res, dt = _timed(score_synergy, df, methods=PANEL, sensitivity=False)
    panel_serial = dt / n

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    client.run(_warm)  # each worker loads the compiled engine once
    startup = time.perf_counter() - t0
    res2, dt = _timed(score_screen, df, methods=PANEL, sensitivity=False, scheduler=client)
    panel_dask = dt / n
    client.close()
    cluster.close()
    a = res.blocks.set_index("block_id").sort_index()
    b = res2.blocks.set_index("block_id").sort_index()
    max_dask = max(float(np.nanmax(np.abs(a[m] - b[m]))) for m in PANEL)
    cells_same = res.cells.equals(res2.cells)

    p, models = peer(df, n_peer)
    load1 = os.getloadavg()
    engine = fit_ll4_batch(
        np.array([0.0, 1.0, 2.0, 4.0]), np.array([[0.0, 30.0, 60.0, 90.0]]), engine=_ll4.ENGINE
    ).engine
    print(f"{n} random 6x6 blocks (peer timed on {n_peer} blocks, rate extrapolated)")
    print(
        f"machine: {os.cpu_count()} cores; load average {load0[0]:.2f} at start, "
        f"{load1[0]:.2f} at end; LL.4 engine: {engine} "
        f"(warm-up {warm:.2f} s + {warm2:.2f} s, excluded)"
    )
    print(f"{'method':8s} {'ours blocks/s':>14s} {'synergy blocks/s':>17s} {'ratio':>8s}")
    for m in PANEL:
        print(f"{m:8s} {1 / ours[m]:14.0f} {1 / p[m]:17.1f} {p[m] / ours[m]:8.0f}x")
    pp = sum(p.values())
    print(
        f"{'panel':8s} {1 / panel_serial:14.0f} {1 / pp:17.1f} {pp / panel_serial:8.0f}x"
        "  (score_synergy, one process; LL.4 engine on numba threads)"
    )
    print(
        f"{'panel':8s} {1 / panel_dask:14.0f} {1 / pp:17.1f} {pp / panel_dask:8.0f}x"
        "  (score_screen, Dask LocalCluster, 2 processes, one chunk per worker)"
    )
    incl = panel_dask + startup / n
    print(
        f"{'panel':8s} {1 / incl:14.0f} {1 / pp:17.1f} {pp / incl:8.0f}x"
        f"  (same, incl. {startup:.1f} s cluster start-up and worker warm-up)"
    )
    print(
        f"Dask vs serial: max |block score diff| = {max_dask:.1e}, cells table identical: "
        f"{cells_same}"
    )
    # agreement on Bliss/HSA (closed form; synergy reports reference - observed, fractions)
    for m in ("bliss", "hsa"):
        worst = 0.0
        for blk, model in enumerate(models[m]):
            g = df[df["block_id"] == blk]
            mask = (g["dose1_molar"].to_numpy() > 0) & (g["dose2_molar"].to_numpy() > 0)
            c = res.cells[res.cells["block_id"] == blk]
            ours_c = c[f"{m}_synergy"].to_numpy()[c["combination"].to_numpy()]
            worst = max(worst, np.max(np.abs(100 * np.asarray(model.synergy)[mask] - ours_c)))
        print(
            f"{m.upper()} agreement with synergy on {len(models[m])} blocks: "
            f"max |diff| = {worst:.2e} % points"
        )


if __name__ == "__main__":
    main()
