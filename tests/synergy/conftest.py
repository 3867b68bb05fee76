from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib (test files share basenames across folders), which
# does not put test folders on sys.path; the helpers module next to this file needs it.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synergy_helpers import bliss_surface_arrays


@pytest.fixture
def bliss_surface():
    return bliss_surface_arrays()
