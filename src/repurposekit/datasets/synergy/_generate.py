"""Regenerate the simulated synergy example files (run: python _generate.py). Seeded, deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def hill(d, ic50, h):
    return d**h / (d**h + ic50**h)


def main() -> None:
    rng = np.random.default_rng(20261125)
    rows = []
    # (block, partner, partner IC50 nM, partner Hill, partner top kill, potency boost)
    designs = [
        (1, "avutometinib", 60.0, 1.1, 0.85, 3.0),
        (2, "trametinib", 8.0, 1.3, 0.80, 2.0),
    ]
    def_doses = np.array([0, 125, 250, 500, 1000, 2000.0])  # nM
    for block, partner, ic50, h, top, boost in designs:
        p_doses = ic50 * np.array([0, 0.125, 0.25, 0.5, 1, 2.0])
        for dd in def_doses:
            for pd_ in p_doses:
                # defactinib potency rises with the partner's occupancy (synergy by potency)
                eff_def = dd * (1 + boost * hill(pd_, ic50, h))
                kill_def = 0.7 * hill(eff_def, 1500.0, 1.2)
                kill_p = top * hill(pd_, ic50, h)
                viab = 100 * (1 - kill_def) * (1 - kill_p) + rng.normal(0, 2.5)
                rows.append((block, "defactinib", partner, dd, pd_, round(viab, 3), "nM", "nM"))
    pd.DataFrame(
        rows,
        columns=[
            "block_id",
            "drug_row",
            "drug_col",
            "conc_r",
            "conc_c",
            "response",
            "conc_r_unit",
            "conc_c_unit",
        ],
    ).to_csv(HERE / "defactinib_combinations.csv", index=False)

    # constant-ratio series for Chou–Talalay: defactinib, trametinib, and a 100:1 mixture
    recs = []
    m = {"defactinib": (1.1, 1200.0), "trametinib": (1.3, 9.0)}
    for name, (mm, dm) in m.items():
        for dose in dm * np.array([0.25, 0.5, 1, 2, 4, 8]):
            fa = 1 / (1 + (dm / dose) ** mm)
            fa = float(np.clip(fa + rng.normal(0, 0.015), 0.01, 0.99))
            recs.append(
                (
                    name,
                    1.0 if name == "defactinib" else 0.0,
                    1.0 if name == "trametinib" else 0.0,
                    round(dose, 4),
                    round(fa, 4),
                )
            )
    # mixture 100:1 (defactinib:trametinib) behaving with CI ≈ 0.45 (strong synergy at nM)
    for total in np.array([125, 250, 500, 1000, 2000.0]) * 1.01:
        d1, d2 = total * 100 / 101, total / 101
        # simulate a mixture whose median-effect Dm is 0.45x the additive expectation
        lo, hi = 1e-4, 1 - 1e-4
        for _ in range(80):
            fa = 0.5 * (lo + hi)
            dx1 = 1200.0 * (fa / (1 - fa)) ** (1 / 1.1)
            dx2 = 9.0 * (fa / (1 - fa)) ** (1 / 1.3)
            ci = d1 / dx1 + d2 / dx2
            lo, hi = (fa, hi) if ci > 0.45 else (lo, fa)
        fa = float(np.clip(fa + rng.normal(0, 0.01), 0.01, 0.99))
        recs.append(("defactinib+trametinib", 100.0, 1.0, round(total, 4), round(fa, 4)))
    ct = pd.DataFrame(
        recs, columns=["agent", "ratio_defactinib", "ratio_trametinib", "total_dose", "fa"]
    )
    ct["unit"] = "nM"
    ct.to_csv(HERE / "defactinib_trametinib_constant_ratio.csv", index=False)


if __name__ == "__main__":
    main()
