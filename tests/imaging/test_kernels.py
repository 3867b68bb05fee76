"""Fast kernels equal the straightforward ones they replace (exact, not approximately)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import measure, morphology

from repurposekit.imaging import _kernels as K


def _masks(seed, n=40):
    rng = np.random.default_rng(seed)
    for k in range(n):
        h, w = rng.integers(5, 70, 2)
        m = ndi.gaussian_filter(rng.random((h, w)), rng.uniform(0.5, 3)) > rng.uniform(0.4, 0.6)
        if k == 0:
            m[:] = True
        elif k == 1:
            m[:] = False
        elif k == 2:
            m[:, : w // 2] = True  # touching the border
        yield m


@pytest.mark.parametrize("r", [1, 2, 3, 5, 8])
def test_disk_morphology_equals_scipy(r):
    se = morphology.disk(r)
    for m in _masks(r):
        np.testing.assert_array_equal(K.dilate_disk(m, r), ndi.binary_dilation(m, structure=se))
        np.testing.assert_array_equal(K.erode_disk(m, r), ndi.binary_erosion(m, structure=se))
        np.testing.assert_array_equal(
            K.erode_disk(m, r, border_value=1),
            ndi.binary_erosion(m, structure=se, border_value=1),
        )
        np.testing.assert_array_equal(K.open_disk(m, r), ndi.binary_opening(m, structure=se))
        np.testing.assert_array_equal(K.close_disk(m, r), ndi.binary_closing(m, structure=se))


def test_fill_holes_equals_scipy():
    for m in _masks(11, n=60):
        np.testing.assert_array_equal(K.fill_holes(m), ndi.binary_fill_holes(m))


def test_morphology_does_not_modify_input():
    m = next(_masks(3))
    m = np.asarray(m).copy()
    m[2:6, 2:6] = False
    before = m.copy()
    for f in (K.dilate_disk, K.erode_disk, K.open_disk, K.close_disk):
        f(m, 4)
    K.fill_holes(m)
    np.testing.assert_array_equal(m, before)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_block_mean_equals_reshape_mean(dtype, factor):
    rng = np.random.default_rng(factor)
    hi = 255 if dtype == np.uint8 else 65535
    a = (rng.random((37, 50)) * hi).astype(dtype)
    h, w = 37 // factor * factor, 50 // factor * factor
    ref = a[:h, :w].astype(np.float64).reshape(h // factor, factor, w // factor, factor)
    ref = ref.mean(axis=(1, 3))
    got = K.block_mean(a, factor)
    assert got.dtype == np.float32
    # float32 result: relative rounding ≤ 2^-23 per operation on values ≤ 65535
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * hi)


def test_outer_contour_on_the_bounding_box_equals_whole_image():
    yy, xx = np.mgrid[:300, :300]
    m = (np.hypot(yy - 120, xx - 170) < 40) | ((abs(yy - 120) < 3) & (xx > 170) & (xx < 260))
    padded = ndi.gaussian_filter(np.pad(m.astype(np.float32), 3), 1.0)[2:-2, 2:-2]
    whole = max(measure.find_contours(padded, 0.5), key=len) - 1.0
    # same iso-line, traced on a crop: identical points up to float32 rounding
    np.testing.assert_allclose(K.outer_contour(m), whole, atol=1e-4)
