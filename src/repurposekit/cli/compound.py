"""``rk compound``: compound profiles, pathway/model tables and published outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from repurposekit.cli._common import console

app = typer.Typer(no_args_is_help=True)


def _print_table(df, title: str = "") -> None:
    from rich.table import Table

    table = Table(title=title or None, show_lines=False, header_style="bold")
    for c in df.columns:
        table.add_column(str(c), overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(
            *["" if (isinstance(v, float) and v != v) or v is None else str(v) for v in row]
        )
    console.print(table)


@app.command("list")
def list_() -> None:
    """List the bundled compound profiles.

    Example: rk compound list
    """
    from repurposekit.knowledge import list_compounds

    _print_table(list_compounds(), "compounds")


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Compound name or synonym, e.g. defactinib or VS-6063."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON."),
    out: Path | None = typer.Option(
        None, "--out", help="Also write the profile table as CSV here."
    ),
) -> None:
    """Show a compound profile: identity, potency, working ranges, regimens, each cited.

    Example: rk compound show defactinib
    """
    from repurposekit.knowledge import get_compound

    c = get_compound(name)
    table = c.to_frame()
    if out is not None:
        from repurposekit.cli._common import write_table

        write_table(table, out)
    if as_json:
        typer.echo(json.dumps(table.to_dict("records"), indent=2))
        return
    console.print(c.summary(), highlight=False, markup=False)


@app.command("potency")
def potency(name: str = typer.Argument(None, help="Compound (all when omitted).")) -> None:
    """Published IC50/EC50 values in molar.

    Example: rk compound potency defactinib
    """
    from repurposekit.knowledge import published_potency

    df = published_potency(name)
    for c in ("value_molar", "low_molar", "high_molar"):
        df[c] = df[c].map(lambda v: f"{v:.3g}")
    _print_table(df, "published potency (molar)")


@app.command("compare")
def compare(
    name: str = typer.Argument(..., help="Compound name."),
    value: float = typer.Argument(..., help="Your measured IC50."),
    unit: str = typer.Option("uM", "--unit", help="Unit of VALUE (M, mM, uM, nM, pM)."),
) -> None:
    """Compare a measured IC50 with the published cell-viability IC50s.

    Example: rk compound compare defactinib 2.4 --unit uM
    """
    from repurposekit.knowledge import compare_potency
    from repurposekit.units import to_molar

    df = compare_potency(name, float(to_molar(value, unit)))
    _print_table(
        df[["model", "value_molar", "fold", "within_range", "verdict", "citation"]].round(3)
    )


@app.command("pathways")
def pathways() -> None:
    """Signalling pathways modulated by defactinib.

    Example: rk compound pathways
    """
    from repurposekit.knowledge import pathway_table

    _print_table(pathway_table(), "pathways")


@app.command("models")
def models() -> None:
    """Experimental model systems: uses, advantages, limitations.

    Example: rk compound models
    """
    from repurposekit.knowledge import model_table

    _print_table(model_table(), "experimental models")


@app.command("outcomes")
def outcomes(
    compound: str = typer.Option(None, "--compound", help="Only outcomes involving this compound."),
    kind: str = typer.Option(None, "--kind", help="clinical, xenograft, in_vitro or biomarker."),
    query: str = typer.Option(None, "--query", "-q", help="Text to search for (e.g. KRAS)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the rows as CSV here."),
) -> None:
    """Published outcomes (FRAME, RAMP 201, xenografts, biomarkers), filterable.

    Example: rk compound outcomes --kind clinical --query KRAS
    """
    from repurposekit.knowledge import published_outcomes

    df = published_outcomes(compound=compound, kind=kind, query=query)
    if out is not None:
        from repurposekit.cli._common import write_table

        write_table(df, out)
    compact = df
    _print_table(
        compact[["kind", "study", "compounds", "population", "endpoint", "result", "citation"]],
        f"{len(df)} published outcomes (full rows: --out FILE.csv)",
    )


@app.command("sources")
def sources_() -> None:
    """The sources every knowledge value cites.

    Example: rk compound sources
    """
    import pandas as pd

    from repurposekit.knowledge import sources

    df = pd.DataFrame([{"id": k, **v} for k, v in sources().items()])
    _print_table(df, "sources")
