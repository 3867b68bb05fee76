"""Demo section: transcriptomic signatures and biomarkers (simulated breast-like and ACC-like cohorts)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from repurposekit.report._html import Section

FAK_SETS = (
    "PID_FAK_PATHWAY",
    "WP_FOCAL_ADHESION",
    "WP_FOCAL_ADHESION_PI3KAKTMTORSIGNALING_PATHWAY",
    "REACTOME_MET_ACTIVATES_PTK2_SIGNALING",
    "PTK2 mRNA",
)
ECM_SETS = (
    "REACTOME_INTEGRIN_SIGNALING",
    "NABA_CORE_MATRISOME",
    "REACTOME_EXTRACELLULAR_MATRIX_ORGANIZATION",
    "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",
)
PROLIFERATION_SETS = ("HALLMARK_G2M_CHECKPOINT", "HALLMARK_E2F_TARGETS", "HALLMARK_MITOTIC_SPINDLE")


GROUPS = {
    "proliferation": PROLIFERATION_SETS,
    "FAK / focal adhesion": FAK_SETS,
    "integrin / ECM": ECM_SETS,
}


def _verdict(row: pd.Series) -> str:
    if row["q_value"] < 0.05:
        return "prognostic (BH q < 0.05)"
    if row["p_value"] < 0.05:
        return "nominal p < 0.05 only, not significant after BH"
    return "not prognostic"


def analyse_prognosis(
    expr: pd.DataFrame, clin: pd.DataFrame, *, gene_sets: object = None
) -> tuple[object, pd.DataFrame]:
    """The demo's survival analysis, also run on the real GSE3143 by the reference tests.

    ssGSEA (GSVA definition, normalised; sets with 5–500 matched genes) of every built-in
    symbol set, plus PTK2 mRNA; univariate Cox per feature on the z-scored feature (HR per
    SD, Wald p) with BH over all features. Returns ``(scores, table)`` where ``table`` is
    indexed by feature and has ``group`` (proliferation / FAK / integrin-ECM / other) and
    ``verdict`` columns.
    """
    from repurposekit import omics

    gs = gene_sets if gene_sets is not None else omics.builtin_gene_sets("all_symbols")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sets dropped for size are listed in scores.matched
        scores = omics.score_gene_sets(expr, gs, method="ssgsea", min_size=5, max_size=500)
    feats = scores.by_sample().assign(**{"PTK2 mRNA": expr.loc["PTK2"]})
    assoc = omics.survival_association(feats, clin, time="time", event="event")
    tab = assoc.table.set_index("feature")  # q_value: BH over all scored sets + PTK2 mRNA
    where = {f: g for g, fs in GROUPS.items() for f in fs}
    tab["group"] = [where.get(f, "other") for f in tab.index]
    tab["verdict"] = tab.apply(_verdict, axis=1)
    return scores, tab


def _fmt(feature: str, r: pd.Series) -> str:
    return f"{feature} HR {r['hr']:.2f}/SD, p = {r['p_value']:.2g}, q = {r['q_value']:.2g}"


def finding_text(tab: pd.DataFrame) -> str:
    """Plain statement of what the Cox table shows for the FAK and proliferation scores."""
    n = len(tab)
    fak = tab.loc[[f for f in FAK_SETS if f in tab.index]]
    prol = tab.loc[[f for f in PROLIFERATION_SETS if f in tab.index]]
    fak_list = "; ".join(_fmt(f, r) for f, r in fak.iterrows())
    prol_list = "; ".join(_fmt(f, r) for f, r in prol.iterrows())
    if (fak["p_value"] >= 0.05).all():
        msg = (
            "Null finding: the FAK / focal-adhesion scores are NOT prognostic (all p ≥ 0.05: "
            f"{fak_list})."
        )
    else:
        hits = fak[fak["p_value"] < 0.05]
        msg = (
            f"FAK / focal-adhesion scores: {len(hits)} of {len(fak)} have p < 0.05 "
            f"({'; '.join(_fmt(f, r) for f, r in hits.iterrows())}); "
            + (
                "at least one passes BH."
                if (hits["q_value"] < 0.05).any()
                else "none passes BH over all scores."
            )
            + f" All: {fak_list}."
        )
    g2m = prol.iloc[0]
    direction = "shorter" if g2m["hr"] > 1 else "longer"
    if (prol["q_value"] < 0.05).any():
        msg += (
            f" Proliferation is prognostic: higher scores go with {direction} survival and "
            f"pass BH over all {n} scores ({prol_list})."
        )
    elif (prol["p_value"] < 0.05).any():
        msg += (
            f" Proliferation is associated with {direction} survival at nominal p < 0.05 "
            f"({prol_list}), but after BH over all {n} scores it is not significant "
            f"({g2m.name} q = {g2m['q_value']:.2g}); as a single pre-specified readout, "
            f"{g2m.name} has p = {g2m['p_value']:.2g}."
        )
    else:
        msg += f" Proliferation is not associated with survival either ({prol_list})."
    return msg


def build(out: Path) -> Section:
    """Score, associate with survival, enrich, call PTK2 gain and stratify on bundled data."""
    import matplotlib.pyplot as plt

    from repurposekit import datasets, omics
    from repurposekit.io.expression import read_clinical, read_expression
    from repurposekit.plot import omics as pl

    sec = Section("omics", "Transcriptomic signatures and biomarkers", Path(out))
    expr = read_expression(datasets.path("omics", "expression.tsv.gz"))
    clin = read_clinical(datasets.path("omics", "clinical.tsv"))
    sec.text(
        f"Data: a SIMULATED breast-cancer-like cohort ({expr.shape[1]} tumours × {expr.shape[0]} "
        "genes, overall survival in months; datasets/omics/generate.py) in which, by construction, "
        "a proliferation programme raises the hazard and the focal-adhesion / FAK / ECM programme "
        "does not. It shows the workflow; nothing biological can be concluded from it. Gene sets: "
        "the 81 built-in MSigDB Hallmark and FAK/integrin/ECM sets (CC BY 4.0; WP_FOCAL_ADHESION "
        "stands in for the KEGG map, which is not freely licensed). The same analysis on the real "
        "GSE3143 cohort is run by the reference tests (docs/omics.md)."
    )
    scores, tab = analyse_prognosis(expr, clin)
    sec.table(
        scores.matched[["set", "n_listed", "n_matched", "fraction_matched", "status"]],
        "gene_set_matching",
        caption="Gene-set members found on the (simulated) array; unmatched members are listed in the CSV.",
        max_rows=10,
    )
    show = [s for s in (*PROLIFERATION_SETS, *FAK_SETS) if s in scores.scores.index]
    ax = pl.score_heatmap(scores, sets=show, order_by="HALLMARK_G2M_CHECKPOINT")
    sec.figure(
        ax.figure,
        "score_heatmap",
        caption="ssGSEA scores (GSVA definition) of proliferation and FAK/ECM sets; tumours ordered by G2M score.",
    )
    order = [f for f in (*PROLIFERATION_SETS, *FAK_SETS, *ECM_SETS) if f in tab.index]
    key = tab.loc[order].reset_index()
    cols = ["group", "feature", "hr", "hr_lower", "hr_upper", "p_value", "q_value"]
    cols += ["concordance", "logrank_median_p", "verdict"]
    sec.table(
        key[cols],
        "cox_key_sets",
        caption=(
            f"Univariate Cox per score (HR per SD, 95 % Wald CI, Wald p; BH q over all {len(tab)} "
            "features: every scored set plus PTK2 mRNA). Full table: cox_all_sets.csv."
        ),
    )
    sec.table(
        tab.reset_index().sort_values("p_value"),
        "cox_all_sets",
        caption="All scored sets, by p.",
        max_rows=8,
    )
    msg = finding_text(tab)
    others = tab[(tab["group"] == "other") & (tab["q_value"] < 0.05)]
    if not others.empty:
        g2m = scores.scores.loc["HALLMARK_G2M_CHECKPOINT"]
        rs = {
            f: float(np.corrcoef(scores.scores.loc[f], g2m)[0, 1])
            for f in others.index
            if f in scores.scores.index
        }
        msg += (
            f" Also passing BH ({len(others)} other features): "
            + "; ".join(
                _fmt(f, r) + (f", r = {rs[f]:+.2f} with G2M" if f in rs else "")
                for f, r in others.sort_values("p_value").iterrows()
            )
            + ". The simulation gives none of these a survival term of its own: they share "
            "genes with the proliferation programme, or with the oestrogen programme that is "
            "correlated with it (ρ = −0.45 by construction); r is the Pearson correlation of "
            "each score with the G2M score. A univariate screen cannot tell such passengers "
            "from drivers: pre-specify the hypothesis or confirm in an independent cohort."
        )
    sec.text(msg, kind="warning")
    ax = pl.association_forest(
        omics.SurvivalAssociation(table=tab.reset_index(), dropped_samples=[], settings={}),
        features=order,
    )
    sec.figure(
        ax.figure,
        "forest",
        caption="Hazard ratio per SD of each score with 95 % Wald CI; dashed line HR = 1; orange = BH q < 0.05.",
    )

    med = omics.cutpoint_analysis(
        scores.scores.loc["HALLMARK_G2M_CHECKPOINT"], clin, method="median"
    )
    opt = omics.cutpoint_analysis(scores.scores.loc["PID_FAK_PATHWAY"], clin, method="optimal")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    pl.cutpoint_km(med, ax=axes[0], time_label="months")
    pl.cutpoint_km(opt, ax=axes[1], time_label="months")
    sec.figure(
        fig,
        "km_cutpoints",
        caption=(
            "Left: G2M score split at the median. Right: PID_FAK_PATHWAY split at the log-rank-optimal "
            "cut (10–90 % of tumours per group); the nominal p of an optimal cut is corrected for the "
            "search (Lausen–Schumacher 1992). Numbers at risk under each panel."
        ),
    )
    sec.table(
        pd.concat([med.to_frame(), opt.to_frame()], ignore_index=True),
        "cutpoints",
        caption="Cut-point analyses.",
    )

    groups = pd.Series(
        clin["erlev"].map(lambda v: "ER high" if v >= 2 else "ER low"), index=clin.index
    )
    de = omics.differential_expression(
        expr, groups, group="ER high", reference="ER low", method="moderated"
    )
    hallmark = omics.builtin_gene_sets("hallmark")
    gsea = omics.gsea_preranked(de.ranking(), hallmark, permutations=1000, rng=20261125)
    sec.table(
        gsea.table[["set", "size", "es", "nes", "p_value", "fdr_q", "fwer_p"]].head(8),
        "gsea_er_high_vs_low",
        caption="Preranked GSEA (moderated t, ER-high vs ER-low tumours; 1,000 gene-set permutations; GSEA desktop NES/FDR rules).",
    )
    ax = pl.gsea_plot(gsea, "HALLMARK_ESTROGEN_RESPONSE_EARLY")
    sec.figure(
        ax.figure,
        "gsea_estrogen",
        caption="Sanity check: the oestrogen-response set is enriched at the top of the ER-high ranking.",
    )

    cna_seg = pd.read_csv(datasets.path("omics", "acc_simulated_segments.tsv"), sep="\t")
    bio = pd.read_csv(datasets.path("omics", "acc_simulated_biomarkers.tsv"), sep="\t").set_index(
        "patient"
    )
    calls = omics.call_copy_number(cna_seg, genes=["PTK2"], cohort=bio["cohort"])
    freq = calls.frequency(by=None)
    sec.text(
        "Simulated ACC-like cohort (228 patients, synthetic; see PROVENANCE): PTK2 called from "
        f"CBS segments at GRCh38 chr8:140,657,900–141,002,216 with log2 ratio ≥ {calls.thresholds['gain']:g} "
        f"= gain, ≥ {calls.thresholds['amplification']:g} = amplification. PTK2 gain/amplification: "
        f"{freq['text'].iloc[0]} (exact Clopper–Pearson 95 % CI).",
        kind="note",
    )
    ax = pl.cna_frequency(calls, by="cohort")
    sec.figure(
        ax.figure,
        "ptk2_frequency",
        caption="PTK2 gain/amplification per cohort with exact 95 % CI.",
    )
    t = calls.table.set_index("sample")
    bio = bio.assign(
        ptk2_gain=t["call"].isin(["gain", "amplification"]).reindex(bio.index).astype(int)
    )
    strat = omics.stratify(
        bio,
        markers={"PTK2 gain": "ptk2_gain", "pY397-FAK": ("pfak_y397_hscore", 100)},
        time="os_months",
        event="death",
    )
    sec.table(
        strat.table.drop(columns=["PTK2 gain", "pY397-FAK"]),
        "strata",
        caption="Trial-designer table (PTK2 gain × pY397-FAK H-score ≥ 100): prevalence with exact CI, events, KM median OS (months), HR vs all other patients.",
    )
    ax = pl.strata_km(strat, time_label="months")
    sec.figure(
        ax.figure, "strata_km", caption="Overall survival by biomarker stratum (simulated cohort)."
    )
    return sec
