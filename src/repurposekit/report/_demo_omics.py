"""Demo section: transcriptomic signatures and biomarkers (GSE3143 + a simulated ACC cohort)."""

from __future__ import annotations

import warnings
from pathlib import Path

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


def _verdict(row: pd.Series) -> str:
    if row["q_value"] < 0.05:
        return "prognostic (BH q < 0.05)"
    if row["p_value"] < 0.05:
        return "nominal p < 0.05 only, not significant after BH"
    return "not prognostic"


def build(out: Path) -> Section:
    """Score, associate with survival, enrich, call PTK2 gain and stratify on bundled data."""
    import matplotlib.pyplot as plt

    from repurposekit import datasets, omics
    from repurposekit.io.expression import read_clinical, read_expression
    from repurposekit.plot import omics as pl

    sec = Section("omics", "Transcriptomic signatures and biomarkers", Path(out))
    expr = read_expression(datasets.path("omics", "expression.tsv.gz"))
    clin = read_clinical(datasets.path("omics", "clinical.tsv"))
    gs = omics.builtin_gene_sets("all_symbols")
    sec.text(
        f"Data: GSE3143 breast tumours ({expr.shape[1]} tumours, {expr.shape[0]} genes of the built-in "
        "sets; overall survival in months) and 81 freely licensed gene sets (MSigDB Hallmark and "
        "FAK/integrin/ECM sets, CC BY 4.0; WP_FOCAL_ADHESION stands in for the KEGG map). "
        "KEGG sets are not shipped (not freely licensed)."
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = omics.score_gene_sets(expr, gs, method="ssgsea", min_size=5, max_size=500)
    sec.table(
        scores.matched[["set", "n_listed", "n_matched", "fraction_matched", "status"]],
        "gene_set_matching",
        caption="Gene-set members found in the array (2006-era symbols; unmatched members are listed in the CSV).",
        max_rows=10,
    )
    show = [s for s in (*PROLIFERATION_SETS, *FAK_SETS) if s in scores.scores.index]
    ax = pl.score_heatmap(scores, sets=show, order_by="HALLMARK_G2M_CHECKPOINT")
    sec.figure(
        ax.figure,
        "score_heatmap",
        caption="ssGSEA scores (GSVA definition) of proliferation and FAK/ECM sets; tumours ordered by G2M score.",
    )

    feats = scores.by_sample().assign(**{"PTK2 mRNA": expr.loc["PTK2"]})
    assoc = omics.survival_association(feats, clin, time="time", event="event")
    tab = assoc.table.set_index("feature")
    tab["q_value"] = omics.bh_adjust(tab["p_value"].to_numpy())  # BH over 80 sets + PTK2
    order = [*PROLIFERATION_SETS, *FAK_SETS, *ECM_SETS]
    key = tab.loc[[f for f in order if f in tab.index]].reset_index()
    key["group"] = key["feature"].map(
        lambda f: (
            "proliferation"
            if f in PROLIFERATION_SETS
            else ("FAK / focal adhesion" if f in FAK_SETS else "integrin / ECM")
        )
    )
    key["verdict"] = key.apply(_verdict, axis=1)
    sec.table(
        key[
            [
                "group",
                "feature",
                "hr",
                "hr_lower",
                "hr_upper",
                "p_value",
                "q_value",
                "concordance",
                "logrank_median_p",
                "verdict",
            ]
        ],
        "cox_key_sets",
        caption=(
            "Univariate Cox per score (HR per SD, 95 % Wald CI, Wald p; BH q over all 80 scored "
            "sets plus PTK2 mRNA). Full table: cox_all_sets.csv."
        ),
    )
    sec.table(
        tab.reset_index().sort_values("p_value"),
        "cox_all_sets",
        caption="All scored sets.",
        max_rows=8,
    )
    fak = key[key["group"] == "FAK / focal adhesion"]
    prol = key[key["group"] == "proliferation"]
    ecm = key[(key["group"] == "integrin / ECM") & (key["p_value"] < 0.05)]

    def fmt(r: object) -> str:
        return f"{r.feature} HR {r.hr:.2f}/SD, p = {r.p_value:.2g}, q = {r.q_value:.2g}"

    g2m = prol.iloc[0]
    ecm = key[(key["group"] == "integrin / ECM") & (key["q_value"] < 0.05)]
    msg = (
        "Null finding: the FAK / focal-adhesion scores are NOT prognostic in GSE3143 ("
        + "; ".join(fmt(r) for r in fak.itertuples())
        + "). Proliferation is associated with shorter survival ("
        + "; ".join(fmt(r) for r in prol.itertuples())
        + f"): as the single pre-specified readout, {g2m['feature']} has p = {g2m['p_value']:.2g}; "
        + (
            "it also passes BH over all scores."
            if g2m["q_value"] < 0.05
            else f"after BH over all {len(tab)} scores it does not (q = {g2m['q_value']:.2g})."
        )
    )
    if not ecm.empty:
        msg += (
            " Also reported, not hidden: "
            + "; ".join(fmt(r) for r in ecm.itertuples())
            + " passes BH. It is an integrin-pathway membership set, not a FAK activity readout; "
            "treat it as a hypothesis for an independent cohort."
        )
    sec.text(msg, kind="warning")
    ax = pl.association_forest(
        assoc.__class__(table=tab.reset_index(), dropped_samples=[], settings=assoc.settings),
        features=order,
    )
    sec.figure(
        ax.figure,
        "forest",
        caption="Hazard ratio per SD of each score with 95 % Wald CI; dashed line HR = 1; orange = BH q < 0.05.",
    )

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    med = omics.cutpoint_analysis(
        scores.scores.loc["HALLMARK_G2M_CHECKPOINT"], clin, method="median"
    )
    opt = omics.cutpoint_analysis(scores.scores.loc["PID_FAK_PATHWAY"], clin, method="optimal")
    pl.cutpoint_km(med, ax=axes[0], time_label="months")
    pl.cutpoint_km(opt, ax=axes[1], time_label="months")
    sec.figure(
        fig,
        "km_cutpoints",
        caption=(
            "Left: G2M score split at the median. Right: PID_FAK_PATHWAY split at the log-rank-optimal "
            "cut (10–90 % of tumours per group); the nominal p of an optimal cut is corrected for the "
            "search (Lausen–Schumacher 1992)."
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
