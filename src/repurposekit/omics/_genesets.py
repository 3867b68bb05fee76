"""Gene-set collections: a long ``set, gene, weight`` table with matching to a gene universe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError

__all__ = ["GeneSetMatch", "GeneSets", "clean_ids", "read_gmt"]


@dataclass(frozen=True, eq=False)
class GeneSets:
    """A collection of gene sets, stored as a long table.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``set``, ``gene`` and ``weight``. ``weight`` is +1 for an "up" member,
        −1 for a "down" member (singscore up/down signatures) or any real weight; GMT sets
        have weight +1. Genes keep their order of first appearance; a gene listed twice in
        one set is kept once (as R ``unique()`` does before GSVA).
    descriptions : mapping of str to str
        The second GMT column (description or URL) of each set.
    source : str
        Where the sets came from (file name or ``"builtin:<name>"``).

    Examples
    --------
    >>> gs = GeneSets.from_dict({"A": ["TP53", "PTK2"], "B": ["MKI67"]})
    >>> gs.names
    ['A', 'B']
    >>> gs.sizes().tolist()
    [2, 1]
    """

    table: pd.DataFrame
    descriptions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        t = self.table
        missing = [c for c in ("set", "gene", "weight") if c not in t.columns]
        if missing:
            msg = f"gene-set table lacks column(s) {missing}; it needs set, gene, weight."
            raise DataValidationError(msg)
        t = t.loc[:, ["set", "gene", "weight"]].copy()
        t["set"] = t["set"].astype(str)
        t["gene"] = t["gene"].astype(str).str.strip()
        t["weight"] = pd.to_numeric(t["weight"], errors="coerce").astype(float)
        t = t[t["gene"] != ""]
        t = t.drop_duplicates(["set", "gene"], keep="first").reset_index(drop=True)
        object.__setattr__(self, "table", t)
        object.__setattr__(self, "descriptions", dict(self.descriptions))

    # ---- constructors -------------------------------------------------------------
    @classmethod
    def from_dict(
        cls,
        sets: Mapping[str, Iterable[str]],
        *,
        descriptions: Mapping[str, str] | None = None,
        source: str = "",
    ) -> GeneSets:
        """Sets given as ``{name: [gene, ...]}`` (weights +1)."""
        rows = [(name, str(g), 1.0) for name, genes in sets.items() for g in genes]
        table = pd.DataFrame(rows, columns=["set", "gene", "weight"])
        return cls(table, descriptions=dict(descriptions or {}), source=source)

    @classmethod
    def from_up_down(
        cls,
        name: str,
        up: Iterable[str],
        down: Iterable[str] = (),
        *,
        source: str = "",
    ) -> GeneSets:
        """One signature with an up part (weight +1) and a down part (weight −1)."""
        rows = [(name, str(g), 1.0) for g in up] + [(name, str(g), -1.0) for g in down]
        return cls(pd.DataFrame(rows, columns=["set", "gene", "weight"]), source=source)

    # ---- views --------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Set names in file order."""
        return list(dict.fromkeys(self.table["set"]))

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in set(self.table["set"])

    def genes(self, name: str, *, direction: str = "all") -> list[str]:
        """Members of ``name``; ``direction`` is ``"all"``, ``"up"`` (weight ≥ 0) or ``"down"``."""
        if name not in self:
            msg = f"no gene set named {name!r}; available: {', '.join(self.names[:10])}…"
            raise DataValidationError(msg)
        t = self.table[self.table["set"] == name]
        if direction == "up":
            t = t[~(t["weight"] < 0)]
        elif direction == "down":
            t = t[t["weight"] < 0]
        return t["gene"].tolist()

    def sizes(self) -> pd.Series:
        """Number of genes per set (as listed, before matching)."""
        return self.table.groupby("set", sort=False).size().reindex(self.names)

    def to_dict(self) -> dict[str, list[str]]:
        """``{name: [gene, ...]}``."""
        return {n: g["gene"].tolist() for n, g in self.table.groupby("set", sort=False)}

    def to_frame(self) -> pd.DataFrame:
        """The long ``set, gene, weight`` table (a copy)."""
        return self.table.copy()

    def subset(self, names: Sequence[str]) -> GeneSets:
        """Only the named sets, in the given order."""
        unknown = [n for n in names if n not in self]
        if unknown:
            msg = f"unknown gene set(s) {unknown}; available: {', '.join(self.names)}."
            raise DataValidationError(msg)
        t = self.table[self.table["set"].isin(names)]
        t = t.assign(_o=t["set"].map({n: i for i, n in enumerate(names)})).sort_values(
            "_o", kind="stable"
        )
        desc = {n: self.descriptions.get(n, "") for n in names}
        return GeneSets(t.drop(columns="_o"), descriptions=desc, source=self.source)

    def __add__(self, other: GeneSets) -> GeneSets:
        clash = set(self.names) & set(other.names)
        if clash:
            msg = f"gene-set names occur in both collections: {sorted(clash)[:5]}"
            raise DataValidationError(msg)
        return GeneSets(
            pd.concat([self.table, other.table], ignore_index=True),
            descriptions={**self.descriptions, **other.descriptions},
            source=" + ".join(s for s in (self.source, other.source) if s),
        )

    def match(self, genes: Sequence[str]) -> GeneSetMatch:
        """Match members to a gene universe (e.g. the rows of an expression matrix).

        Each member is mapped to the **first** row with that identifier (R ``match()``,
        which is what GSVA 1.46 does when row names repeat).
        """
        return match_gene_sets(self, genes)

    def summary(self) -> str:
        """One line per collection."""
        s = self.sizes()
        return (
            f"GeneSets: {len(s)} sets from {self.source or 'memory'}; "
            f"sizes {int(s.min()) if len(s) else 0}–{int(s.max()) if len(s) else 0} genes"
        )

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class GeneSetMatch:
    """Result of matching gene sets to a gene universe.

    Attributes
    ----------
    indices : dict of str to numpy.ndarray
        Row indices (into the universe) of each set's matched members, in set order.
    weights : dict of str to numpy.ndarray
        The matching weights (+1/−1 or real).
    report : pandas.DataFrame
        One row per set: ``set, n_listed, n_matched, fraction_matched, missing`` (the first
        missing identifiers, comma separated).
    """

    indices: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    report: pd.DataFrame
    missing: dict[str, list[str]]

    def n_matched(self) -> pd.Series:
        """Matched members per set."""
        return self.report.set_index("set")["n_matched"]


def match_gene_sets(gene_sets: GeneSets, genes: Sequence[str]) -> GeneSetMatch:
    """Map every set's members to row indices of ``genes`` (first occurrence wins)."""
    universe = pd.Index([str(g) for g in genes])
    first = ~universe.duplicated(keep="first")
    uniq = universe[first]
    uniq_pos = np.flatnonzero(first)
    t = gene_sets.table
    hit = uniq.get_indexer(t["gene"])  # one vectorised lookup for all members
    pos_all = np.where(hit >= 0, uniq_pos[np.maximum(hit, 0)], -1)
    w_all = t["weight"].to_numpy(dtype=float)
    genes_all = t["gene"].to_numpy()
    indices: dict[str, np.ndarray] = {}
    weights: dict[str, np.ndarray] = {}
    missing: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for name, rows_idx in t.groupby("set", sort=False).indices.items():
        pos = pos_all[rows_idx]
        found = pos >= 0
        indices[name] = pos[found].astype(np.intp)
        weights[name] = w_all[rows_idx][found]
        miss = genes_all[rows_idx][~found].tolist()
        missing[name] = miss
        n = len(rows_idx)
        rows.append(
            {
                "set": name,
                "n_listed": n,
                "n_matched": int(found.sum()),
                "fraction_matched": float(found.sum()) / n if n else np.nan,
                "missing": ", ".join(miss[:20]) + (" …" if len(miss) > 20 else ""),
            }
        )
    report = pd.DataFrame(
        rows, columns=["set", "n_listed", "n_matched", "fraction_matched", "missing"]
    )
    return GeneSetMatch(indices=indices, weights=weights, report=report, missing=missing)


def clean_ids(values: pd.Series) -> pd.Series:
    """Identifiers as stripped strings; spreadsheet-style Entrez floats ``"5747.0"`` → ``"5747"``."""
    ids = values.astype(str).str.strip()
    if len(ids) and ids.str.fullmatch(r"\d+\.0").mean() > 0.9:
        ids = ids.str.replace(r"\.0$", "", regex=True)
    return ids


def read_gmt(path: str | Path, *, source: str | None = None) -> GeneSets:
    """Parse a GMT file (``name <TAB> description <TAB> gene …``, optionally gzip)."""
    import gzip

    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found."
        raise DataValidationError(msg)
    opener = gzip.open if p.name.lower().endswith(".gz") else open
    rows: list[tuple[str, str, float]] = []
    desc: dict[str, str] = {}
    with opener(p, "rt", encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                msg = (
                    f"{p}: line {lineno} has {len(parts)} tab-separated field(s); a GMT line is "
                    "name <TAB> description <TAB> gene1 <TAB> gene2 …"
                )
                raise DataValidationError(msg)
            name = parts[0].strip()
            if name in desc:
                msg = f"{p}: line {lineno}: gene set {name!r} is defined twice."
                raise DataValidationError(msg)
            desc[name] = parts[1]
            rows += [(name, g.strip(), 1.0) for g in parts[2:] if g.strip()]
    if not rows:
        msg = f"{p}: no gene sets found."
        raise DataValidationError(msg)
    table = pd.DataFrame(rows, columns=["set", "gene", "weight"])
    table["gene"] = clean_ids(table["gene"])
    return GeneSets(table, descriptions=desc, source=source or p.name)
