"""Agreement of ``repurposekit.synergy`` with SynergyFinder 3.7.3's stored outputs.

Runs our scores on the reference inputs in ``../shared/reference/synergy/synergyfinder/`` and
prints, per block: block means (ours vs SynergyFinder), the largest per-cell difference and
the share of combination cells within 1e-2 and 0.1 percentage points, and our monotherapy fit
status. Bliss/HSA are closed-form (exact); ZIP and Loewe depend on where the LL.4 optimiser
stops (ours: least-squares optimum; SynergyFinder: drc's BFGS with a numerical gradient).

Usage: python scripts/synergyfinder_agreement.py [REFERENCE_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit.io.synergy import read_synergy
from repurposekit.synergy import score_synergy

# the tests' helpers: one place that builds the synthetic frame and matches cells to SynergyFinder
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "synergy"))
from _synergy_helpers import merge_with_reference, synthetic_musyc_frame

SETS = [
    ("Mathews", "mathews_screening_data.csv", "mathews_sf373_synergy_scores.csv", None, 2),
    ("ONEIL", "ONEIL_replicate_mean.csv", "ONEIL_mean_sf373_synergy_scores.csv", "inhibition", 2),
    (
        "NCATS",
        "NCATS_screening_data.csv",
        "NCATS_viability_sf373_synergy_scores.csv",
        "viability",
        3,
    ),
    ("synthetic", None, "synthetic_musyc_6x6_sf373_synergy_scores.csv", None, 2),
]


def main(ref_dir: Path) -> None:
    rows = []
    for name, data, scores, scale, k in SETS:
        if data is None:
            df = synthetic_musyc_frame(ref_dir.parents[1])
        else:
            df = read_synergy(ref_dir / data, input_scale=scale, default_unit="uM")
        res = score_synergy(df, methods=["zip", "loewe", "bliss", "hsa"], sensitivity=False)
        m = merge_with_reference(
            res.cells, pd.read_csv(ref_dir / scores), [f"conc{i}" for i in range(1, k + 1)]
        )
        m = m[m["combination"]]
        blocks = res.blocks.set_index("block_id")
        for b, s in m.groupby("block_id"):
            row = {"set": name, "block": b, "cells": len(s)}
            for ours, theirs in (("bliss", "Bliss"), ("hsa", "HSA")):
                row[f"{ours}_max"] = np.abs(s[f"{ours}_synergy"] - s[f"{theirs}_synergy"]).max()
            for ours, theirs in (("zip", "ZIP"), ("loewe", "Loewe")):
                d = np.abs(s[f"{ours}_synergy"] - s[f"{theirs}_synergy"])
                row[f"{ours}_ours"] = s[f"{ours}_synergy"].mean()
                row[f"{ours}_sf"] = s[f"{theirs}_synergy"].mean()
                row[f"{ours}_max"] = d.max()
                row[f"{ours}_1e-2"] = f"{(d <= 1e-2).sum()}/{len(d)}"
                row[f"{ours}_0.1"] = f"{(d <= 0.1).sum()}/{len(d)}"
            row["fits"] = ", ".join(
                str(blocks.loc[b, c])
                for c in blocks.columns
                if c.startswith("fit") and c[3:4].isdigit()
            )
            rows.append(row)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    default = (
        Path(__file__).resolve().parents[2] / "shared" / "reference" / "synergy" / "synergyfinder"
    )
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
