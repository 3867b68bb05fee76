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
from repurposekit.synergy._sensitivity import SENSITIVITY_KEYS, sensitivity_scores

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
        p-value (``<method>_p_value``) and call (``<method>_call``); RI/IC50/CSS and the
        S-scores ``s_sum = css - ri_1 - ri_2``, ``s_mean = css - mean(ri)``, ``s_max = css -
        max(ri)`` (sensitivity beyond the single drugs, % points) when computed;
        ``fit_flag`` (ZIP/Loewe) marks an ill-determined monotherapy LL.4 fit and
        ``fit1_status..fitK_status`` say which drug and why ("ok", "EC50 below tested doses",
        "EC50 above tested doses" (> 100x outside), "not converged (not identifiable)"): a
        robustness case, where ZIP, Loewe, RI and CSS depend on the optimiser's stopping point
        and may differ from SynergyFinder's.
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


def _grid(
    block: pd.DataFrame, k: int, block_id: Any
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Check one block's dose grid and word its error (blocks failing :class:`_Layout`'s checks)."""
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


def _bootstrap_means(
    cell: np.ndarray, y: np.ndarray, n_cells: int, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap resamples of every cell's replicate mean, shape (n_cells, n_boot)."""
    order = np.argsort(cell, kind="stable")
    ys = y[order]
    counts = np.bincount(cell, minlength=n_cells)
    starts = np.cumsum(counts) - counts
    out = np.full((n_cells, n_boot), np.nan)
    for c in np.unique(counts[counts > 0]):
        idx = np.flatnonzero(counts == c)
        pick = rng.integers(0, c, size=(idx.size, n_boot, c))
        out[idx] = ys[starts[idx][:, None, None] + pick].mean(axis=2)
    return out


def _zero_doses(data: pd.DataFrame, first_row: np.ndarray, k: int) -> np.ndarray:
    """Dose used for 0 in fits, per block and drug: SynergyFinder's 1e-10 in the input's unit."""
    from repurposekit.units import concentration_factor

    out = np.full((first_row.size, k), 1e-10 * 1e-6)  # µM, SynergyFinder's default unit
    for i in range(k):
        col = f"unit{i + 1}"
        if col not in data.columns:
            continue
        units = data[col].to_numpy()[first_row]
        ok = pd.notna(units)
        if not ok.any():
            continue
        labels, inv = np.unique(units[ok].astype(str), return_inverse=True)
        fac = np.array([concentration_factor(u) for u in labels])
        out[np.flatnonzero(ok), i] = 1e-10 * fac[inv]
    return out


class _Layout:
    """Every block laid out on its dose grid at once, from plain arrays (no per-block pandas).

    ``codes`` (n,) numbers each row's block ``0..nb-1``; ``dose`` (n, k) molar doses; ``y``
    (n,) % inhibition. For each drug ``i`` the per-block sorted unique doses are
    ``uval[i][first[i][b] : first[i][b] + ndose[b, i]]`` and ``rank[i]`` is each row's index
    on that axis. ``bad`` marks blocks that fail the checks (their messages come from
    :func:`_grid` on the block alone).
    """

    def __init__(self, codes: np.ndarray, nb: int, dose: np.ndarray, y: np.ndarray) -> None:
        n, k = dose.shape
        self.codes, self.nb, self.k, self.y = codes, nb, k, y
        bad = np.zeros(nb, dtype=bool)
        self.rank, self.uval, self.first = [], [], []
        self.ndose = np.zeros((nb, k), dtype=np.int64)
        for i in range(k):
            d = dose[:, i]
            nan = ~np.isfinite(d)
            bad[codes[nan]] = True
            d = np.where(nan, 0.0, d)
            order = np.lexsort((d, codes))
            cs, ds = codes[order], d[order]
            new = np.ones(n, dtype=bool)
            new[1:] = (cs[1:] != cs[:-1]) | (ds[1:] != ds[:-1])
            uid = np.cumsum(new) - 1
            nd = np.bincount(cs[new], minlength=nb)
            first = np.cumsum(nd) - nd
            r = np.empty(n, dtype=np.int64)
            r[order] = uid - first[cs]
            uval = ds[new]
            bad |= (nd < 2) | (uval[np.minimum(first, max(uval.size - 1, 0))] != 0)
            self.rank.append(r)
            self.uval.append(uval)
            self.first.append(first)
            self.ndose[:, i] = nd
        # every monotherapy cell (other drugs at 0) must be present
        width = int(self.ndose.max(initial=0)) + 1
        for i in range(k):
            edge = self.rank[i] > 0
            for j in range(k):
                if j != i:
                    edge &= self.rank[j] == 0
            key = np.unique(codes[edge] * width + self.rank[i][edge])
            have = np.bincount(key // width, minlength=nb)
            bad |= have != self.ndose[:, i] - 1
        self.bad = bad

    def doses(self, blocks: np.ndarray, i: int, n_i: int) -> np.ndarray:
        """Sorted unique doses of drug ``i`` for ``blocks`` (all with ``n_i`` doses)."""
        return self.uval[i][self.first[i][blocks][:, None] + np.arange(n_i)]


def _score_stack(
    resp: np.ndarray,
    doses: list[np.ndarray],
    raw_doses: list[np.ndarray],
    methods: Sequence[str],
    baseline: str,
    sensitivity: bool,
    loewe_exact: bool = False,
) -> dict[str, np.ndarray]:
    resp = K.correct_baseline(resp, doses, baseline)
    out: dict[str, np.ndarray] = {"response": resp}
    fits = None
    if any(m in methods for m in ("zip", "loewe")) or sensitivity:
        fits = K.single_fits(resp, doses)
        out["fit_status"] = K.fit_status(fits, doses)
        out["fit_flag"] = (out["fit_status"] > 0).any(axis=1)
    if "bliss" in methods:
        out["bliss_ref"], out["bliss_synergy"] = K.bliss(resp)
    if "hsa" in methods:
        out["hsa_ref"], out["hsa_synergy"] = K.hsa(resp)
    if "zip" in methods:
        out["zip_fit"], out["zip_ref"], out["zip_synergy"] = K.zip_scores(resp, doses, fits)
    if "loewe" in methods:
        out["loewe_ref"], out["loewe_synergy"] = K.loewe(resp, raw_doses, fits, exact=loewe_exact)
    if sensitivity and resp.ndim == 3:
        out.update(sensitivity_scores(resp, doses, fits))
    return out


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _check_options(methods, replicates, correct_baseline, loewe) -> list[str]:
    """Validated, lower-cased method list (raises DataValidationError on a bad option)."""
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
    if loewe not in ("synergyfinder", "exact"):
        msg = f"loewe must be 'synergyfinder' or 'exact', not {loewe!r}."
        raise DataValidationError(msg)
    return methods


def _as_arrays(data: pd.DataFrame, k: int) -> dict[str, Any]:
    """The numbers of a tidy table as plain arrays (what the scoring core and Dask tasks use).

    ``codes`` numbers the blocks in order of first appearance (``ids`` maps back),
    ``first_row`` is each block's first row, ``zero`` the per-block zero-dose surrogates.
    """
    codes, ids = pd.factorize(data["block_id"], sort=False)
    _, first_row = np.unique(codes, return_index=True)
    dose = np.column_stack([data[f"dose{i + 1}_molar"].to_numpy(dtype=float) for i in range(k)])
    return {
        "codes": codes.astype(np.int64, copy=False),
        "nb": len(ids),
        "dose": dose,
        "y": data["inhibition_pct"].to_numpy(dtype=float),
        "zero": _zero_doses(data, first_row, k),
        "ids": ids,
        "first_row": first_row,
    }


def _score_arrays(
    codes: np.ndarray,
    nb: int,
    dose: np.ndarray,
    y_all: np.ndarray,
    zero: np.ndarray,
    *,
    methods: Sequence[str],
    replicates: str = "mean",
    n_boot: int = 100,
    confidence_level: float = 0.95,
    correct_baseline: str = "non",
    sensitivity: bool = True,
    loewe: str = "synergyfinder",
    rng: np.random.Generator | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, list[tuple[int, str]]]:
    """Score every block of plain arrays; the numeric core of :func:`score_synergy`.

    Blocks are laid out on their dose grids and scored in one stack per grid shape.
    Returns ``(blocks, cells, bad, errors)``: column arrays of the block and cell tables
    (``_code`` = block number, ascending; cells in grid order within a block), the mask of
    blocks that fail the layout checks, and ``(code, message)`` of blocks whose stack
    raised. Only numpy arrays go in and out, so a Dask task ships no pandas objects.
    """
    k = dose.shape[1]
    gen = rng if rng is not None else np.random.default_rng()
    lay = _Layout(codes, nb, dose, y_all)
    errors: list[tuple[int, str]] = []
    good = np.flatnonzero(~lay.bad)
    shapes, inverse = np.unique(lay.ndose[good], axis=0, return_inverse=True)
    block_parts: list[dict[str, np.ndarray]] = []
    cell_parts: list[dict[str, np.ndarray]] = []
    alpha = 1.0 - confidence_level
    loc = np.full(nb, -1)
    for g, shape_arr in enumerate(shapes):
        shape = tuple(int(v) for v in shape_arr)
        bidx = good[inverse.ravel() == g]  # ascending block codes
        nbs, ncell = bidx.size, int(np.prod(shape))
        loc[:] = -1
        loc[bidx] = np.arange(nbs)
        rows = np.flatnonzero(loc[codes] >= 0)
        flat = np.ravel_multi_index(tuple(lay.rank[i][rows] for i in range(k)), shape)
        cell = loc[codes[rows]] * ncell + flat
        y = y_all[rows]
        fin = np.isfinite(y)
        counts = np.bincount(cell[fin], minlength=nbs * ncell)
        sums = np.bincount(cell[fin], weights=y[fin], minlength=nbs * ncell)
        present = np.bincount(cell, minlength=nbs * ncell) > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        raw = [lay.doses(bidx, i, shape[i]) for i in range(k)]
        sur = [np.where(raw[i] == 0, zero[bidx, i][:, None], raw[i]) for i in range(k)]
        if replicates == "mean":
            R = 1
            resp = mean.reshape((nbs, *shape))
        else:
            R = n_boot
            boot = _bootstrap_means(cell[fin], y[fin], nbs * ncell, n_boot, gen)
            resp = boot.reshape(nbs, ncell, R).transpose(0, 2, 1).reshape((nbs * R, *shape))
            raw = [np.repeat(v, R, axis=0) for v in raw]
            sur = [np.repeat(v, R, axis=0) for v in sur]
        try:
            out = _score_stack(
                resp,
                sur,
                raw,
                methods,
                correct_baseline,
                sensitivity and k == 2,
                loewe_exact=loewe == "exact",
            )
        except (FloatingPointError, np.linalg.LinAlgError, ValueError) as exc:
            errors.extend((int(b), f"{type(exc).__name__}: {exc}") for b in bidx)
            continue
        part: dict[str, np.ndarray] = {"_code": bidx}
        part["n_cells"] = present.reshape(nbs, ncell).sum(axis=1)
        cell_mean = out["response"].reshape(nbs, R, ncell).mean(axis=1)
        with np.errstate(invalid="ignore"):
            part["response_mean"] = np.nanmean(cell_mean, axis=1)
        combo = K.n_present(shape) == k
        for m in methods:
            bm, p = K.block_summary(out[f"{m}_synergy"], combo=combo)
            if R == 1:
                part[m], part[f"{m}_p_value"] = bm, p
            else:
                bm = bm.reshape(nbs, R)
                avg = np.nanmean(bm, axis=1)
                sd = np.nanstd(bm, axis=1, ddof=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    z = np.where(sd > 0, np.abs(avg) / sd, np.inf)
                part[m] = avg
                part[f"{m}_p_value"] = np.exp(-0.717 * z - 0.416 * z * z)
                part[f"{m}_ci_low"] = np.nanquantile(bm, alpha / 2, axis=1)
                part[f"{m}_ci_high"] = np.nanquantile(bm, 1 - alpha / 2, axis=1)
            part[f"{m}_call"] = call_score(part[m])
        if "fit_flag" in out:
            part["fit_flag"] = out["fit_flag"].reshape(nbs, R).any(axis=1)
            for i in range(k):
                part[f"fit{i + 1}_status"] = out["fit_status"][:, i].reshape(nbs, R).max(axis=1)
        for key in SENSITIVITY_KEYS:
            if key in out:
                part[key] = np.nanmean(out[key].reshape(nbs, R), axis=1)
        block_parts.append(part)
        keep = present
        grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
        cp: dict[str, np.ndarray] = {"_code": np.repeat(bidx, ncell)[keep]}
        for i in range(k):
            cp[f"dose{i + 1}_molar"] = raw[i][::R][:, grids[i].ravel()].ravel()[keep]
        cp["n_replicates"] = counts[keep]
        cp["combination"] = np.tile(combo.ravel(), nbs)[keep]
        cp["inhibition_pct"] = cell_mean.ravel()[keep]
        for m in methods:
            names = (["zip_fit"] if m == "zip" else []) + [f"{m}_ref", f"{m}_synergy"]
            for name in names:
                v = out[name] if R == 1 else out[name].reshape(nbs, R, ncell).mean(axis=1)
                cp[name] = v.reshape(-1)[keep]
        cell_parts.append(cp)
    return _merge_parts(block_parts), _merge_parts(cell_parts), lay.bad, errors


def _merge_parts(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate per-shape column dicts and order rows by block code (stable)."""
    if not parts:
        return {}
    names = list(dict.fromkeys(n for p in parts for n in p))
    code = np.concatenate([p["_code"] for p in parts])
    order = np.argsort(code, kind="stable")
    out = {}
    for n in names:
        vals = [p[n] if n in p else np.full(p["_code"].size, np.nan) for p in parts]
        out[n] = np.concatenate(vals)[order]
    return out


def _frame(
    cols: dict[str, np.ndarray], ids: pd.Index, names: list[np.ndarray], k: int
) -> pd.DataFrame:
    """Column arrays (with ``_code``) to a table with block id and drug names in front."""
    if not cols:
        return pd.DataFrame()
    code = cols["_code"]
    front: dict[str, Any] = {"block_id": ids.take(code)}
    for i in range(k):
        front[f"drug{i + 1}"] = names[i][code]
    body = {n: v for n, v in cols.items() if n != "_code"}
    labels = np.array(K.FIT_STATUS, dtype=object)
    for i in range(k):
        name = f"fit{i + 1}_status"
        if name in body:  # codes -> words (NaN codes: block not fitted)
            v = body[name]
            ok = np.isfinite(v)
            body[name] = np.where(ok, labels[np.where(ok, v, 0).astype(int)], None)
    return pd.DataFrame({**front, **body}, copy=False)


def _bad_block_errors(
    data: pd.DataFrame, codes: np.ndarray, ids: pd.Index, bad: np.ndarray, k: int
) -> list[dict[str, Any]]:
    """One worded error per block that failed the layout checks (from :func:`_grid`)."""
    errors = []
    bad_codes = np.flatnonzero(bad)
    if bad_codes.size == 0:
        return errors
    rows_of = pd.Series(np.arange(codes.size)).groupby(codes).indices
    for b in bad_codes:
        block_id = _scalar(ids[b])
        try:
            _grid(data.iloc[rows_of[b]], k, block_id)
            msg = f"block {block_id!r}: missing or non-numeric dose; every row needs numeric doses."
        except DataValidationError as exc:
            msg = str(exc)
        errors.append({"block_id": block_id, "error": msg})
    return errors


def _drug_names(data: pd.DataFrame, first_row: np.ndarray, k: int) -> list[np.ndarray]:
    return [data[f"drug{i + 1}"].to_numpy()[first_row] for i in range(k)]


def score_synergy(
    data: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
    replicates: str = "mean",
    n_boot: int = 100,
    confidence_level: float = 0.95,
    correct_baseline: str = "non",
    sensitivity: bool = True,
    loewe: str = "synergyfinder",
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
        Also compute RI, IC50, CSS and the S-scores (2-drug blocks).
    loewe : {"synergyfinder", "exact"}
        ``"synergyfinder"`` (default) takes SynergyFinder 3's Loewe reference: the best of 100
        evenly spaced responses between the lowest and highest fitted asymptote, which
        solves the Loewe equation only to that grid's resolution; ``"exact"`` refines it to
        the root of the equation.
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

    with :math:`D_k` the inverse of drug k's fitted LL.4 curve (SynergyFinder: the best of a
    100-point response grid, or the exact root with ``loewe="exact"``; when no drug alone
    reaches :math:`y`, the largest monotherapy curve at the summed dose). ZIP compares the
    mean of the row/column LL.4 fits (over all doses of the drug, zero included, with the
    zero-dose asymptote fixed at the partner-alone response) with the Bliss combination of
    the fitted monotherapy curves. Score = :math:`y - y_{ref}`.

    The monotherapy and row/column fits are least-squares optima found by a vectorised
    Levenberg–Marquardt; drc's BFGS (which SynergyFinder calls) stops elsewhere on flat or
    ill-determined curves (e.g. a step before the first dose, whose EC50 is anywhere between
    the 1e-10 zero-dose surrogate and the first dose). ZIP and Loewe therefore match
    SynergyFinder per cell on well-determined data (ZIP to 1e-2 on the synthetic anchor) and
    only approximately on real screens; ``fit_flag``/``fitN_status`` mark blocks whose
    monotherapy fits are not identifiable (see docs/synergy.md, "Agreement with
    SynergyFinder", for the measured table).

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
    methods = _check_options(methods, replicates, correct_baseline, loewe)
    k = drug_columns(data)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    arr = _as_arrays(data, k)
    bcols, ccols, bad, failed = _score_arrays(
        arr["codes"],
        arr["nb"],
        arr["dose"],
        arr["y"],
        arr["zero"],
        methods=methods,
        replicates=replicates,
        n_boot=n_boot,
        confidence_level=confidence_level,
        correct_baseline=correct_baseline,
        sensitivity=sensitivity,
        loewe=loewe,
        rng=gen,
    )
    errors = _bad_block_errors(data, arr["codes"], arr["ids"], bad, k)
    errors += [{"block_id": _scalar(arr["ids"][c]), "error": m} for c, m in failed]
    names = _drug_names(data, arr["first_row"], k)
    return SynergyScores(
        blocks=_frame(bcols, arr["ids"], names, k),
        cells=_frame(ccols, arr["ids"], names, k),
        errors=pd.DataFrame(errors, columns=["block_id", "error"]),
        settings=_settings(
            data,
            methods=list(methods),
            replicates=replicates,
            n_boot=n_boot,
            confidence_level=confidence_level,
            correct_baseline=correct_baseline,
            loewe=loewe,
        ),
    )
