from __future__ import annotations

import numpy as np
import pandas as pd
from _synergy_helpers import matrix_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from repurposekit.synergy import score_synergy


def test_bliss_independent_surface_scores_zero(bliss_surface):
    d, resp = bliss_surface
    res = score_synergy(matrix_frame(d, d, resp), methods=["bliss"], sensitivity=False)
    np.testing.assert_allclose(res.cells["bliss_synergy"], 0.0, atol=1e-10)


def test_sham_combination_is_loewe_additive():
    """A drug with itself: effect at d1 + d2 of the single curve is Loewe-additive (score 0)."""
    d = np.array([0, 1e-8, 3e-8, 1e-7, 3e-7, 1e-6])
    f = lambda x: 95 * x**1.2 / (x**1.2 + 1e-7**1.2)  # noqa: E731
    resp = f(d[:, None] + d[None, :])
    df = matrix_frame(d, d, resp, drugs=("X", "X"))
    res = score_synergy(df, methods=["loewe"], sensitivity=False, loewe="exact")
    # the LL.4 fit of a noiseless Hill curve is exact to ~1e-6; the exact root follows it
    np.testing.assert_allclose(res.cells["loewe_synergy"], 0.0, atol=1e-4)
    sf = score_synergy(df, methods=["loewe"], sensitivity=False)
    # SynergyFinder's grid of 100 responses over the asymptote range (0..95): within half a
    # grid step (95 / 99 / 2 = 0.48) of additivity
    assert np.abs(sf.cells["loewe_synergy"]).max() <= 95 / 99 / 2 + 1e-4


@settings(max_examples=15)
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_swapping_row_and_column_leaves_scores_unchanged(seed):
    rng = np.random.default_rng(seed)
    d1 = np.array([0, 1e-8, 1e-7, 1e-6])
    d2 = np.array([0, 3e-9, 3e-8, 3e-7, 3e-6])
    resp = rng.uniform(0, 100, size=(4, 5))
    a = score_synergy(
        matrix_frame(d1, d2, resp), methods=["bliss", "hsa", "zip", "loewe"], sensitivity=False
    )
    b = score_synergy(
        matrix_frame(d2, d1, resp.T, drugs=("B", "A")),
        methods=["bliss", "hsa", "zip", "loewe"],
        sensitivity=False,
    )
    for m in ("bliss", "hsa", "zip", "loewe"):
        np.testing.assert_allclose(a.blocks[m], b.blocks[m], atol=1e-6, err_msg=m)


def test_inputs_not_modified(bliss_surface):
    d, resp = bliss_surface
    df = matrix_frame(d, d, resp)
    copy = df.copy()
    score_synergy(df)
    assert df.equals(copy)


def test_missing_cell_and_replicates(bliss_surface, rng):
    d, resp = bliss_surface
    df = matrix_frame(d, d, resp)
    df = df.drop(index=20).reset_index(drop=True)  # a combination cell missing
    rep = pd.concat([df, df.assign(inhibition_pct=df["inhibition_pct"] + 1.0)], ignore_index=True)
    res = score_synergy(rep, methods=["bliss", "hsa", "zip"], sensitivity=False)
    assert len(res.cells) == 35
    # replicate means are the surface + 0.5 everywhere; Bliss of that shifted surface by hand,
    # over the 24 combination cells left (one was dropped)
    shifted = resp + 0.5
    ref = 100 * (1 - (1 - shifted[:, :1] / 100) * (1 - shifted[:1, :] / 100))
    keep = np.ones(resp.shape, dtype=bool)
    keep[divmod(20, resp.shape[1])] = False  # row 20 of the frame = cell (3, 2) of the matrix
    keep[0, :] = keep[:, 0] = False  # combination cells only
    expected = (shifted - ref)[keep].mean()
    np.testing.assert_allclose(res.blocks["bliss"].iloc[0], expected, rtol=1e-12)
    boot = score_synergy(
        rep, methods=["bliss"], replicates="bootstrap", n_boot=30, rng=rng, sensitivity=False
    )
    lo, hi = boot.blocks["bliss_ci_low"].iloc[0], boot.blocks["bliss_ci_high"].iloc[0]
    assert lo <= boot.blocks["bliss"].iloc[0] <= hi


def test_three_drug_bliss_hsa_zip():
    d = np.array([0, 1e-7, 1e-6])
    rows = []
    for a in d:
        for b in d:
            for c in d:
                e = [x / (x + 3e-7) for x in (a, b, c)]
                rows.append((1, "A", "B", "C", a, b, c, 100 * (1 - np.prod([1 - v for v in e]))))
    df = pd.DataFrame(
        rows,
        columns=[
            "block_id",
            "drug1",
            "drug2",
            "drug3",
            "dose1_molar",
            "dose2_molar",
            "dose3_molar",
            "inhibition_pct",
        ],
    )
    res = score_synergy(df, methods=["bliss", "hsa", "zip"], sensitivity=False)
    np.testing.assert_allclose(res.blocks["bliss"], 0.0, atol=1e-9)
    # HSA, closed form: mean over the 8 all-drug cells of observed - best single agent
    single = {x: 100 * x / (x + 3e-7) for x in d}
    combo = df[(df[["dose1_molar", "dose2_molar", "dose3_molar"]] > 0).all(axis=1)]
    best = combo[["dose1_molar", "dose2_molar", "dose3_molar"]].map(single.get).max(axis=1)
    expected_hsa = (combo["inhibition_pct"] - best).mean()
    np.testing.assert_allclose(res.blocks["hsa"], expected_hsa, rtol=1e-12)
    # ZIP: every monotherapy and row/column curve has 3 points on an exact LL.4 (b = -1,
    # c = 0, d = 100, e = 3e-7), so each fit interpolates its points; the surface is Bliss-
    # independent, hence ZIP = 0 in every cell (measured 1.4e-10: least-squares rounding)
    np.testing.assert_allclose(res.cells["zip_synergy"], 0.0, atol=1e-8)
    np.testing.assert_allclose(res.blocks["zip"], 0.0, atol=1e-8)
