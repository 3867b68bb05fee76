"""``rk synergy``: SynergyFinder-compatible scores and Chou–Talalay analysis from the command line."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from repurposekit.cli._common import (
    console,
    ensure_out_dir,
    parse_list,
    progress,
    save_figure,
    write_table,
)

app = typer.Typer(no_args_is_help=True)

_README = """RepurposeKit synergy scores ({file})

{convention}

blocks.csv  one row per block: block_id, drug1..K, <method> (mean synergy over combination
            cells), <method>_p_value (SynergyFinder's), <method>_call (synergy > 0 / antagonism
            < 0); ri_1/ri_2 (relative inhibition), ic50_*_molar (capped at the top dose),
            css1_ic502/css2_ic501/css; ci_median and ci_call when 'ci' was asked
            (Chou–Talalay: CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism).
cells.csv   one row per cell: doses (molar), inhibition_pct, <method>_ref, <method>_synergy,
            zip_fit; ci, dri_1, dri_2, ci_call, ci_grade for combination cells when 'ci' asked.
errors.csv  blocks that could not be scored and why (the rest are still scored).
Drug 1 = drug_row, drug 2 = drug_col of the SynergyFinder table.
"""


@app.command("score")
def score(
    file: Path = typer.Argument(..., help="SynergyFinder long table or matrix-layout CSV."),
    out: Path = typer.Option(Path("rk-synergy"), "--out", help="Output folder."),
    methods: str = typer.Option(
        "zip,bliss,hsa,loewe", help="Comma list of zip,bliss,hsa,loewe,ci."
    ),
    input_scale: str = typer.Option(
        None,
        "--input-scale",
        help="viability or inhibition (default: inferred from the no-drug control).",
    ),
    unit: str = typer.Option(
        None, "--unit", help="Concentration unit when the file has no unit column."
    ),
    replicates: str = typer.Option("mean", help="mean or bootstrap."),
    baseline: str = typer.Option("non", help="Baseline correction: non, part, all."),
    scheduler: str = typer.Option(
        "serial", help="serial, processes, threads or a Dask scheduler address tcp://host:8786."
    ),
    chunk_size: int = typer.Option(500, help="Blocks per parallel task."),
    max_figures: int = typer.Option(6, help="Figures are drawn for the first N blocks."),
) -> None:
    """Score drug combinations (Bliss, HSA, Loewe, ZIP; Chou–Talalay CI) and draw the figures.

    Example: rk synergy score combos.csv --methods zip,bliss,hsa,loewe,ci --out results
    """
    import matplotlib

    matplotlib.use("Agg")
    from repurposekit._exceptions import DataValidationError
    from repurposekit.io.synergy import read_synergy
    from repurposekit.plot.synergy import dose_response_matrix, synergy_heatmap, synergy_surface
    from repurposekit.synergy import CONVENTION, combination_index_matrix, score_screen

    wanted = [m.lower() for m in parse_list(methods)]
    allowed = {"zip", "bliss", "hsa", "loewe", "ci", "musyc"}
    bad = [m for m in wanted if m not in allowed]
    if bad:
        msg = f"--methods: unknown {bad}; choose from zip,bliss,hsa,loewe,ci."
        raise DataValidationError(msg)
    if "musyc" in wanted:
        console.print("[yellow]musyc is not available in this version; skipped.[/]")
    ref_methods = [m for m in wanted if m in ("zip", "bliss", "hsa", "loewe")]
    data = read_synergy(file, input_scale=input_scale, default_unit=unit)
    out = ensure_out_dir(out)
    with progress() as bar:
        task = bar.add_task("scoring blocks", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        res = score_screen(
            data,
            methods=ref_methods or ["bliss"],
            scheduler=None if scheduler == "serial" else scheduler,
            chunk_size=chunk_size,
            on_progress=on_progress,
            replicates=replicates,
            correct_baseline=baseline,
        )
    blocks, cells = res.blocks, res.cells
    if "ci" in wanted and len(cells):
        import numpy as np

        from repurposekit.synergy import call_ci

        ok_blocks = set(blocks["block_id"])
        ci = combination_index_matrix(data[data["block_id"].isin(ok_blocks)])
        if len(ci):
            ci = ci.rename(columns={"call": "ci_call", "grade": "ci_grade", "flag": "ci_flag"})
            keep = [
                "block_id",
                "dose1_molar",
                "dose2_molar",
                "ci",
                "dri_1",
                "dri_2",
                "ci_call",
                "ci_grade",
                "ci_flag",
            ]
            cells = cells.merge(ci[keep], on=["block_id", "dose1_molar", "dose2_molar"], how="left")
            med = ci.groupby("block_id")["ci"].median().rename("ci_median")
            blocks = blocks.merge(med, on="block_id", how="left")
            blocks["ci_call"] = call_ci(blocks["ci_median"].to_numpy(dtype=float))
            blocks["ci_call"] = np.where(blocks["ci_median"].notna(), blocks["ci_call"], "n/a")
    header = [CONVENTION]
    write_table(blocks, out / "blocks.csv", header=header)
    write_table(cells, out / "cells.csv", header=header)
    write_table(res.errors, out / "errors.csv")
    (out / "README.txt").write_text(
        _README.format(file=file, convention=CONVENTION), encoding="utf-8"
    )
    shown = list(blocks["block_id"])[:max_figures] if len(blocks) else []
    for b in shown:
        save_figure(dose_response_matrix(res, block=b).figure, out / f"block_{b}_dose_response.png")
        for m in ref_methods:
            save_figure(
                synergy_heatmap(res, block=b, method=m).figure, out / f"block_{b}_{m}_heatmap.png"
            )
        if ref_methods:
            m0 = ref_methods[0]
            save_figure(
                synergy_surface(res, block=b, method=m0).figure, out / f"block_{b}_{m0}_surface.png"
            )
    console.print(
        f"scored {len(blocks)} block(s), {len(res.errors)} failed → {out}/blocks.csv, cells.csv"
        + (f", errors.csv ({len(res.errors)})" if len(res.errors) else "")
    )


@app.command("ci")
def ci(
    file: Path = typer.Argument(
        ..., help="Constant-ratio table: agent, ratio_<drug>..., total_dose, fa[, unit]."
    ),
    out: Path = typer.Option(Path("rk-synergy-ci"), "--out", help="Output folder."),
    unit: str = typer.Option(None, "--unit", help="Dose unit when the table has no 'unit' column."),
    fa: str = typer.Option("0.5,0.75,0.9,0.95", help="Fa levels for CI/DRI."),
    non_exclusive: bool = typer.Option(False, "--non-exclusive", help="Mutually non-exclusive CI."),
) -> None:
    """Chou–Talalay median-effect analysis: m, Dm, r, CI and DRI, Fa–CI plot, isobologram, DRI plot.

    Example: rk synergy ci constant_ratio.csv --unit nM --out ci-results
    """
    import matplotlib

    matplotlib.use("Agg")
    from repurposekit.io.synergy import read_constant_ratio
    from repurposekit.plot.synergy import dri_plot, fa_ci_plot, isobologram
    from repurposekit.synergy import chou_talalay

    data = read_constant_ratio(file, unit=unit)
    res = chou_talalay(
        data, fa_levels=[float(v) for v in parse_list(fa)], exclusive=not non_exclusive
    )
    out = ensure_out_dir(out)
    note = [
        "Chou–Talalay: CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism; doses molar; "
        + ("mutually non-exclusive CI" if non_exclusive else "mutually exclusive CI")
    ]
    write_table(res.parameters, out / "median_effect.csv", header=note)
    write_table(res.indices, out / "ci_dri.csv", header=note)
    write_table(res.points, out / "ci_points.csv", header=note)
    if len(res.indices):
        save_figure(fa_ci_plot(res).figure, out / "fa_ci.png")
        save_figure(dri_plot(res).figure, out / "dri.png")
        with contextlib.suppress(ValueError):
            save_figure(isobologram(res).figure, out / "isobologram.png")
    console.print(res.summary())
