"""Demo section: the reference compound's profile, partners, pathways and published outcomes."""

from __future__ import annotations

from pathlib import Path

from repurposekit.report._html import Section


def build(out: Path) -> Section:
    """Knowledge-base section of the demo report."""
    from repurposekit import knowledge
    from repurposekit.plot.compound import potency_ranges

    s = Section(key="compound", title="Defactinib: the reference compound", out=out)
    c = knowledge.get_compound("defactinib")
    s.text(
        f"<b>{c.display_name}</b> ({', '.join(c.synonyms)}; CAS {c.cas}). {c.mechanism}. Every value "
        "below cites its source (ids resolve in <code>compound/sources.csv</code>; "
        "<code>rk compound show defactinib</code> prints the same profile)."
    )
    s.table(c.to_frame(), "defactinib_profile", caption="Profile of defactinib.", max_rows=40)
    wr = c.working_range.iloc[0]
    from repurposekit.units import concentration_factor

    f = concentration_factor(wr.unit)
    ax = potency_ranges(
        knowledge.published_potency("defactinib"), working_range=(wr.low * f, wr.high * f)
    )
    s.figure(
        ax.figure,
        "defactinib_potency",
        caption="Published defactinib potencies: sub-nanomolar on the kinases, micromolar on cell viability; "
        "shaded: the spheroid protocol's 1–10 µM working range.",
    )
    s.table(knowledge.list_compounds(), "compounds", caption="Bundled compound profiles.")
    s.table(knowledge.pathway_table(), "pathways", caption="Pathways modulated by defactinib.")
    s.table(
        knowledge.model_table(),
        "models",
        caption="Experimental models and the RepurposeKit stage that analyses each.",
    )
    outcomes = knowledge.published_outcomes()
    s.table(
        outcomes[
            [
                "kind",
                "study",
                "compounds",
                "population",
                "endpoint",
                "result",
                "comparator",
                "citation",
            ]
        ],
        "published_outcomes",
        caption="Published outcomes (query with rk compound outcomes --query TEXT).",
    )
    import pandas as pd

    src = pd.DataFrame([{"id": k, **v} for k, v in knowledge.sources().items()])
    s.table(src, "sources", caption="Sources.")
    return s
