"""RepurposeKit: drug-repurposing studies of defactinib, from the screen to the clinic.

Subpackages (imported on demand, nothing heavy at import time):

``plates``    plate-reader exports, plate maps, normalisation, QC
``curves``    dose-response models and the batch fitter
``synergy``   combination reference models, Chou–Talalay, response surfaces
``imaging``   spheroid image IO, segmentation, invasion
``invivo``    xenograft design, calendars, growth, efficacy, in vivo synergy
``survival``  Kaplan–Meier, log-rank, Cox
``omics``     signature scores, enrichment, survival association, copy number
``clinic``    regimens, CTCAE grading, dose modification, trial endpoints
``knowledge`` compound, regimen and rule data with citations
``plot``      figures (the only place matplotlib is imported)
"""

from __future__ import annotations

import importlib
from typing import Any

from repurposekit._exceptions import (
    ConvergenceWarning,
    DataValidationError,
    FitError,
    RepurposeKitError,
    RuleError,
    StatisticalWarning,
)

__version__ = "0.1.0"

_SUBPACKAGES = (
    "clinic",
    "curves",
    "datasets",
    "imaging",
    "invivo",
    "io",
    "knowledge",
    "omics",
    "plates",
    "plot",
    "report",
    "survival",
    "synergy",
)

__all__ = [
    "ConvergenceWarning",
    "DataValidationError",
    "FitError",
    "RepurposeKitError",
    "RuleError",
    "StatisticalWarning",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"repurposekit.{name}")
    msg = f"module 'repurposekit' has no attribute {name!r}"
    raise AttributeError(msg)
