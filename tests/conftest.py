"""Shared fixtures: reference-data location, deterministic hypothesis profile, headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("deterministic", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("deterministic")

# tests/data holds fixtures and the scripts that regenerate them (some need R or the `bench`
# extra): they are not test modules, so --doctest-modules must not import them
collect_ignore_glob = ["data/*"]

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("RK_REFERENCE", REPO.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` (or $RK_REFERENCE); tests using it skip when it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (set RK_REFERENCE)")
    return REFERENCE


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20261125)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
