"""Time to a tumour-volume endpoint per animal, and its survival analysis."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.invivo._data import GrowthData

__all__ = ["ENDPOINT_RULES", "EndpointSurvival", "endpoint_survival", "time_to_endpoint"]

#: rules for the event time of an animal whose tumour reaches the threshold
ENDPOINT_RULES: dict[str, str] = {
    "first_at_or_above": "first measured day with V ≥ threshold (default)",
    "last_below": "last measured day with V < threshold before it was reached (TumGrowth)",
    "interpolate": "day interpolated linearly in log V between the bracketing measurements",
}


def time_to_endpoint(
    growth: GrowthData,
    *,
    threshold_mm3: float | None = None,
    rule: str = "first_at_or_above",
    origin: float | None = None,
) -> pd.DataFrame:
    """Time from ``origin`` to a tumour-volume endpoint, per animal (event or censored).

    Parameters
    ----------
    growth : GrowthData
    threshold_mm3 : float, mm³, optional
        Endpoint volume (default: the study's humane endpoint, ``growth.endpoint_mm3``).
    rule : {"first_at_or_above", "last_below", "interpolate"}
        See :data:`ENDPOINT_RULES`.
    origin : float, days, optional
        Day 0 of the time scale (default: the baseline day).

    Returns
    -------
    pandas.DataFrame
        ``subject, group, time, event, last_day, rule`` with ``time`` in days since
        ``origin``. An animal that never reaches the threshold (still on study, removed for
        another reason, or found dead) is censored at its last measurement (``event = 0``).

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.invivo import prepare_growth_data
    >>> df = pd.DataFrame({"subject": ["a"] * 3 + ["b"] * 3, "group": ["V"] * 6,
    ...     "day": [0, 7, 14] * 2, "volume_mm3": [100, 800, 1600, 100, 300, 900]})
    >>> time_to_endpoint(prepare_growth_data(df))[["subject", "time", "event"]].values.tolist()
    [['a', 14.0, 1], ['b', 14.0, 0]]
    """
    if rule not in ENDPOINT_RULES:
        msg = f"rule must be one of {sorted(ENDPOINT_RULES)}, got {rule!r}."
        raise DataValidationError(msg)
    thr = growth.endpoint_mm3 if threshold_mm3 is None else float(threshold_mm3)
    if not thr > 0:
        msg = f"threshold_mm3 must be > 0, got {threshold_mm3!r}."
        raise DataValidationError(msg)
    t0 = growth.baseline_day if origin is None else float(origin)
    rows = []
    for (g, s), a in growth.data.groupby(["group", "subject"], sort=False):
        d = a["day"].to_numpy(float)
        v = a["volume_mm3"].to_numpy(float)
        hit = np.flatnonzero(v >= thr)
        if len(hit) == 0:
            time, event = d[-1], 0
        else:
            i = hit[0]
            if rule == "first_at_or_above" or i == 0:
                time = d[i]
            elif rule == "last_below":
                time = d[i - 1]
            else:
                lv0, lv1 = np.log(max(v[i - 1], 1e-12)), np.log(v[i])
                time = d[i - 1] + (np.log(thr) - lv0) / (lv1 - lv0) * (d[i] - d[i - 1])
            event = 1
        rows.append(
            {
                "subject": s,
                "group": g,
                "time": float(time - t0),
                "event": int(event),
                "last_day": float(d[-1]),
                "rule": rule,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class EndpointSurvival:
    """Time-to-endpoint analysis: per-animal times, Kaplan–Meier, log-rank, Cox.

    ``times``: :func:`time_to_endpoint`; ``km``: ``repurposekit.survival`` Kaplan–Meier;
    ``logrank``: overall test; ``pairwise``: each pair (Holm-adjusted); ``cox``: hazard ratios
    vs the control (Firth-penalised under monotone likelihood), or None.
    """

    times: pd.DataFrame
    km: Any
    logrank: Any
    pairwise: Any
    cox: Any
    threshold_mm3: float
    settings: Mapping[str, Any]

    def medians(self) -> pd.DataFrame:
        """Median time to endpoint per group (R ``survfit`` convention; NaN = not reached)."""
        return self.km.median()

    def to_frame(self) -> pd.DataFrame:
        """Per-group summary: n, events, median and CI, HR vs control."""
        med = self.medians().copy()
        if self.cox is not None:
            hr = self.cox.to_frame()
            med["hazard_ratio"] = np.nan
            for _, r in hr.iterrows():
                term = str(r.get("term", r.get("covariate", "")))
                for i, g in enumerate(med["group"]):
                    if term.endswith(f"[{g}]"):
                        med.loc[i, "hazard_ratio"] = r.get("hr", r.get("exp_coef", np.nan))
        med["logrank_chisq"] = self.logrank.chisq
        med["logrank_df"] = self.logrank.df
        med["logrank_p"] = self.logrank.p_value
        med["threshold_mm3"] = self.threshold_mm3
        return med

    def summary(self) -> str:
        """Medians and the log-rank test."""
        m = self.medians()
        lines = [f"Time to {self.threshold_mm3:g} mm³:"]
        for r in m.itertuples():
            med = "not reached" if np.isnan(r.median) else f"{r.median:g} d"
            lines.append(f"  {r.group}: {r.n_event}/{r.n} events, median {med}")
        lines.append(
            f"  log-rank χ² {self.logrank.chisq:.4f} (df {self.logrank.df}), p {self.logrank.p_value:.3g}"
        )
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Kaplan–Meier plot with numbers at risk, medians and the log-rank test
        (:func:`repurposekit.plot.invivo.endpoint_km`)."""
        from repurposekit.plot.invivo import endpoint_km

        return endpoint_km(self, ax=ax, **kwargs)


def endpoint_survival(
    growth: GrowthData,
    *,
    threshold_mm3: float | None = None,
    rule: str = "first_at_or_above",
    origin: float | None = None,
    control: str | None = None,
    conf_type: str = "log",
    confidence_level: float = 0.95,
) -> EndpointSurvival:
    """Kaplan–Meier, log-rank and Cox analysis of time to a tumour-volume endpoint.

    Parameters
    ----------
    growth : GrowthData
    threshold_mm3, rule, origin
        See :func:`time_to_endpoint`.
    control : str, optional
        Reference group of the hazard ratios (default: the first group).
    conf_type : {"log", "log-log", "plain"}
        Kaplan–Meier CI transform (R's default "log").
    confidence_level : float

    Returns
    -------
    EndpointSurvival

    Notes
    -----
    Survival statistics come from :mod:`repurposekit.survival` (R ``survival``
    conventions: median = midpoint where S(t) = 0.5 over an interval). Hazard ratios use
    Firth's penalised likelihood when any group has fewer than two events or when the
    ordinary fit reports a monotone likelihood (e.g. every event of the combination arm
    comes after the other arms' animals have all left); ``settings["cox_firth"]`` says
    which was used.
    """
    from repurposekit.survival import cox_ph, kaplan_meier, logrank_test, pairwise_logrank

    times = time_to_endpoint(growth, threshold_mm3=threshold_mm3, rule=rule, origin=origin)
    order = [g for g in growth.groups if g in set(times["group"])]
    times["group"] = pd.Categorical(times["group"], categories=order, ordered=False)
    km = kaplan_meier(
        times,
        time="time",
        event="event",
        by="group",
        conf_type=conf_type,
        confidence_level=confidence_level,
    )
    lr = logrank_test(times, time="time", event="event", group="group")
    pw = pairwise_logrank(times, time="time", event="event", group="group")
    control = order[0] if control is None else str(control)
    cox = None
    firth = False
    ev = times.groupby("group", observed=True)["event"].sum()
    if len(order) > 1 and ev.sum() > 0:
        cdata = times.assign(group=times["group"].astype(str))

        def _cox(firth: bool):
            return cox_ph(
                cdata,
                time="time",
                event="event",
                covariates=["group"],
                reference={"group": control},
                firth=firth,
                confidence_level=confidence_level,
            )

        firth = bool((ev < 2).any())
        if firth:
            cox = _cox(True)
        else:
            # monotone likelihood also arises when every event of a group comes after the
            # last animal of the other groups has left (complete separation): refit with Firth
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                cox = _cox(False)
            monotone = [w for w in caught if "monotone" in str(w.message)]
            if monotone:
                firth = True
                cox = _cox(True)
            for w in caught:
                if w not in monotone:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    thr = growth.endpoint_mm3 if threshold_mm3 is None else float(threshold_mm3)
    return EndpointSurvival(
        times=times.assign(group=times["group"].astype(str)),
        km=km,
        logrank=lr,
        pairwise=pw,
        cox=cox,
        threshold_mm3=thr,
        settings=_settings(
            threshold_mm3=thr,
            rule=rule,
            origin=origin,
            control=control,
            conf_type=conf_type,
            cox_firth=firth,
        ),
    )
