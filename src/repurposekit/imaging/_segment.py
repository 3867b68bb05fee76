"""Spheroid segmentation: a classical segmenter and the hook for a learned one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import ndimage as ndi

from repurposekit._exceptions import DataValidationError
from repurposekit.imaging import _kernels as K

__all__ = ["ClassicalSegmenter", "Segmenter", "SpheroidMasks", "segment_spheroid"]

# pixel size assumed for *parameter scaling only* when an image has no calibration: the
# protocol's 4x objective gives 1.6 µm/px; areas stay in px in that case (never converted)
_NOMINAL_UM_PER_PX = 1.6


@dataclass(frozen=True, eq=False)
class SpheroidMasks:
    """Masks of one spheroid in one plane.

    Attributes
    ----------
    total, core : ndarray of bool, shape (y, x)
        Whole spheroid (core + invasive halo) and dense core, at the mask resolution.
    scale : int
        Full-resolution pixels per mask pixel (1 = full resolution; 4 = masks computed on a
        4× block-averaged image).
    shape : (int, int)
        Full-resolution plane shape, px.
    others : ndarray of bool
        Foreground that is not the selected spheroid (debris, other objects).
    envelope : ndarray of bool or None
        Fluorescence only: filled outline of the cell mass (``total`` is then the set of cell
        pixels, not a filled object).
    method : str
        Which segmenter made the masks.
    """

    total: np.ndarray
    core: np.ndarray
    scale: int = 1
    shape: tuple[int, int] = (0, 0)
    others: np.ndarray | None = None
    envelope: np.ndarray | None = None
    method: str = "given"
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = np.asarray(self.total, bool)
        core = np.asarray(self.core, bool) if self.core is not None else np.zeros_like(total)
        if core.shape != total.shape:
            msg = f"core mask shape {core.shape} differs from total mask shape {total.shape}."
            raise DataValidationError(msg)
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "core", core)
        if self.shape == (0, 0):
            object.__setattr__(
                self, "shape", (total.shape[0] * self.scale, total.shape[1] * self.scale)
            )

    @property
    def invasive(self) -> np.ndarray:
        """Invasive area mask: total minus core."""
        return self.total & ~self.core

    @property
    def outline_mask(self) -> np.ndarray:
        """The filled object whose outline is drawn and measured (envelope or total)."""
        return self.envelope if self.envelope is not None else self.total

    def outline(self, which: str = "total") -> np.ndarray:
        """Sub-pixel outline ((N, 2) row/col) in full-resolution pixel coordinates."""
        cache = self.__dict__.setdefault("_outlines", {})  # masks are immutable: trace once
        if which not in cache:
            mask = {"total": self.outline_mask, "core": self.core}[which]
            c = K.outer_contour(mask)
            if self.scale > 1 and len(c):
                c = c * self.scale + (self.scale - 1) / 2.0
            c.setflags(write=False)
            cache[which] = c
        return cache[which]


@runtime_checkable
class Segmenter(Protocol):
    """What a segmenter must do: a callable from a 2-D plane to :class:`SpheroidMasks`.

    A learned model plugs in by implementing this (e.g. a small class whose ``__call__``
    runs the network and thresholds its probability maps) and passing it as
    ``segmenter=`` to :func:`segment_spheroid` or ``measure_batch``. It must be picklable to
    run in parallel workers.
    """

    def __call__(self, image: np.ndarray, *, spacing_um: float | None) -> SpheroidMasks:
        """Segment one plane (``spacing_um`` in µm/px, or None when unknown)."""
        ...


@dataclass(frozen=True)
class ClassicalSegmenter:
    """Texture/intensity segmentation without model weights.

    Parameters
    ----------
    modality : {"brightfield", "fluorescence"}
        Brightfield includes phase contrast (dark cells on a bright background).
    working_size : int or None
        Brightfield planes are block-averaged so that the long side is about this many
        pixels, segmented there, and the masks kept at that resolution (``scale``); None:
        full resolution. Fluorescence cell pixels are always found at full resolution.
    texture_um : float
        Window of the local standard deviation (texture), µm.
    texture_k, dark_k : float
        Thresholds, in robust noise σ (MAD) above the background texture / below the
        background intensity.
    close_um : float
        Gaps closed between cells of the halo, µm.
    core_sigma_um : float
        Smoothing before the core threshold, µm.
    min_area_um2 : float
        Smallest object considered a spheroid, µm².
    fraction : float
        Fluorescence threshold as a fraction of the way from background to the typical
        foreground level (``b + fraction·(F − b)``).
    cell_sigma_um : float
        Fluorescence pre-smoothing, µm.
    core_um : float
        Fluorescence core: radius of the opening that strips the invading front, µm.

    Notes
    -----
    Brightfield: flat-field by a robust quadratic surface; total = (local std >
    median + ``texture_k``·MAD) ∪ (intensity < half-way to the darkest level), closed,
    hole-filled, shrunk by half the texture window, then the object nearest the image
    centre. Core = smoothed intensity below half-way between the halo level and the core
    level, inside total. Invasive = total − core.
    """

    modality: str = "brightfield"
    working_size: int | None = 512
    texture_um: float = 25.0
    texture_k: float = 5.0
    dark_k: float = 4.0
    close_um: float = 20.0
    core_sigma_um: float = 10.0
    min_area_um2: float = 2000.0
    fraction: float = 0.25
    cell_sigma_um: float = 0.75
    core_um: float = 15.0

    def __post_init__(self) -> None:
        if self.modality not in ("brightfield", "fluorescence"):
            msg = f"modality {self.modality!r} is not 'brightfield' or 'fluorescence'."
            raise DataValidationError(msg)

    def __call__(self, image: np.ndarray, *, spacing_um: float | None) -> SpheroidMasks:
        """Segment one plane."""
        img = np.asarray(image)
        if img.ndim != 2:
            msg = f"expected one 2-D plane, got shape {img.shape}."
            raise DataValidationError(msg)
        um = float(spacing_um) if spacing_um else _NOMINAL_UM_PER_PX
        f = 1 if self.working_size is None else K.working_factor(img.shape, self.working_size)
        if self.modality == "brightfield":
            small = K.block_mean(img, f)
            wum = um * f
            tpx = max(3, round(self.texture_um / wum) | 1)
            r = K.segment_brightfield(
                small,
                texture_px=tpx,
                texture_k=self.texture_k,
                dark_k=self.dark_k,
                close_px=max(1, round(self.close_um / wum)),
                core_sigma_px=max(1.0, self.core_sigma_um / wum),
                min_size_px=max(4, int(self.min_area_um2 / wum**2)),
            )
            return SpheroidMasks(
                total=r["total"],
                core=r["core"],
                scale=f,
                shape=img.shape,
                others=r["others"] > 0,
                method="classical-brightfield",
            )
        r = K.segment_fluorescence(
            img,
            fraction=self.fraction,
            sigma_px=self.cell_sigma_um / um,
            close_px=max(1, round(self.close_um / um)),
            core_px=max(1, round(self.core_um / um)),
            min_size_px=max(4, int(self.min_area_um2 / um**2)),
            factor=f,
        )
        total = r["total"]
        env = r["envelope"]
        return SpheroidMasks(
            total=total,
            core=r["core"],
            scale=1,
            shape=img.shape,
            others=r["others"] & ~env,
            envelope=env,
            method="classical-fluorescence",
            extra={"threshold": r["threshold"]},
        )


def segment_spheroid(
    image: np.ndarray,
    *,
    modality: str = "brightfield",
    spacing_um: float | None = None,
    segmenter: Segmenter | None = None,
) -> SpheroidMasks:
    """Segment the spheroid nearest the centre of a 2-D plane into total and core.

    Parameters
    ----------
    image : array_like, shape (Y, X)
        One plane (not modified).
    modality : {"brightfield", "fluorescence"}
        Used when ``segmenter`` is None to build a :class:`ClassicalSegmenter`.
    spacing_um : float or None
        Pixel size, µm/px (scales the segmentation parameters; None: a nominal 1.6 µm/px
        is assumed for the parameters only).
    segmenter : Segmenter or None
        Any callable following the :class:`Segmenter` protocol (the hook for a learned model).

    Returns
    -------
    SpheroidMasks

    Examples
    --------
    >>> from repurposekit.imaging import synthetic_spheroid_stack
    >>> s = synthetic_spheroid_stack(size=128, spacing_um=8, n_planes=1, rng=1)
    >>> m = segment_spheroid(s.stack[0], spacing_um=8)
    >>> bool(abs(m.total.sum() / s.total.sum() - 1) < 0.1)
    True
    """
    seg = segmenter if segmenter is not None else ClassicalSegmenter(modality=modality)
    masks = seg(np.asarray(image), spacing_um=spacing_um)
    if not isinstance(masks, SpheroidMasks):
        msg = f"segmenter {seg!r} returned {type(masks).__name__}, not SpheroidMasks."
        raise DataValidationError(msg)
    return masks


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    lab, n = ndi.label(mask)
    return lab, int(n)
