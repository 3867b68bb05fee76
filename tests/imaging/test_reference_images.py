"""Real images: Mungai et al. fluorescence pairs (with the authors' masks) and Guyon et al. brightfield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repurposekit.imaging import analyse_plane, segment_spheroid
from repurposekit.io.images import read_image, read_mask

MUNGAI = "spheroid/mungai2024_invasion_fluo"
GUYON = "spheroid/guyon2020_gbm_brightfield"
MUNGAI_UM_PER_PX = 0.75488  # from the authors' scripts (README); the files carry none


def _mungai_rows(reference_dir):
    return pd.read_csv(reference_dir / MUNGAI / "invasion_index_reference.csv")


@pytest.fixture(scope="module")
def mungai(reference_dir):
    """Segment the 18 images once: {(condition, sph, day): (cell-pixel mask, authors' mask)}."""
    out = {}
    for _, r in _mungai_rows(reference_dir).iterrows():
        for day in ("day0", "day2"):
            stem = f"{r.condition}_sph{r.spheroid}_{day}"
            img = read_image(reference_dir / MUNGAI / "raw" / f"{stem}.tif")
            m = segment_spheroid(
                img.planes(0)[0], modality="fluorescence", spacing_um=MUNGAI_UM_PER_PX
            )
            truth = read_mask(reference_dir / MUNGAI / "masks_full" / f"{stem}_mask.tif")
            out[r.condition, r.spheroid, day] = (m.total, truth)
    return out


@pytest.mark.reference
def test_mungai_iou_at_least_0_90(mungai):
    # the acceptance threshold: IoU ≥ 0.90 on every image (measured min 0.920)
    for key, (mask, truth) in mungai.items():
        iou = (mask & truth).sum() / (mask | truth).sum()
        assert iou >= 0.90, f"{key}: IoU {iou:.3f}"


@pytest.mark.reference
def test_mungai_invasion_index_within_10_percent(mungai, reference_dir):
    # the issue's acceptance threshold: within 10 % of the authors' value (measured max 5.0 %)
    for _, r in _mungai_rows(reference_dir).iterrows():
        a0 = mungai[r.condition, r.spheroid, "day0"][0].sum()
        a2 = mungai[r.condition, r.spheroid, "day2"][0].sum()
        ii = (a2 - a0) / a0
        assert ii == pytest.approx(r.authors_value, rel=0.10), f"{r.condition} {r.spheroid}"


@pytest.mark.reference
def test_mungai_masks_read_with_polarity(reference_dir):
    # the 1-bit masks are MinIsWhite: read_mask must return True = cell; the authors' day-0
    # area of static spheroid 1 is 42054 px (README table)
    m = read_mask(reference_dir / MUNGAI / "masks_circle" / "static_sph1_day0_mask.tif")
    assert int(m.sum()) == 42054


@pytest.mark.reference
def test_mungai_reader_skips_thumbnail(reference_dir):
    img = read_image(reference_dir / MUNGAI / "raw" / "static_sph1_day0.tif")
    assert img.data.shape == (1, 1, 1440, 1920)
    assert img.metadata["skipped_pages"] == 1
    # the 96-dpi inch resolution is a screen default, not a calibration: never used
    assert img.spacing_um is None


@pytest.mark.reference
@pytest.mark.parametrize("k", [1, 2, 3])
def test_guyon_brightfield_plausible(reference_dir, k):
    img = read_image(reference_dir / GUYON / "images" / f"Spheroid{k}.tif")
    assert img.spacing_um == pytest.approx(1.6141, rel=1e-4)  # ImageJ metadata
    a = analyse_plane(img)
    row = a.row
    # no ground truth: plausibility bands around the README's visual prototype (total ≈ 0.72–
    # 0.74 mm², core ≈ 0.17–0.19 mm²) and the overlays we looked at (docs/img/spheroid_guyon.png)
    assert 0.5e6 < row["total_area_um2"] < 1.2e6
    assert 0.1e6 < row["core_area_um2"] < 0.35e6
    assert row["core_area_um2"] < 0.5 * row["total_area_um2"]
    # an invading front is ragged (circularity ≈ 0.3), but the object stays blob-like
    assert 0 < row["circularity"] <= 1
    assert row["solidity"] > 0.7
    assert "missing" not in row["flags"]
    assert "touching_border" not in row["flags"]
    assert "fragmented" not in row["flags"]
    assert np.isfinite(row["feret_max_um"])
