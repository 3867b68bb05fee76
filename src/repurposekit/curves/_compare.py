"""Fitted potency beside the published values of the knowledge base."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit.curves._result import DoseResponseFits

__all__ = ["compare_published"]


def _published(compound: str) -> pd.DataFrame:
    try:
        from repurposekit.knowledge import published_potency
    except ImportError:  # the knowledge base is optional for curve fitting
        msg = (
            "the knowledge base (repurposekit.knowledge.published_potency) is not available "
            "in this installation, so fitted IC50s cannot be compared with published values."
        )
        raise DataValidationError(msg) from None
    table = published_potency(compound)
    need = {"compound", "quantity", "model", "value_molar", "low_molar", "high_molar", "citation"}
    missing = need - set(table.columns)
    if missing:
        msg = f"published_potency({compound!r}) lacks columns {sorted(missing)}."
        raise DataValidationError(msg)
    return table


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
        Keep only published rows whose ``assay`` column matches (when the column exists);
        ``None`` keeps all (e.g. kinase IC50s too).
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
        ``fold`` (fitted / published), ``within`` (inside the published range, or within
        3-fold of a single value), ``fit_flags``, ``citation`` and a ``note`` sentence.
    """
    pub = _published(compound)
    pub = pub[pub["quantity"].astype(str).str.upper() == quantity.upper()]
    if assay is not None and "assay" in pub.columns:
        pub = pub[pub["assay"].astype(str).str.contains(assay, case=False, regex=False)]
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
        for _, p in pub.iterrows():
            ref, low, high = float(p["value_molar"]), float(p["low_molar"]), float(p["high_molar"])
            fold = val / ref if np.isfinite(val) and ref > 0 else np.nan
            single = np.isclose(low, high)
            within = bool(
                np.isfinite(val)
                and ((abs(np.log10(fold)) <= np.log10(3)) if single else (low <= val <= high))
            )
            flags = str(fit["flags"])
            if not np.isfinite(val):
                note = (
                    f"no fitted {metric.upper()} (the curve does not cross its half-effect level)"
                )
            else:
                rng = f"{low * 1e6:.3g} µM" if single else f"{low * 1e6:.3g}–{high * 1e6:.3g} µM"
                rel = "within" if within else ("above" if val > high else "below")
                note = f"fitted {val * 1e6:.3g} µM is {rel} the published {rng} ({fold:.2g}-fold)"
                if "ic50_above_range" in flags or "ic50_below_range" in flags:
                    note += "; extrapolated beyond the tested doses"
            rows.append(
                {
                    **{c: fit[c] for c in fits.by},
                    "fitted_molar": val,
                    "published_model": p["model"],
                    "published_molar": ref,
                    "low_molar": low,
                    "high_molar": high,
                    "fold": fold,
                    "within": within,
                    "fit_flags": flags,
                    "citation": p["citation"],
                    "note": note,
                    "curve": i,
                }
            )
    return pd.DataFrame(rows)
