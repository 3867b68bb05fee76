"""From image stacks to one measurement row per image, in parallel over files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.imaging import _kernels as K
from repurposekit.imaging._focus import PlaneChoice, select_plane
from repurposekit.imaging._measure import _COLUMNS, measure_spheroid
from repurposekit.imaging._segment import ClassicalSegmenter, Segmenter, SpheroidMasks
from repurposekit.imaging._stack import ImageStack

__all__ = ["BatchResult", "SpheroidAnalysis", "analyse_plane", "measure_batch"]

_PREVIEW = 384  # long side of the preview kept for QC figures, px


@dataclass(frozen=True, eq=False)
class SpheroidAnalysis:
    """One analysed image: chosen plane, masks, measurements and a small QC preview.

    Attributes
    ----------
    plane : PlaneChoice
        The plane analysed and how it was chosen.
    masks : SpheroidMasks
        Segmentation.
    row : dict
        Measurements (see :func:`measure_spheroid`) plus ``plane_choice`` and ``focus_score``.
    preview : ndarray
        Plane block-averaged to ≤ 384 px (float32), for overlays.
    preview_scale : int
        Full-resolution px per preview px.
    outlines : dict
        ``"total"``/``"core"`` outlines in full-resolution px (row, col).
    """

    plane: PlaneChoice | None
    masks: SpheroidMasks | None
    row: dict
    preview: np.ndarray
    preview_scale: int
    outlines: Mapping[str, np.ndarray]

    def to_frame(self) -> pd.DataFrame:
        """The measurement row as a one-row table."""
        return pd.DataFrame([self.row])


def analyse_plane(
    stack: np.ndarray | ImageStack,
    *,
    modality: str = "brightfield",
    spacing_um: float | None = None,
    plane: str = "sharpest",
    segmenter: Segmenter | None = None,
    reference: np.ndarray | None = None,
    focus_min: float | None = None,
    keep_masks: bool = True,
) -> SpheroidAnalysis:
    """Choose a plane of a z-stack, segment it and measure the spheroid.

    Parameters
    ----------
    stack : ndarray (Z, Y, X) or (Y, X), or ImageStack (its first time point)
        The planes (never modified).
    modality : {"brightfield", "fluorescence"}
    spacing_um : float or None
        Pixel size, µm/px (an ImageStack's own spacing is used when this is None).
    plane : {"sharpest", "projection"}
        See :func:`select_plane`.
    segmenter : Segmenter or None
        Default: :class:`ClassicalSegmenter` for ``modality``.
    reference : (N, 2) ndarray, optional
        Day-0 outline (full-resolution px) for the maximum invasion distance.
    focus_min : float, optional
        Focus score below which the plane is flagged ``out_of_focus``. Without it, a stack of
        ≥ 3 planes is flagged when its focus curve is flat (best / median score < 1.25: no
        plane is in focus); single planes are then not judged (absolute focus scores depend
        on the sample and the noise).
    keep_masks : bool
        Keep the masks in the result (set False in batches to save memory).

    Returns
    -------
    SpheroidAnalysis
    """
    if isinstance(stack, ImageStack):
        if spacing_um is None:
            spacing_um = stack.spacing_um
        stack = stack.planes(0)
    seg = segmenter if segmenter is not None else ClassicalSegmenter(modality=modality)
    choice = select_plane(stack, method=plane, modality=modality)
    masks = seg(choice.image, spacing_um=spacing_um)
    focus = float(choice.scores.max()) if choice.index >= 0 else float(np.max(choice.scores))
    if focus_min is None:
        focus_min = np.inf if choice.flat else -np.inf
    m = measure_spheroid(
        masks,
        spacing_um=spacing_um,
        reference=reference,
        focus=focus,
        focus_min=focus_min,
        focus_at_stack_edge=choice.at_stack_edge,
    )
    row = m.table.iloc[0].to_dict()
    row["plane_choice"] = choice.label
    row["focus_score"] = focus
    row["focus_contrast"] = choice.focus_contrast
    row["spacing_um"] = np.nan if spacing_um is None else float(spacing_um)
    row["segmenter"] = masks.method
    f = K.working_factor(choice.image.shape, _PREVIEW)
    preview = K.block_mean(choice.image, f)
    outlines = {"total": masks.outline("total"), "core": masks.outline("core")}
    return SpheroidAnalysis(
        plane=choice if keep_masks else None,
        masks=masks if keep_masks else None,
        row=row,
        preview=preview,
        preview_scale=f,
        outlines=outlines,
    )


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Result of :func:`measure_batch`.

    Attributes
    ----------
    table : DataFrame
        The input item table plus one measurement row per image; a file that could not be
        read or analysed has ``error`` set and NaN measurements.
    analyses : dict
        ``row index → SpheroidAnalysis`` (previews and outlines for QC figures).
    settings : mapping
    """

    table: pd.DataFrame
    analyses: Mapping[int, SpheroidAnalysis]
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-image table."""
        return self.table.copy()

    def summary(self) -> str:
        """Counts of images, failures and flags."""
        t = self.table
        n_err = int(t["error"].astype(bool).sum())
        flags = t["flags"].fillna("").str.split(";").explode()
        counts = flags[flags != ""].value_counts()
        body = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
        return f"{len(t)} images, {n_err} failed; flags: {body}"

    @property
    def errors(self) -> pd.DataFrame:
        """Rows that failed, with the reason."""
        return self.table.loc[self.table["error"].astype(bool)].copy()

    def plot(self, ax=None):
        """Contact sheet (lazy import of the plotting layer)."""
        from repurposekit.plot.spheroid import contact_sheet_panel

        return contact_sheet_panel(self)


def _work(args: tuple) -> tuple[int, SpheroidAnalysis | None, str]:
    idx, path, timepoint, loader, kwargs, spacing_um, require_spacing = args
    try:
        stack = loader(path)
        sp = spacing_um if spacing_um is not None else stack.spacing_um
        if require_spacing and sp is None:
            stack.require_spacing()
        planes = stack.planes(int(timepoint))
        res = analyse_plane(planes, spacing_um=sp, keep_masks=False, **kwargs)
        return idx, res, ""
    except DataValidationError as exc:
        return idx, None, str(exc).splitlines()[0]
    except Exception as exc:  # one unreadable file must not sink the batch
        return idx, None, f"{path}: {type(exc).__name__}: {exc}"


def measure_batch(
    items: pd.DataFrame,
    *,
    loader: Callable[[str], ImageStack],
    modality: str = "brightfield",
    plane: str = "sharpest",
    spacing_um: float | None = None,
    require_spacing: bool = True,
    segmenter: Segmenter | None = None,
    by: str = "well",
    day0: float = 0,
    n_jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Analyse many images in parallel; one bad file is reported, not fatal.

    Parameters
    ----------
    items : DataFrame
        One row per image: ``path``, ``day``, the ``by`` column (``well``), optionally
        ``timepoint`` (index in a time-series file; default 0) and plate-map columns. Not
        modified.
    loader : callable
        ``path → ImageStack`` (e.g. :func:`repurposekit.io.images.read_image`); must be
        picklable for parallel runs.
    modality, plane, segmenter
        See :func:`analyse_plane`.
    spacing_um : float or None
        Pixel size overriding the files' metadata, µm/px.
    require_spacing : bool
        Refuse (per file, as an error row) images without a calibration; False: pixel
        units only.
    by : str
        Column identifying one spheroid across days.
    day0 : float
        Day whose outline is the reference for the maximum invasion distance.
    n_jobs : int or None
        Worker processes (None: all cores; 1: in this process).
    on_progress : callable, optional
        Called with the number of images finished so far.

    Returns
    -------
    BatchResult
    """
    for c in ("path", "day", by):
        if c not in items.columns:
            msg = f"image table is missing column {c!r}; it has {list(items.columns)}."
            raise DataValidationError(msg)
    table = items.reset_index(drop=True).copy()
    if "timepoint" not in table.columns:
        table["timepoint"] = 0
    kwargs = {"modality": modality, "plane": plane, "segmenter": segmenter}
    jobs = [
        (i, str(r.path), int(r.timepoint), loader, kwargs, spacing_um, require_spacing)
        for i, r in table.iterrows()
    ]
    n_jobs = (os.cpu_count() or 1) if n_jobs is None else max(1, int(n_jobs))
    results: dict[int, SpheroidAnalysis] = {}
    errors: dict[int, str] = {}
    done = 0
    if n_jobs == 1 or len(jobs) <= 1:
        it = map(_work, jobs)
        for idx, res, err in it:
            done += 1
            if res is None:
                errors[idx] = err
            else:
                results[idx] = res
            if on_progress:
                on_progress(done)
    else:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
            for idx, res, err in pool.map(_work, jobs, chunksize=1):
                done += 1
                if res is None:
                    errors[idx] = err
                else:
                    results[idx] = res
                if on_progress:
                    on_progress(done)
    # second pass: invasion distance from each spheroid's day-0 outline (same well)
    rows = []
    for i in range(len(table)):
        res = results.get(i)
        if res is None:
            rows.append({"error": errors.get(i, "not analysed")})
            continue
        rows.append(dict(res.row, error=""))
    meas = pd.DataFrame(rows, index=table.index)
    for c in (*_COLUMNS, "plane_choice", "focus_score", "focus_contrast", "spacing_um"):
        if c not in meas.columns:
            meas[c] = "" if c in ("flags", "plane_choice") else np.nan
    for i, res in results.items():
        w = table.at[i, by]
        ref = [
            j
            for j in results
            if table.at[j, by] == w and np.isclose(float(table.at[j, "day"]), day0)
        ]
        if not ref:
            continue
        ref_outline = results[ref[0]].outlines["total"]
        d = K.max_distance_outside(res.outlines["total"], ref_outline)
        meas.at[i, "max_invasion_distance_px"] = d
        sp = res.row.get("spacing_um", np.nan)
        meas.at[i, "max_invasion_distance_um"] = d * sp
    overlap = [c for c in meas.columns if c in table.columns]
    out = pd.concat([table, meas.drop(columns=overlap)], axis=1)
    if "flags" not in out.columns:
        out["flags"] = ""
    out["flags"] = out["flags"].fillna("")
    out.loc[out["error"].astype(bool), "flags"] = "unreadable"
    return BatchResult(
        table=out,
        analyses=results,
        settings=_settings(
            items.drop(columns=[c for c in items.columns if c == "path"]),
            modality=modality,
            plane=plane,
            spacing_um=spacing_um,
            segmenter=repr(segmenter) if segmenter is not None else "classical",
            day0=day0,
        ),
    )
