"""Benchmark: our REML kernel vs statsmodels MixedLM on SynergyLMM's grwth_data.

Fits ``logRTV ~ 0 + Time:Treatment`` with a random slope per animal (the SynergyLMM model)
repeatedly with both engines and prints fits/s, the ratio and the largest difference in the
growth-rate estimates. Needs ../shared/reference (or $RK_REFERENCE).

    .venv/bin/python benchmarks/bench_invivo.py
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np

from repurposekit.invivo import fit_growth_lmm, prepare_growth_data
from repurposekit.io.invivo import read_growth_table

REF = Path(
    os.environ.get("RK_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference")
)


def _rate(engine: str, gd, n: int) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    for _ in range(n):
        fit = fit_growth_lmm(gd, engine=engine)
    return n / (time.perf_counter() - t0), fit.estimates["rate_per_day"].to_numpy()


def main() -> None:
    gd = prepare_growth_data(read_growth_table(REF / "invivo" / "SynergyLMM" / "grwth_data.csv"))
    warnings.simplefilter("ignore")
    ours, b1 = _rate("reml", gd, 20)
    peer, b2 = _rate("statsmodels", gd, 5)
    t0 = time.perf_counter()
    fit_growth_lmm(gd, per_animal_variance=True, robust=True)
    vi = time.perf_counter() - t0
    print(f"statsmodels MixedLM (powell+bfgs): {peer:8.2f} fits/s")
    print(f"RepurposeKit REML kernel:          {ours:8.2f} fits/s   ratio {ours / peer:.1f}x")
    print(f"max |rate difference|: {np.max(np.abs(b1 - b2)):.2e} per day")
    print(f"varIdent + CR2 fit (no statsmodels equivalent): {vi * 1000:.0f} ms")


if __name__ == "__main__":
    main()
