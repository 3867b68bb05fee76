"""The in-memory image container shared by the readers (``repurposekit.io.images``) and the pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from repurposekit._exceptions import DataValidationError

__all__ = ["ImageStack"]


@dataclass(frozen=True, eq=False)
class ImageStack:
    """A 4-D image (T, Z, Y, X) with its pixel size and where that size came from.

    Parameters
    ----------
    data : ndarray, shape (T, Z, Y, X)
        Intensities (any numeric dtype; never modified).
    spacing_um : float or None
        Pixel size in µm/px; ``None`` when the file carries no calibration and none was given.
    spacing_source : str
        ``"ome"``, ``"imagej"``, ``"tiff-resolution"``, ``"given"`` or ``"none"``.
    z_step_um : float or None
        Distance between planes, µm, when known.
    source : str
        File the data came from (for messages).
    metadata : mapping
        Anything else the reader found (axes of the file, channel used …).

    Examples
    --------
    >>> import numpy as np
    >>> s = ImageStack(np.zeros((1, 3, 8, 8), np.uint16), spacing_um=2.0)
    >>> s.n_timepoints, s.n_planes, s.plane_shape
    (1, 3, (8, 8))
    """

    data: np.ndarray
    spacing_um: float | None = None
    spacing_source: str = "none"
    z_step_um: float | None = None
    source: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        a = np.asarray(self.data)
        if a.ndim == 2:
            a = a[None, None]
        elif a.ndim == 3:
            a = a[None]
        if a.ndim != 4:
            msg = f"{self.source or 'image'}: expected a (T, Z, Y, X) array, got shape {a.shape}."
            raise DataValidationError(msg)
        a.setflags(write=False)
        object.__setattr__(self, "data", a)
        if self.spacing_um is not None and not (
            np.isfinite(self.spacing_um) and self.spacing_um > 0
        ):
            msg = f"{self.source or 'image'}: pixel size {self.spacing_um!r} µm/px must be > 0."
            raise DataValidationError(msg)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def n_timepoints(self) -> int:
        """Number of time points (T)."""
        return int(self.data.shape[0])

    @property
    def n_planes(self) -> int:
        """Number of focal planes (Z)."""
        return int(self.data.shape[1])

    @property
    def plane_shape(self) -> tuple[int, int]:
        """(Y, X) size of one plane, px."""
        return (int(self.data.shape[2]), int(self.data.shape[3]))

    def planes(self, timepoint: int = 0) -> np.ndarray:
        """The (Z, Y, X) stack of one time point (a read-only view)."""
        if not 0 <= timepoint < self.n_timepoints:
            msg = f"{self.source or 'image'}: time point {timepoint} out of range 0..{self.n_timepoints - 1}."
            raise DataValidationError(msg)
        return self.data[timepoint]

    def require_spacing(self) -> float:
        """The pixel size, or an error saying how to give it (never a guess)."""
        if self.spacing_um is None:
            msg = (
                f"{self.source or 'image'}: no pixel size in the file's metadata, and physical "
                "units were asked for. Pass the calibration (e.g. --spacing-um 1.61 or "
                "spacing_um=1.61), or ask for pixel units only (--pixels)."
            )
            raise DataValidationError(msg)
        return float(self.spacing_um)
