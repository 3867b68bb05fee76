"""The ``rk`` command line: thin adapters over the public API.

Each stage has its own module here (``cli/curves.py`` …) defining ``app = typer.Typer(...)``;
this module mounts every one that exists under its sub-command name. Errors raised on purpose
(:class:`repurposekit.RepurposeKitError`) become a one-line message and exit code 2; pass
``--debug`` (anywhere on the line) to see the traceback instead.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from repurposekit import __version__
from repurposekit._exceptions import RepurposeKitError
from repurposekit.cli._common import err_console

__all__ = ["app", "main"]

# (sub-command, module, help); a module that does not exist yet is skipped.
_SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("plates", "repurposekit.cli.plates", "Plate-reader exports: normalisation, QC, heatmaps."),
    ("curves", "repurposekit.cli.curves", "Dose-response fits (drc LL.4 and relatives)."),
    (
        "synergy",
        "repurposekit.cli.synergy",
        "Drug-combination synergy (SynergyFinder, Chou–Talalay, MuSyC).",
    ),
    (
        "spheroid",
        "repurposekit.cli.spheroid",
        "3D spheroid invasion images to invasion dose-response.",
    ),
    (
        "invivo",
        "repurposekit.cli.invivo",
        "Xenograft design, calendars, growth, efficacy and survival.",
    ),
    (
        "omics",
        "repurposekit.cli.omics",
        "Signature scores, enrichment, survival association, copy number.",
    ),
    ("clinic", "repurposekit.cli.clinic", "Regimen calendars, CTCAE grading, dose modification."),
    ("trial", "repurposekit.cli.trial", "Trial endpoints: ORR, PFS, Simon two-stage designs."),
    (
        "compound",
        "repurposekit.cli.compound",
        "Compound profiles and published outcomes (knowledge base).",
    ),
)

app = typer.Typer(
    name="rk",
    help=(
        "RepurposeKit: drug-repurposing studies of defactinib (and any compound studied the same "
        "way), from plate assays to the clinic.\n\nStart with: rk demo --out rk-demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"repurposekit {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """RepurposeKit command line."""


def _mount() -> None:
    for name, module_name, help_text in _SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.add_typer(module.app, name=name, help=help_text)
    from repurposekit.cli.demo import demo

    app.command("demo")(demo)


_mount()


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``rk``; exit code 2 with a one-line reason on bad input."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        # standalone mode: click handles its own usage errors (exit 2) and --help
        command.main(args=args, prog_name="rk", standalone_mode=True)
    except (RepurposeKitError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if debug:
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
        err_console.print("[dim](run with --debug for the traceback)[/]", highlight=False)
        sys.exit(2)
