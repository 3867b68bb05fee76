"""Benchmark: ssGSEA and univariate Cox over genes, RepurposeKit vs peers, same input, one run.

Usage: .venv/bin/python benchmarks/bench_omics.py [--quick]

1. ssGSEA, 20,000 genes × 500 samples × 100 gene sets (simulated log-normal expression,
   random sets of 15–300 genes): RepurposeKit vs gseapy (``pip install gseapy``, bench extra).
   R GSVA is not installed here; its ssGSEA time on GSE3143 (8,659 × 158 × 81, serial,
   this 2-core machine, stored in the reference ``expected_R/gse3143_timing_seconds.tsv``)
   is compared with ours on the same GSE3143 input when the reference folder is present.
2. Univariate Cox (Efron, HR per SD), 20,000 genes × 500 samples: RepurposeKit (batched
   Newton) vs a lifelines ``CoxPHFitter`` loop on a subset of genes, extrapolated linearly.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(
    os.environ.get("RK_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference")
)
QUICK = "--quick" in sys.argv


def _timed(f, *a, **k):
    t0 = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t0


def bench_ssgsea() -> None:
    from repurposekit.omics import GeneSets, score_gene_sets

    rng = np.random.default_rng(20261125)
    g, n, s = (20_000, 500, 100) if not QUICK else (5_000, 100, 20)
    genes = [f"G{i}" for i in range(g)]
    expr = pd.DataFrame(
        rng.lognormal(2.0, 1.0, size=(g, n)).round(3),
        index=genes,
        columns=[f"S{j}" for j in range(n)],
    )
    expr = np.log2(expr + 1)
    sets = {
        f"SET{i}": list(rng.choice(genes, int(rng.integers(15, 301)), replace=False))
        for i in range(s)
    }
    gs = GeneSets.from_dict(sets)
    ours, t_ours = _timed(score_gene_sets, expr, gs, method="ssgsea", normalize=True)
    print(f"ssGSEA {g} genes x {n} samples x {s} sets")
    print(f"  RepurposeKit : {t_ours:8.2f} s  ({n / t_ours:8.1f} samples/s)")
    try:
        import gseapy
    except ImportError:
        print("  gseapy       : not installed (pip install gseapy) - skipped")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res, t_gp = _timed(
                gseapy.ssgsea,
                data=expr,
                gene_sets=sets,
                outdir=None,
                sample_norm_method="rank",
                permutation_num=0,
                no_plot=True,
                threads=1,
                min_size=1,
                max_size=10_000,
                verbose=False,
            )
        nes = res.res2d.pivot(index="Term", columns="Name", values="NES").astype(float)
        nes = nes.loc[ours.scores.index, ours.scores.columns]
        diff = np.abs(nes.to_numpy() - ours.scores.to_numpy())
        r = np.corrcoef(nes.to_numpy().ravel(), ours.scores.to_numpy().ravel())[0, 1]
        print(f"  gseapy {gseapy.__version__} : {t_gp:8.2f} s  ({n / t_gp:8.1f} samples/s)")
        print(
            f"  ratio gseapy/ours = {t_gp / t_ours:.1f}x; agreement (normalised scores): max |diff| {diff.max():.2e}, r = {r:.8f}"
        )
    tfile = REF / "expression/survjamda_gse3143/expected_R/gse3143_timing_seconds.tsv"
    if tfile.exists():
        from repurposekit.io.expression import read_expression, read_gene_sets

        rt = pd.read_csv(tfile, sep="\t", index_col=0)["seconds"]
        x = read_expression(REF / "expression/survjamda_gse3143/expression.tsv.gz")
        g2 = read_gene_sets(REF / "genesets/msigdb_hallmark_v7.0.symbols.gmt") + read_gene_sets(
            REF / "genesets/msigdb_v7.5.1_c2_fak_integrin_ecm.symbols.gmt"
        )
        exp = pd.read_csv(
            REF / "expression/survjamda_gse3143/expected_R/gse3143_ssgsea_norm.tsv",
            sep="\t",
            index_col=0,
        )
        print(
            "GSE3143 (8,659 x 158 x 81 sets), vs stored R GSVA 1.46 serial timings on this machine"
        )
        for m, kw in {
            "ssgsea_norm": {"method": "ssgsea"},
            "gsva_gaussian_mxdiff": {"method": "gsva"},
            "zscore": {"method": "zscore"},
            "plage": {"method": "plage"},
        }.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res, t = _timed(score_gene_sets, x, g2, min_size=5, max_size=500, **kw)
            extra = ""
            if m == "ssgsea_norm":
                extra = (
                    f"; max |diff| vs R {np.abs(res.scores.to_numpy() - exp.to_numpy()).max():.1e}"
                )
            print(f"  {m:22s} ours {t:6.2f} s  R GSVA {rt[m]:6.2f} s  -> {rt[m] / t:5.1f}x{extra}")
        print(
            "  (R timings were recorded once when the reference was made; the machine is shared, so"
        )
        print("   ours depends on the current load: rerun on an idle machine for a fair ratio)")


def bench_cox() -> None:
    from lifelines import CoxPHFitter

    from repurposekit.omics import survival_association

    rng = np.random.default_rng(7)
    g, n, sub = (20_000, 500, 60) if not QUICK else (2_000, 200, 20)
    x = rng.normal(size=(n, g))
    beta = np.zeros(g)
    beta[:20] = 0.3
    t_ev = rng.exponential(np.exp(-(x[:, :20] @ beta[:20])))
    cens = rng.exponential(1.5, n)
    time_ = np.minimum(t_ev, cens)
    ev = (t_ev <= cens).astype(int)
    ids = [f"s{i}" for i in range(n)]
    feats = pd.DataFrame(x, index=ids, columns=[f"G{i}" for i in range(g)])
    clin = pd.DataFrame({"time": time_, "event": ev}, index=ids)
    res, t_ours = _timed(survival_association, feats, clin, median_split=False)
    print(f"Univariate Cox, {g} genes x {n} samples ({ev.sum()} events)")
    print(f"  RepurposeKit : {t_ours:8.2f} s  ({g / t_ours:10.0f} genes/s)")
    xs = (x - x.mean(0)) / x.std(0, ddof=1)
    hr, p = [], []
    t0 = time.perf_counter()
    for j in range(sub):
        df = pd.DataFrame({"x": xs[:, j], "time": time_, "event": ev})
        cph = CoxPHFitter().fit(df, duration_col="time", event_col="event")
        hr.append(float(cph.hazard_ratios_["x"]))
        p.append(float(cph.summary.loc["x", "p"]))
    t_ll = time.perf_counter() - t0
    rate_ll = sub / t_ll
    print(
        f"  lifelines loop ({sub} genes): {t_ll:6.2f} s ({rate_ll:6.1f} genes/s) -> {g / rate_ll:8.0f} s extrapolated for {g}"
    )
    ours = res.table.iloc[:sub]
    print(
        f"  ratio lifelines/ours = {(g / rate_ll) / t_ours:.0f}x; agreement on the {sub} genes: "
        f"max rel diff HR {np.max(np.abs(ours['hr'] - hr) / np.array(hr)):.1e}, p {np.max(np.abs(ours['p_value'] - p) / np.array(p)):.1e}"
    )


if __name__ == "__main__":
    import platform

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}"
    )
    bench_ssgsea()
    bench_cox()
