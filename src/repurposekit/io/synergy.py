"""Readers for drug-combination data: SynergyFinder long table and matrix layout, constant-ratio series.

Everything is converted once, here, to the tidy form the synergy stage uses:
``block_id, drug1..K, dose1_molar..K, unit1..K, inhibition_pct, source_row`` (molar doses;
% inhibition, 0 = no effect). The unit each dose was read in is kept in ``unit<i>``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._validate import coerce_numeric, read_table, where
from repurposekit.units import concentration_factor, normalise_unit

__all__ = ["infer_input_scale", "read_constant_ratio", "read_synergy", "tidy_synergy"]

_SCALES = ("viability", "inhibition")


def _is_matrix_layout(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:200].lstrip()
    except OSError:
        return False
    return head.lower().startswith("drug1:")


def _read_matrix_layout(path: Path) -> pd.DataFrame:
    """SynergyFinder web 'matrix' layout: Drug1:/Drug2:/Cell/ConcUnit: lines, then a dose matrix."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    out = []
    block = 0
    i = 0
    while i < len(rows):
        row = [c.strip() for c in rows[i]]
        if not row or not any(row):
            i += 1
            continue
        if row[0].lower() != "drug1:":
            msg = f"{path}: line {i + 1}: expected 'Drug1:' to start a block, found {row[0]!r}."
            raise DataValidationError(msg)
        block += 1
        meta = {}
        while (
            i < len(rows)
            and rows[i]
            and rows[i][0].strip().rstrip(":").lower()
            in (
                "drug1",
                "drug2",
                "cell",
                "concunit",
            )
        ):
            key = rows[i][0].strip().rstrip(":").lower()
            meta[key] = rows[i][1].strip() if len(rows[i]) > 1 else ""
            i += 1
        if "drug2" not in meta:
            msg = f"{path}: block {block} (line {i}): missing 'Drug2:' line."
            raise DataValidationError(msg)
        header_line = i
        cols = [c.strip() for c in rows[i][1:] if c.strip() != ""]
        i += 1
        while (
            i < len(rows)
            and rows[i]
            and rows[i][0].strip()
            and rows[i][0].strip().lower() != "drug1:"
        ):
            cells = rows[i]
            for j, cc in enumerate(cols):
                out.append(
                    {
                        "block_id": block,
                        "drug_row": meta["drug1"],
                        "drug_col": meta["drug2"],
                        "conc_r": cells[0].strip(),
                        "conc_c": cc,
                        "response": cells[j + 1].strip() if j + 1 < len(cells) else "",
                        "conc_r_unit": meta.get("concunit", ""),
                        "conc_c_unit": meta.get("concunit", ""),
                        "cell_line": meta.get("cell", ""),
                        "source_row": i + 1,
                    }
                )
            i += 1
        if i == header_line + 1:
            msg = f"{path}: block {block}: no dose rows after the header on line {header_line + 1}."
            raise DataValidationError(msg)
    return pd.DataFrame(out)


def _header_rows(data: pd.DataFrame) -> int:
    """Lines before the first data row (1 for a plain CSV)."""
    return 1


def _bid(b: object) -> object:
    """Block id as the user wrote it (numpy scalars unwrapped for messages)."""
    return b.item() if hasattr(b, "item") else b


def infer_input_scale(control: float) -> str:
    """'viability' when the no-drug control is nearer 100 than 0, else 'inhibition'.

    Examples
    --------
    >>> infer_input_scale(99.3), infer_input_scale(-0.0006)
    ('viability', 'inhibition')
    """
    return "viability" if abs(control - 100.0) < abs(control) else "inhibition"


def _standardise_columns(df: pd.DataFrame, source: str) -> tuple[pd.DataFrame, int]:
    cols = {c.lower(): c for c in df.columns}
    out = pd.DataFrame(index=df.index)
    if "drug_row" in cols:  # SynergyFinder 2 long table
        need = ["block_id", "drug_row", "drug_col", "conc_r", "conc_c", "response"]
        missing = [c for c in need if c not in cols]
        if missing:
            msg = (
                f"{where(source)}missing column(s) {missing}; a SynergyFinder table has "
                "block_id, drug_row, drug_col, conc_r, conc_c, response, conc_r_unit, conc_c_unit."
            )
            raise DataValidationError(msg)
        mapping = [("drug_row", "conc_r", "conc_r_unit"), ("drug_col", "conc_c", "conc_c_unit")]
    else:
        k = 0
        while f"drug{k + 1}" in cols and f"conc{k + 1}" in cols:
            k += 1
        if k < 2 or "response" not in cols or "block_id" not in cols:
            msg = (
                f"{where(source)}not a SynergyFinder table: expected columns block_id, drug_row, "
                "drug_col, conc_r, conc_c, response, conc_r_unit, conc_c_unit (or drug1..N, conc1..N, "
                f"conc_unit1..N); found {list(df.columns)}."
            )
            raise DataValidationError(msg)
        mapping = []
        for i in range(1, k + 1):
            unit = f"conc_unit{i}" if f"conc_unit{i}" in cols else "conc_unit"
            mapping.append((f"drug{i}", f"conc{i}", unit))
    out["block_id"] = df[cols["block_id"]]
    for i, (drug, conc, unit) in enumerate(mapping, start=1):
        out[f"drug{i}"] = df[cols[drug]].astype(str).str.strip()
        out[f"conc{i}"] = df[cols[conc]]
        out[f"unit{i}"] = df[cols[unit]] if unit in cols else np.nan
    out["response"] = df[cols["response"]]
    out.attrs["original"] = {
        f"conc{i}": cols[conc] for i, (_, conc, _) in enumerate(mapping, start=1)
    }
    out.attrs["original"]["response"] = cols["response"]
    return out, len(mapping)


def _numeric(
    data: pd.DataFrame,
    column: str,
    *,
    source: str | Path | None,
    allow_missing: bool = False,
    header_rows: int = 1,
) -> pd.Series:
    """``coerce_numeric``, skipped for a column that is already numeric and complete.

    (``coerce_numeric`` turns every cell into a string to find non-numeric ones: the
    dominant cost of reading a screen, and nothing to find in a float column.)
    """
    col = data[column]
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric and (allow_missing or not col.isna().any()):
        return col.astype(float)
    return coerce_numeric(
        data, column, source=source, allow_missing=allow_missing, header_rows=header_rows
    )


def _block_scales(
    tidy: pd.DataFrame, k: int, input_scale: str | None, source: str | Path | None
) -> np.ndarray:
    """Response scale of every row: declared, or inferred from its block's no-drug control.

    Vectorised over blocks (one bincount), blocks taken in order of first appearance; the
    first block without a control (when nothing is declared) or whose control contradicts
    the declared scale is an error. Rows with a missing block id get NaN.
    """
    codes, ids = pd.factorize(tidy["block_id"], sort=False)
    nb = len(ids)
    dose = tidy[[f"dose{i}_molar" for i in range(1, k + 1)]].to_numpy()
    raw = tidy["response_raw"].to_numpy(dtype=float)
    ctrl = (dose == 0).all(axis=1) & ~np.isnan(raw) & (codes >= 0)
    n_ctrl = np.bincount(codes[ctrl], minlength=nb)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.bincount(codes[ctrl], weights=raw[ctrl], minlength=nb) / n_ctrl
    has = n_ctrl > 0
    inferred = np.where(np.abs(c - 100.0) < np.abs(c), "viability", "inhibition")
    if input_scale is None:
        problem = ~has
    else:
        problem = has & (inferred != input_scale)
    if problem.any():
        b = int(np.argmax(problem))
        if not has[b]:
            msg = (
                f"{where(source)}block {_bid(ids[b])!r} has no no-drug control cell, so the "
                "response scale cannot be inferred; pass input_scale='viability' or "
                "'inhibition' (--input-scale)."
            )
        else:
            inf_b = inferred[b]
            msg = (
                f"{where(source)}block {_bid(ids[b])!r}: the no-drug control reads {c[b]:.4g}, "
                f"which looks like % {inf_b} (control ≈ {'100' if inf_b == 'viability' else '0'}), "
                f"but input_scale={input_scale!r} was given. Check the file (or pass "
                f"--input-scale {inf_b}); scores on the wrong scale are meaningless."
            )
        raise DataValidationError(msg)
    per_block = np.where(has, inferred, input_scale).astype(object) if nb else np.array([], object)
    out = np.full(codes.size, np.nan, dtype=object)
    out[codes >= 0] = per_block[codes[codes >= 0]]
    return out


def tidy_synergy(
    data: pd.DataFrame,
    *,
    input_scale: str | None = None,
    default_unit: str | None = None,
    noise: float = 20.0,
    source: str | Path | None = None,
) -> pd.DataFrame:
    """Turn a SynergyFinder-style DataFrame into the tidy molar / % inhibition table.

    Parameters
    ----------
    data : DataFrame
        SynergyFinder long table (``block_id, drug_row, drug_col, conc_r, conc_c, response,
        conc_r_unit, conc_c_unit``) or its multi-drug form (``drug1..N, conc1..N,
        conc_unit1..N`` or one ``conc_unit``). Not modified.
    input_scale : {"viability", "inhibition"}, optional
        What ``response`` is (in %). When omitted it is inferred from the no-drug control of
        each block; when given, a block whose control contradicts it is an error.
    default_unit : str, optional
        Concentration unit when the table has no unit column.
    noise : float
        Tolerated undershoot (% points) below 0 % viability (above 100 % inhibition).
    source : str or Path, optional
        File name used in messages.

    Returns
    -------
    DataFrame
        ``block_id, drug1..K, dose1_molar..K, unit1..K, inhibition_pct, source_row``.
    """
    if input_scale is not None and input_scale not in _SCALES:
        msg = f"input_scale must be 'viability' or 'inhibition', not {input_scale!r}."
        raise DataValidationError(msg)
    df, k = _standardise_columns(data, str(source) if source else "")
    if "source_row" in data.columns:
        src_row = data["source_row"].to_numpy()
    else:
        src_row = np.arange(len(data)) + 2  # file line: header is line 1
    tidy = pd.DataFrame({"block_id": df["block_id"].to_numpy()})
    for i in range(1, k + 1):
        tidy[f"drug{i}"] = df[f"drug{i}"].to_numpy()
    plain = data.reset_index(drop=True)
    for i in range(1, k + 1):
        orig = df.attrs["original"][f"conc{i}"]
        conc = _numeric(plain, orig, source=source, header_rows=_header_rows(data))
        units = df[f"unit{i}"].reset_index(drop=True)
        if units.isna().all():
            if default_unit is None:
                msg = (
                    f"{where(source)}no concentration unit for drug {i}; add a conc_unit column "
                    "or pass the unit (--unit uM)."
                )
                raise DataValidationError(msg)
            units = pd.Series(default_unit, index=units.index)
        # string work on the distinct labels only, then spread back by code
        ucode, ulabels = pd.factorize(units, use_na_sentinel=False)
        labels = pd.Index(ulabels).astype(str).str.strip().to_numpy(dtype=object)
        factors = {}
        for u in pd.unique(labels):
            try:
                factors[u] = concentration_factor(normalise_unit(u))
            except DataValidationError as exc:
                row = int(np.flatnonzero(labels[ucode] == u)[0])
                msg = f"{where(source)}row {src_row[row]}: {exc}"
                raise DataValidationError(msg) from None
        neg = conc < 0
        if neg.any():
            row = int(np.flatnonzero(neg.to_numpy())[0])
            msg = f"{where(source)}row {src_row[row]}: concentration {conc.iloc[row]} is negative."
            raise DataValidationError(msg)
        fac = np.array([factors[u] for u in labels], dtype=float)
        norm = np.array([normalise_unit(u) for u in labels], dtype=object)
        tidy[f"dose{i}_molar"] = conc.to_numpy() * fac[ucode]
        tidy[f"unit{i}"] = norm[ucode]
    resp = _numeric(
        plain,
        df.attrs["original"]["response"],
        source=source,
        allow_missing=True,
        header_rows=_header_rows(data),
    )
    tidy["response_raw"] = resp.to_numpy()
    tidy["source_row"] = src_row
    # unit consistency inside a block (per drug)
    for i in range(1, k + 1):
        nun = tidy.groupby("block_id", sort=False)[f"unit{i}"].nunique()
        bad = nun[nun > 1]
        if len(bad):
            b = bad.index[0]
            blk = tidy[tidy["block_id"] == b]
            first = blk[f"unit{i}"].iloc[0]
            row = blk[blk[f"unit{i}"] != first]["source_row"].iloc[0]
            msg = (
                f"{where(source)}block {_bid(b)!r}, row {row}: drug {blk[f'drug{i}'].iloc[0]!r} is in "
                f"{blk[blk['source_row'] == row][f'unit{i}'].iloc[0]} here but in {first} elsewhere "
                "in the block. Use one unit per drug within a block."
            )
            raise DataValidationError(msg)
    scale = _block_scales(tidy, k, input_scale, source)
    raw = tidy["response_raw"].to_numpy()
    viability = np.where(scale == "viability", raw, 100.0 - raw)
    low = viability < -noise
    if np.any(low):
        row = int(np.flatnonzero(low)[0])
        msg = (
            f"{where(source)}block {_bid(tidy['block_id'].iloc[row])!r}, row {tidy['source_row'].iloc[row]}: "
            f"response {tidy['response_raw'].iloc[row]:.4g} means {viability[row]:.4g} % viability, "
            f"below 0 by more than the noise allowance ({noise:g} points). Check the normalisation "
            "or the --input-scale."
        )
        raise DataValidationError(msg)
    tidy["inhibition_pct"] = 100.0 - viability
    tidy["input_scale"] = scale
    return tidy.drop(columns=["response_raw"])


def read_synergy(
    path: str | Path,
    *,
    input_scale: str | None = None,
    default_unit: str | None = None,
    noise: float = 20.0,
) -> pd.DataFrame:
    """Read a SynergyFinder long table or matrix-layout file into the tidy synergy table.

    See :func:`tidy_synergy` for the parameters and the returned columns. The file is never
    modified.

    Examples
    --------
    >>> from repurposekit.datasets import path
    >>> df = read_synergy(path("synergy", "defactinib_combinations.csv"))
    >>> sorted(df["input_scale"].unique())
    ['viability']
    """
    p = Path(path)
    if p.exists() and p.is_file() and _is_matrix_layout(p):
        raw = _read_matrix_layout(p)
    else:
        raw = read_table(p)
    return tidy_synergy(
        raw, input_scale=input_scale, default_unit=default_unit, noise=noise, source=p
    )


def read_constant_ratio(path: str | Path, *, unit: str | None = None) -> pd.DataFrame:
    """Read a Chou–Talalay constant-ratio table (``agent, ratio_<drug>..., total_dose, fa``).

    ``agent`` names a single drug or a mixture (``"a+b"``); ``ratio_<drug>`` give the mixture's
    dose ratio (0 for absent drugs); ``total_dose`` is the summed dose in ``unit`` (or the
    table's ``unit`` column); ``fa`` the fraction affected (0–1).

    Returns
    -------
    DataFrame
        ``agent, ratio_<drug>..., total_dose_molar, fa, source_row``.
    """
    p = Path(path)
    df = read_table(p, required=["agent", "total_dose", "fa"])
    ratio_cols = [c for c in df.columns if re.match(r"ratio_", c)]
    if not ratio_cols:
        msg = f"{p}: no ratio_<drug> columns; add one per drug (e.g. ratio_defactinib)."
        raise DataValidationError(msg)
    out = pd.DataFrame({"agent": df["agent"].astype(str)})
    for c in ratio_cols:
        out[c] = coerce_numeric(df, c, source=p)
    if "unit" in df.columns:
        units = df["unit"].astype(str)
    elif unit is not None:
        units = pd.Series(unit, index=df.index)
    else:
        msg = f"{p}: no dose unit; add a 'unit' column or pass unit='uM' (--unit)."
        raise DataValidationError(msg)
    fac = units.map(lambda u: concentration_factor(normalise_unit(u)))
    out["total_dose_molar"] = coerce_numeric(df, "total_dose", source=p).to_numpy() * fac.to_numpy()
    out["fa"] = coerce_numeric(df, "fa", source=p)
    out["source_row"] = np.arange(len(df)) + 2
    if (out["fa"] > 1.5).any():
        row = int(out.loc[out["fa"] > 1.5, "source_row"].iloc[0])
        msg = f"{p}: row {row}: fa = {out.loc[out['source_row'] == row, 'fa'].iloc[0]} — fa is a fraction (0–1), not a percentage."
        raise DataValidationError(msg)
    return out
