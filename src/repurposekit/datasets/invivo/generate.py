"""Regenerate the SIMULATED example study in this folder (``python generate.py``).

Writes ``candidates.csv`` (animals at enrolment), ``allocation.csv`` (balanced randomisation)
and ``study.csv`` (caliper lengths/widths and body weights on the planned days). Seeded:
the files are reproducible. See PROVENANCE.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20260105
# true exponential growth rates (per day) of log volume; Bliss-additive combination would be
# 0.060 + 0.070 - 0.100 = 0.030, the simulated combination (0.005) is synergistic
RATES = {"Vehicle": 0.100, "Mitotane": 0.070, "Defactinib": 0.060, "Defactinib+Mitotane": 0.005}
BW_SLOPE = {"Vehicle": 0.06, "Mitotane": -0.03, "Defactinib": -0.03, "Defactinib+Mitotane": -0.10}


def main() -> None:
    from repurposekit.invivo import measurement_plan, randomize
    from repurposekit.io.invivo import read_design

    rng = np.random.default_rng(SEED)
    design = read_design(HERE / "design.toml")
    n_cand = 50
    cand = pd.DataFrame(
        {
            "subject": [f"M{i:02d}" for i in range(1, n_cand + 1)],
            "volume_mm3": np.round(np.exp(rng.normal(np.log(125), 0.15, n_cand)), 1),
            "body_weight_g": np.round(rng.normal(22.0, 1.3, n_cand), 1),
        }
    )
    cand.to_csv(HERE / "candidates.csv", index=False)
    alloc = randomize(
        cand, group_sizes=design.group_sizes, balance_on=("volume_mm3", "body_weight_g"), rng=SEED
    )
    alloc.table.to_csv(HERE / "allocation.csv", index=False)
    plan = measurement_plan(design)
    cal_days = plan.loc[plan["task"] == "calipers", "study_day"].to_numpy()
    bw_days = plan.loc[plan["task"] == "body_weight", "study_day"].to_numpy()
    rows = []
    for r in alloc.table.itertuples():
        k = RATES[r.group] + rng.normal(0, 0.008)
        bw_k = BW_SLOPE[r.group] * (1 + rng.normal(0, 0.3))
        shape = rng.uniform(1.2, 1.6)  # length / width
        logv = np.log(r.volume_mm3)
        removed = False
        for day in sorted(set(cal_days) | set(bw_days)):
            if removed:
                break
            row = {"subject": r.subject, "group": r.group, "day": int(day)}
            if day in cal_days:
                v = np.exp(logv + k * day + rng.normal(0, 0.08)) if day > 0 else r.volume_mm3
                w = (2 * v / shape) ** (1 / 3)
                length = shape * w
                row["length_mm"] = (
                    round(length * (1 + rng.normal(0, 0.03)), 1) if day > 0 else round(length, 1)
                )
                row["width_mm"] = (
                    round(w * (1 + rng.normal(0, 0.03)), 1) if day > 0 else round(w, 1)
                )
                removed = row["length_mm"] * min(row["width_mm"], row["length_mm"]) ** 2 / 2 >= 1500
            if day in bw_days:
                row["body_weight_g"] = round(
                    r.body_weight_g * (1 + bw_k * day / 28 + rng.normal(0, 0.015)), 1
                )
            rows.append(row)
    study = pd.DataFrame(rows)
    study.to_csv(HERE / "study.csv", index=False)
    print(f"wrote {len(study)} rows for {study['subject'].nunique()} animals")


if __name__ == "__main__":
    main()
