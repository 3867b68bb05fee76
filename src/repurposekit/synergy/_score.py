"""SynergyFinder-compatible scores on tidy dose-response matrices (Bliss, HSA, Loewe, ZIP, RI, CSS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.synergy import _kernels as K
from repurposekit.synergy._calls import call_score
from repurposekit.synergy._ll4 import fit_ll4, ll4

__all__ = ["CONVENTION", "METHODS", "SynergyScores", "drug_columns", "score_synergy"]

METHODS = ("zip", "bliss", "hsa", "loewe")

CONVENTION = (
    "Scores follow SynergyFinder 3: response = % inhibition (0 = no effect, 100 = full kill); "
    "synergy = observed - reference in percentage points of inhibition, positive = synergy, "
    "negative = antagonism; block score = mean over cells where every drug is present; "
    "p-value = exp(-0.717 z - 0.416 z^2), z = |mean| / sd over those cells (SynergyFinder). "
    "Concentrations are molar."
)


def drug_columns(data: pd.DataFrame) -> int:
    """Number of drugs K in a tidy synergy table (columns ``drug1..K``, ``dose1_molar..K``)."""
    k = 0
    while f"drug{k + 1}" in data.columns and f"dose{k + 1}_molar" in data.columns:
        k += 1
    if k < 2:
        msg = (
            "synergy table needs columns drug1, drug2, dose1_molar, dose2_molar, inhibition_pct "
            f"(read files with repurposekit.io.synergy.read_synergy); got {list(data.columns)}."
        )
        raise DataValidationError(msg)
    return k


@dataclass(frozen=True, eq=False)
class SynergyScores:
    """Synergy scores of one or many blocks.

    Attributes
    ----------
    blocks : DataFrame
        One row per block: drugs, per-method block score (column named by the method), its
        p-value (``<method>_p_value``) and call (``<method>_call``); RI/IC50/CSS when computed.
    cells : DataFrame
        One row per cell: doses (molar), observed % inhibition, ``<method>_ref`` and
        ``<method>_synergy`` (percentage points; positive = synergy); ``zip_fit``.
    errors : DataFrame
        Blocks that could not be scored (``block_id, error``); empty when all succeeded.
    settings : mapping
        Arguments, version, time and input checksum.
    """

    blocks: pd.DataFrame
    cells: pd.DataFrame
    errors: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["block_id", "error"])
    )
    settings: Any = None
    convention: str = CONVENTION

    def to_frame(self) -> pd.DataFrame:
        """Block-level table (a copy)."""
        return self.blocks.copy()

    def summary(self) -> str:
        """Short text summary: one line per block and method."""
        lines = [
            f"{len(self.blocks)} block(s) scored, {len(self.errors)} failed. {self.convention}"
        ]
        methods = [m for m in METHODS if m in self.blocks.columns]
        for _, row in self.blocks.iterrows():
            drugs = " + ".join(str(row[c]) for c in self.blocks.columns if c.startswith("drug"))
            parts = [f"{m.upper()} {row[m]:.2f} (p={row[f'{m}_p_value']:.3g})" for m in methods]
            lines.append(f"block {row['block_id']}: {drugs}: " + ", ".join(parts))
        return "\n".join(lines)

    def plot(self, ax=None, *, block=None, method: str = "zip"):
        """Synergy heatmap of one block (see :func:`repurposekit.plot.synergy.synergy_heatmap`)."""
        from repurposekit.plot.synergy import synergy_heatmap

        return synergy_heatmap(self, ax=ax, block=block, method=method)


class _Block:
    """Light numpy view of one block (pandas column access per block is slow at screen scale)."""

    def __init__(self, frame: pd.DataFrame, k: int) -> None:
        self.columns = frame.columns
        self._cols = {}
        for c in frame.columns:
            if c.startswith(("drug", "dose", "unit")) or c == "inhibition_pct":
                self._cols[c] = frame[c].to_numpy()

    def __getitem__(self, name: str) -> _Col:
        return _Col(self._cols[name])


class _Col:
    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.iloc = values

    def to_numpy(self, dtype=None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)


def _grid(
    block: pd.DataFrame, k: int, block_id: Any
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Dose grid of one block: (response array with replicates on a leading axis, doses, counts)."""
    doses = [np.unique(block[f"dose{i + 1}_molar"].to_numpy(float)) for i in range(k)]
    for i, d in enumerate(doses):
        if d[0] != 0:
            drug = block[f"drug{i + 1}"].iloc[0]
            msg = (
                f"block {block_id!r}: no monotherapy of the other drug(s) — drug {drug!r} has no "
                f"zero-dose cells (lowest dose {d[0]:.3g} M). Each block needs the row with "
                f"{drug} = 0 so single-drug responses are known; add the monotherapy wells."
            )
            raise DataValidationError(msg)
        if len(d) < 2:
            drug = block[f"drug{i + 1}"].iloc[0]
            msg = f"block {block_id!r}: drug {drug!r} has no non-zero dose; nothing to combine."
            raise DataValidationError(msg)
    idx = tuple(
        np.searchsorted(d, block[f"dose{i + 1}_molar"].to_numpy(float)) for i, d in enumerate(doses)
    )
    shape = tuple(len(d) for d in doses)
    flat = np.ravel_multi_index(idx, shape)
    y = block["inhibition_pct"].to_numpy(float)
    counts = np.bincount(flat, minlength=int(np.prod(shape)))
    # check monotherapy edges are there
    for i in range(k):
        edge = [0] * k
        for j in range(1, shape[i]):
            edge[i] = j
            if counts[np.ravel_multi_index(tuple(edge), shape)] == 0:
                msg = (
                    f"block {block_id!r}: monotherapy cell missing for {block[f'drug{i + 1}'].iloc[0]!r} "
                    f"at {doses[i][j]:.3g} M (other drugs at 0). Single-drug responses are needed at "
                    "every dose; add the cell or drop that dose."
                )
                raise DataValidationError(msg)
    return flat, doses, counts, y, shape


def _replicate_stack(
    flat: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    shape,
    mode: str,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Cell means (mode 'mean') or bootstrap resamples of cell means, shape (R, *shape)."""
    ncell = int(np.prod(shape))
    sums = np.bincount(flat, weights=y, minlength=ncell)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
    if mode == "mean":
        return mean.reshape((1, *shape))
    order = np.argsort(flat, kind="stable")
    ys = y[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.empty((n_boot, ncell))
    for c in range(ncell):
        n = counts[c]
        if n == 0:
            out[:, c] = np.nan
            continue
        vals = ys[starts[c] : starts[c] + n]
        pick = rng.integers(0, n, size=(n_boot, n))
        out[:, c] = vals[pick].mean(axis=1)
    return out.reshape((n_boot, *shape))


def _zero_dose(block: pd.DataFrame, i: int) -> float:
    """Dose used for 0 in fits: SynergyFinder's 1e-10 in the input's own unit, in molar."""
    from repurposekit.units import concentration_factor

    col = f"unit{i + 1}"
    if col in block.columns and pd.notna(block[col].iloc[0]):
        return 1e-10 * concentration_factor(str(block[col].iloc[0]))
    return 1e-10 * 1e-6  # µM, SynergyFinder's default unit


def _sensitivity(resp: np.ndarray, doses: list[np.ndarray], fits) -> dict[str, np.ndarray]:
    """RI, IC50 (capped at the top dose) and CSS per block of a 2-drug stack."""
    out: dict[str, np.ndarray] = {}
    singles = K.single_responses(resp)
    for i in range(2):
        raw = doses[i].copy()
        raw[:, 0] = 0.0
        out[f"ri_{i + 1}"] = K.relative_inhibition(raw, singles[i])
        out[f"ic50_{i + 1}_molar"] = np.minimum(fits[i]["e"], doses[i][:, -1])
    # CSS: response of drug i's curve with drug j fixed at its IC50, then RI over drug i doses
    for i, j in ((0, 1), (1, 0)):
        moved = np.moveaxis(resp, (i + 1, j + 1), (1, 2))  # (B, n_i, n_j)
        B, ni, nj = moved.shape
        xj = np.broadcast_to(doses[j][:, None, :], (B, ni, nj)).reshape(-1, nj)
        yj = moved.reshape(-1, nj)
        ic50 = np.repeat(out[f"ic50_{j + 1}_molar"], ni)
        if nj == 2:
            pred = yj[:, 1]
        else:
            flat = np.nanmax(yj, axis=1) == np.nanmin(yj, axis=1)
            f = fit_ll4(xj, K._jitter_flat(yj))
            pred = ll4(ic50, f["b"], f["c"], f["d"], f["e"])
            pred = np.where(flat, yj[:, 0], pred)
            pred = np.where(pred > 100, 100.0, pred)
        raw = doses[i].copy()
        raw[:, 0] = 0.0
        out[f"css{i + 1}_ic50{j + 1}"] = K.relative_inhibition(raw, pred.reshape(B, ni))
    out["css"] = 0.5 * (out["css1_ic502"] + out["css2_ic501"])
    return out


def _score_stack(
    resp: np.ndarray,
    doses: list[np.ndarray],
    methods: Sequence[str],
    baseline: str,
    sensitivity: bool,
) -> dict[str, np.ndarray]:
    resp = K.correct_baseline(resp, doses, baseline)
    out: dict[str, np.ndarray] = {"response": resp}
    fits = None
    if any(m in methods for m in ("zip", "loewe")) or sensitivity:
        fits = K.single_fits(resp, doses)
    if "bliss" in methods:
        out["bliss_ref"], out["bliss_synergy"] = K.bliss(resp)
    if "hsa" in methods:
        out["hsa_ref"], out["hsa_synergy"] = K.hsa(resp)
    if "zip" in methods:
        out["zip_fit"], out["zip_ref"], out["zip_synergy"] = K.zip_scores(resp, doses, fits)
    if "loewe" in methods:
        out["loewe_ref"], out["loewe_synergy"] = K.loewe(resp, doses, fits)
    if sensitivity and resp.ndim == 3:
        out.update(_sensitivity(resp, doses, fits))
    return out


def score_synergy(
    data: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
    replicates: str = "mean",
    n_boot: int = 100,
    confidence_level: float = 0.95,
    correct_baseline: str = "non",
    sensitivity: bool = True,
    rng: np.random.Generator | int | None = None,
) -> SynergyScores:
    """Score drug combinations with SynergyFinder's reference models.

    Parameters
    ----------
    data : DataFrame
        Tidy table (as :func:`repurposekit.io.synergy.read_synergy` returns): ``block_id``,
        ``drug1..K``, ``dose1_molar..K`` (molar), ``inhibition_pct`` (% inhibition), optional
        ``unit1..K`` (unit of the input file, used for SynergyFinder's zero-dose surrogate).
        Replicate rows (same block and doses) are allowed; missing cells are NaN.
    methods : sequence of {"zip", "bliss", "hsa", "loewe"}
        Reference models. Loewe and ZIP fit drc LL.4 monotherapy curves.
    replicates : {"mean", "bootstrap"}
        Average replicates per cell, or resample them ``n_boot`` times (block scores are then
        the bootstrap mean with a percentile interval and SynergyFinder's bootstrap p-value).
    n_boot : int
        Bootstrap resamples.
    confidence_level : float
        Level of the bootstrap interval.
    correct_baseline : {"non", "part", "all"}
        SynergyFinder's baseline correction (default none).
    sensitivity : bool
        Also compute RI, IC50 and CSS (2-drug blocks).
    rng : Generator or int, optional
        Random generator for the bootstrap.

    Returns
    -------
    SynergyScores
        ``blocks`` (one row per block) and ``cells`` (one row per cell) tables.

    Notes
    -----
    For single-drug responses :math:`s_k` (observed, other drugs at 0), cell response
    :math:`y`:

    .. math::

        \\text{Bliss: } y_{ref} = 100\\,(1 - \\prod_k (1 - s_k/100)),\\quad
        \\text{HSA: } y_{ref} = \\max_k s_k,\\quad
        \\text{Loewe: } \\sum_k x_k / D_k(y_{ref}) = 1,

    with :math:`D_k` the inverse of drug k's fitted LL.4 curve; ZIP compares the mean of
    the row/column LL.4 fits (lower asymptote fixed at the partner-alone response) with the
    Bliss combination of the fitted monotherapy curves. Score = :math:`y - y_{ref}`.

    References
    ----------
    Ianevski A, Giri AK, Aittokallio T (2022). SynergyFinder 3.0. Nucleic Acids Res 50:W739.
    Yadav B et al. (2015). Comput Struct Biotechnol J 13:504. doi:10.1016/j.csbj.2015.09.001

    Examples
    --------
    >>> import pandas as pd
    >>> d = [0.0, 1e-6]
    >>> rows = [(1, "A", "B", a, b, r) for (a, b), r in zip(
    ...     [(x, y) for x in d for y in d], [0.0, 50.0, 40.0, 80.0])]
    >>> df = pd.DataFrame(rows, columns=["block_id", "drug1", "drug2", "dose1_molar",
    ...                                  "dose2_molar", "inhibition_pct"])
    >>> res = score_synergy(df, methods=["bliss", "hsa"], sensitivity=False)
    >>> round(float(res.blocks["bliss"].iloc[0]), 6), round(float(res.blocks["hsa"].iloc[0]), 6)
    (10.0, 30.0)
    """
    methods = [m.lower() for m in methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        msg = f"unknown synergy method(s) {unknown}; choose from {list(METHODS)}."
        raise DataValidationError(msg)
    if replicates not in ("mean", "bootstrap"):
        msg = f"replicates must be 'mean' or 'bootstrap', not {replicates!r}."
        raise DataValidationError(msg)
    if correct_baseline not in ("non", "part", "all"):
        msg = f"correct_baseline must be 'non', 'part' or 'all', not {correct_baseline!r}."
        raise DataValidationError(msg)
    k = drug_columns(data)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    # group blocks with the same grid shape so the kernels run on stacks
    prepared: dict[tuple, list] = {}
    errors = []
    for block_id, block in data.groupby("block_id", sort=False):
        block_id = block_id.item() if hasattr(block_id, "item") else block_id
        block = _Block(block, k)
        try:
            flat, doses, counts, y, shape = _grid(block, k, block_id)
            stack = _replicate_stack(flat, y, counts, shape, replicates, n_boot, gen)
            zero = [_zero_dose(block, i) for i in range(k)]
            dz = [np.where(d == 0, z, d) for d, z in zip(doses, zero, strict=False)]
        except DataValidationError as exc:
            errors.append({"block_id": block_id, "error": str(exc)})
            continue
        meta = {f"drug{i + 1}": block[f"drug{i + 1}"].iloc[0] for i in range(k)}
        prepared.setdefault(shape, []).append((block_id, meta, stack, dz, doses, counts))
    block_rows: list[dict] = []
    acc: dict[str, list[np.ndarray]] = {}
    for shape, items in prepared.items():
        R = items[0][2].shape[0]
        resp = np.concatenate([it[2] for it in items], axis=0)
        doses = [np.repeat(np.stack([it[3][i] for it in items]), R, axis=0) for i in range(k)]
        try:
            out = _score_stack(resp, doses, methods, correct_baseline, sensitivity and k == 2)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError) as exc:
            for it in items:
                errors.append({"block_id": it[0], "error": f"{type(exc).__name__}: {exc}"})
            continue
        combo = K.n_present(shape) == k
        for b, (block_id, meta, _stack, _dz, raw_doses, counts) in enumerate(items):
            sl = slice(b * R, (b + 1) * R)
            row: dict[str, Any] = {"block_id": block_id, **meta}
            row["n_cells"] = int((counts > 0).sum())
            row["response_mean"] = float(np.nanmean(out["response"][sl].mean(axis=0)))
            for m in methods:
                syn = out[f"{m}_synergy"][sl]
                mean, p = K.block_summary(syn)
                if R == 1:
                    row[m], row[f"{m}_p_value"] = float(mean[0]), float(p[0])
                else:
                    alpha = 1.0 - confidence_level
                    row[m] = float(np.nanmean(mean))
                    sd = float(np.nanstd(mean, ddof=1))
                    z = abs(row[m]) / sd if sd > 0 else np.inf
                    row[f"{m}_p_value"] = float(np.exp(-0.717 * z - 0.416 * z * z))
                    row[f"{m}_ci_low"], row[f"{m}_ci_high"] = (
                        float(v) for v in np.nanquantile(mean, [alpha / 2, 1 - alpha / 2])
                    )
                row[f"{m}_call"] = str(call_score([row[m]])[0])
            for key in (
                "ic50_1_molar",
                "ic50_2_molar",
                "ri_1",
                "ri_2",
                "css1_ic502",
                "css2_ic501",
                "css",
            ):
                if key in out:
                    row[key] = float(np.nanmean(out[key][sl]))
            block_rows.append(row)
            grids = np.meshgrid(*raw_doses, indexing="ij")
            keep = counts > 0
            ncell = int(keep.sum())
            acc.setdefault("block_id", []).append(np.full(ncell, block_id, dtype=object))
            for i in range(k):
                acc.setdefault(f"drug{i + 1}", []).append(
                    np.full(ncell, meta[f"drug{i + 1}"], dtype=object)
                )
            for i in range(k):
                acc.setdefault(f"dose{i + 1}_molar", []).append(grids[i].ravel()[keep])
            acc.setdefault("n_replicates", []).append(counts[keep])
            acc.setdefault("combination", []).append(combo.ravel()[keep])
            acc.setdefault("inhibition_pct", []).append(
                out["response"][sl].mean(axis=0).ravel()[keep]
            )
            for m in methods:
                if m == "zip":
                    acc.setdefault("zip_fit", []).append(
                        out["zip_fit"][sl].mean(axis=0).ravel()[keep]
                    )
                acc.setdefault(f"{m}_ref", []).append(
                    out[f"{m}_ref"][sl].mean(axis=0).ravel()[keep]
                )
                acc.setdefault(f"{m}_synergy", []).append(
                    out[f"{m}_synergy"][sl].mean(axis=0).ravel()[keep]
                )
    blocks = pd.DataFrame(block_rows)
    cells = pd.DataFrame({c: np.concatenate(v) for c, v in acc.items()}) if acc else pd.DataFrame()
    err = pd.DataFrame(errors, columns=["block_id", "error"])
    return SynergyScores(
        blocks=blocks,
        cells=cells,
        errors=err,
        settings=_settings(
            data,
            methods=list(methods),
            replicates=replicates,
            n_boot=n_boot,
            confidence_level=confidence_level,
            correct_baseline=correct_baseline,
        ),
    )
