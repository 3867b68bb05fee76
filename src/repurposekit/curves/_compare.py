"""Fitted potency beside the published values of the knowledge base."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit.curves._result import DoseResponseFits

__all__ = ["compare_published"]


def compare_published(
    fits: DoseResponseFits,
    compound: str,
    *,
    quantity: str = "IC50",
    assay: str | None = "cell viability",
    metric: str = "ic50",
) -> pd.DataFrame:
    """Compare each fitted IC50 with the published values for ``compound``.

    Parameters
    ----------
    fits : DoseResponseFits
    compound : str
        Name known to :func:`repurposekit.knowledge.published_potency` (e.g. ``"defactinib"``).
    quantity : str
        Published quantity to compare with (``"IC50"``).
    assay : str or None
        Keep only published rows of this assay; ``None`` keeps all (e.g. kinase IC50s too).
    metric : {"ic50", "ec50"}
        Which fitted value to compare (absolute or relative).

    Notes
    -----
    When one of the ``by`` columns holds compound names, only the curves whose value is
    ``compound`` are compared (a screen of defactinib and partners compares defactinib).

    Returns
    -------
    pandas.DataFrame
        One row per (curve, published value): the by columns, ``fitted_molar``,
        ``published_model``, ``published_molar``, ``low_molar``, ``high_molar``,
        ``fold`` (fitted / published), ``within`` (the knowledge base's rule,
        :func:`repurposekit.knowledge.compare_potency`: inside the published range, or within
        3-fold of a single value), ``fit_flags``, ``citation`` and a ``note`` sentence.
    """
    from repurposekit.knowledge import compare_potency, published_potency

    pub = published_potency(compound)
    pub = pub[pub["quantity"].str.upper() == quantity.upper()]
    if assay is not None:
        pub = pub[pub["assay"] == assay]
    if pub.empty:
        msg = f"no published {quantity} values for {compound!r} (assay {assay!r})."
        raise DataValidationError(msg)
    table = fits.to_frame()
    # when a by column names compounds, compare only the curves of this compound
    for col in fits.by:
        names = table[col].astype(str).str.strip().str.lower()
        if (names == compound.strip().lower()).any():
            table = table[names == compound.strip().lower()]
            break
    rows = []
    for i, fit in table.iterrows():
        val = float(fit[metric])
        flags = str(fit["flags"])
        # one rule for "consistent with the literature", kept in the knowledge base
        cmp = compare_potency(compound, val, quantity=quantity, assay=assay)
        for p in cmp.itertuples():
            single = p.low_molar == p.high_molar
            if not np.isfinite(val):
                note = (
                    f"no fitted {metric.upper()} (the curve does not cross its half-effect level)"
                )
            else:
                if single:
                    ref = f"the published {p.value_molar * 1e6:.3g} µM"
                    rel = (
                        "within 3-fold of"
                        if p.within_range
                        else ("above" if val > p.high_molar else "below")
                    )
                else:
                    ref = f"the published {p.low_molar * 1e6:.3g}–{p.high_molar * 1e6:.3g} µM"
                    rel = (
                        "within" if p.within_range else ("above" if val > p.high_molar else "below")
                    )
                note = f"fitted {val * 1e6:.3g} µM is {rel} {ref} ({p.fold:.2g}-fold)"
                if "ic50_above_range" in flags or "ic50_below_range" in flags:
                    note += "; extrapolated beyond the tested doses"
            rows.append(
                {
                    **{c: fit[c] for c in fits.by},
                    "fitted_molar": val,
                    "published_model": p.model,
                    "published_molar": p.value_molar,
                    "low_molar": p.low_molar,
                    "high_molar": p.high_molar,
                    "fold": p.fold,
                    "within": bool(np.isfinite(val) and p.within_range),
                    "fit_flags": flags,
                    "citation": p.citation,
                    "note": note,
                    "curve": i,
                }
            )
    return pd.DataFrame(rows)
