"""Built-in, freely licensed gene sets (see ``datasets/genesets/PROVENANCE.md``)."""

from __future__ import annotations

from repurposekit._exceptions import DataValidationError
from repurposekit.omics._genesets import GeneSets, read_gmt

__all__ = ["builtin_gene_sets", "list_builtin_gene_sets"]

_FILES = {
    "hallmark": "msigdb_hallmark_v7.0.symbols.gmt",
    "fak_ecm": "msigdb_v7.5.1_c2_fak_integrin_ecm.symbols.gmt",
    "wikipathways_fak": "wikipathways_20230410_focal_adhesion_ecm.entrez.gmt",
}
_INFO = {
    "hallmark": (
        "50 MSigDB Hallmark sets, HGNC symbols",
        "MSigDB v7.0, CC BY 4.0 (Liberzon et al. 2015)",
    ),
    "fak_ecm": (
        "31 C2 sets: PID_FAK_PATHWAY, integrin/syndecan, NABA matrisome, Reactome ECM, WP focal adhesion; symbols",
        "MSigDB v7.5.1, CC BY 4.0; Reactome/WikiPathways CC0",
    ),
    "wikipathways_fak": (
        "WP306 focal adhesion and 3 related WikiPathways, Entrez IDs",
        "WikiPathways 2023-04-10, CC0",
    ),
}


def list_builtin_gene_sets() -> dict[str, str]:
    """Names of the built-in collections with a one-line description and licence.

    Examples
    --------
    >>> sorted(list_builtin_gene_sets())
    ['all_symbols', 'fak_ecm', 'hallmark', 'wikipathways_fak']
    """
    out = {k: f"{d} [{lic}]" for k, (d, lic) in _INFO.items()}
    out["all_symbols"] = "hallmark + fak_ecm (81 sets, symbols) [CC BY 4.0]"
    return out


def builtin_gene_sets(name: str = "all_symbols") -> GeneSets:
    """Load a built-in gene-set collection by name.

    Parameters
    ----------
    name : str
        ``"hallmark"``, ``"fak_ecm"``, ``"wikipathways_fak"`` or ``"all_symbols"``
        (hallmark + fak_ecm, the 81 sets of the GSE3143 reference).

    Returns
    -------
    GeneSets

    Examples
    --------
    >>> gs = builtin_gene_sets("fak_ecm")
    >>> "PTK2" in gs.genes("PID_FAK_PATHWAY")
    True
    """
    from repurposekit.datasets import path

    if name == "all_symbols":
        return builtin_gene_sets("hallmark") + builtin_gene_sets("fak_ecm")
    if name not in _FILES:
        msg = f"no built-in gene sets named {name!r}; available: {', '.join(sorted(list_builtin_gene_sets()))}."
        raise DataValidationError(msg)
    return read_gmt(path("genesets", _FILES[name]), source=f"builtin:{name}")
