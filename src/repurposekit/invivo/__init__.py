"""Xenograft studies: design, randomisation, calendars, tumour growth, efficacy, synergy.

Typical flow::

    from repurposekit.io import read_growth_table, read_design
    from repurposekit import invivo
    gd = invivo.prepare_growth_data(read_growth_table("study.csv"))
    invivo.growth_curves(gd).plot()
    invivo.tumour_growth_inhibition(gd, day=21)
    invivo.lmm_synergy(gd, arms=("Vehicle", "A", "B", "A+B"))
    invivo.endpoint_survival(gd, threshold_mm3=1500)
    invivo.synergy_power(gd, n_per_group=(6, 8, 10), day=21)  # a-priori power

Every synergy number carries its sign convention (``convention`` column).
"""

from repurposekit.invivo._data import (
    VOLUME_FORMULAS,
    BodyWeightChange,
    GrowthData,
    body_weight_change,
    caliper_volume,
    prepare_growth_data,
)
from repurposekit.invivo._design import (
    FREQUENCIES,
    AgentDose,
    Allocation,
    GroupDesign,
    StudyDesign,
    animal_doses,
    calendar_to_ics,
    dosing_calendar,
    measurement_plan,
    parse_schedule,
    randomize,
    study_calendar,
)
from repurposekit.invivo._efficacy import (
    TGI_METHODS,
    GroupComparison,
    MRecist,
    TGIResult,
    compare_groups,
    default_day,
    mrecist,
    mrecist_call,
    response_counts,
    tumour_growth_inhibition,
)
from repurposekit.invivo._growth import (
    GrowthCurves,
    GrowthLMM,
    GrowthRates,
    auc_growth_rate,
    fit_growth_lmm,
    growth_curves,
    growth_rates,
)
from repurposekit.invivo._power import SynergyPower, synergy_power, synergy_power_nlme
from repurposekit.invivo._survival import (
    ENDPOINT_RULES,
    EndpointSurvival,
    endpoint_survival,
    time_to_endpoint,
)
from repurposekit.invivo._synergy import (
    CombinationArms,
    InVivoSynergy,
    auc_synergy,
    lmm_synergy,
    tgi_synergy,
)

__all__ = [
    "ENDPOINT_RULES",
    "FREQUENCIES",
    "TGI_METHODS",
    "VOLUME_FORMULAS",
    "AgentDose",
    "Allocation",
    "BodyWeightChange",
    "CombinationArms",
    "EndpointSurvival",
    "GroupComparison",
    "GroupDesign",
    "GrowthCurves",
    "GrowthData",
    "GrowthLMM",
    "GrowthRates",
    "InVivoSynergy",
    "MRecist",
    "StudyDesign",
    "SynergyPower",
    "TGIResult",
    "animal_doses",
    "auc_growth_rate",
    "auc_synergy",
    "body_weight_change",
    "calendar_to_ics",
    "caliper_volume",
    "compare_groups",
    "default_day",
    "dosing_calendar",
    "endpoint_survival",
    "fit_growth_lmm",
    "growth_curves",
    "growth_rates",
    "lmm_synergy",
    "measurement_plan",
    "mrecist",
    "mrecist_call",
    "parse_schedule",
    "prepare_growth_data",
    "randomize",
    "response_counts",
    "study_calendar",
    "synergy_power",
    "synergy_power_nlme",
    "tgi_synergy",
    "time_to_endpoint",
    "tumour_growth_inhibition",
]
