"""Compound profiles: identity, mechanism, potency, working ranges, regimens; every value cited."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit.knowledge._load import check_citation, data_dir, read_toml, sources
from repurposekit.units import concentration_factor

__all__ = [
    "Compound",
    "compare_potency",
    "get_compound",
    "list_compounds",
    "load_compound",
    "published_potency",
]


@dataclass(frozen=True, eq=False)
class Compound:
    """A compound profile loaded from ``knowledge/data/compounds/<name>.toml``.

    Attributes
    ----------
    name, display_name : str
        Lower-case key and the name to show.
    synonyms : tuple of str
        Code names and brand names it is also known by.
    cas : str
        CAS registry number.
    mechanism : str
        Mechanism of action in one sentence.
    targets : tuple of str
        Molecular targets.
    role : str
        ``"reference compound"`` or ``"combination partner"``.
    potency, working_range, regimens, formulation : pandas.DataFrame
        Tables, each row with its ``citation`` (an id in ``sources.toml``).
    citations : Mapping[str, str]
        Citation of the scalar fields (``cas``, ``mechanism``).
    source_file : Path
        The file the profile came from.
    """

    name: str
    display_name: str
    synonyms: tuple[str, ...]
    cas: str
    mechanism: str
    targets: tuple[str, ...]
    role: str
    potency: pd.DataFrame
    working_range: pd.DataFrame
    regimens: pd.DataFrame
    formulation: pd.DataFrame
    notes: tuple[str, ...] = ()
    citations: Mapping[str, str] = field(default_factory=dict)
    source_file: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """Every value of the profile as one long table: section, item, value, unit, citation."""
        rows: list[dict[str, Any]] = [
            {
                "section": "identity",
                "item": "name",
                "value": self.display_name,
                "unit": "",
                "citation": "",
            },
            {
                "section": "identity",
                "item": "synonyms",
                "value": ", ".join(self.synonyms),
                "unit": "",
                "citation": "",
            },
            {
                "section": "identity",
                "item": "CAS",
                "value": self.cas,
                "unit": "",
                "citation": self.citations.get("cas", ""),
            },
            {
                "section": "identity",
                "item": "targets",
                "value": ", ".join(self.targets),
                "unit": "",
                "citation": self.citations.get("mechanism", ""),
            },
            {
                "section": "identity",
                "item": "mechanism",
                "value": self.mechanism,
                "unit": "",
                "citation": self.citations.get("mechanism", ""),
            },
        ]
        for r in self.potency.itertuples():
            rows.append(
                {
                    "section": "potency",
                    "item": f"{r.quantity} {r.model}",
                    "value": _range_text(r.low, r.high, r.value),
                    "unit": r.unit,
                    "citation": r.citation,
                }
            )
        for r in self.working_range.itertuples():
            rows.append(
                {
                    "section": "working range",
                    "item": r.setting,
                    "value": _range_text(r.low, r.high, math.nan),
                    "unit": r.unit,
                    "citation": r.citation,
                }
            )
        for r in self.regimens.itertuples():
            dose = "dose not stated" if pd.isna(r.dose) else f"{r.dose:g} {r.unit}"
            rows.append(
                {
                    "section": "regimen",
                    "item": r.setting,
                    "value": f"{dose}, {r.schedule}",
                    "unit": "",
                    "citation": r.citation,
                }
            )
        for r in self.formulation.itertuples():
            rows.append(
                {
                    "section": "formulation",
                    "item": r.setting,
                    "value": r.value,
                    "unit": "",
                    "citation": r.citation,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Plain-text profile with citations."""
        refs = sources()
        lines = [
            f"{self.display_name} ({', '.join(self.synonyms)}); CAS {self.cas}",
            f"  {self.mechanism}",
        ]
        table = self.to_frame()
        for section, part in table.groupby("section", sort=False):
            if section == "identity":
                continue
            lines.append(f"{section}:")
            for r in part.itertuples():
                lines.append(f"  - {r.item}: {r.value} {r.unit}".rstrip() + f"  [{r.citation}]")
        used = sorted(set(table["citation"]) - {""})
        lines.append("sources:")
        lines += [f"  [{c}] {refs[c]['title']} ({refs[c]['where']})" for c in used]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Compound({self.name!r}, targets={list(self.targets)}, {len(self.potency)} potency values)"


def _range_text(low: float, high: float, value: float) -> str:
    if pd.notna(low) and pd.notna(high):
        return f"{low:g}-{high:g}"
    return "" if pd.isna(value) else f"{value:g}"


_TABLE_COLUMNS = {
    "potency": ["quantity", "model", "value", "low", "high", "unit", "assay", "note", "citation"],
    "working_range": ["setting", "low", "high", "unit", "citation"],
    "regimens": ["setting", "dose", "unit", "schedule", "citation"],
    "formulation": ["setting", "value", "citation"],
}


def _table(data: dict[str, Any], key: str, path: Path) -> pd.DataFrame:
    cols = _TABLE_COLUMNS[key]
    rows = data.get(key, [])
    for i, row in enumerate(rows, start=1):
        check_citation(row.get("citation"), where=f"{path.name} [[{key}]] entry {i}")
        unknown = set(row) - set(cols)
        if unknown:
            msg = f"{path.name} [[{key}]] entry {i}: unknown field(s) {sorted(unknown)}; allowed: {cols}."
            raise DataValidationError(msg)
        if "unit" in row and key in ("potency", "working_range"):
            concentration_factor(row["unit"])  # raises on an unknown unit
    df = pd.DataFrame(rows, columns=cols)
    for c in ("value", "low", "high", "dose"):
        if c in df.columns and key != "formulation":
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def load_compound(path: str | Path) -> Compound:
    """Load and validate one compound profile file (a site may keep its own)."""
    path = Path(path)
    data = read_toml(path)
    for key in ("name", "display_name", "cas", "mechanism"):
        if key not in data:
            msg = f"{path.name}: missing `{key}`."
            raise DataValidationError(msg)
    citations = {}
    for key in ("cas", "mechanism"):
        item = data[key]
        if not isinstance(item, dict) or "value" not in item:
            msg = f"{path.name}: `{key}` must be {{ value = ..., citation = ... }}."
            raise DataValidationError(msg)
        citations[key] = check_citation(item.get("citation"), where=f"{path.name} `{key}`")
    return Compound(
        name=str(data["name"]).lower(),
        display_name=data["display_name"],
        synonyms=tuple(data.get("synonyms", ())),
        cas=data["cas"]["value"],
        mechanism=data["mechanism"]["value"],
        targets=tuple(data.get("targets", ())),
        role=data.get("role", ""),
        potency=_table(data, "potency", path),
        working_range=_table(data, "working_range", path),
        regimens=_table(data, "regimens", path),
        formulation=_table(data, "formulation", path),
        notes=tuple(data.get("notes", ())),
        citations=citations,
        source_file=path,
    )


@lru_cache(maxsize=1)
def _all() -> dict[str, Compound]:
    out = {}
    for p in sorted((data_dir() / "compounds").glob("*.toml")):
        c = load_compound(p)
        out[c.name] = c
    return out


def list_compounds() -> pd.DataFrame:
    """One row per bundled compound: name, synonyms, targets, role, CAS."""
    rows = [
        {
            "name": c.name,
            "display_name": c.display_name,
            "synonyms": ", ".join(c.synonyms),
            "targets": ", ".join(c.targets),
            "role": c.role,
            "cas": c.cas,
        }
        for c in _all().values()
    ]
    df = pd.DataFrame(rows)
    return df.sort_values(
        ["role", "name"],
        key=lambda s: s.map(lambda v: (v != "reference compound", v)) if s.name == "role" else s,
    ).reset_index(drop=True)


def get_compound(name: str) -> Compound:
    """Profile of ``name`` (case-insensitive; synonyms such as ``"VS-6063"`` work).

    Examples
    --------
    >>> get_compound("VS-6063").display_name
    'Defactinib'
    """
    key = str(name).strip().lower()
    compounds = _all()
    if key in compounds:
        return compounds[key]
    for c in compounds.values():
        if key in (s.lower() for s in c.synonyms):
            return c
    msg = f"Unknown compound {name!r}. Known: {', '.join(sorted(compounds))} (see `rk compound list`)."
    raise DataValidationError(msg)


def published_potency(name: str | None = None) -> pd.DataFrame:
    """Published IC50/EC50 values in molar, one row per value.

    Columns: ``compound, quantity, model, assay, value_molar, low_molar, high_molar, citation``;
    a reported range fills ``low_molar``/``high_molar`` and leaves ``value_molar`` as their
    geometric mean.

    Examples
    --------
    >>> t = published_potency("defactinib")
    >>> float(t.loc[t.model.str.startswith("TT"), "value_molar"].iloc[0])
    1.98e-06
    """
    compounds = [get_compound(name)] if name is not None else list(_all().values())
    rows = []
    for c in compounds:
        for r in c.potency.itertuples():
            f = concentration_factor(r.unit)
            low, high = r.low * f, r.high * f
            value = r.value * f if pd.notna(r.value) else math.sqrt(low * high)
            if pd.isna(low):
                low = high = value
            rows.append(
                {
                    "compound": c.name,
                    "quantity": r.quantity,
                    "model": r.model,
                    "assay": r.assay,
                    "value_molar": value,
                    "low_molar": low,
                    "high_molar": high,
                    "citation": r.citation,
                }
            )
    cols = [
        "compound",
        "quantity",
        "model",
        "assay",
        "value_molar",
        "low_molar",
        "high_molar",
        "citation",
    ]
    return pd.DataFrame(rows, columns=cols)


def compare_potency(
    name: str, value_molar: float, *, quantity: str = "IC50", assay: str | None = "cell viability"
) -> pd.DataFrame:
    """Compare a measured potency with the published ones.

    Returns the published rows of ``quantity`` (and ``assay`` when given) with ``fold``
    (measured / published, geometric mean for ranges), ``within_range`` (inside the
    published low-high, or within 3-fold of a single value) and a ``verdict`` sentence.

    Examples
    --------
    >>> compare_potency("defactinib", 2.5e-6)["within_range"].tolist()
    [True, True, False]
    """
    table = published_potency(name)
    table = table[table["quantity"].str.upper() == quantity.upper()]
    if assay is not None:
        table = table[table["assay"] == assay]
    table = table.reset_index(drop=True)
    fold = value_molar / table["value_molar"]
    single = table["low_molar"] == table["high_molar"]
    within = (value_molar >= table["low_molar"]) & (value_molar <= table["high_molar"])
    within = within | (single & (fold.between(1 / 3, 3)))
    verdicts = []
    for f, w, m in zip(fold, within, table["model"], strict=True):
        if not math.isfinite(f):
            verdicts.append("no measured value to compare")
        elif w:
            verdicts.append(f"consistent with {m} ({f:.2g}-fold)")
        elif f > 1:
            verdicts.append(f"{f:.2g}-fold less potent than {m}")
        else:
            verdicts.append(f"{1 / f:.2g}-fold more potent than {m}")
    return table.assign(
        measured_molar=value_molar, fold=fold, within_range=within, verdict=verdicts
    )
