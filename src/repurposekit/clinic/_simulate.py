"""Simulated clinical data for the demo and the tests (never real patients)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_cohort"]

_PROBS = {"CR": 0.05, "PR": 0.35, "SD": 0.35, "PD": 0.20, "NE": 0.05}


def simulate_cohort(n: int = 40, *, rng: np.random.Generator | int = 20260105) -> pd.DataFrame:
    """A SIMULATED single-arm trial cohort (one row per invented patient).

    Best responses are drawn with probabilities CR 5 %, PR 35 %, SD 35 %, PD 20 %, NE 5 %;
    the best % change of target lesions is drawn inside the RECIST band of the response; PFS is
    exponential (mean 420 days for responders, 240 for SD, 70 for PD/NE) with administrative
    censoring at 540 days; OS adds an exponential 300 days after progression (censored at 720).
    Responders progress at least 28 days after their response. Times are whole days.

    Returns
    -------
    DataFrame
        ``patient, best_response, best_pct_change, response_day, dor_days, dor_event,
        pfs_days, pfs_event, os_days, os_event, treatment_days, progression_day, ongoing``.
    """
    gen = np.random.default_rng(rng)
    cats = list(_PROBS)
    resp = gen.choice(cats, size=n, p=list(_PROBS.values()))
    rows = []
    for i, r in enumerate(resp):
        change = {
            "CR": -100.0,
            "PR": gen.uniform(-85, -30),
            "SD": gen.uniform(-29, 19),
            "PD": gen.uniform(20, 70),
            "NE": np.nan,
        }[r]
        mean = 420.0 if r in ("CR", "PR") else 240.0 if r == "SD" else 70.0
        pfs = max(28.0, np.ceil(gen.exponential(mean)))
        pfs_event = int(pfs < 540)
        pfs = min(pfs, 540.0)
        os_ = min(720.0, pfs + np.ceil(gen.exponential(300.0))) if pfs_event else pfs
        os_event = int(pfs_event and os_ < 720)
        response_day = float(np.ceil(gen.uniform(50, 120))) if r in ("CR", "PR") else np.nan
        if (
            r in ("CR", "PR") and pfs < 540
        ):  # a response lasts at least 4 weeks (RECIST confirmation)
            pfs = min(540.0, max(pfs, response_day + 28))
            os_ = max(os_, pfs)
        rows.append(
            {
                "patient": f"SIM-{i + 1:03d}",
                "best_response": r,
                "best_pct_change": round(float(change), 1) if not np.isnan(change) else np.nan,
                "response_day": response_day,
                "dor_days": pfs - response_day if r in ("CR", "PR") else np.nan,
                "dor_event": pfs_event if r in ("CR", "PR") else np.nan,
                "pfs_days": pfs,
                "pfs_event": pfs_event,
                "os_days": os_,
                "os_event": os_event,
                "treatment_days": pfs,
                "progression_day": pfs if pfs_event else np.nan,
                "ongoing": not pfs_event,
            }
        )
    return pd.DataFrame(rows)
