"""Drug-combination synergy: SynergyFinder reference models, Chou–Talalay, calls, screen batches.

Scores follow SynergyFinder 3 (``% inhibition``; synergy = observed − reference in
percentage points, positive = synergy). Chou–Talalay CI < 1 = synergy, with the protocol's
calls (CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism) and Chou's finer grades.
MuSyC (:func:`fit_musyc`) fits the response surface on the viability-fraction scale and
reports potency (alpha), efficacy (beta) and cooperativity (gamma) synergy with bootstrap CIs.
"""

from repurposekit.synergy._batch import score_screen
from repurposekit.synergy._calls import CI_GRADES, call_ci, call_score, grade_ci
from repurposekit.synergy._chou import (
    ChouTalalayResult,
    chou_talalay,
    combination_index_matrix,
    median_effect_fit,
)
from repurposekit.synergy._musyc import MUSYC_PARAMETERS, MuSyCFit, fit_musyc, musyc_surface
from repurposekit.synergy._score import CONVENTION, METHODS, SynergyScores, score_synergy

__all__ = [
    "CI_GRADES",
    "CONVENTION",
    "METHODS",
    "MUSYC_PARAMETERS",
    "ChouTalalayResult",
    "MuSyCFit",
    "SynergyScores",
    "call_ci",
    "call_score",
    "chou_talalay",
    "combination_index_matrix",
    "fit_musyc",
    "grade_ci",
    "median_effect_fit",
    "musyc_surface",
    "score_screen",
    "score_synergy",
]
