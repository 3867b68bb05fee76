"""Knowledge base: compound profiles, pathway and model tables, published outcomes.

Everything is data (TOML files in ``knowledge/data``), and every value cites a source listed
in ``knowledge/data/sources.toml``. Defactinib is the reference compound; its partners
(avutometinib, mitotane, trametinib, paclitaxel, dasatinib) ship beside it.
"""

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
    "Compound",
    "compare_potency",
    "get_compound",
    "list_compounds",
    "load_compound",
    "model_table",
    "pathway_table",
    "published_outcomes",
    "published_potency",
    "sources",
]
