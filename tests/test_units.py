from __future__ import annotations

import numpy as np
import pytest

from repurposekit import DataValidationError
from repurposekit.units import format_concentration, normalise_unit, to_days, to_molar


@pytest.mark.parametrize(
    ("unit", "factor"),
    [("M", 1), ("mM", 1e-3), ("µM", 1e-6), ("uM", 1e-6), ("nM", 1e-9), ("pM", 1e-12)],
)
def test_to_molar(unit, factor):
    np.testing.assert_allclose(
        to_molar([1.0, 2.5], unit), np.array([1.0, 2.5]) * factor, rtol=1e-15
    )


def test_to_days():
    np.testing.assert_allclose(to_days([24, 48], "h"), [1, 2])


def test_unknown_unit_names_the_known_ones():
    with pytest.raises(DataValidationError, match="Known units"):
        normalise_unit("furlongs")


def test_format_concentration():
    assert format_concentration(2.5e-6) == "2.5 µM"
    assert format_concentration(6e-10) == "600 pM"
