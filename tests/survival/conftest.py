"""Fixtures for the survival tests: bundled MIT data and the R expected values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "survival"


@pytest.fixture(scope="session")
def expected() -> dict:
    """R survival / lifelines values (subset of the shared expected_values.json)."""
    return json.loads((DATA / "expected_values.json").read_text())


@pytest.fixture(scope="session")
def waltons() -> pd.DataFrame:
    return pd.read_csv(DATA / "waltons.csv")


@pytest.fixture(scope="session")
def gehan() -> pd.DataFrame:
    df = pd.read_csv(DATA / "gehan.csv")
    df["arm"] = df["group"].map({1: "placebo", 2: "6-MP"})
    return df


@pytest.fixture(scope="session")
def rossi() -> pd.DataFrame:
    return pd.read_csv(DATA / "rossi.csv")


@pytest.fixture(scope="session")
def lymphoma() -> pd.DataFrame:
    return pd.read_csv(DATA / "lymphoma.csv")


@pytest.fixture(scope="session")
def cr1197() -> pd.DataFrame:
    return pd.read_csv(DATA / "CR1197_time_to_1500_first_at_or_above.csv")


@pytest.fixture(scope="session")
def cr1197_2000() -> pd.DataFrame:
    """Time to the first measured volume >= 2000 mm3 (else censored at the last measurement)."""
    wide = pd.read_csv(DATA / "CR1197.csv")
    days = np.array([int(c) for c in wide.columns[2:]], dtype=float)
    days -= days.min()
    rows = []
    for _, r in wide.iterrows():
        v = r.iloc[2:].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        hit = np.flatnonzero(v[ok] >= 2000)
        d = days[ok]
        rows.append(
            {
                "Treatment": r["Treatment"],
                "time": d[hit[0]] if hit.size else d[-1],
                "event": int(hit.size > 0),
            }
        )
    return pd.DataFrame(rows)
