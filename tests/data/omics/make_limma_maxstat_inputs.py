"""Write the deterministic inputs that generate_limma_maxstat_r.R feeds to R limma / maxstat.

Run from this folder:  ../../../.venv/bin/python make_limma_maxstat_inputs.py
Values are written with 6 decimals so R and Python parse the very same doubles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def two_group(rng: np.random.Generator, n_genes: int, n_per: int, sigma2: np.ndarray) -> np.ndarray:
    """Genes × (T1..Tn, C1..Cn) normal values with per-gene variance ``sigma2``."""
    x = rng.normal(size=(n_genes, 2 * n_per)) * np.sqrt(sigma2)[:, None]
    return x + rng.normal(8.0, 1.5, size=(n_genes, 1))  # per-gene mean (log-expression level)


def write_expr(x: np.ndarray, n_per: int, path: str) -> None:
    cols = [f"T{i + 1}" for i in range(n_per)] + [f"C{i + 1}" for i in range(n_per)]
    genes = [f"g{i:03d}" for i in range(x.shape[0])]
    pd.DataFrame(x, index=genes, columns=cols).to_csv(path, float_format="%.6f")


def main() -> None:
    # limma case "prior": 400 genes, 4 vs 4 (d = 6), variances from a scaled inverse
    # chi-square prior (d0 = 5, s0^2 = 0.3) so that eBayes estimates a finite prior df;
    # g000-g029 up by 1.5 and g030-g049 down by 1.0 in T.
    rng = np.random.default_rng(20260301)
    s2 = 0.3 * 5 / rng.chisquare(5, 400)
    x = two_group(rng, 400, 4, s2)
    x[:30, :4] += 1.5
    x[30:50, :4] -= 1.0
    write_expr(x, 4, "limma_prior_expr.csv")
    # case "zero": the same matrix with three constant genes (zero residual variance, as
    # for an unexpressed gene at log2(0 + 1) = 0): limma offsets them to 1e-5 × median.
    z = x.copy()
    z[[5, 100, 200], :] = np.array([[0.0], [3.25], [7.5]])
    write_expr(z, 4, "limma_zero_expr.csv")
    # case "flat": 150 genes, 3 vs 3 (d = 4), one common variance: the log-variance spread
    # is below its sampling variance, so eBayes gives df.prior = Inf (seed chosen for that).
    rng = np.random.default_rng(3)
    write_expr(two_group(rng, 150, 3, np.full(150, 0.5)), 3, "limma_flat_expr.csv")
    # fitFDist input: 2000 sample variances on d = 4 df from a prior with d0 = 10, s0^2 = 0.5.
    rng = np.random.default_rng(20260302)
    sigma2 = 0.5 * 10 / rng.chisquare(10, 2000)
    v = sigma2 * rng.chisquare(4, 2000) / 4
    pd.DataFrame({"s2": v}).to_csv("fitfdist_s2.csv", index=False, float_format="%.9g")
    # maxstat / survdiff case: 120 patients (N × 0.1 integral, so every package and maxstat
    # candidate set coincide), a continuous marker with a hazard effect, uniform censoring.
    rng = np.random.default_rng(20260303)
    n = 120
    xm = rng.normal(size=n)
    t = rng.exponential(np.exp(-0.6 * xm)) * 10
    c = rng.uniform(2, 25, n)
    d = pd.DataFrame(
        {
            "sample": [f"s{i:03d}" for i in range(n)],
            "marker": np.round(xm, 6),
            "time": np.round(np.minimum(t, c), 4),
            "event": (t <= c).astype(int),
        }
    )
    assert d["marker"].is_unique  # no ties: see the R script
    assert d["time"].is_unique
    d.to_csv("maxstat_surv.csv", index=False)


if __name__ == "__main__":
    main()
