from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synergy_helpers import matrix_frame

from repurposekit import DataValidationError
from repurposekit.synergy import score_screen, score_synergy


def _screen(n, rng):
    d = np.array([0, 1e-8, 1e-7, 1e-6])
    frames = [matrix_frame(d, d, rng.uniform(0, 100, (4, 4)), block=f"b{i}") for i in range(n)]
    return pd.concat(frames, ignore_index=True)


def test_block_without_monotherapy_is_reported_not_fatal(rng):
    df = _screen(3, rng)
    bad = df[~((df["block_id"] == "b1") & (df["dose2_molar"] == 0))]
    res = score_synergy(bad, methods=["bliss"])
    assert list(res.errors["block_id"]) == ["b1"]
    assert "b1" in res.errors["error"].iloc[0]
    assert "monotherapy" in res.errors["error"].iloc[0]
    assert len(res.blocks) == 2


def test_unknown_method():
    with pytest.raises(DataValidationError, match="unknown synergy method"):
        score_synergy(
            pd.DataFrame({"drug1": [], "drug2": [], "dose1_molar": [], "dose2_molar": []}),
            methods=["foo"],
        )


def test_dask_local_cluster_matches_serial(rng):
    df = _screen(12, rng)
    serial = score_synergy(df, methods=["bliss", "hsa", "zip", "loewe"])
    par = score_screen(
        df, methods=["bliss", "hsa", "zip", "loewe"], chunk_size=4, scheduler="threads", n_workers=2
    )
    a = serial.blocks.set_index("block_id").sort_index()
    b = par.blocks.set_index("block_id").sort_index()
    for m in ("bliss", "hsa", "zip", "loewe", "css"):
        np.testing.assert_allclose(a[m], b[m], rtol=0, atol=1e-12)
    assert par.errors.empty
