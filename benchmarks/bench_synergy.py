"""Synergy panel throughput: RepurposeKit vs the `synergy` package (1.0.0) on the same random 6×6 blocks.

Run: .venv/bin/python benchmarks/bench_synergy.py [n_blocks] [n_peer_blocks]
The peer is slow (tens of ms per block per method), so it is timed on the first
``n_peer_blocks`` blocks (default 40) and its rate extrapolated; this is printed.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from repurposekit.synergy import score_screen, score_synergy


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


def peer(df: pd.DataFrame, n: int) -> dict[str, float]:
    from synergy.combination import HSA, ZIP, Bliss, Loewe

    out = {}
    blocks = [g for _, g in df.groupby("block_id")][:n]
    from synergy.single import Hill

    def loewe():
        return Loewe(mode="delta_HSA", drug1_model=Hill, drug2_model=Hill)

    for name, cls in (("bliss", Bliss), ("hsa", HSA), ("loewe", loewe), ("zip", ZIP)):
        t = time.perf_counter()
        for g in blocks:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls().fit(
                    g["dose1_molar"].to_numpy() * 1e6,
                    g["dose2_molar"].to_numpy() * 1e6,
                    1 - g["inhibition_pct"].to_numpy() / 100,
                )
        out[name] = (time.perf_counter() - t) / len(blocks)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_peer = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    df = make_blocks(n, np.random.default_rng(7))
    ours = {}
    for m in ("bliss", "hsa", "loewe", "zip"):
        t = time.perf_counter()
        score_synergy(df, methods=[m], sensitivity=False)
        ours[m] = (time.perf_counter() - t) / n
    t = time.perf_counter()
    res = score_synergy(df, methods=["bliss", "hsa", "loewe", "zip"], sensitivity=False)
    panel_serial = (time.perf_counter() - t) / n
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("repurposekit.synergy"))  # warm the workers' imports
    startup = time.perf_counter() - t0
    t = time.perf_counter()
    res2 = score_screen(
        df, methods=["bliss", "hsa", "loewe", "zip"], sensitivity=False, scheduler=client
    )
    panel_dask = (time.perf_counter() - t) / n
    client.close()
    cluster.close()
    a, b = res.blocks.sort_values("block_id"), res2.blocks.sort_values("block_id")
    same = all(np.allclose(a[m], b[m], atol=1e-9) for m in ("bliss", "hsa", "loewe", "zip"))
    p = peer(df, n_peer)
    print(f"{n} random 6x6 blocks (peer timed on {n_peer} blocks, rate extrapolated)")
    print(f"{'method':8s} {'ours blocks/s':>14s} {'synergy blocks/s':>17s} {'ratio':>8s}")
    for m in ("bliss", "hsa", "loewe", "zip"):
        print(f"{m:8s} {1 / ours[m]:14.0f} {1 / p[m]:17.1f} {p[m] / ours[m]:8.0f}x")
    pp = sum(p.values())
    print(
        f"{'panel':8s} {1 / panel_serial:14.0f} {1 / pp:17.1f} {pp / panel_serial:8.0f}x  (serial, 1 core)"
    )
    print(
        f"{'panel':8s} {1 / panel_dask:14.0f} {1 / pp:17.1f} {pp / panel_dask:8.0f}x  (Dask LocalCluster, 2 processes, one chunk per worker)"
    )
    incl = panel_dask + startup / n
    print(
        f"{'panel':8s} {1 / incl:14.0f} {1 / pp:17.1f} {pp / incl:8.0f}x  (same, incl. {startup:.1f} s cluster start-up)"
    )
    print(f"Dask result identical to serial: {same}")
    # agreement on Bliss/HSA (closed form; synergy reports reference - observed in fractions)
    from synergy.combination import Bliss

    g = df[df["block_id"] == 0]
    b = Bliss()
    b.fit(
        g["dose1_molar"].to_numpy() * 1e6,
        g["dose2_molar"].to_numpy() * 1e6,
        1 - g["inhibition_pct"].to_numpy() / 100,
    )
    ours0 = res.cells[res.cells["block_id"] == 0]
    mask = (g["dose1_molar"].to_numpy() > 0) & (g["dose2_molar"].to_numpy() > 0)
    diff = np.max(
        np.abs(
            100 * np.asarray(b.synergy)[mask]
            - ours0["bliss_synergy"].to_numpy()[ours0["combination"].to_numpy()]
        )
    )
    print(f"Bliss agreement with synergy on block 0: max |diff| = {diff:.2e} % points")


if __name__ == "__main__":
    main()
