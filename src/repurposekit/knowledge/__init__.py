"""Knowledge base: compound profiles, pathway and model tables, published outcomes.

Clinical tables (regimens, dose-modification rules, CTCAE grading, monitoring) are loaded
with ``load_regimen``, ``load_rules``, ``load_ctcae`` and ``load_monitoring``.

Everything is data (TOML files in ``knowledge/data``), and every value cites a source listed
in ``knowledge/data/sources.toml``. Defactinib is the reference compound; its partners
(avutometinib, mitotane, trametinib, paclitaxel, dasatinib) ship beside it.
"""

from repurposekit.knowledge._clinical import (
    CTCAETable,
    MonitoringPlan,
    Regimen,
    Rule,
    RuleTable,
    load_ctcae,
    load_monitoring,
    load_regimen,
    load_rules,
)
from repurposekit.knowledge._compounds import (
    Compound,
    compare_potency,
    get_compound,
    list_compounds,
    load_compound,
    published_potency,
)
from repurposekit.knowledge._load import sources
from repurposekit.knowledge._tables import model_table, pathway_table, published_outcomes

__all__ = [
    "CTCAETable",
    "Compound",
    "MonitoringPlan",
    "Regimen",
    "Rule",
    "RuleTable",
    "compare_potency",
    "get_compound",
    "list_compounds",
    "load_compound",
    "load_ctcae",
    "load_monitoring",
    "load_regimen",
    "load_rules",
    "model_table",
    "pathway_table",
    "published_outcomes",
    "published_potency",
    "sources",
]
