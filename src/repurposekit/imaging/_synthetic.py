"""Synthetic brightfield spheroid z-stacks with known areas (tests, demo and benchmark).

The generator draws, on a grid of known pixel size:

* a dense dark **core** (an ellipse, darkening ``core_darkness``, with fine texture);
* an **invasive halo** (a wobbly disk around the core) filled with a dark, speckled texture of
  single cells, plus radial **strands** (thin dark lines) that leave the halo;
* **defocus** across the planes: plane ``z`` is blurred with σ = ``sharp_sigma`` +
  ``defocus_per_plane`` · |z − ``focus_plane``|;
* **uneven illumination** (a linear-plus-radial vignette) and Gaussian + Poisson-like noise.

The truth masks are the rasterised shapes (total = core ∪ halo ∪ strands).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

__all__ = ["SyntheticSpheroid", "synthetic_spheroid_stack"]


@dataclass(frozen=True, eq=False)
class SyntheticSpheroid:
    """A synthetic z-stack and its ground truth.

    Attributes
    ----------
    stack : ndarray, shape (Z, Y, X), uint16
        The planes.
    total, core : ndarray of bool, shape (Y, X)
        True masks of the whole spheroid (core + halo + strands) and of the dense core.
    spacing_um : float
        Pixel size, µm/px.
    focus_plane : int
        Index of the sharpest plane.
    n_strands : int
        Number of strands drawn.
    """

    stack: np.ndarray
    total: np.ndarray
    core: np.ndarray
    spacing_um: float
    focus_plane: int
    n_strands: int

    @property
    def total_area_um2(self) -> float:
        """True total area, µm²."""
        return float(self.total.sum()) * self.spacing_um**2

    @property
    def core_area_um2(self) -> float:
        """True core area, µm²."""
        return float(self.core.sum()) * self.spacing_um**2


def _wobbly_disk(shape, centre, radius, rng, *, amplitude=0.08, modes=6):
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    dy, dx = yy - centre[0], xx - centre[1]
    r = np.hypot(dy, dx)
    th = np.arctan2(dy, dx)
    rr = np.ones_like(th)
    for k in range(2, modes + 2):
        rr += amplitude / k * rng.normal() * np.cos(k * th + rng.uniform(0, 2 * np.pi))
    return r <= radius * rr


def synthetic_spheroid_stack(
    *,
    size: int = 256,
    spacing_um: float = 5.0,
    core_radius_um: float = 150.0,
    halo_radius_um: float | None = 260.0,
    n_strands: int = 8,
    strand_length_um: float = 120.0,
    n_planes: int = 5,
    focus_plane: int | None = None,
    defocus_per_plane: float = 1.5,
    sharp_sigma: float = 0.6,
    illumination: float = 0.25,
    noise: float = 0.02,
    core_darkness: float = 0.55,
    halo_darkness: float = 0.18,
    centre_offset_px: tuple[float, float] = (0.0, 0.0),
    debris: int = 0,
    rng: np.random.Generator | int | None = 0,
) -> SyntheticSpheroid:
    """Draw a brightfield spheroid z-stack with known total and core areas.

    Parameters
    ----------
    size : int
        Image side, px.
    spacing_um : float
        Pixel size, µm/px.
    core_radius_um, halo_radius_um : float
        Radii of the core and of the invasive halo, µm (``halo_radius_um=None``: no halo, a
        day-0-like compact spheroid).
    n_strands, strand_length_um : int, float
        Number and length (beyond the halo) of radial strands.
    n_planes, focus_plane : int
        Planes in the stack and index of the in-focus one (default: the middle).
    defocus_per_plane, sharp_sigma : float
        Blur σ (px) added per plane away from focus, and σ of the sharp plane.
    illumination : float
        Strength of the uneven illumination (0 = flat).
    noise : float
        Noise σ relative to the background level.
    core_darkness, halo_darkness : float
        Fractional darkening of core and halo.
    centre_offset_px : (float, float)
        Shift of the spheroid from the image centre, px.
    debris : int
        Number of small dark debris particles away from the spheroid.
    rng : Generator or int
        Random source (seeded by default).

    Returns
    -------
    SyntheticSpheroid

    Examples
    --------
    >>> s = synthetic_spheroid_stack(size=96, spacing_um=10, n_planes=3)
    >>> s.stack.shape, s.stack.dtype.name
    ((3, 96, 96), 'uint16')
    """
    rng = np.random.default_rng(rng)
    shape = (size, size)
    c = ((size - 1) / 2 + centre_offset_px[0], (size - 1) / 2 + centre_offset_px[1])
    rc = core_radius_um / spacing_um
    core = _wobbly_disk(shape, c, rc, rng, amplitude=0.05)
    total = core.copy()
    halo = np.zeros(shape, bool)
    drawn = 0
    if halo_radius_um is not None:
        rh = halo_radius_um / spacing_um
        halo = _wobbly_disk(shape, c, rh, rng, amplitude=0.12) & ~core
        total |= halo
        width = max(1.0, 12.0 / spacing_um)  # strands ≈ 12 µm wide (1–2 cells)
        yy, xx = np.mgrid[0:size, 0:size]
        for k in range(n_strands):
            th = 2 * np.pi * (k + rng.uniform(0.2, 0.8)) / max(n_strands, 1)
            r0, r1 = 0.8 * rh, rh + strand_length_um / spacing_um * rng.uniform(0.7, 1.0)
            uy, ux = np.sin(th), np.cos(th)
            t = (yy - c[0]) * uy + (xx - c[1]) * ux
            d = np.abs(-(yy - c[0]) * ux + (xx - c[1]) * uy)
            seg = (t >= r0) & (t <= r1) & (d <= width / 2)
            if seg.any():
                total |= seg
                halo |= seg & ~core
                drawn += 1
    # object: multiplicative transmission
    cell = max(1.0, 10.0 / spacing_um)  # texture grain ≈ one 10 µm cell
    grain = ndi.gaussian_filter(rng.normal(size=shape), cell / 2)
    grain = grain / (grain.std() + 1e-12)
    trans = np.ones(shape)
    trans[halo] = 1 - halo_darkness * (1 + 0.9 * np.clip(grain[halo], -1.1, 2.5))
    trans[core] = 1 - core_darkness * (1 + 0.15 * grain[core])
    if debris:
        for _ in range(debris):
            ang = rng.uniform(0, 2 * np.pi)
            rad = rng.uniform(0.75, 0.92) * size / 2
            py, px = c[0] + rad * np.sin(ang), c[1] + rad * np.cos(ang)
            yy, xx = np.ogrid[0:size, 0:size]
            blob = np.hypot(yy - py, xx - px) <= max(1.5, 0.015 * size)
            trans[blob] = 1 - 0.6
    trans = np.clip(trans, 0.02, 1.2)
    # uneven illumination
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    illum = 1 + illumination * (0.6 * (xx - 0.5) - 0.8 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2))
    focus = (n_planes - 1) // 2 if focus_plane is None else int(focus_plane)
    base = 2000.0
    planes = []
    for z in range(n_planes):
        sigma = sharp_sigma + defocus_per_plane * abs(z - focus)
        obj = ndi.gaussian_filter(trans, sigma, mode="nearest")
        img = base * illum * obj
        img = img + rng.normal(scale=noise * base, size=shape) * np.sqrt(np.maximum(obj, 0.05))
        planes.append(np.clip(img + 100, 0, 65535).astype(np.uint16))
    return SyntheticSpheroid(
        stack=np.stack(planes),
        total=total,
        core=core,
        spacing_um=float(spacing_um),
        focus_plane=focus,
        n_strands=drawn,
    )
