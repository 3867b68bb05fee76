"""``rk curves``: dose-response fits (drc LL.4 and relatives) from a tidy CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, parse_list, save_figure, write_table

app = typer.Typer(no_args_is_help=True)

_FIT_COLUMNS = (
    "bottom",
    "top",
    "hill",
    "ec50",
    "ic50",
    "emax",
    "auc",
    "auc_norm",
)


@app.command("fit")
def fit(
    file: Path = typer.Argument(..., help="Tidy CSV/TSV: one row per well or measurement."),
    dose: str = typer.Option(..., "--dose", help="Dose column."),
    dose_unit: str = typer.Option(
        None,
        "--dose-unit",
        help="Unit of the dose column (M, mM, uM, nM, pM). Required unless the column name ends in _molar/_uM/_nM.",
    ),
    response: str = typer.Option(..., "--response", help="Response column."),
    scale: str = typer.Option(
        "raw",
        "--scale",
        help="fraction (viability fraction), percent (% viability), inhibition (% inhibition) or raw.",
    ),
    by: str = typer.Option("", "--by", help="Comma list of columns that identify one curve."),
    model: str = typer.Option(
        "LL.4", "--model", help="LL.4, LL.3 (bottom fixed), LL.3u (top fixed) or L.4."
    ),
    weights: str = typer.Option(None, "--weights", help="Column of inverse-variance weights."),
    average: bool = typer.Option(False, "--average-replicates", help="Fit the mean per dose."),
    compound: str = typer.Option(
        None,
        "--compound",
        help="Compare the fitted IC50s with this compound's published values (e.g. defactinib).",
    ),
    confidence_level: float = typer.Option(0.95, "--confidence-level"),
    plot_unit: str = typer.Option(
        None,
        "--plot-unit",
        help="Dose unit of the figure axis (default: --dose-unit; uM for molar input).",
    ),
    max_curves: int = typer.Option(
        24, "--max-curves", help="Figures show at most this many curves."
    ),
    out: Path = typer.Option(Path("rk-curves"), "--out", help="Output folder."),
) -> None:
    """Fit dose-response curves and write fits.csv plus figures.

    Writes OUT/fits.csv (one row per curve: the --by columns, bottom, top, hill, ec50, ic50,
    emax, auc, auc_norm, their SEs and CIs, rss, converged, message, flags; doses in molar
    and in the input unit), OUT/curves.png (fitted curves, data points, CI band, log-dose
    axis) and, with --compound, OUT/published_comparison.csv.

    Example: rk curves fit ryegrass.csv --dose conc --dose-unit uM --response rootl --out fits
    """
    import matplotlib

    matplotlib.use("Agg")

    from repurposekit._exceptions import DataValidationError
    from repurposekit._validate import read_table, require_columns
    from repurposekit.curves import compare_published, fit_dose_response
    from repurposekit.plot.curves import dose_response, dose_response_panel
    from repurposekit.units import concentration_factor, format_concentration, normalise_unit

    data = read_table(file)
    by_cols = parse_list(by)
    require_columns(data, [dose, response, *by_cols], source=file)
    if dose_unit is None:
        low = dose.lower()
        for suffix, unit in (
            ("_molar", "M"),
            ("_m", "M"),
            ("_mm", "mM"),
            ("_um", "uM"),
            ("_nm", "nM"),
            ("_pm", "pM"),
        ):
            if low.endswith(suffix):
                dose_unit = unit
                break
    if dose_unit is None:
        msg = (
            f"{file}: the unit of dose column {dose!r} is not known; pass --dose-unit "
            "(M, mM, uM, nM, pM). Nothing is rescaled silently."
        )
        raise DataValidationError(msg)
    factor = concentration_factor(dose_unit)
    frame = data.copy()
    from repurposekit._validate import coerce_numeric
    from repurposekit.curves._fit import _nonnegative

    raw_dose = coerce_numeric(frame, dose, source=file)
    _nonnegative(raw_dose, dose, source=file)
    frame["dose_molar_"] = raw_dose * factor
    fits = fit_dose_response(
        frame,
        dose="dose_molar_",
        response=response,
        by=by_cols,
        model=model,
        weights=weights,
        scale=scale,
        average_replicates=average,
        confidence_level=confidence_level,
        source=file,
    )
    out = ensure_out_dir(out)
    table = fits.to_frame()
    unit_label = normalise_unit(dose_unit)
    for c in ("ec50", "ic50"):
        for suffix in ("", "_se", "_low", "_high"):
            table[f"{c}{suffix}_{unit_label}"] = table[f"{c}{suffix}"] / factor
    first = [*by_cols, *_FIT_COLUMNS]
    ses = [f"{c}_se" for c in _FIT_COLUMNS]
    rest = [c for c in table.columns if c not in first and c not in ses]
    table = table[[*first, *ses, *rest]]
    write_table(
        table,
        out / "fits.csv",
        header=(
            f"RepurposeKit {model} fits of {file}; ec50/ic50/dose_min/dose_max in molar "
            f"(also in {unit_label} in the *_{unit_label} columns); hill = drc's b "
            "(b > 0: response falls with dose)",
        ),
    )
    n = len(fits)
    n_conv = int(table["converged"].sum())
    console.print(f"fitted {n} curve(s): {n_conv} converged -> {out / 'fits.csv'}")
    flagged = table[table["flags"] != ""]
    if len(flagged):
        console.print(f"[yellow]{len(flagged)} curve(s) flagged[/] (see the 'flags' column).")

    shown = list(fits)[:max_curves]
    unit = plot_unit or ("uM" if normalise_unit(dose_unit) == "M" else dose_unit)
    if len(by_cols) >= 2 and len(shown) > 4:
        fig = dose_response_panel(fits, panel_by=by_cols[0], unit=unit, max_panels=8)
    else:
        fig = dose_response(shown, unit=unit).figure
    save_figure(fig, out / "curves.png")
    if n > max_curves:
        console.print(f"curves.png shows the first {max_curves} of {n} curves (--max-curves).")

    if compound:
        try:
            comp = compare_published(fits, compound)
        except DataValidationError as exc:
            console.print(f"[yellow]published comparison skipped:[/] {exc}")
        else:
            write_table(comp, out / "published_comparison.csv")
            console.print(
                f"published {compound} IC50s vs fitted ({out / 'published_comparison.csv'}):"
            )
            for _, grp in comp.groupby("curve", sort=False):
                row = grp.iloc[0]
                key = ", ".join(str(row[c]) for c in by_cols) or "curve"
                inside = grp.loc[grp["within"], "published_model"].tolist()
                verdict = (
                    f"within {'; '.join(inside)}" if inside else "outside every published value"
                )
                fitted = format_concentration(row["fitted_molar"])
                extra = " (extrapolated)" if "ic50_" in str(row["fit_flags"]) else ""
                console.print(f"  {key}: IC50 {fitted}{extra}: {verdict}")


@app.command("models")
def models() -> None:
    """List the dose-response models.

    Example: rk curves models
    """
    from repurposekit.curves import MODELS

    for name, text in MODELS.items():
        console.print(f"[bold]{name}[/]  {text}")
