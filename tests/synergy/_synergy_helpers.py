from __future__ import annotations

import numpy as np
import pandas as pd

SF = "synergy/synergyfinder"


def load(reference_dir, name):
    return pd.read_csv(reference_dir / SF / name)


def matrix_frame(d1, d2, resp, *, block=1, drugs=("A", "B")):
    """Tidy frame from dose vectors and a response matrix (rows = drug 1)."""
    rows = []
    for i, a in enumerate(d1):
        for j, b in enumerate(d2):
            rows.append((block, drugs[0], drugs[1], a, b, resp[i, j], "uM", "uM"))
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


def bliss_surface_arrays():
    d = np.array([0, 1e-8, 3e-8, 1e-7, 3e-7, 1e-6])
    e1 = 100 * d / (d + 5e-8)
    e2 = 80 * d**1.3 / (d**1.3 + 2e-7**1.3)
    resp = 100 * (1 - (1 - e1[:, None] / 100) * (1 - e2[None, :] / 100))
    return d, resp


def synthetic_musyc_frame(reference_dir):
    """The synthetic MuSyC 6x6 matrix (doses in uM, E = viability fraction) as a tidy table."""
    s = load(reference_dir, "synthetic_musyc_6x6_matrix.csv")
    return pd.DataFrame(
        {
            "block_id": 1,
            "drug1": "A",
            "drug2": "B",
            "dose1_molar": s["d1"] * 1e-6,
            "dose2_molar": s["d2"] * 1e-6,
            "inhibition_pct": 100 * (1 - s["E_noisy"]),
            "unit1": "uM",
            "unit2": "uM",
        }
    )


def merge_with_reference(cells, ref, conc_cols):
    """Our cells joined to SynergyFinder's per-cell table (every reference row must match).

    The reference concentrations are in the file's unit (nM or uM): cells are matched on the
    dose divided by the smallest non-zero dose of its drug, rounded to 6 digits.
    """
    cells, ref = cells.copy(), ref.copy()
    for k, c in enumerate(conc_cols, start=1):
        col = cells[f"dose{k}_molar"]
        cells[f"key{k}"] = np.round(col / col.where(col > 0).min(), 6)
        ref[f"key{k}"] = np.round(ref[c] / ref[c].where(ref[c] > 0).min(), 6)
    keys = ["block_id"] + [f"key{k}" for k in range(1, len(conc_cols) + 1)]
    m = cells.merge(ref, on=keys, suffixes=("", "_sf"))
    if len(m) != len(ref):
        msg = f"{len(ref) - len(m)} reference cells have no match in our cells"
        raise AssertionError(msg)
    return m
