"""Shape and invasion measurements of a segmented spheroid, with QC flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.imaging import _kernels as K
from repurposekit.imaging._segment import SpheroidMasks

__all__ = ["FLAGS", "SpheroidMeasurements", "measure_spheroid"]

#: QC flags and what they mean
FLAGS: dict[str, str] = {
    "missing": "no spheroid found (or smaller than the minimum area)",
    "out_of_focus": "the analysed plane is blurred (focus score below the threshold)",
    "focus_at_stack_edge": "the sharpest plane is the first or last of the stack",
    "touching_border": "the spheroid touches the image border (area under-estimated)",
    "fragmented": "other large objects (≥ 20 % of the spheroid) lie outside it",
    "debris": "smaller separate objects (debris) were found and excluded",
}

_COLUMNS = (
    "total_area_px",
    "core_area_px",
    "invasive_area_px",
    "total_area_um2",
    "core_area_um2",
    "invasive_area_um2",
    "perimeter_um",
    "circularity",
    "solidity",
    "feret_max_um",
    "feret_min_um",
    "equivalent_diameter_um",
    "centroid_row_px",
    "centroid_col_px",
    "n_strands",
    "max_invasion_distance_um",
    "max_invasion_distance_px",
    "flags",
)


@dataclass(frozen=True, eq=False)
class SpheroidMeasurements:
    """Measurements of spheroids, one row per image (see :func:`measure_spheroid`)."""

    table: pd.DataFrame
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the measurement table."""
        return self.table.copy()

    def summary(self) -> str:
        """One line per image."""
        lines = []
        for _, r in self.table.iterrows():
            area = (
                f"{r.total_area_um2:.0f} µm²"
                if np.isfinite(r.total_area_um2)
                else f"{r.total_area_px:.0f} px"
            )
            lines.append(
                f"total {area}, core fraction {r.core_area_px / max(r.total_area_px, 1):.2f}, "
                f"circularity {r.circularity:.2f}, strands {r.n_strands}, flags: {r.flags or '-'}"
            )
        return "\n".join(lines)

    def plot(self, ax=None):
        """Bar chart of total/core/invasive areas (lazy import of the plotting layer)."""
        from repurposekit.plot.spheroid import areas_bar

        return areas_bar(self, ax=ax)


def _perimeter(c: np.ndarray) -> float:
    """Length of a closed outline (px)."""
    if len(c) < 2:
        return 0.0
    d = np.diff(np.vstack([c, c[:1]]), axis=0)
    return float(np.hypot(d[:, 0], d[:, 1]).sum())


def measure_spheroid(
    masks: SpheroidMasks | np.ndarray,
    *,
    spacing_um: float | None = None,
    reference: SpheroidMasks | np.ndarray | None = None,
    focus: float | None = None,
    focus_min: float | None = None,
    focus_at_stack_edge: bool = False,
    strand_radius_um: float = 15.0,
) -> SpheroidMeasurements:
    """Areas, shape metrics, invasion distance, strands and QC flags of one spheroid.

    Parameters
    ----------
    masks : SpheroidMasks or ndarray of bool
        Segmentation (a plain boolean array is taken as the total mask, with no core).
    spacing_um : float or None
        Pixel size, µm/px. None: µm columns are NaN (no calibration is ever guessed).
    reference : SpheroidMasks, ndarray of bool, or (N, 2) outline, optional
        The same spheroid at day 0 (same field): the maximum invasion distance is measured
        from its outline. An (N, 2) array is taken as an outline in full-resolution px.
    focus, focus_min : float, optional
        Focus score of the analysed plane and the threshold below which it is flagged.
    focus_at_stack_edge : bool
        Flag that the sharpest plane is at the edge of the stack.
    strand_radius_um : float
        Protrusions thinner than twice this radius count as strands.

    Returns
    -------
    SpheroidMeasurements
        One row; columns ``total_area_px``, ``total_area_um2``, ``core_*``, ``invasive_*``,
        ``perimeter_um``, ``circularity``, ``solidity``, ``feret_max_um``, ``feret_min_um``,
        ``equivalent_diameter_um``, ``n_strands``, ``max_invasion_distance_um``, ``flags``.

    Notes
    -----
    Areas are pixel counts × scale² (× spacing² for µm²). Perimeter is the length of the
    sub-pixel outline; circularity = 4πA/P²; solidity = A / A(convex hull); Feret diameters
    are the largest and smallest caliper widths of the outline's convex hull. The maximum
    invasion distance is the largest distance from a point of the spheroid outside the
    day-0 outline to that outline (the maximum of a distance-to-set function over a region is
    reached on its boundary, so the outline suffices). Strands: connected pieces of
    total − opening(total, disk r), at least r² px in area.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:101, :101]
    >>> disk = np.hypot(yy - 50, xx - 50) <= 30
    >>> m = measure_spheroid(disk, spacing_um=2.0).to_frame().iloc[0]
    >>> round(float(m.total_area_um2) / (np.pi * 60**2), 2), round(float(m.circularity), 2)
    (1.0, 0.99)
    """
    if not isinstance(masks, SpheroidMasks):
        arr = np.asarray(masks)
        if arr.ndim != 2:
            msg = f"expected a 2-D boolean mask, got shape {arr.shape}."
            raise DataValidationError(msg)
        masks = SpheroidMasks(total=arr.astype(bool), core=np.zeros(arr.shape, bool))
    if spacing_um is not None and not (np.isfinite(spacing_um) and spacing_um > 0):
        msg = f"spacing_um={spacing_um!r} must be a positive pixel size in µm/px."
        raise DataValidationError(msg)
    s = float(masks.scale)
    um = float(spacing_um) if spacing_um is not None else np.nan
    shape_mask = masks.outline_mask
    row: dict[str, Any] = dict.fromkeys(_COLUMNS, np.nan)
    row["total_area_px"] = float(masks.total.sum()) * s * s
    row["core_area_px"] = float(masks.core.sum()) * s * s
    row["invasive_area_px"] = float(masks.invasive.sum()) * s * s
    for k in ("total", "core", "invasive"):
        row[f"{k}_area_um2"] = row[f"{k}_area_px"] * um * um
    flags: list[str] = []
    if not shape_mask.any():
        flags.append("missing")
        row["n_strands"] = 0
    else:
        outline = masks.outline("total")
        area_obj_px = float(shape_mask.sum()) * s * s
        perim_px = _perimeter(outline)  # the outline is in full-resolution px already
        row["perimeter_um"] = perim_px * um
        row["circularity"] = (
            min(1.0, 4 * np.pi * area_obj_px / perim_px**2) if perim_px > 0 else np.nan
        )
        hull = K.hull_area(outline)
        row["solidity"] = min(1.0, area_obj_px / hull) if hull > 0 else np.nan
        fmax, fmin = K.feret_diameters(outline)
        row["feret_max_um"] = fmax * um
        row["feret_min_um"] = fmin * um
        row["equivalent_diameter_um"] = 2 * np.sqrt(area_obj_px / np.pi) * um
        cy, cx = ndi.center_of_mass(shape_mask)
        row["centroid_row_px"] = (cy + 0.5) * s - 0.5
        row["centroid_col_px"] = (cx + 0.5) * s - 0.5
        # strands on the filled object, at mask resolution
        r_px = strand_radius_um / (um * s) if np.isfinite(um) else 15.0 / (1.6 * s)
        r_px = max(1, round(r_px))
        row["n_strands"] = K.strand_count(shape_mask, radius_px=r_px, min_area_px=r_px * r_px)
        if reference is not None:
            ref = reference
            if isinstance(ref, SpheroidMasks):
                ref_outline = ref.outline("total")
            else:
                ref_arr = np.asarray(ref)
                ref_outline = (
                    K.outer_contour(ref_arr.astype(bool))
                    if ref_arr.ndim == 2 and ref_arr.shape[1] != 2
                    else ref_arr.astype(float)
                )
            d = K.max_distance_outside(outline, ref_outline)
            row["max_invasion_distance_px"] = d
            row["max_invasion_distance_um"] = d * um
        # QC
        edge = np.concatenate([shape_mask[0], shape_mask[-1], shape_mask[:, 0], shape_mask[:, -1]])
        if edge.any():
            flags.append("touching_border")
        if masks.others is not None and masks.others.any():
            lab, n = ndi.label(masks.others)
            if n:
                sizes = np.bincount(lab.ravel())[1:] * s * s
                main = area_obj_px
                if (sizes >= 0.2 * main).any():
                    flags.append("fragmented")
                if ((sizes < 0.2 * main) & (sizes >= 0.002 * main)).any():
                    flags.append("debris")
    if focus is not None and focus_min is not None and focus < focus_min:
        flags.append("out_of_focus")
    if focus_at_stack_edge:
        flags.append("focus_at_stack_edge")
    row["flags"] = ";".join(flags)
    table = pd.DataFrame([row], columns=list(_COLUMNS))
    table["n_strands"] = table["n_strands"].astype(int)
    return SpheroidMeasurements(
        table=table,
        settings=_settings(
            spacing_um=spacing_um,
            scale=masks.scale,
            method=masks.method,
            strand_radius_um=strand_radius_um,
        ),
    )
