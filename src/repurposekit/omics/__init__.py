"""Transcriptomics and biomarkers: signature scores, enrichment, survival association, copy number.

Public API
----------
score_gene_sets(expression, gene_sets, *, method="ssgsea"|"gsva"|"zscore"|"plage"|"singscore")
    -> SignatureScores (GSVA 1.46 / singscore definitions, same numbers)
ora(query, gene_sets, *, background) -> EnrichmentResult (hypergeometric + BH)
gsea_preranked(ranking, gene_sets, *, permutations, rng) -> GSEAResult (GSEA desktop ES/NES/p/FDR)
differential_expression(expression, groups, *, group, reference, method) -> DEResult
survival_association(features, clinical, *, time, event) -> SurvivalAssociation (Cox per feature)
cutpoint_analysis(values, clinical, *, method="optimal"|"median") -> CutpointResult
call_copy_number(data, *, genes=("PTK2",)) -> CopyNumberCalls (gain/amp calls, exact-CI frequency)
stratify(data, *, markers, time, event) -> Stratification (trial-designer table)
builtin_gene_sets(name) -> GeneSets; GeneSets.from_dict / from_up_down
"""

from repurposekit.omics._builtin import builtin_gene_sets, list_builtin_gene_sets
from repurposekit.omics._cna import (
    CopyNumberCalls,
    call_copy_number,
    clopper_pearson,
    proportion_table,
)
from repurposekit.omics._de import DEResult, differential_expression
from repurposekit.omics._enrich import EnrichmentResult, GSEAResult, gsea_preranked, ora
from repurposekit.omics._genesets import GeneSetMatch, GeneSets
from repurposekit.omics._kernels import bh_adjust
from repurposekit.omics._scores import METHODS, SignatureScores, score_gene_sets
from repurposekit.omics._strata import Stratification, stratify
from repurposekit.omics._survival import (
    CutpointResult,
    SurvivalAssociation,
    altman_p,
    cutpoint_analysis,
    lausen_schumacher_p,
    survival_association,
)

__all__ = [
    "METHODS",
    "CopyNumberCalls",
    "CutpointResult",
    "DEResult",
    "EnrichmentResult",
    "GSEAResult",
    "GeneSetMatch",
    "GeneSets",
    "SignatureScores",
    "Stratification",
    "SurvivalAssociation",
    "altman_p",
    "bh_adjust",
    "builtin_gene_sets",
    "call_copy_number",
    "clopper_pearson",
    "cutpoint_analysis",
    "differential_expression",
    "gsea_preranked",
    "lausen_schumacher_p",
    "list_builtin_gene_sets",
    "ora",
    "proportion_table",
    "score_gene_sets",
    "stratify",
    "survival_association",
]
