"""Expression matrices, gene sets and clinical tables as bioinformaticians keep them.

* Expression: genes × samples, first column the gene identifier (HGNC symbol, Entrez ID or
  Ensembl ID), TSV/CSV (optionally ``.gz``) or Parquet.
* Gene sets: GMT (``name <TAB> description <TAB> gene …``) or a long table with columns
  ``set, gene`` and optionally ``weight`` (number) or ``direction`` (``up``/``down``/``+``/``-``).
* Clinical: ``sample, time, event`` (plus any covariates).

Duplicated gene identifiers
---------------------------
GSVA 1.46 (our reference) keeps every row of a matrix with repeated row names: all rows
take part in the ranking, and each gene-set member is mapped with R ``match()`` to the
**first** row with that name (GSVA ≥ 1.50 refuses such matrices instead). ``duplicates="keep"``
(default) does the same and warns; ``"error"`` refuses like GSVA ≥ 1.50; ``"first"`` drops
later rows; ``"mean"`` averages the rows; ``"max_mean"`` keeps the row with the highest mean
(the usual probe-collapsing rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError, warn
from repurposekit._validate import read_table, require_columns
from repurposekit.omics._genesets import GeneSets, clean_ids, read_gmt

__all__ = [
    "gene_id_type",
    "read_clinical",
    "read_expression",
    "read_gene_sets",
]

_DUPLICATES = ("keep", "error", "first", "mean", "max_mean")


def gene_id_type(ids: Sequence[object]) -> str:
    """Guess the identifier type: ``"entrez"``, ``"ensembl"``, ``"symbol"`` (or ``"mixed"``).

    Examples
    --------
    >>> gene_id_type(["5747", "3845"])
    'entrez'
    >>> gene_id_type(["PTK2", "KRAS"])
    'symbol'
    """
    s = pd.Series([str(i) for i in ids][:2000])
    if s.empty:
        return "symbol"
    if s.str.fullmatch(r"\d+").mean() > 0.9:
        return "entrez"
    if s.str.match(r"ENS[A-Z]*G\d+").mean() > 0.9:
        return "ensembl"
    if s.str.fullmatch(r"\d+").mean() > 0.1:
        return "mixed"
    return "symbol"


def read_expression(
    path: str | Path,
    *,
    gene_column: str | None = None,
    annotation_columns: Sequence[str] = (),
    duplicates: str = "keep",
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a genes × samples expression matrix.

    Parameters
    ----------
    path : str or Path
        ``.tsv``/``.txt``/``.csv`` (optionally ``.gz``) or ``.parquet``.
    gene_column : str, optional
        Column with the gene identifier; default the first column.
    annotation_columns : sequence of str
        Non-numeric columns to drop (e.g. ``description``); any other non-numeric column is
        an error that names it.
    duplicates : {"keep", "error", "first", "mean", "max_mean"}
        What to do with repeated identifiers (see the module notes; ``"keep"`` = GSVA 1.46).
    sep : str, optional
        Field separator (default from the extension).

    Returns
    -------
    pandas.DataFrame
        Float matrix, index named ``gene`` (identifiers as strings), one column per sample.

    Raises
    ------
    DataValidationError
        Missing file, non-numeric or missing values (naming the gene and sample), duplicated
        sample names, or duplicated genes with ``duplicates="error"``.

    Examples
    --------
    >>> from repurposekit.datasets import path
    >>> expr = read_expression(path("omics", "expression.tsv.gz"))
    >>> expr.index.name
    'gene'
    """
    if duplicates not in _DUPLICATES:
        msg = f"duplicates must be one of {_DUPLICATES}, got {duplicates!r}."
        raise DataValidationError(msg)
    p = Path(path)
    if p.name.lower().endswith(".parquet"):
        if not p.exists():
            msg = f"{p}: file not found."
            raise DataValidationError(msg)
        try:
            df = pd.read_parquet(p)
        except ImportError:
            msg = f"{p}: reading Parquet needs pyarrow (pip install pyarrow), or save the matrix as TSV."
            raise DataValidationError(msg) from None
        if (
            df.index.name is not None
            and gene_column is None
            and not isinstance(df.index, pd.RangeIndex)
        ):
            df = df.reset_index()
    else:
        df = read_table(p, sep=sep, dtype={gene_column: str} if gene_column else None)
        first = gene_column or df.columns[0]
        df[first] = df[first].astype(str)
    gcol = gene_column or df.columns[0]
    require_columns(df, [gcol], source=p, hint="Pass --gene-column with the identifier column.")
    ids = clean_ids(df[gcol])
    if (ids.isin(["", "nan", "None"])).any():
        row = int(np.argmax(ids.isin(["", "nan", "None"]).to_numpy())) + 2
        msg = f"{p}: row {row} has no gene identifier in column {gcol!r}. Fill it in or remove the row."
        raise DataValidationError(msg)
    data = df.drop(columns=[gcol, *[c for c in annotation_columns if c in df.columns]])
    if data.shape[1] == 0:
        msg = f"{p}: no sample columns after the gene column {gcol!r}."
        raise DataValidationError(msg)
    dup_samples = data.columns[data.columns.duplicated()].tolist()
    if dup_samples:
        msg = f"{p}: sample column(s) {dup_samples} appear more than once; sample names must be unique."
        raise DataValidationError(msg)
    for c in data.columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            vals = pd.to_numeric(data[c], errors="coerce")
            bad = vals.isna() & data[c].notna()
            if bad.any():
                i = int(np.argmax(bad.to_numpy()))
                msg = (
                    f"{p}: sample column {c!r}, row {i + 2} (gene {ids.iloc[i]!r}): "
                    f"{data[c].iloc[i]!r} is not a number. Fix the cell, or list annotation "
                    "columns in annotation_columns (--annotation-columns)."
                )
                raise DataValidationError(msg)
            data[c] = vals
    data = data.astype(float)
    if data.isna().to_numpy().any():
        r, c = np.argwhere(data.isna().to_numpy())[0]
        msg = (
            f"{p}: missing value at row {r + 2} (gene {ids.iloc[r]!r}), sample {data.columns[c]!r}. "
            "Impute it or drop the gene."
        )
        raise DataValidationError(msg)
    data.index = pd.Index(ids.to_numpy(), name="gene")
    data.columns = [str(c) for c in data.columns]
    dup = data.index.duplicated(keep=False)
    if dup.any():
        names = pd.unique(data.index[dup])
        head = ", ".join(map(str, names[:5])) + (" …" if len(names) > 5 else "")
        if duplicates == "error":
            msg = (
                f"{p}: {len(names)} gene identifier(s) occur more than once ({head}). "
                "Collapse them (duplicates='mean' or 'max_mean') or keep the first row ('first')."
            )
            raise DataValidationError(msg)
        if duplicates == "keep":
            warn(
                f"{p}: {len(names)} duplicated gene identifier(s) ({head}) kept as separate rows; "
                "gene sets map to the first row (GSVA 1.46 behaviour)."
            )
        elif duplicates == "first":
            data = data[~data.index.duplicated(keep="first")]
        elif duplicates == "mean":
            data = data.groupby(level=0, sort=False).mean()
        else:  # max_mean
            order = data.mean(axis=1).to_numpy()
            pick = (
                pd.DataFrame({"g": data.index, "m": order, "i": np.arange(len(order))})
                .sort_values(["m", "i"], ascending=[False, True], kind="stable")
                .drop_duplicates("g")
                .sort_values("i")["i"]
                .to_numpy()
            )
            data = data.iloc[pick]
        data.index.name = "gene"
    return data


def read_gene_sets(path: str | Path, *, name: str | None = None) -> GeneSets:
    """Read gene sets from a GMT file or a long ``set, gene[, weight|direction]`` table.

    Parameters
    ----------
    path : str or Path
        ``.gmt`` (GMT), otherwise CSV/TSV with columns ``set`` and ``gene`` and optionally
        ``weight`` (number; negative = down) or ``direction`` (``up``/``down``/``+``/``-``/``1``/``-1``).
    name : str, optional
        Source label (default the file name).

    Returns
    -------
    GeneSets

    Examples
    --------
    >>> from repurposekit.datasets import path
    >>> gs = read_gene_sets(path("genesets", "msigdb_hallmark_v7.0.symbols.gmt"))
    >>> len(gs)
    50
    """
    p = Path(path)
    label = name or p.name
    if not p.exists():
        msg = f"{p}: file not found."
        raise DataValidationError(msg)
    lower = p.name.lower().removesuffix(".gz")
    if lower.endswith(".gmt"):
        return read_gmt(p, source=label)
    df = read_table(p, dtype=str)
    cols = {c.lower(): c for c in df.columns}
    for want, alts in {
        "set": ("set", "source", "gene_set", "term"),
        "gene": ("gene", "target", "symbol"),
    }.items():
        hit = next((cols[a] for a in alts if a in cols), None)
        if hit is None:
            msg = (
                f"{p}: a long gene-set table needs columns 'set' and 'gene' (optionally 'weight' "
                f"or 'direction'); it has {list(df.columns)}."
            )
            raise DataValidationError(msg)
        df = df.rename(columns={hit: want})
    if "weight" in cols or "mor" in cols:
        wcol = cols.get("weight", cols.get("mor"))
        w = pd.to_numeric(df[wcol], errors="coerce")
        if w.isna().any():
            i = int(np.argmax(w.isna().to_numpy()))
            msg = f"{p}: row {i + 2}, column {wcol!r}: {df[wcol].iloc[i]!r} is not a number."
            raise DataValidationError(msg)
    elif "direction" in cols:
        d = df[cols["direction"]].astype(str).str.strip().str.lower()
        mapping = {
            "up": 1.0,
            "+": 1.0,
            "1": 1.0,
            "+1": 1.0,
            "down": -1.0,
            "dn": -1.0,
            "-": -1.0,
            "-1": -1.0,
        }
        w = d.map(mapping)
        if w.isna().any():
            i = int(np.argmax(w.isna().to_numpy()))
            msg = f"{p}: row {i + 2}: direction {d.iloc[i]!r} is not one of up/down/+/-."
            raise DataValidationError(msg)
    else:
        w = pd.Series(1.0, index=df.index)
    table = pd.DataFrame({"set": df["set"].astype(str), "gene": clean_ids(df["gene"]), "weight": w})
    return GeneSets(table, source=label)


def read_clinical(
    path: str | Path,
    *,
    sample: str = "sample",
    time: str = "time",
    event: str = "event",
) -> pd.DataFrame:
    """Read ``sample, time, event`` (+ covariates), checking times ≥ 0 and events in {0, 1}.

    Returns a DataFrame indexed by sample (strings) with float ``time`` and int ``event``
    columns under their given names. Times are not rescaled: say their unit in the column
    name or your report (GSE3143 uses months).
    """
    df = read_table(path, required=[sample, time, event], dtype={sample: str})
    from repurposekit._validate import check_nonnegative, coerce_numeric

    t = coerce_numeric(df, time, source=path)
    check_nonnegative(t, time, source=path)
    e = coerce_numeric(df, event, source=path)
    bad = ~e.isin([0, 1])
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        msg = f"{path}: column {event!r}, row {i + 2}: {e.iloc[i]!r}; events must be 1 (event) or 0 (censored)."
        raise DataValidationError(msg)
    out = df.copy()
    out[time] = t
    out[event] = e.astype(int)
    out[sample] = out[sample].astype(str).str.strip()
    dup = out[sample].duplicated()
    if dup.any():
        msg = f"{path}: sample {out[sample][dup].iloc[0]!r} appears more than once."
        raise DataValidationError(msg)
    return out.set_index(sample)
