"""Sensitivity scores of 2-drug blocks (private): RI, IC50, CSS and the S-scores.

SynergyFinder 3 (``CalculateSensitivity``): RI is the area under the fitted monotherapy
curve (Yadav et al. 2014's DSS-style scoring); CSS averages the RI of each drug's row with the
partner fixed at its IC50 (Malyutina et al. 2019); the S-scores subtract the single drugs' RIs
from the CSS (Malyutina et al. 2019; SynergyFinder+).
"""

from __future__ import annotations

import numpy as np

from repurposekit.synergy import _kernels as K
from repurposekit.synergy._ll4 import fit_ll4, ll4

__all__ = ["SENSITIVITY_KEYS", "sensitivity_scores"]

SENSITIVITY_KEYS = (
    "ic50_1_molar",
    "ic50_2_molar",
    "ri_1",
    "ri_2",
    "css1_ic502",
    "css2_ic501",
    "css",
    "s_sum",
    "s_mean",
    "s_max",
)


def sensitivity_scores(
    resp: np.ndarray, doses: list[np.ndarray], fits: list[dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """RI, IC50 (capped at the top dose), CSS and S-scores per block of a 2-drug stack."""
    out: dict[str, np.ndarray] = {}
    singles = K.single_responses(resp)
    for i in range(2):
        raw = doses[i].copy()
        raw[:, 0] = 0.0
        out[f"ri_{i + 1}"] = K.relative_inhibition(raw, singles[i])
        out[f"ic50_{i + 1}_molar"] = np.minimum(fits[i]["e"], doses[i][:, -1])
    # CSS: response of drug i's curve with drug j fixed at its IC50, then RI over drug i doses
    for i, j in ((0, 1), (1, 0)):
        moved = np.moveaxis(resp, (i + 1, j + 1), (1, 2))  # (B, n_i, n_j)
        B, ni, nj = moved.shape
        xj = np.broadcast_to(doses[j][:, None, :], (B, ni, nj)).reshape(-1, nj)
        yj = moved.reshape(-1, nj)
        ic50 = np.repeat(out[f"ic50_{j + 1}_molar"], ni)
        if nj == 2:
            pred = yj[:, 1]
        else:
            flat = np.nanmax(yj, axis=1) == np.nanmin(yj, axis=1)
            f = fit_ll4(xj, K._jitter_flat(yj))
            pred = ll4(ic50, f["b"], f["c"], f["d"], f["e"])
            pred = np.where(flat, yj[:, 0], pred)
            pred = np.where(pred > 100, 100.0, pred)
        raw = doses[i].copy()
        raw[:, 0] = 0.0
        out[f"css{i + 1}_ic50{j + 1}"] = K.relative_inhibition(raw, pred.reshape(B, ni))
    out["css"] = 0.5 * (out["css1_ic502"] + out["css2_ic501"])
    # S-scores: combination sensitivity beyond the single drugs' (Malyutina et al. 2019: CSS
    # minus the summed RIs; SynergyFinder+ adds the mean and max variants)
    ri = np.stack([out["ri_1"], out["ri_2"]])
    out["s_sum"] = out["css"] - ri.sum(axis=0)
    out["s_mean"] = out["css"] - ri.mean(axis=0)
    out["s_max"] = out["css"] - ri.max(axis=0)
    return out
