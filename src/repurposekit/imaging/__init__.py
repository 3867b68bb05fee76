"""Spheroid invasion imaging: plane choice, segmentation, measurements, invasion index.

Arrays in (like scikit-image), tidy tables out. File reading lives in
:mod:`repurposekit.io.images`; figures in :mod:`repurposekit.plot.spheroid`.

Examples
--------
>>> from repurposekit.imaging import synthetic_spheroid_stack, analyse_plane
>>> s = synthetic_spheroid_stack(size=128, spacing_um=8, n_planes=3, rng=2)
>>> a = analyse_plane(s.stack, spacing_um=8)
>>> a.row["plane_choice"]
'sharpest z=1/3'
"""

from repurposekit.imaging._focus import PlaneChoice, focus_scores, select_plane
from repurposekit.imaging._invasion import InvasionResult, invasion_index, join_viability
from repurposekit.imaging._measure import FLAGS, SpheroidMeasurements, measure_spheroid
from repurposekit.imaging._pipeline import (
    BatchResult,
    SpheroidAnalysis,
    analyse_plane,
    measure_batch,
)
from repurposekit.imaging._segment import (
    ClassicalSegmenter,
    Segmenter,
    SpheroidMasks,
    segment_spheroid,
)
from repurposekit.imaging._stack import ImageStack
from repurposekit.imaging._synergy import InvasionSynergy, invasion_combination_index
from repurposekit.imaging._synthetic import SyntheticSpheroid, synthetic_spheroid_stack

__all__ = [
    "FLAGS",
    "BatchResult",
    "ClassicalSegmenter",
    "ImageStack",
    "InvasionResult",
    "InvasionSynergy",
    "PlaneChoice",
    "Segmenter",
    "SpheroidAnalysis",
    "SpheroidMasks",
    "SpheroidMeasurements",
    "SyntheticSpheroid",
    "analyse_plane",
    "focus_scores",
    "invasion_combination_index",
    "invasion_index",
    "join_viability",
    "measure_batch",
    "measure_spheroid",
    "segment_spheroid",
    "select_plane",
    "synthetic_spheroid_stack",
]
