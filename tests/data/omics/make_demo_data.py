"""Regenerate the bundled omics demo data in src/repurposekit/datasets/omics/.

Usage: .venv/bin/python tests/data/omics/make_demo_data.py [/path/to/shared/reference]

1. GSE3143 subset: the genes of the built-in symbol gene sets (hallmark + fak_ecm) that are
   on the array, × all 158 tumours, values rounded to 5 decimals as in the source file, and
   the clinical table (sample, time [months], event, erlev).
2. Simulated ACC-like biomarker cohort (228 patients, seed 20261125): PTK2 copy-number
   segments (~44 % gain, as reported for ACC), KRAS mutation, pY397-FAK H-score, FAK
   score and overall survival. Entirely synthetic; no patient data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[3]
OUT = REPO / "src" / "repurposekit" / "datasets" / "omics"


def gse3143(ref: Path) -> None:
    from repurposekit.omics import builtin_gene_sets

    src = ref / "expression" / "survjamda_gse3143"
    x = pd.read_csv(src / "expression.tsv.gz", sep="\t", index_col=0)
    genes = set(builtin_gene_sets("all_symbols").table["gene"])
    keep = [g for g in x.index if g in genes]
    x.loc[keep].round(5).to_csv(
        OUT / "expression.tsv.gz", sep="\t", compression={"method": "gzip", "mtime": 0}
    )
    pd.read_csv(src / "clinical.tsv", sep="\t").to_csv(OUT / "clinical.tsv", sep="\t", index=False)


def simulated_cohort() -> None:
    rng = np.random.default_rng(20261125)
    n = 228
    ids = [f"ACC{i:03d}" for i in range(1, n + 1)]
    gain = rng.random(n) < 0.44
    amp = gain & (rng.random(n) < 0.15)
    ptk2 = np.where(
        amp,
        rng.normal(1.25, 0.2, n),
        np.where(gain, rng.normal(0.5, 0.12, n), rng.normal(0.0, 0.1, n)),
    )
    # segments on chr8 around PTK2 (GRCh38 140,657,900-141,002,216): one covering segment per
    # sample, plus a neighbouring neutral segment
    rows = []
    for s, v in zip(ids, ptk2):
        b = int(rng.integers(120_000_000, 140_000_000))
        rows.append(
            (
                s,
                "8",
                100_000_000,
                b,
                int(rng.integers(200, 800)),
                round(float(rng.normal(0, 0.05)), 4),
            )
        )
        rows.append((s, "8", b + 1, 145_138_636, int(rng.integers(200, 800)), round(float(v), 4)))
    seg = pd.DataFrame(
        rows, columns=["ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean"]
    )
    seg.to_csv(OUT / "acc_simulated_segments.tsv", sep="\t", index=False)
    kras = rng.random(n) < 0.10
    hscore = np.clip(np.round(rng.normal(90 + 70 * gain, 45)), 0, 300).astype(int)
    fak = rng.normal(0.3 * gain, 1.0)
    # survival: hazard higher with PTK2 gain and high pY397-FAK; months, 60-month follow-up
    lp = 0.5 * gain + 0.004 * (hscore - 100) + 0.2 * kras
    t_event = rng.exponential(40 * np.exp(-lp))
    t_cens = rng.uniform(12, 60, n)
    time = np.minimum(t_event, t_cens)
    clin = pd.DataFrame(
        {
            "patient": ids,
            "cohort": np.where(np.arange(n) < 114, "cohort A", "cohort B"),
            "kras_mutant": kras.astype(int),
            "pfak_y397_hscore": hscore,
            "fak_score": np.round(fak, 4),
            "os_months": np.round(time, 2),
            "death": (t_event <= t_cens).astype(int),
        }
    )
    clin.to_csv(OUT / "acc_simulated_biomarkers.tsv", sep="\t", index=False)


if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "reference"
    OUT.mkdir(parents=True, exist_ok=True)
    gse3143(ref)
    simulated_cohort()
