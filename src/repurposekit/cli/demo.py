"""``rk demo``: run the bundled example study through every stage and write report.html."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, err_console, progress


def demo(
    out: Path = typer.Option(
        Path("rk-demo"), "--out", "-o", help="Folder for report.html, tables and figures."
    ),
    open_report: bool = typer.Option(
        False, "--open", help="Open report.html in a browser when done."
    ),
) -> None:
    """Run the bundled example study (plates → curves → … → clinic) and write DIR/report.html.

    Example: rk demo --out rk-demo
    """
    from repurposekit.report.demo import DEMO_SECTIONS, run_demo

    out = ensure_out_dir(out)
    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("demo", total=len(DEMO_SECTIONS))

        def step(name: str) -> None:
            bar.update(task, description=f"demo: {name}")

        def done(name: str) -> None:
            bar.advance(task)

        result = run_demo(out, on_start=step, on_done=done)
    elapsed = time.perf_counter() - t0
    for name, problem in result.failed.items():
        err_console.print(f"[bold yellow]section {name} failed:[/] {problem}", highlight=False)
    console.print(
        f"[bold green]report:[/] {result.report}  ({len(result.sections)} sections, {elapsed:.1f} s)",
        highlight=False,
    )
    if open_report:
        import webbrowser

        webbrowser.open(result.report.resolve().as_uri())
    if result.failed:
        raise typer.Exit(1)
