"""Regenerate the SIMULATED example study in this folder (``python generate.py``).

Writes ``candidates.csv`` (animals at enrolment), ``allocation.csv`` (balanced randomisation)
and ``study.csv`` (caliper lengths/widths and body weights on the planned days). Seeded:
the files are reproducible. See PROVENANCE.md for the model.

Model (per animal i, daily steps from day 0 to the last planned measurement):

* drug exposure E_d(t) in [0, 1] follows the dosing calendar of the design with first-order
  onset and offset (``TAU_PD`` days): E += (dosed_today - E) (1 - exp(-1/TAU_PD));
* log-volume growth rate r_i(t) = R0 + u_i - s_i (EFFECT_A E_A + EFFECT_B E_B
  + INTERACTION E_A E_B), u_i ~ N(0, SD_U), s_i ~ LogNormal(0, SD_SENS);
* observed log volume = true + N(0, SD_OBS); calipers measured with 3 % noise;
* an animal leaves after the first caliper volume >= the endpoint (1,500 mm³), otherwise at
  the end of follow-up;
* body weight: +0.2 %/day growth minus a treatment loss L(t) with
  L += k_tox (sum of today's doses) and recovery L *= exp(-1/TAU_BW).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20260105
R0 = 0.100  # vehicle log-volume growth rate per day (doubling ≈ 7 days)
SD_U = 0.008  # between-animal SD of the growth rate (random slope)
SD_SENS = 0.20  # between-animal SD of log drug sensitivity
SD_OBS = 0.08  # SD of log-volume measurement noise
TAU_PD = 4.0  # days: onset / offset of drug effect
# growth-rate reduction at full exposure (per day); Bliss independence on relative volume is
# additivity of these reductions, INTERACTION > 0 makes the combination synergistic
EFFECT = {"defactinib": 0.050, "mitotane": 0.030}
INTERACTION = 0.070
K_TOX = {"defactinib": 0.0065, "mitotane": 0.0075}  # body-weight loss per dosing day
TAU_BW = 10.0  # days: recovery of body weight
BW_GAIN = 0.002  # per day, normal growth of the mice


def _exposure(design, group: str, n_days: int) -> dict[str, np.ndarray]:
    """Per agent: E(t) on days 0..n_days-1 from the dosing calendar (first-order lag)."""
    from repurposekit.invivo import dosing_calendar

    cal = dosing_calendar(design)
    out = {}
    a = 1 - np.exp(-1 / TAU_PD)
    for agent in EFFECT:
        dosed = np.zeros(n_days)
        days = cal.loc[(cal["group"] == group) & (cal["agent"] == agent), "study_day"]
        dosed[days.to_numpy(int)] = 1.0
        e = np.zeros(n_days)
        cur = 0.0
        for d in range(n_days):
            cur += (dosed[d] - cur) * a
            e[d] = cur
        out[agent] = e
        out[f"{agent}_dosed"] = dosed
    return out


def main() -> None:
    from repurposekit.invivo import measurement_plan, randomize
    from repurposekit.io.invivo import read_design

    rng = np.random.default_rng(SEED)
    design = read_design(HERE / "design.toml")
    n_cand = 50
    cand = pd.DataFrame(
        {
            "subject": [f"M{i:02d}" for i in range(1, n_cand + 1)],
            "volume_mm3": np.round(np.exp(rng.normal(np.log(125), 0.15, n_cand)), 1),
            "body_weight_g": np.round(rng.normal(22.0, 1.3, n_cand), 1),
        }
    )
    cand.to_csv(HERE / "candidates.csv", index=False)
    alloc = randomize(
        cand, group_sizes=design.group_sizes, balance_on=("volume_mm3", "body_weight_g"), rng=SEED
    )
    alloc.table.to_csv(HERE / "allocation.csv", index=False)
    plan = measurement_plan(design)
    cal_days = set(plan.loc[plan["task"] == "calipers", "study_day"].astype(int))
    bw_days = set(plan.loc[plan["task"] == "body_weight", "study_day"].astype(int))
    n_days = int(plan["study_day"].max()) + 1
    expo = {g: _exposure(design, g, n_days) for g in design.group_sizes}
    rows = []
    for r in alloc.table.itertuples():
        e = expo[r.group]
        u = rng.normal(0, SD_U)
        sens = np.exp(rng.normal(0, SD_SENS))
        tox = np.exp(rng.normal(0, 0.3))
        shape = rng.uniform(1.2, 1.6)  # length / width
        eff = (
            EFFECT["defactinib"] * e["defactinib"]
            + EFFECT["mitotane"] * e["mitotane"]
            + INTERACTION * e["defactinib"] * e["mitotane"]
        )
        rate = R0 + u - sens * eff  # growth on day d → d + 1
        logv_true = np.log(r.volume_mm3) + np.concatenate([[0.0], np.cumsum(rate[:-1])])
        loss = np.zeros(n_days)
        cur = 0.0
        for d in range(n_days):
            cur = cur * np.exp(-1 / TAU_BW) + tox * sum(
                K_TOX[a] * e[f"{a}_dosed"][d] for a in K_TOX
            )
            loss[d] = cur
        for day in sorted(cal_days | bw_days):
            row = {"subject": r.subject, "group": r.group, "day": day}
            done = False
            if day in cal_days:
                if day == 0:
                    v, noise = r.volume_mm3, 0.0
                else:
                    v, noise = np.exp(logv_true[day] + rng.normal(0, SD_OBS)), 0.03
                w = (2 * v / shape) ** (1 / 3)
                length, width = shape * w, w
                if day > 0:
                    length *= 1 + rng.normal(0, noise)
                    width *= 1 + rng.normal(0, noise)
                row["length_mm"], row["width_mm"] = round(length, 1), round(width, 1)
                lw = (row["length_mm"], row["width_mm"])
                done = max(lw) * min(lw) ** 2 / 2 >= design.endpoint_mm3
            if day in bw_days:
                frac = BW_GAIN * day - loss[day] + rng.normal(0, 0.012) if day else 0.0
                row["body_weight_g"] = round(r.body_weight_g * (1 + frac), 1)
            rows.append(row)
            if done:  # humane endpoint: euthanised after this measurement
                break
    cols = ["subject", "group", "day", "length_mm", "width_mm", "body_weight_g"]
    study = pd.DataFrame(rows, columns=cols)
    study.to_csv(HERE / "study.csv", index=False)
    last = study.groupby("subject")["day"].max()
    print(
        f"wrote {len(study)} rows for {study['subject'].nunique()} animals; last day {last.max()}"
    )


if __name__ == "__main__":
    main()
