"""Fixtures of the in vivo tests: reference studies loaded once per session."""

from __future__ import annotations

import pytest

from repurposekit.invivo import prepare_growth_data
from repurposekit.io.invivo import read_growth_table


@pytest.fixture(scope="session")
def invivo_ref(reference_dir):
    return reference_dir / "invivo"


@pytest.fixture(scope="session")
def grwth_data(invivo_ref):
    return prepare_growth_data(read_growth_table(invivo_ref / "SynergyLMM" / "grwth_data.csv"))


@pytest.fixture(scope="session")
def ls1034(invivo_ref):
    return prepare_growth_data(read_growth_table(invivo_ref / "invivoSyn" / "LS_1034.csv"))


@pytest.fixture(scope="session")
def expected(invivo_ref):
    import json

    return json.loads((invivo_ref / "expected_values.json").read_text())
