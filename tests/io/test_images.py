"""Image readers: OME-TIFF/ImageJ/plain TIFF/PNG, calibration rules, file → well/day maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

from repurposekit import DataValidationError
from repurposekit.io.images import map_images, read_image, read_mask, well_name


def test_ome_zstack_with_spacing(tmp_path, rng):
    data = rng.integers(0, 4000, (4, 32, 40), dtype=np.uint16)
    p = tmp_path / "A01_day0.ome.tif"
    tifffile.imwrite(
        p, data, ome=True, metadata={"axes": "ZYX", "PhysicalSizeX": 1.61, "PhysicalSizeZ": 10.0}
    )
    before = p.read_bytes()
    img = read_image(p)
    assert img.data.shape == (1, 4, 32, 40)
    np.testing.assert_array_equal(img.data[0], data)
    assert img.spacing_um == pytest.approx(1.61)
    assert img.spacing_source == "ome"
    assert img.z_step_um == pytest.approx(10.0)
    assert p.read_bytes() == before  # read-only


def test_ome_time_series_and_channels(tmp_path, rng):
    data = rng.integers(0, 255, (3, 2, 5, 16, 16), dtype=np.uint8)  # TCZYX
    p = tmp_path / "ts.ome.tif"
    tifffile.imwrite(
        p,
        data,
        ome=True,
        metadata={"axes": "TCZYX", "PhysicalSizeX": 0.5, "PhysicalSizeXUnit": "µm"},
    )
    img = read_image(p, channel=1)
    assert img.data.shape == (3, 5, 16, 16)
    np.testing.assert_array_equal(img.planes(2), data[2, 1])
    with pytest.raises(DataValidationError, match="channel"):
        read_image(p, channel=5)


def test_imagej_calibration(tmp_path, rng):
    data = rng.integers(0, 4000, (3, 20, 20), dtype=np.uint16)
    p = tmp_path / "ij.tif"
    tifffile.imwrite(
        p,
        data,
        imagej=True,
        resolution=(1 / 1.6141, 1 / 1.6141),
        metadata={"axes": "ZYX", "unit": "um", "spacing": 10.0},
    )
    img = read_image(p)
    assert img.spacing_um == pytest.approx(1.6141, rel=1e-5)
    assert img.spacing_source == "imagej"
    assert img.n_planes == 3


def test_uncalibrated_refuses_physical_units(tmp_path, rng):
    p = tmp_path / "plain.tif"
    tifffile.imwrite(
        p,
        rng.integers(0, 255, (20, 20), dtype=np.uint8),
        resolution=(96, 96),
        resolutionunit="INCH",
    )
    img = read_image(p)
    assert img.spacing_um is None  # inch dpi is never taken as a microscope calibration
    with pytest.raises(DataValidationError, match="--spacing-um"):
        img.require_spacing()
    assert read_image(p, spacing_um=2.0).spacing_source == "given"


def test_centimetre_resolution_is_a_calibration(tmp_path, rng):
    p = tmp_path / "cm.tif"
    # 5000 px/cm = 2 µm/px
    tifffile.imwrite(
        p,
        rng.integers(0, 255, (20, 20), dtype=np.uint8),
        resolution=(5000, 5000),
        resolutionunit="CENTIMETER",
    )
    assert read_image(p).spacing_um == pytest.approx(2.0)


def test_png_rgb_to_grey(tmp_path):
    from skimage import io as skio

    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[..., 0] = 30
    rgb[..., 1] = 60
    rgb[..., 2] = 90
    p = tmp_path / "x.png"
    skio.imsave(p, rgb, check_contrast=False)
    img = read_image(p)
    assert img.data.shape == (1, 1, 10, 12)
    assert float(img.data.mean()) == pytest.approx(60.0)


def test_minisWhite_mask_polarity(tmp_path):
    obj = np.zeros((16, 16), bool)
    obj[4:8, 4:10] = True
    p = tmp_path / "mask.tif"
    tifffile.imwrite(p, ~obj, photometric="miniswhite")  # stored bits: 0 = object
    np.testing.assert_array_equal(read_mask(p), obj)


def test_unreadable_and_missing_files(tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(DataValidationError, match=r"bad\.tif"):
        read_image(bad)
    with pytest.raises(DataValidationError, match="not found"):
        read_image(tmp_path / "nope.tif")
    (tmp_path / "x.jpg").write_bytes(b"")
    with pytest.raises(DataValidationError, match="unsupported"):
        read_image(tmp_path / "x.jpg")


def test_map_images_pattern_and_plate_map(tmp_path):
    files = ["plate1_B3_day4.tif", "plate1_B03-d0.tif", "C10_D2.ome.tif"]
    pm = pd.DataFrame(
        {
            "well": ["B3", "C10"],
            "compound": ["defactinib", ""],
            "concentration": [3, 0],
            "unit": ["uM", "uM"],
            "role": ["treated", "vehicle"],
        }
    )
    copy = pm.copy()
    t = map_images(files, plate_map=pm)
    assert pm.equals(copy)
    assert t["well"].tolist() == ["B03", "B03", "C10"]
    assert t["day"].tolist() == [4.0, 0.0, 2.0]
    assert t.loc[0, "dose_molar"] == pytest.approx(3e-6)
    assert t.loc[2, "role"] == "vehicle"
    with pytest.raises(DataValidationError, match="pattern"):
        map_images(["nothing_here.tif"])


def test_map_images_layout_with_combination(tmp_path):
    lay = tmp_path / "layout.csv"
    pd.DataFrame(
        {
            "file": ["a.tif", "b.tif"],
            "well": ["E2", "E2"],
            "day": [0, 4],
            "compound": ["defactinib"] * 2,
            "concentration": [1, 1],
            "unit": ["uM"] * 2,
            "compound_b": ["mitotane"] * 2,
            "concentration_b": [10, 10],
        }
    ).to_csv(lay, index=False)
    t = map_images([tmp_path / "a.tif", tmp_path / "b.tif"], layout=lay)
    assert t.loc[0, "compound"] == "defactinib+mitotane"
    assert t.loc[0, "dose_a_molar"] == pytest.approx(1e-6)
    assert t.loc[0, "dose_b_molar"] == pytest.approx(1e-5)
    assert t.loc[0, "dose_molar"] == pytest.approx(1.1e-5)
    assert t.loc[1, "path"] == str(tmp_path / "b.tif")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"file": ["a.tif"], "day": [0]}).to_csv(bad, index=False)
    with pytest.raises(DataValidationError, match="well"):
        map_images([tmp_path / "a.tif"], layout=bad)


def test_well_name():
    assert well_name("a1") == "A01"
    with pytest.raises(DataValidationError):
        well_name("XYZ")
