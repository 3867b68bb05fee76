"""``rk trial``: trial endpoints (ORR/DCR, PFS/OS/DoR) and Simon two-stage designs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, write_table

app = typer.Typer(no_args_is_help=True)


@app.command()
def orr(
    responders: int = typer.Option(..., "--responders", min=0, help="Patients with CR or PR."),
    n: int = typer.Option(..., "--n", min=1, help="Patients in the analysis set."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Confidence level."),
) -> None:
    """Objective response rate with its exact Clopper–Pearson CI (JSON on stdout).

    Example: rk trial orr --responders 25 --n 57
    """
    from repurposekit.clinic import objective_response_rate

    r = objective_response_rate(responders, n, confidence_level=confidence_level)
    console.print(r.summary(), highlight=False)
    typer.echo(json.dumps(r.to_frame().iloc[0].to_dict()))


@app.command()
def simon(
    p0: float = typer.Option(..., "--p0", help="Uninteresting response rate."),
    p1: float = typer.Option(..., "--p1", help="Response rate of interest."),
    alpha: float = typer.Option(0.05, "--alpha", help="Type I error."),
    beta: float = typer.Option(0.20, "--beta", help="Type II error (1 - power)."),
    n_max: int = typer.Option(100, "--n-max", help="Largest total sample size searched."),
) -> None:
    """Simon optimal and minimax two-stage designs.

    Example: rk trial simon --p0 0.2 --p1 0.4 --alpha 0.05 --beta 0.2
    """
    from repurposekit.clinic import simon_two_stage

    res = simon_two_stage(p0, p1, alpha=alpha, beta=beta, n_max=n_max)
    console.print(res.summary(), highlight=False)


@app.command()
def pfs(
    data: Path = typer.Option(..., "--data", help="CSV, one row per patient."),
    time: str = typer.Option("pfs_days", "--time", help="Time column (days)."),
    event: str = typer.Option("pfs_event", "--event", help="Event column (1 = progression/death)."),
    by: str = typer.Option(None, "--by", help="Grouping column."),
    landmarks: str = typer.Option("180,365", "--landmarks", help="Landmark days."),
    endpoint: str = typer.Option("PFS", "--endpoint", help="Label: PFS, OS, DoR."),
    out: Path = typer.Option(Path("rk-trial"), "--out", "-o", help="Output folder."),
) -> None:
    """Kaplan–Meier median (Brookmeyer–Crowley CI) and landmark rates; KM figure.

    Example: rk trial pfs --data cohort.csv --time pfs_days --event pfs_event --out pfs
    """
    from repurposekit._validate import read_table
    from repurposekit.cli._common import parse_list, save_figure
    from repurposekit.clinic import time_to_event

    df = read_table(data)
    lm = [float(x) for x in parse_list(landmarks)]
    res = time_to_event(df, time=time, event=event, by=by, landmarks=lm, endpoint=endpoint)
    out = ensure_out_dir(out)
    write_table(res.median, out / f"{endpoint.lower()}_median.csv")
    write_table(res.landmarks, out / f"{endpoint.lower()}_landmarks.csv")
    ax = res.plot()
    ax.set_xlabel("days")
    ax.set_title(f"{endpoint} (Kaplan–Meier)")
    save_figure(ax.figure, out / f"{endpoint.lower()}_km.png")
    console.print(res.summary(), highlight=False)


@app.command()
def responses(
    data: Path = typer.Option(..., "--data", help="CSV with best_response (CR/PR/SD/PD/NE)."),
    response: str = typer.Option("best_response", "--response", help="Best-response column."),
    by: str = typer.Option(None, "--by", help="Grouping column."),
    out: Path = typer.Option(Path("rk-trial"), "--out", "-o", help="Output folder."),
) -> None:
    """ORR and DCR with exact CIs from best overall responses; waterfall if best_pct_change exists.

    Example: rk trial responses --data cohort.csv --out resp
    """
    from repurposekit._validate import read_table
    from repurposekit.cli._common import save_figure
    from repurposekit.clinic import response_rates, waterfall_data

    df = read_table(data)
    res = response_rates(df, response=response, by=by)
    out = ensure_out_dir(out)
    write_table(res.to_frame(), out / "response_rates.csv")
    if "best_pct_change" in df.columns and "patient" in df.columns:
        from repurposekit.plot.trial import waterfall

        save_figure(waterfall(waterfall_data(df, response=response)).figure, out / "waterfall.png")
    console.print(res.summary(), highlight=False)
