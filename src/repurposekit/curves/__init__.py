"""Dose-response curves: drc's log-logistic models, a vectorised batch fitter, metrics.

``fit_dose_response`` fits LL.4 (and LL.3, LL.3u, L.4) to every curve of a tidy table and
returns :class:`DoseResponseFits`; ``compare_published`` sets fitted IC50s beside the
published values of the knowledge base. The array engine, shared with
:mod:`repurposekit.synergy`, is ``repurposekit.curves._kernels.fit_ll4_batch``.
"""

from repurposekit.curves._compare import compare_published
from repurposekit.curves._fit import MODELS, fit_dose_response
from repurposekit.curves._result import DoseResponseFit, DoseResponseFits
from repurposekit.curves._scales import SCALES

__all__ = [
    "MODELS",
    "SCALES",
    "DoseResponseFit",
    "DoseResponseFits",
    "compare_published",
    "fit_dose_response",
]
