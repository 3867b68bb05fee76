"""``rk invivo``: xenograft analysis, randomisation and study calendars."""

from __future__ import annotations

from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, parse_list, save_figure, write_table

app = typer.Typer(
    no_args_is_help=True, help="Xenograft design, calendars, growth, efficacy and survival."
)


def _load(data: Path, design: Path | None, endpoint: float | None):
    from repurposekit.invivo import prepare_growth_data
    from repurposekit.io.invivo import read_design, read_growth_table

    des = read_design(design) if design is not None else None
    table = read_growth_table(data)
    groups = None
    if des is not None:
        present = set(table["group"].astype(str).str.strip())
        groups = [g.name for g in des.groups if g.name in present]
        groups += [
            g for g in dict.fromkeys(table["group"].astype(str).str.strip()) if g not in groups
        ]
    ep = endpoint if endpoint is not None else (des.endpoint_mm3 if des is not None else 1500.0)
    gd = prepare_growth_data(table, groups=groups, endpoint_mm3=ep, source=data)
    return gd, des


@app.command()
def analyze(
    data: Path = typer.Argument(
        ...,
        help="Growth table: long (subject, group, day, volume_mm3 | length_mm, width_mm[, body_weight_g]) or invivoSyn wide.",
    ),
    out: Path = typer.Option(Path("rk-invivo"), "--out", "-o", help="Output folder."),
    design: Path | None = typer.Option(
        None,
        "--design",
        "-d",
        help="Study design (TOML/YAML): group order, endpoint, combination arms.",
    ),
    day: float | None = typer.Option(
        None,
        "--day",
        help="Day for TGI/T-C and comparisons (default: last day with ≥ half of every group).",
    ),
    endpoint: float | None = typer.Option(
        None, "--endpoint", help="Endpoint volume, mm³ (default: design, else 1500)."
    ),
    arms: str | None = typer.Option(
        None,
        "--arms",
        help="Combination arms 'control,A,B,AB' (default: design [combination], or the 4 groups in order).",
    ),
    n_boot: int = typer.Option(
        1000, "--n-boot", help="Bootstrap resamples for TGI and invivoSyn synergy."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed of the bootstrap."),
    synergy_max_day: float | None = typer.Option(
        None,
        "--synergy-max-day",
        help="Last day of the SynergyLMM synergy-over-time analysis (default: end of treatment "
        "from the design, else every day).",
    ),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Also write PNG figures."),
) -> None:
    """Analyse a xenograft study: growth, TGI, mRECIST, synergy, time to endpoint.

    Writes growth.csv, growth_rates.csv, lmm.csv, tgi.csv, comparisons.csv, mrecist.csv,
    synergy.csv, survival.csv, time_to_endpoint.csv, flags.csv (and body_weight.csv) plus PNG figures.

    Example: rk invivo analyze study.csv --design design.toml --out results
    """
    import pandas as pd

    from repurposekit import invivo as iv
    from repurposekit._exceptions import DataValidationError

    out = ensure_out_dir(out)
    gd, des = _load(data, design, endpoint)
    written = []
    day_used = iv.default_day(gd) if day is None else day
    # with a design: shade the treatment period and evaluate synergy over it only (after the
    # last dose the constant-rate growth model no longer describes regrowth)
    treat = (0.0, float(des.duration_days)) if des is not None else None
    syn_max = synergy_max_day if synergy_max_day is not None else (treat[1] if treat else None)
    half = max(1, int(gd.animals.groupby("group")["subject"].size().min()) // 2)

    curves = iv.growth_curves(gd)
    rtv = iv.growth_curves(gd, value="rtv")
    growth = pd.concat([curves.table.assign(value="volume_mm3"), rtv.table.assign(value="rtv")])
    written.append(write_table(growth, out / "growth.csv"))
    rates = pd.concat(
        [
            iv.growth_rates(gd, model=m).table.assign(model=m)
            for m in ("exponential", "auc", "gompertz")
        ]
    )
    written.append(write_table(rates, out / "growth_rates.csv"))
    lmm = iv.fit_growth_lmm(gd, robust=True)
    written.append(
        write_table(
            lmm.estimates,
            out / "lmm.csv",
            header=[
                f"logRTV ~ 0 + day:group, random slope per animal (REML); sd_ranef {lmm.sd_ranef:.6g}, sd_resid {lmm.sd_resid:.6g}"
            ],
        )
    )
    tgi = [
        iv.tumour_growth_inhibition(gd, day=day_used, method=m, n_boot=n_boot, rng=seed)
        for m in iv.TGI_METHODS
    ]
    written.append(
        write_table(
            pd.concat([t.table for t in tgi]),
            out / "tgi.csv",
            header=[
                f"day {day_used:g}; TGI > 0 = slower growth than control; T/C % = 100 mean V_T / mean V_C"
            ],
        )
    )
    cmp_ = iv.compare_groups(gd, day=day_used)
    written.append(
        write_table(
            cmp_.pairwise,
            out / "comparisons.csv",
            header=[
                f"day {day_used:g}; "
                + "; ".join(f"{r.test} p={r.p_value:.3g}" for r in cmp_.overall.itertuples())
            ],
        )
    )
    mr = iv.mrecist(gd)
    written.append(write_table(mr.table, out / "mrecist.csv"))
    written.append(write_table(mr.counts(), out / "mrecist_counts.csv"))
    written.append(write_table(gd.flags, out / "flags.csv"))

    arm_spec = parse_list(arms) if arms else (des.combination if des is not None else None)
    syn_tables = []
    syn_lmm = None
    try:
        for method in ("bliss", "hsa"):
            s = iv.lmm_synergy(gd, arms=arm_spec, method=method, day_max=syn_max)
            syn_lmm = syn_lmm or s
            syn_tables.append(s.table.assign(basis=s.basis))
        s = iv.tgi_synergy(gd, arms=arm_spec, day=day_used, n_boot=n_boot, rng=seed)
        syn_tables.append(s.table.assign(basis=s.basis))
        s = iv.auc_synergy(gd, arms=arm_spec, n_boot=n_boot, rng=seed)
        syn_tables.append(s.table.assign(basis=s.basis))
    except DataValidationError as exc:
        console.print(f"[yellow]synergy skipped:[/] {exc}")
    if syn_tables:
        written.append(
            write_table(
                pd.concat(syn_tables, ignore_index=True),
                out / "synergy.csv",
                header=["every row states its sign convention in the 'convention' column"],
            )
        )

    es = iv.endpoint_survival(gd)
    written.append(
        write_table(
            es.to_frame(),
            out / "survival.csv",
            header=[
                f"time to {es.threshold_mm3:g} mm³ (first measured day at or above; censored at last measurement)"
            ],
        )
    )
    written.append(write_table(es.times, out / "time_to_endpoint.csv"))
    if not gd.weights.empty:
        bw = iv.body_weight_change(gd)
        written.append(write_table(bw.table, out / "body_weight.csv"))

    if not figures:
        console.print(gd.summary())
        console.print(f"wrote {len(written)} files to {out}")
        return
    figs = [
        (iv.growth_curves(gd, min_n=half).plot(treatment=treat), "growth_curves"),
        (
            iv.growth_curves(gd, value="rtv", min_n=half).plot(log=True, treatment=treat),
            "growth_rtv",
        ),
    ]
    from repurposekit.plot.invivo import spaghetti_panel

    figs = [(ax.figure, name) for ax, name in figs]
    figs.append((spaghetti_panel(gd, treatment=treat), "spaghetti"))
    figs.append((mr.plot().figure, "waterfall_mrecist"))
    figs.append((tgi[0].plot().figure, "waterfall_tgi"))
    if syn_lmm is not None:
        figs.append((syn_lmm.plot().figure, "synergy_over_time"))
    if not gd.weights.empty:
        figs.append((bw.plot(treatment=treat, min_n=half).figure, "body_weight"))
    figs.append((es.plot(treatment=treat).figure, "time_to_endpoint_km"))
    for fig, name in figs:
        written += save_figure(fig, out / f"{name}.png")
    console.print(gd.summary())
    console.print(f"wrote {len(written)} files to {out}")


@app.command()
def randomize(
    candidates: Path = typer.Argument(
        ..., help="One row per animal: subject, volume_mm3[, body_weight_g]."
    ),
    out: Path = typer.Option(Path("rk-randomize"), "--out", "-o", help="Output folder."),
    design: Path | None = typer.Option(
        None, "--design", "-d", help="Design file giving groups, sizes and the enrolment window."
    ),
    groups: str | None = typer.Option(
        None,
        "--groups",
        help="Groups and sizes, e.g. 'Vehicle=8,Defactinib=8' (instead of --design).",
    ),
    window: str | None = typer.Option(
        None, "--window", help="Enrolment window in mm³, 'low,high' (default: design or 100,150)."
    ),
    balance: str = typer.Option(
        "volume_mm3,body_weight_g",
        "--balance",
        help="Variables to balance (those present are used).",
    ),
    seed: int = typer.Option(
        ..., "--seed", help="Random seed (recorded; same seed → same allocation)."
    ),
) -> None:
    """Randomise animals to groups with balanced baseline tumour volume (and body weight).

    Writes allocation.csv, balance.csv, excluded.csv and allocation.png.

    Example: rk invivo randomize candidates.csv --design design.toml --seed 7 --out alloc
    """
    from repurposekit._exceptions import DataValidationError
    from repurposekit._validate import read_table
    from repurposekit.invivo import randomize as _randomize
    from repurposekit.io.invivo import read_design

    out = ensure_out_dir(out)
    table = read_table(candidates, required=["subject", "volume_mm3"])
    win = (100.0, 150.0)
    if design is not None:
        des = read_design(design)
        sizes = des.group_sizes
        win = des.window_mm3
    elif groups:
        sizes = {}
        for item in parse_list(groups):
            name, _, n = item.partition("=")
            if not n.strip().isdigit():
                msg = f"--groups: {item!r} is not NAME=N (e.g. 'Vehicle=8')."
                raise DataValidationError(msg)
            sizes[name.strip()] = int(n)
    else:
        msg = "give --design or --groups (e.g. --groups 'Vehicle=8,Drug=8')."
        raise DataValidationError(msg)
    if window:
        lo, hi = (float(x) for x in parse_list(window))
        win = (lo, hi)
    bal = [b for b in parse_list(balance) if b in table.columns]
    alloc = _randomize(table, group_sizes=sizes, window_mm3=win, balance_on=bal, rng=seed)
    write_table(alloc.table, out / "allocation.csv")
    write_table(
        alloc.balance,
        out / "balance.csv",
        header=[f"seed {seed}; balanced on {', '.join(bal)}; window {win[0]:g}-{win[1]:g} mm3"],
    )
    (out / "randomization.txt").write_text(f"seed {seed}\n{alloc.summary()}\n", encoding="utf-8")
    write_table(alloc.tests, out / "balance_tests.csv")
    write_table(alloc.excluded, out / "excluded.csv")
    save_figure(alloc.plot().figure, out / "allocation.png")
    console.print(alloc.summary())


@app.command()
def calendar(
    design: Path = typer.Argument(..., help="Study design (TOML/YAML)."),
    out: Path = typer.Option(Path("rk-calendar"), "--out", "-o", help="Output folder."),
    weights: Path | None = typer.Option(
        None,
        "--weights",
        "-w",
        help="Body weights (subject, group, body_weight_g[, day]) for per-animal doses.",
    ),
    follow_up: int | None = typer.Option(
        None,
        "--follow-up",
        help="Measurement days after the treatment period (default: design follow_up_days).",
    ),
) -> None:
    """Dosing calendar, measurement plan and a study calendar (CSV + ICS).

    Writes dosing_calendar.csv, measurement_plan.csv, study_calendar.csv, study_calendar.ics
    (and animal_doses.csv with --weights).

    Example: rk invivo calendar design.toml --weights allocation.csv --out calendar
    """
    from repurposekit._validate import read_table
    from repurposekit.invivo import (
        animal_doses,
        calendar_to_ics,
        dosing_calendar,
        measurement_plan,
        study_calendar,
    )
    from repurposekit.io.invivo import read_design

    out = ensure_out_dir(out)
    des = read_design(design)
    write_table(dosing_calendar(des), out / "dosing_calendar.csv")
    write_table(measurement_plan(des, extra_days=follow_up), out / "measurement_plan.csv")
    cal = study_calendar(des, extra_days=follow_up)
    write_table(cal, out / "study_calendar.csv")
    (out / "study_calendar.ics").write_text(
        calendar_to_ics(cal, name=des.name), encoding="utf-8", newline=""
    )
    if weights is not None:
        doses = animal_doses(des, read_table(weights, comment="#"))
        write_table(
            doses,
            out / "animal_doses.csv",
            header=[
                "dose_mg and volume_ml are per administration; daily_dose_mg = dose_mg × administrations"
            ],
        )
    console.print(
        f"{des.name}: {len(cal)} calendar entries from {des.start_date}: {des.duration_days} days of "
        f"treatment + {des.follow_up_days if follow_up is None else follow_up} days of follow-up → {out}"
    )
