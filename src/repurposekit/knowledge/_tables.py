"""Reference tables: pathways, experimental models, published outcomes."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit.knowledge._load import check_citation, data_dir, read_toml

__all__ = ["model_table", "pathway_table", "published_outcomes"]


def _columns_table(name: str) -> pd.DataFrame:
    path = data_dir() / "tables" / f"{name}.toml"
    data = read_toml(path)
    check_citation(data.get("citation"), where=path.name)
    cols = data["columns"]
    for i, row in enumerate(data["rows"], start=1):
        if len(row) != len(cols):
            msg = f"{path.name}: row {i} has {len(row)} cells, expected {len(cols)} ({cols})."
            raise DataValidationError(msg)
    return pd.DataFrame(data["rows"], columns=cols).assign(citation=data["citation"])


@lru_cache(maxsize=1)
def _pathways() -> pd.DataFrame:
    return _columns_table("pathways")


@lru_cache(maxsize=1)
def _models() -> pd.DataFrame:
    return _columns_table("models")


def pathway_table() -> pd.DataFrame:
    """Pathways modulated by defactinib: pathway, components, outcome, implication, citation."""
    return _pathways().copy()


def model_table() -> pd.DataFrame:
    """Experimental models: model, uses, advantages, limitations, RepurposeKit stage, citation."""
    return _models().copy()


_OUTCOME_COLUMNS = [
    "kind",
    "study",
    "compounds",
    "population",
    "endpoint",
    "value",
    "unit",
    "n_events",
    "n",
    "comparator",
    "note",
    "citation",
    "via",
]


@lru_cache(maxsize=1)
def _outcomes() -> pd.DataFrame:
    path = data_dir() / "tables" / "outcomes.toml"
    rows = read_toml(path)["outcomes"]
    for i, row in enumerate(rows, start=1):
        check_citation(row.get("citation"), where=f"{path.name} [[outcomes]] entry {i}")
        if "via" in row:
            check_citation(row["via"], where=f"{path.name} [[outcomes]] entry {i} (via)")
        unknown = set(row) - set(_OUTCOME_COLUMNS)
        if unknown:
            msg = f"{path.name} [[outcomes]] entry {i}: unknown field(s) {sorted(unknown)}."
            raise DataValidationError(msg)
    df = pd.DataFrame(rows, columns=_OUTCOME_COLUMNS)
    df["compounds"] = df["compounds"].map(lambda v: " + ".join(v))
    for c in ("n_events", "n"):
        df[c] = df[c].astype("Int64")
    df = df.fillna({"comparator": "", "note": "", "via": "", "unit": ""})
    df["result"] = [_result_text(r) for r in df.itertuples()]
    return df


def _result_text(r: object) -> str:
    """``"44 % (25/57)"``-style summary of one outcome row (the note when there is no number)."""
    value, unit, n, k = r.value, r.unit, r.n, r.n_events  # type: ignore[attr-defined]
    text = "" if pd.isna(value) else f"{value:g} {unit}".strip()
    if not pd.isna(n):
        text += f" ({'' if pd.isna(k) else f'{k}/'}{n})"
    return text.strip() or r.note  # type: ignore[attr-defined]


def published_outcomes(
    *, compound: str | None = None, kind: str | None = None, query: str | None = None
) -> pd.DataFrame:
    """Published outcomes (FRAME, RAMP 201, xenograft and biomarker results).

    Parameters
    ----------
    compound : str, optional
        Keep rows whose compounds include this name (case-insensitive).
    kind : {"clinical", "xenograft", "in_vitro", "biomarker"}, optional
        Keep one kind of outcome.
    query : str, optional
        Case-insensitive text searched in study, population, endpoint and note.

    Examples
    --------
    >>> published_outcomes(query="RAMP")[["endpoint", "n_events", "n"]].to_dict("records")
    [{'endpoint': 'confirmed ORR', 'n_events': 25, 'n': 57}]
    """
    df = _outcomes()
    kinds = set(df["kind"])
    if kind is not None and kind not in kinds:
        msg = f"Unknown outcome kind {kind!r}; use one of {sorted(kinds)}."
        raise DataValidationError(msg)
    mask = pd.Series(True, index=df.index)
    if compound is not None:
        from repurposekit.knowledge._compounds import get_compound

        name = get_compound(compound).name
        mask &= df["compounds"].str.contains(name, case=False, regex=False)
    if kind is not None:
        mask &= df["kind"] == kind
    if query:
        text = df["study"] + " " + df["population"] + " " + df["endpoint"] + " " + df["note"]
        mask &= text.str.contains(query, case=False, regex=False)
    return df[mask].reset_index(drop=True)
