"""Choosing the plane to analyse in a z-stack: sharpest plane or an all-in-focus projection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repurposekit._exceptions import DataValidationError
from repurposekit.imaging import _kernels as K

__all__ = ["PlaneChoice", "focus_scores", "select_plane"]

_MODALITIES = ("brightfield", "fluorescence")


@dataclass(frozen=True, eq=False)
class PlaneChoice:
    """The plane analysed and how it was chosen.

    Attributes
    ----------
    image : ndarray, shape (Y, X)
        The chosen plane or projection (float32).
    method : str
        ``"sharpest"``, ``"min-projection"``, ``"max-projection"`` or ``"single"``.
    index : int
        Index of the sharpest plane (−1 for a projection of all planes).
    scores : ndarray
        Focus score of every plane (normalised variance of the Laplacian).
    """

    image: np.ndarray
    method: str
    index: int
    scores: np.ndarray

    @property
    def label(self) -> str:
        """Short text recorded in tables, e.g. ``"sharpest z=3/10"``."""
        n = len(self.scores)
        if self.method == "sharpest":
            return f"sharpest z={self.index}/{n}"
        if self.method == "single":
            return "single plane"
        return f"{self.method} of {n} planes"

    @property
    def focus_contrast(self) -> float:
        """Best focus score over the median of the stack (1 = a flat focus curve)."""
        med = float(np.median(self.scores)) if len(self.scores) else 0.0
        return float(np.max(self.scores)) / med if med > 0 else float("nan")

    @property
    def flat(self) -> bool:
        """True when no plane of a stack of ≥ 3 stands out (contrast < 1.25): all blurred."""
        return len(self.scores) >= 3 and not self.focus_contrast >= 1.25

    @property
    def at_stack_edge(self) -> bool:
        """True when the sharpest plane is the first or last of a stack of ≥ 3 planes."""
        n = len(self.scores)
        best = int(np.argmax(self.scores)) if n else 0
        return n >= 3 and best in (0, n - 1) and not self.flat


def focus_scores(stack: np.ndarray, *, working_size: int | None = 512) -> np.ndarray:
    """Normalised variance of the Laplacian of every plane of a (Z, Y, X) stack.

    Parameters
    ----------
    stack : array_like, shape (Z, Y, X) or (Y, X)
        The planes.
    working_size : int or None
        Planes are block-averaged to about this long side first (speed); None: full size.

    Returns
    -------
    ndarray, shape (Z,)

    Notes
    -----
    .. math:: F = \\operatorname{Var}(\\nabla^2 (G_1 * I)) / \\overline{I}^2

    References
    ----------
    Pech-Pacheco J. L. et al., "Diatom autofocusing in brightfield microscopy: a comparative
    study", ICPR 2000, doi:10.1109/ICPR.2000.903548.
    """
    a = np.asarray(stack)
    if a.ndim == 2:
        a = a[None]
    f = 1 if working_size is None else K.working_factor(a.shape[1:], working_size)
    return np.array([K.focus_score(K.block_mean(p, f)) for p in a])


def select_plane(
    stack: np.ndarray,
    *,
    method: str = "sharpest",
    modality: str = "brightfield",
    working_size: int | None = 512,
) -> PlaneChoice:
    """Choose the plane to segment in a z-stack.

    Parameters
    ----------
    stack : array_like, shape (Z, Y, X) or (Y, X)
        The planes (not modified).
    method : {"sharpest", "projection"}
        ``"sharpest"``: the plane with the highest focus score. ``"projection"``: an
        all-in-focus projection, the minimum over planes for brightfield (cells are dark) and
        the maximum for fluorescence (cells are bright).
    modality : {"brightfield", "fluorescence"}
        Imaging modality (brightfield includes phase contrast).
    working_size : int or None
        Long side used to compute focus scores.

    Returns
    -------
    PlaneChoice

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> sharp = rng.normal(100, 10, (32, 32))
    >>> blurry = np.full((32, 32), 100.0)
    >>> select_plane(np.stack([blurry, sharp, blurry])).label
    'sharpest z=1/3'
    """
    if modality not in _MODALITIES:
        msg = f"modality {modality!r} is not one of {_MODALITIES}."
        raise DataValidationError(msg)
    a = np.asarray(stack)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[0] == 0:
        msg = f"expected a (Z, Y, X) stack, got shape {np.shape(stack)}."
        raise DataValidationError(msg)
    scores = focus_scores(a, working_size=working_size)
    best = int(np.argmax(scores))
    if a.shape[0] == 1:
        return PlaneChoice(a[0].astype(np.float32), "single", 0, scores)
    if method == "sharpest":
        return PlaneChoice(a[best].astype(np.float32), "sharpest", best, scores)
    if method == "projection":
        if modality == "brightfield":
            return PlaneChoice(a.min(axis=0).astype(np.float32), "min-projection", -1, scores)
        return PlaneChoice(a.max(axis=0).astype(np.float32), "max-projection", -1, scores)
    msg = f"plane method {method!r} is not one of 'sharpest', 'projection'."
    raise DataValidationError(msg)
