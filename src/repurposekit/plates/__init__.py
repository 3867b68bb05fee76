"""Plate assays: plate maps joined to reader exports, CellTiter-Glo normalisation, plate QC.

Read exports and maps with :mod:`repurposekit.io.plates`, join them with
:func:`annotate_plates`, then :func:`normalize_plates` gives % viability per well and one QC
row per plate (Z′, CV of controls, signal window, edge effect). Plates that fail QC are
flagged, never dropped.
"""

from repurposekit.plates._normalise import (
    PlateResult,
    annotate_plates,
    curve_table,
    normalize_plates,
)
from repurposekit.plates._qc import QC_THRESHOLDS, plate_qc, z_prime

__all__ = [
    "QC_THRESHOLDS",
    "PlateResult",
    "annotate_plates",
    "curve_table",
    "normalize_plates",
    "plate_qc",
    "z_prime",
]
