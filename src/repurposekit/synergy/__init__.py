"""Drug-combination synergy: SynergyFinder reference models, Chou–Talalay, calls, screen batches.

Scores follow SynergyFinder 3 (``% inhibition``; synergy = observed − reference in
percentage points, positive = synergy). Chou–Talalay CI < 1 = synergy, with the protocol's
calls (CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism) and Chou's finer grades.
"""

from repurposekit.synergy._batch import score_screen
from repurposekit.synergy._calls import CI_GRADES, call_ci, call_score, grade_ci
from repurposekit.synergy._chou import (
    ChouTalalayResult,
    chou_talalay,
    combination_index_matrix,
    median_effect_fit,
)
from repurposekit.synergy._score import CONVENTION, METHODS, SynergyScores, score_synergy

__all__ = [
    "CI_GRADES",
    "CONVENTION",
    "METHODS",
    "ChouTalalayResult",
    "SynergyScores",
    "call_ci",
    "call_score",
    "chou_talalay",
    "combination_index_matrix",
    "grade_ci",
    "median_effect_fit",
    "score_screen",
    "score_synergy",
]
