"""Shape measurements against hand-computed values for disks, ellipses and stars."""

from __future__ import annotations

import numpy as np
import pytest

from repurposekit import DataValidationError
from repurposekit.imaging import SpheroidMasks, measure_spheroid


def _disk(r, n=201, c=None):
    c = (n - 1) / 2 if c is None else c
    yy, xx = np.mgrid[:n, :n]
    return np.hypot(yy - c, xx - c) <= r


@pytest.mark.parametrize("r", [20, 45, 80])
def test_disk_shape(r):
    m = measure_spheroid(_disk(r), spacing_um=1.5).table.iloc[0]
    # pixelised disk: area within 1 % of πr² for r ≥ 20 px (digitisation error ~ 1/r)
    assert m.total_area_um2 == pytest.approx(np.pi * (1.5 * r) ** 2, rel=0.01)
    # smoothed sub-pixel outline: perimeter within 2 % of 2πr
    assert m.perimeter_um == pytest.approx(2 * np.pi * r * 1.5, rel=0.02)
    assert m.circularity == pytest.approx(1.0, abs=0.03)
    assert m.solidity == pytest.approx(1.0, abs=0.02)
    # Feret diameters of a disk: both 2r (± 1.5 px from the outline level and pixel grid)
    assert m.feret_max_um == pytest.approx(2 * r * 1.5, abs=1.5 * 1.5)
    assert m.feret_min_um == pytest.approx(2 * r * 1.5, abs=1.5 * 1.5)
    assert m.n_strands == 0
    assert m["flags"] == ""


def test_ellipse_feret():
    yy, xx = np.mgrid[:201, :201]
    e = ((yy - 100) / 40.0) ** 2 + ((xx - 100) / 80.0) ** 2 <= 1
    m = measure_spheroid(e, spacing_um=1.0).table.iloc[0]
    assert m.feret_max_um == pytest.approx(160, abs=2)
    assert m.feret_min_um == pytest.approx(80, abs=2)
    assert m.total_area_um2 == pytest.approx(np.pi * 40 * 80, rel=0.01)


def test_star_strands_counted():
    base = _disk(40)
    yy, xx = np.mgrid[:201, :201]
    for k in range(6):
        th = 2 * np.pi * k / 6
        t = (yy - 100) * np.sin(th) + (xx - 100) * np.cos(th)
        d = np.abs(-(yy - 100) * np.cos(th) + (xx - 100) * np.sin(th))
        base |= (t > 30) & (t < 85) & (d <= 3)
    m = measure_spheroid(base, spacing_um=1.0, strand_radius_um=6.0).table.iloc[0]
    assert m.n_strands == 6
    assert m.solidity < 0.8


def test_invasion_distance_concentric_disks():
    day0 = _disk(30)
    day4 = _disk(55)
    m = measure_spheroid(day4, spacing_um=2.0, reference=day0).table.iloc[0]
    # 25 px between the outlines (± 1 px for the two outline levels), × 2 µm/px
    assert m.max_invasion_distance_um == pytest.approx(50, abs=2.0)
    inside = measure_spheroid(day0, spacing_um=2.0, reference=day4).table.iloc[0]
    assert inside.max_invasion_distance_um == 0


def test_core_and_invasive_areas():
    masks = SpheroidMasks(total=_disk(50), core=_disk(25))
    m = measure_spheroid(masks, spacing_um=1.0).table.iloc[0]
    assert m.invasive_area_px == m.total_area_px - m.core_area_px
    assert m.core_area_px == _disk(25).sum()


def test_scale_of_low_resolution_masks():
    full = measure_spheroid(_disk(60, n=240), spacing_um=1.0).table.iloc[0]
    low = measure_spheroid(
        SpheroidMasks(total=_disk(15, n=60), core=np.zeros((60, 60), bool), scale=4),
        spacing_um=1.0,
    ).table.iloc[0]
    # a 4× coarser grid: area within 3 %, equivalent diameter within 2 %
    assert low.total_area_um2 == pytest.approx(full.total_area_um2, rel=0.03)
    assert low.equivalent_diameter_um == pytest.approx(full.equivalent_diameter_um, rel=0.02)


def test_touching_border_and_missing_flags():
    m = measure_spheroid(_disk(30, n=101, c=10), spacing_um=1.0).table.iloc[0]
    assert "touching_border" in m["flags"]
    e = measure_spheroid(np.zeros((50, 50), bool), spacing_um=1.0).table.iloc[0]
    assert e["flags"] == "missing"
    assert e.total_area_px == 0


def test_fragmented_flag():
    others = _disk(30, c=160)
    masks = SpheroidMasks(total=_disk(35, c=60), core=np.zeros((201, 201), bool), others=others)
    m = measure_spheroid(masks, spacing_um=1.0).table.iloc[0]
    assert "fragmented" in m["flags"]


def test_bad_spacing_and_shape_raise():
    with pytest.raises(DataValidationError, match="spacing_um"):
        measure_spheroid(_disk(10), spacing_um=-1.0)
    with pytest.raises(DataValidationError, match="2-D"):
        measure_spheroid(np.zeros((2, 3, 4), bool))


def test_input_mask_unchanged():
    d = _disk(20)
    before = d.copy()
    measure_spheroid(d, spacing_um=1.0, reference=_disk(10))
    np.testing.assert_array_equal(d, before)
