"""Demo section ``clinic``: a SIMULATED patient course and a SIMULATED trial cohort."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repurposekit.report._html import Section


def build(out: Path) -> Section:
    """Run the clinic stage on the bundled simulated course and cohort."""
    import matplotlib.pyplot as plt

    from repurposekit.clinic import (
        Course,
        monitoring_schedule,
        objective_response_rate,
        response_rates,
        simon_two_stage,
        swimmer_data,
        time_to_event,
        waterfall_data,
    )
    from repurposekit.datasets import path
    from repurposekit.plot.clinic import calendar_strip, decision_timeline
    from repurposekit.plot.trial import swimmer, waterfall

    sec = Section("clinic", "Clinic: regimen, dose modification and trial endpoints", out)
    sec.text(
        "<b>All patient data in this section are SIMULATED</b> (invented for the demo; see "
        "datasets/clinic/PROVENANCE.md). The rules are decision support for review by a clinician, "
        "not a substitute for the prescribing information.",
        kind="warning",
    )
    course = Course.from_yaml(path("clinic", "simulated_course.yaml"))
    reg = course.regimen
    sec.text(
        f"Regimen <i>{reg.name}</i> (table version {course.rules.version}): defactinib "
        f"{reg.agent('defactinib').levels[0].label} and avutometinib "
        f"{reg.agent('avutometinib').levels[0].label}, days 1–21 of each 28-day cycle. Values marked "
        "verified=False were recalled from the 2025 label and not confirmed by the seed note."
    )
    sec.table(reg.to_frame(), "regimen", caption="Regimen values with their citations.")
    sched = monitoring_schedule(course.start, cycles=5)
    ax = calendar_strip(course.calendar(cycles=5), monitoring=sched)
    sec.figure(
        ax.figure,
        "calendar",
        caption="Simulated patient SIM-001: daily dosing status with monitoring dates.",
    )
    ax = decision_timeline(course)
    sec.figure(
        ax.figure,
        "decisions",
        caption="Simulated patient SIM-001: observations (colour = grade) and the rule that fired.",
    )
    frame = course.to_frame()[
        ["date", "observation", "action", "rule", "level_defactinib", "level_avutometinib"]
    ]
    sec.table(
        frame,
        "decisions",
        caption="Every decision with the rule that fired (the full trace is in the JSON of `rk clinic decide`).",
    )
    sec.table(sched.to_frame(), "monitoring", caption="Monitoring due dates for 5 cycles.")

    cohort = pd.read_csv(path("clinic", "simulated_trial_cohort.csv"))
    rates = response_rates(cohort)
    sec.table(
        rates.to_frame(),
        "response_rates",
        caption="SIMULATED cohort: ORR and DCR with exact Clopper–Pearson 95% CIs.",
    )
    pfs = time_to_event(cohort, time="pfs_days", event="pfs_event", landmarks=[180, 365])
    sec.table(
        pfs.median,
        "pfs_median",
        caption="SIMULATED cohort: median PFS (days) with Brookmeyer–Crowley 95% CI.",
    )
    sec.table(pfs.landmarks, "pfs_landmarks", caption="SIMULATED cohort: PFS at 180 and 365 days.")
    ax = waterfall(waterfall_data(cohort), title="SIMULATED cohort: best change in target lesions")
    sec.figure(ax.figure, "waterfall", caption="Waterfall plot (simulated).")
    ax = swimmer(swimmer_data(cohort), title="SIMULATED cohort: time on treatment")
    sec.figure(ax.figure, "swimmer", caption="Swimmer plot (simulated).")
    simon = simon_two_stage(0.2, 0.4, alpha=0.05, beta=0.2)
    sec.table(
        simon.to_frame(),
        "simon",
        caption="Simon two-stage designs for p0 = 0.2, p1 = 0.4, alpha 0.05, power 0.8.",
    )
    sec.text(f"Check: {objective_response_rate(25, 57).summary()}.")
    plt.close("all")
    return sec
