"""``rk omics``: signature scores, enrichment, survival association, copy number, DE."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from repurposekit.cli._common import console, ensure_out_dir, parse_list, save_figure, write_table

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Signature scores, enrichment, survival association, copy number, DE. "
        "The examples run on the bundled simulated demo data, in the folder printed by "
        "python -c \"import repurposekit.datasets as d; print(d.path('omics'))\"."
    ),
)


def _notes(func: Callable[..., None]) -> Callable[..., None]:
    """Show library warnings (dropped sets, dropped samples …) as notes instead of failing."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                func(*args, **kwargs)
            finally:
                for w in caught:
                    console.print(f"[yellow]note:[/] {w.message}", highlight=False)

    return wrapper


def _gene_sets(spec: str):
    """A GMT/long-table path, or ``builtin:<name>`` (comma-separate several)."""
    from repurposekit.io.expression import read_gene_sets
    from repurposekit.omics import builtin_gene_sets

    out = None
    for part in parse_list(spec):
        gs = (
            builtin_gene_sets(part.split(":", 1)[1])
            if part.startswith("builtin:")
            else read_gene_sets(part)
        )
        out = gs if out is None else out + gs
    if out is None:
        from repurposekit._exceptions import DataValidationError

        msg = "--gene-sets is empty; give a GMT file or builtin:hallmark / builtin:fak_ecm."
        raise DataValidationError(msg)
    return out


@app.command("score")
@_notes
def score(
    expr: Path = typer.Argument(
        ..., help="Genes × samples matrix (TSV/CSV/.gz/Parquet), first column gene id."
    ),
    gene_sets: str = typer.Option(
        "builtin:all_symbols",
        "--gene-sets",
        help="GMT or long set,gene[,weight] file, or builtin:<name>.",
    ),
    method: str = typer.Option(
        "ssgsea", "--method", help="ssgsea | gsva | zscore | plage | singscore"
    ),
    out: Path = typer.Option(Path("rk-omics"), "--out", help="Output folder."),
    min_size: int = typer.Option(1, "--min-size", help="Drop sets with fewer matched genes."),
    max_size: int = typer.Option(100000, "--max-size", help="Drop sets with more matched genes."),
    no_normalize: bool = typer.Option(
        False, "--no-normalize", help="ssGSEA: raw scores (ssgsea.norm=FALSE)."
    ),
    kcdf: str = typer.Option(
        "gaussian", "--kcdf", help="GSVA kernel: gaussian (log data) | poisson (counts)."
    ),
    duplicates: str = typer.Option(
        "keep",
        "--duplicates",
        help="Repeated gene ids: keep (GSVA 1.46) | error | first | mean | max_mean.",
    ),
) -> None:
    """Score gene sets in every sample; writes scores.csv, gene_set_matching.csv, heatmap.png.

    Files of the example: the bundled demo folder, repurposekit.datasets.path('omics').

    Example: rk omics score expression.tsv.gz --gene-sets builtin:all_symbols --method ssgsea --min-size 5 --max-size 500 --out out
    """
    from repurposekit.io.expression import read_expression
    from repurposekit.omics import score_gene_sets
    from repurposekit.plot.omics import score_heatmap

    x = read_expression(expr, duplicates=duplicates)
    res = score_gene_sets(
        x,
        _gene_sets(gene_sets),
        method=method,
        min_size=min_size,
        max_size=max_size,
        normalize=not no_normalize,
        kcdf=kcdf,
    )
    d = ensure_out_dir(out)
    write_table(
        res.scores.reset_index(),
        d / "scores.csv",
        header=[f"{method} scores, sets x samples ({expr.name})"],
    )
    write_table(res.matched, d / "gene_set_matching.csv")
    save_figure(score_heatmap(res).figure, d / "heatmap.png")
    console.print(f"{res.summary()}. Wrote {d}/scores.csv, gene_set_matching.csv, heatmap.png")


@app.command("enrich")
@_notes
def enrich(
    genes: Path = typer.Argument(
        ...,
        help="Query gene list (one per line) for ORA, or a ranked list 'gene<TAB>metric' (.rnk) for GSEA.",
    ),
    gene_sets: str = typer.Option(
        "builtin:all_symbols", "--gene-sets", help="GMT / long table / builtin:<name>."
    ),
    background: Path | None = typer.Option(
        None, "--background", help="ORA universe: gene list, or an expression matrix (its genes)."
    ),
    method: str = typer.Option("auto", "--method", help="ora | gsea | auto (gsea for .rnk files)."),
    permutations: int = typer.Option(1000, "--permutations", help="GSEA gene-set permutations."),
    min_size: int = typer.Option(15, "--min-size", help="GSEA min set size (ORA: 1)."),
    max_size: int = typer.Option(500, "--max-size", help="Max set size."),
    rng: int = typer.Option(20261125, "--rng", help="GSEA random seed."),
    out: Path = typer.Option(Path("rk-omics"), "--out", help="Output folder."),
) -> None:
    """Over-representation (hypergeometric + BH) or preranked GSEA (GSEA desktop NES/FDR).

    Files of the example: the bundled demo folder, repurposekit.datasets.path('omics').

    Example: rk omics enrich out/ranking.rnk --gene-sets builtin:hallmark --out out
    """
    import pandas as pd

    from repurposekit._exceptions import DataValidationError
    from repurposekit._validate import read_table
    from repurposekit.omics import gsea_preranked, ora
    from repurposekit.plot.omics import enrichment_bar, gsea_plot

    if not genes.exists():
        msg = f"{genes}: file not found."
        raise DataValidationError(msg)
    gs = _gene_sets(gene_sets)
    d = ensure_out_dir(out)
    if method == "auto":
        method = "gsea" if genes.suffix.lower() == ".rnk" else "ora"
    if method == "gsea":
        t = pd.read_csv(genes, sep="\t", header=None, comment="#")
        if t.shape[1] < 2:
            msg = f"{genes}: a ranked list needs two tab-separated columns, gene and metric."
            raise DataValidationError(msg)
        ranking = pd.Series(
            pd.to_numeric(t.iloc[:, 1], errors="coerce").to_numpy(), index=t.iloc[:, 0].astype(str)
        )
        res = gsea_preranked(
            ranking, gs, permutations=permutations, min_size=min_size, max_size=max_size, rng=rng
        )
        write_table(res.table, d / "gsea.csv")
        for name in res.table["set"].head(3):
            save_figure(gsea_plot(res, name).figure, d / f"gsea_{name[:60]}.png")
        console.print(f"{res.summary()}. Wrote {d}/gsea.csv and plots of the top 3 sets")
        return
    if method != "ora":
        msg = f"--method must be ora, gsea or auto, got {method!r}."
        raise DataValidationError(msg)
    query = [
        line.strip().split("\t")[0]
        for line in genes.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if background is None:
        msg = "ORA needs --background (all genes that could have been selected, e.g. the expression matrix)."
        raise DataValidationError(msg)
    name = background.name.lower()
    if name.endswith((".txt", ".list")) and not name.endswith(".tsv.txt"):
        bg = [ln.strip() for ln in background.read_text().splitlines() if ln.strip()]
    else:
        bg = read_table(background, usecols=[0]).iloc[:, 0].astype(str).tolist()
    res = ora(query, gs, background=bg, max_size=max_size)
    write_table(res.table, d / "ora.csv")
    save_figure(enrichment_bar(res).figure, d / "ora.png")
    console.print(f"{res.summary()}. Wrote {d}/ora.csv, ora.png")


@app.command("survival")
@_notes
def survival(
    scores: Path = typer.Argument(
        ...,
        help="Features table: sets × samples (as 'rk omics score' writes) or samples × features.",
    ),
    clinical: Path = typer.Option(..., "--clinical", help="Table with sample, time, event."),
    time: str = typer.Option("time", "--time", help="Time column (≥ 0, any unit)."),
    event: str = typer.Option("event", "--event", help="Event column (1 event, 0 censored)."),
    sample: str = typer.Option("sample", "--sample", help="Sample id column."),
    layout: str = typer.Option(
        "auto", "--layout", help="features_by_samples | samples_by_features | auto"
    ),
    km: str = typer.Option(
        "", "--km", help="Comma-separated features for KM plots (median and optimal cut)."
    ),
    out: Path = typer.Option(Path("rk-omics"), "--out", help="Output folder."),
) -> None:
    """Cox per feature (HR per SD, Wald p, concordance, BH) + median-split log-rank; forest and KM plots.

    Files of the example: the bundled demo folder, repurposekit.datasets.path('omics').

    Example: rk omics survival out/scores.csv --clinical clinical.tsv --km HALLMARK_G2M_CHECKPOINT --out out
    """
    from repurposekit._validate import read_table
    from repurposekit.io.expression import read_clinical
    from repurposekit.omics import cutpoint_analysis, survival_association
    from repurposekit.plot.omics import association_forest, cutpoint_km

    clin = read_clinical(clinical, sample=sample, time=time, event=event)
    t = read_table(scores, comment="#")
    t = t.set_index(t.columns[0])
    t.index = t.index.astype(str)
    if layout == "auto":
        layout = (
            "features_by_samples"
            if len(set(t.columns) & set(clin.index)) > len(set(t.index) & set(clin.index))
            else "samples_by_features"
        )
    feats = t.T if layout == "features_by_samples" else t
    res = survival_association(feats, clin, time=time, event=event)
    d = ensure_out_dir(out)
    write_table(res.table.sort_values("p_value"), d / "survival_association.csv")
    if res.dropped_samples:
        write_table(
            __import__("pandas").DataFrame(
                {"sample": res.dropped_samples, "reason": "not in clinical table"}
            ),
            d / "dropped_samples.csv",
        )
    save_figure(association_forest(res).figure, d / "forest.png")
    for f in parse_list(km):
        if f not in feats.columns:
            console.print(f"[yellow]skip KM for {f!r}: not a feature[/]")
            continue
        for m in ("median", "optimal"):
            cut = cutpoint_analysis(feats[f].rename(f), clin, method=m, time=time, event=event)
            save_figure(cutpoint_km(cut).figure, d / f"km_{f[:60]}_{m}.png")
            write_table(cut.to_frame(), d / f"cutpoint_{f[:60]}_{m}.csv")
    console.print(f"{res.summary()}. Wrote {d}/survival_association.csv, forest.png")


@app.command("cna")
@_notes
def cna(
    data: Path = typer.Argument(
        ..., help="Segments (.seg: ID chrom loc.start loc.end seg.mean) or gene-level log2 ratios."
    ),
    genes: str = typer.Option("PTK2", "--genes", help="Comma-separated genes."),
    gain: float = typer.Option(0.3, "--gain", help="log2 ratio ≥ this = gain."),
    amplification: float = typer.Option(
        1.0, "--amplification", help="log2 ratio ≥ this = amplification."
    ),
    loss: float = typer.Option(-0.3, "--loss", help="log2 ratio ≤ this = loss."),
    deletion: float = typer.Option(-1.0, "--deletion", help="log2 ratio ≤ this = deep deletion."),
    location: str = typer.Option(
        "", "--location", help="For segments of a gene without built-in location: chrom:start-end."
    ),
    cohort: Path | None = typer.Option(
        None, "--cohort", help="Table sample,cohort for per-cohort frequencies."
    ),
    out: Path = typer.Option(Path("rk-omics"), "--out", help="Output folder."),
) -> None:
    """Call gain/amplification per sample and report frequency with exact (Clopper–Pearson) CI.

    Files of the example: the bundled demo folder, repurposekit.datasets.path('omics').

    Example: rk omics cna acc_simulated_segments.tsv --genes PTK2 --cohort acc_simulated_biomarkers.tsv --out out
    """
    from repurposekit._exceptions import DataValidationError
    from repurposekit._validate import read_table
    from repurposekit.omics import call_copy_number
    from repurposekit.plot.omics import cna_frequency

    df = read_table(data)
    glist = parse_list(genes)
    locs = None
    if location:
        try:
            ch, rng_ = location.split(":")
            a, b = rng_.replace(",", "").split("-")
            locs = {glist[0]: (ch.replace("chr", ""), int(a), int(b))}
        except ValueError:
            msg = f"--location {location!r} is not chrom:start-end (e.g. 8:140657900-141002216)."
            raise DataValidationError(msg) from None
    coh = None
    if cohort is not None:
        c = read_table(cohort)
        coh = c.set_index(c.columns[0]).iloc[:, 0]
    if df.columns[0].lower() not in ("id", "sample") and "gene" not in [
        c.lower() for c in df.columns
    ]:
        df = df.set_index(df.columns[0])
    res = call_copy_number(
        df,
        genes=glist,
        locations=locs,
        cohort=coh,
        thresholds={
            "gain": gain,
            "amplification": amplification,
            "loss": loss,
            "deep_deletion": deletion,
        },
    )
    d = ensure_out_dir(out)
    write_table(
        res.table, d / "cna_calls.csv", header=[f"thresholds (log2 ratio): {res.thresholds}"]
    )
    freq = res.frequency(by="cohort" if coh is not None else None)
    write_table(freq, d / "cna_frequency.csv")
    save_figure(
        cna_frequency(res, by="cohort" if coh is not None else None).figure, d / "cna_frequency.png"
    )
    console.print(res.summary())


@app.command("de")
@_notes
def de(
    expr: Path = typer.Argument(
        ..., help="Genes × samples: counts (deseq2) or log values (moderated/welch)."
    ),
    groups: Path = typer.Option(
        ..., "--groups", help="Table with the sample id first and a group column."
    ),
    group_column: str = typer.Option(
        "", "--group-column", help="Column of --groups with the labels (default: the second)."
    ),
    group: str = typer.Option(..., "--group", help="Treated/test label."),
    reference: str = typer.Option(..., "--reference", help="Control label."),
    method: str = typer.Option("moderated", "--method", help="moderated | welch | deseq2"),
    out: Path = typer.Option(Path("rk-omics"), "--out", help="Output folder."),
) -> None:
    """Differential expression; writes de.csv, ranking.rnk (for 'rk omics enrich') and volcano.png.

    Files of the example: the bundled demo folder, repurposekit.datasets.path('omics').

    Example: rk omics de expression.tsv.gz --groups clinical.tsv --group-column erlev --group 3 --reference 0 --out out
    """
    from repurposekit._validate import read_table, require_columns
    from repurposekit.io.expression import read_expression
    from repurposekit.omics import differential_expression
    from repurposekit.plot.omics import volcano

    x = read_expression(expr)
    g = read_table(groups, dtype=str)
    if group_column:
        require_columns(g, [group_column], source=groups, hint="Pass --group-column.")
    g = g.set_index(g.columns[0])
    lab = g[group_column] if group_column else g.iloc[:, 0]
    res = differential_expression(x, lab, group=group, reference=reference, method=method)
    d = ensure_out_dir(out)
    write_table(res.table, d / "de.csv")
    r = res.ranking().sort_values(ascending=False)
    (d / "ranking.rnk").write_text(
        "".join(f"{k}\t{v:.6g}\n" for k, v in r.items()), encoding="utf-8"
    )
    save_figure(volcano(res).figure, d / "volcano.png")
    console.print(f"{res.summary()}. Wrote {d}/de.csv, ranking.rnk, volcano.png")
