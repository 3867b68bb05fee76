from __future__ import annotations

import pytest
from _synergy_helpers import bliss_surface_arrays


@pytest.fixture
def bliss_surface():
    return bliss_surface_arrays()
