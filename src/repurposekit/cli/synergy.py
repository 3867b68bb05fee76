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
            < 0); ri_1/ri_2 (relative inhibition), ic50_*_molar (capped at the top dose as in
            SynergyFinder; read it with fitN_status, e.g. below the lowest dose),
            css1_ic502/css2_ic501/css, S-scores s_sum = css - ri_1 - ri_2, s_mean = css -
            mean(ri), s_max = css - max(ri) (sensitivity beyond the single drugs; Malyutina
            et al. 2019, SynergyFinder+); ci_median, ci_call and ci_flag when 'ci' was asked
            (Chou–Talalay: CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism; ci_flag
            names the cells' warnings, e.g. a median-effect fit with r < 0.9, and then the
            median CI is not a reliable call).
            fit_flag / fit1_status..: the monotherapy LL.4 fits behind ZIP, Loewe, RI and CSS
            ("ok", "EC50 below tested doses", "EC50 above tested doses" (> 100x outside),
            "not converged (not identifiable)", e.g. a step between two doses whose slope has no
            finite optimum). Where a fit is not "ok" (and on noisy or step-like rows and
            columns of the ZIP surface) the scores depend on where the optimiser stops:
            ours is the least-squares optimum, SynergyFinder's drc BFGS can stop elsewhere,
            so its ZIP/Loewe values for such blocks may differ (Bliss/HSA are exact).
cells.csv   one row per cell: doses (molar), inhibition_pct, <method>_ref, <method>_synergy,
            zip_fit; ci, dri_1, dri_2, ci_call, ci_grade, ci_flag for combination cells when
            'ci' was asked.
musyc.csv   when 'musyc' was asked: one row per block with the MuSyC parameters and their
            bootstrap percentile intervals (<name>_ci_low/_ci_high): E0..E3 on MuSyC's scale
            (viability fraction, 1 = no effect; E = 1 - inhibition_pct/100), h1/h2, C1/C2 (molar),
            alpha12/alpha21 (potency; > 1 synergy), beta (efficacy; > 0 synergy),
            gamma12/gamma21 (cooperativity; fixed at 1 unless --musyc-gamma). blocks.csv then
            also has musyc_alpha12, musyc_alpha21, musyc_beta (and musyc_gamma12/21).
errors.csv  blocks that could not be scored and why (the rest are still scored); MuSyC
            failures are listed with the error prefixed 'musyc:'.
Drug 1 = drug_row, drug 2 = drug_col of the SynergyFinder table.
"""


@app.command("score")
def score(
    file: Path = typer.Argument(..., help="SynergyFinder long table or matrix-layout CSV."),
    out: Path = typer.Option(Path("rk-synergy"), "--out", help="Output folder."),
    methods: str = typer.Option(
        "zip,bliss,hsa,loewe", help="Comma list of zip,bliss,hsa,loewe,ci,musyc."
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
    musyc_bootstrap: int = typer.Option(
        100, "--musyc-bootstrap", help="MuSyC bootstrap refits per block for the CIs (0 = none)."
    ),
    musyc_gamma: bool = typer.Option(
        False, "--musyc-gamma", help="Also fit MuSyC's cooperativity gamma (slower)."
    ),
) -> None:
    """Score drug combinations (Bliss, HSA, Loewe, ZIP; Chou–Talalay CI; MuSyC) and draw the figures.

    Example: rk synergy score combos.csv --methods zip,bliss,hsa,loewe,ci,musyc --out results
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
        msg = f"--methods: unknown {bad}; choose from zip,bliss,hsa,loewe,ci,musyc."
        raise DataValidationError(msg)
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
            flags = ci.groupby("block_id")["ci_flag"].agg(_join_flags).rename("ci_flag")
            blocks = blocks.merge(flags, on="block_id", how="left")
    errors = res.errors
    musyc_fits: dict = {}
    if "musyc" in wanted:
        musyc_table, musyc_fits, musyc_errors = _fit_musyc_blocks(
            data, n_bootstrap=musyc_bootstrap, fit_gamma=musyc_gamma
        )
        musyc_note = [
            "MuSyC (Meyer et al. 2019): E on the viability-fraction scale (1 = no effect), "
            "E = 1 - inhibition_pct/100; C1, C2 molar; alpha12/alpha21 and gamma12/gamma21 > 1 "
            "synergy; beta = (min(E1,E2) - E3)/(E0 - min(E1,E2)) > 0 synergy; intervals: "
            f"{musyc_bootstrap} residual-bootstrap refits, 95 % percentile, seed 0"
            + ("" if musyc_gamma else "; gamma fixed at 1 (use --musyc-gamma to fit it)")
        ]
        write_table(musyc_table, out / "musyc.csv", header=musyc_note)
        if len(musyc_table) and len(blocks):
            keep = ["alpha12", "alpha21", "beta"] + (["gamma12", "gamma21"] if musyc_gamma else [])
            summary = musyc_table[["block_id", *keep]].rename(
                columns={k: f"musyc_{k}" for k in keep}
            )
            blocks = blocks.merge(summary, on="block_id", how="left")
        if len(musyc_errors):
            import pandas as pd

            errors = pd.concat([errors, musyc_errors], ignore_index=True)
    header = [CONVENTION]
    write_table(blocks, out / "blocks.csv", header=header)
    write_table(cells, out / "cells.csv", header=header)
    write_table(errors, out / "errors.csv")
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
    from repurposekit.plot.synergy import musyc_fit_plot, musyc_parameter_plot

    for b in list(musyc_fits)[:max_figures]:
        fit = musyc_fits[b]
        save_figure(musyc_fit_plot(fit).figure, out / f"block_{b}_musyc_fit.png")
        save_figure(musyc_parameter_plot(fit).figure, out / f"block_{b}_musyc_parameters.png")
    console.print(
        f"scored {len(blocks)} block(s), {len(res.errors)} failed → {out}/blocks.csv, cells.csv"
        + (f", errors.csv ({len(errors)})" if len(errors) else "")
        + (f", musyc.csv ({len(musyc_fits)} fitted)" if "musyc" in wanted else "")
    )
    if "fit_flag" in blocks and blocks["fit_flag"].any():
        n_flag = int(blocks["fit_flag"].sum())
        console.print(
            f"{n_flag} block(s) rest on a monotherapy fit that is not identifiable "
            "(fit_flag; fitN_status says which drug and why): read their ZIP/Loewe/CSS as "
            "robustness cases — SynergyFinder's drc may report other values there."
        )


def _join_flags(flags) -> str:
    """Distinct non-empty cell flags of a block, '; '-joined ('' when none)."""
    parts = (p.strip() for f in flags.dropna().astype(str) for p in f.split(";"))
    return "; ".join(p for p in dict.fromkeys(parts) if p)


def _fit_musyc_blocks(data, *, n_bootstrap: int, fit_gamma: bool):
    """Fit MuSyC to every 2-drug block; failures go to an errors table, not fatal."""
    import warnings

    import numpy as np
    import pandas as pd

    from repurposekit._exceptions import ConvergenceWarning, DataValidationError
    from repurposekit.cli._common import track
    from repurposekit.synergy import fit_musyc

    rng = np.random.default_rng(0)
    rows, fits, errors = [], {}, []
    three = "dose3_molar" in data.columns
    groups = data.groupby("block_id", sort=False)
    for block_id, block in track(groups, description="fitting MuSyC", total=groups.ngroups):
        bid = block_id.item() if hasattr(block_id, "item") else block_id
        if three and (block["dose3_molar"].fillna(0) > 0).any():
            errors.append(
                {"block_id": bid, "error": "musyc: MuSyC is fitted to 2-drug blocks only."}
            )
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fit = fit_musyc(block, fit_gamma=fit_gamma, n_bootstrap=n_bootstrap, rng=rng)
        except (DataValidationError, ValueError, np.linalg.LinAlgError) as exc:
            errors.append({"block_id": bid, "error": f"musyc: {exc}"})
            continue
        fits[bid] = fit
        row = fit.to_frame(layout="wide")
        row.insert(0, "drug2", fit.drugs[1])
        row.insert(0, "drug1", fit.drugs[0])
        row.insert(0, "block_id", bid)
        rows.append(row)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["block_id"])
    return table, fits, pd.DataFrame(errors, columns=["block_id", "error"])


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
