"""The demo study: every stage on the bundled example data, one report section each.

Each stage contributes a module ``repurposekit/report/_demo_<key>.py`` with
``build(out: Path) -> Section``. A stage whose module is not there yet is skipped; a stage
that fails is reported in the page and on the console, and the others still run.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from repurposekit.report._html import Section, render_report

__all__ = ["DEMO_SECTIONS", "DemoResult", "run_demo"]

# (key, module) in report order
DEMO_SECTIONS: tuple[tuple[str, str], ...] = (
    ("compound", "repurposekit.report._demo_compound"),
    ("screen", "repurposekit.report._demo_screen"),
    ("synergy", "repurposekit.report._demo_synergy"),
    ("spheroid", "repurposekit.report._demo_spheroid"),
    ("invivo", "repurposekit.report._demo_invivo"),
    ("omics", "repurposekit.report._demo_omics"),
    ("clinic", "repurposekit.report._demo_clinic"),
)


@dataclass
class DemoResult:
    """What ``run_demo`` produced."""

    report: Path
    sections: list[Section] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def run_demo(
    out: Path,
    *,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run every available demo section into ``out`` and write ``out/report.html``."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(report=out / "report.html")
    for key, module_name in DEMO_SECTIONS:
        if on_start:
            on_start(key)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                result.skipped.append(key)
                if on_done:
                    on_done(key)
                continue
            raise
        try:
            result.sections.append(module.build(out))
        except Exception as exc:  # one failing stage must not sink the report
            result.failed[key] = f"{type(exc).__name__}: {exc}"
            (out / f"{key}_error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        if on_done:
            on_done(key)
    render_report(
        result.sections,
        result.report,
        title="RepurposeKit demo study: defactinib repurposing, screen to clinic",
        subtitle="bundled example data; see each section for its provenance",
        failed=result.failed,
    )
    return result
