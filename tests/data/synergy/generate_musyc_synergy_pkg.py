"""Regenerate musyc_synergy_pkg_fits.csv: the PyPI ``synergy`` 1.0.0 MuSyC fits (the peer).

Fits ``synergy.combination.MuSyC`` (no bootstrap) to each synthetic MuSyC data set of the
``synergy`` package's tests (../shared/reference/synergy/synergy_pkg/, GPL-3.0 data read in
place, not copied) and writes the fitted parameters and the residual sum of squares of the
fitted surface. Requires ``pip install synergy==1.0.0`` (the ``bench`` extra); the tests only
read the CSV. Usage: python tests/data/synergy/generate_musyc_synergy_pkg.py [REFERENCE_DIR]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from synergy.combination import MuSyC

NAMES = [
    "synthetic_musyc_reference_1.csv",
    "synthetic_musyc_potency_1.csv",
    "synthetic_musyc_efficacy_1.csv",
    "synthetic_musyc_efficacy_2.csv",
    "synthetic_musyc_cooperativity_1.csv",
    "synthetic_musyc_bliss_independent_1.csv",
]
PARAMS = ["E0", "E1", "E2", "E3", "h1", "h2", "C1", "C2", "alpha12", "alpha21"]


def main(ref: Path) -> None:
    rows = []
    for name in NAMES:
        df = pd.read_csv(ref / "synergy" / "synergy_pkg" / name)
        fit_gamma = "cooperativity" in name
        model = MuSyC(fit_gamma=fit_gamma)
        # synergy 1.0.0 draws its multi-start points from numpy's global RNG: seed that one
        np.random.seed(0)  # noqa: NPY002
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(df["d1"].to_numpy(), df["d2"].to_numpy(), df["E"].to_numpy())
        pred = model.E(df["d1"].to_numpy(), df["d2"].to_numpy())
        row = {"name": name, "fit_gamma": fit_gamma}
        names = PARAMS + (["gamma12", "gamma21"] if fit_gamma else [])
        row.update({k: float(getattr(model, k)) for k in names})
        row["rss"] = float(((df["E"].to_numpy() - pred) ** 2).sum())
        rows.append(row)
    out = Path(__file__).with_name("musyc_synergy_pkg_fits.csv")
    pd.DataFrame(rows).to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out}")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[4] / "shared" / "reference"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
