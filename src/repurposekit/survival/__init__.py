"""Survival analysis: Kaplan–Meier, log-rank and Cox proportional hazards (single and batched).

Shared by the xenograft (time to endpoint), biomarker (survival association) and clinical-trial
(PFS/OS) stages. Numbers follow R ``survival`` conventions (``survfit``, ``survdiff``,
``coxph``) and are tested against R and lifelines values.

Public API
----------
kaplan_meier(data, *, time="time", event="event", by=None, conf_type="log", confidence_level=0.95)
    -> KaplanMeierResult (``.table``, ``.median()``, ``.quantile()``, ``.survival_at()``,
    ``.number_at_risk()``, ``.rmst()``, ``.to_frame()``, ``.summary()``, ``.plot()``)
logrank_test(data, *, time="time", event="event", group="group", rho=0, strata=None) -> LogRankResult
pairwise_logrank(data, *, time=..., event=..., group=..., rho=0, method="holm", strata=None)
    -> PairwiseLogRankResult
cox_ph(data, *, time, event, covariates, ties="efron", strata=None, reference=None, firth=False,
    confidence_level=0.95) -> CoxResult
cox_univariate_batch(X, /, *, time, event, ties="efron", ...) -> CoxBatchResult   (numpy kernel)
"""

from repurposekit.survival._cox import CoxBatchResult, CoxResult, cox_ph, cox_univariate_batch
from repurposekit.survival._km import KaplanMeierResult, kaplan_meier
from repurposekit.survival._logrank import (
    LogRankResult,
    PairwiseLogRankResult,
    logrank_test,
    pairwise_logrank,
)

__all__ = [
    "CoxBatchResult",
    "CoxResult",
    "KaplanMeierResult",
    "LogRankResult",
    "PairwiseLogRankResult",
    "cox_ph",
    "cox_univariate_batch",
    "kaplan_meier",
    "logrank_test",
    "pairwise_logrank",
]
