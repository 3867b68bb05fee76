"""HTML report assembly for a whole study (``rk demo`` writes one)."""

from repurposekit.report._html import Section, render_report

__all__ = ["Section", "render_report"]
