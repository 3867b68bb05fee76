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
