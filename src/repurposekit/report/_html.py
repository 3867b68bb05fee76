"""Report sections and the self-contained HTML page (figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, select_autoescape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Section", "render_report"]


@dataclass
class Section:
    """One stage's part of the report; it also writes its tables and figures under ``out/key``.

    Parameters
    ----------
    key : str
        Short machine name, also the sub-folder of the output directory (``"curves"``).
    title : str
        Heading shown in the report.
    out : Path
        The report's output folder; files go to ``out / key``.
    """

    key: str
    title: str
    out: Path
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """Folder for this section's files (created on demand)."""
        d = Path(self.out) / self.key
        d.mkdir(parents=True, exist_ok=True)
        return d

    def text(self, text: str, *, kind: str = "p") -> None:
        """Add a paragraph (``kind="p"``), a note (``"note"``) or a warning (``"warning"``)."""
        self.blocks.append({"type": "text", "kind": kind, "text": text})

    def table(
        self,
        table: pd.DataFrame,
        name: str,
        *,
        caption: str = "",
        max_rows: int = 25,
        float_format: str = "{:.4g}",
    ) -> Path:
        """Write ``table`` to ``key/name.csv`` and show its first ``max_rows`` rows."""
        path = self.folder / f"{name}.csv"
        table.to_csv(path, index=False)
        shown = table.head(max_rows)
        fmt = {
            c: (lambda v, f=float_format: "" if pd.isna(v) else f.format(v))
            for c in shown.columns
            if pd.api.types.is_float_dtype(shown[c])
        }
        body = shown.to_html(index=False, border=0, classes="tbl", formatters=fmt, na_rep="")
        more = f" (first {max_rows} of {len(table)} rows)" if len(table) > max_rows else ""
        self.blocks.append(
            {
                "type": "table",
                "html": body,
                "caption": caption + more,
                "file": path.relative_to(self.out).as_posix(),
            }
        )
        return path

    def figure(self, fig: Figure | Path, name: str, *, caption: str = "", dpi: int = 130) -> Path:
        """Save ``fig`` to ``key/name.png`` (or take an existing PNG) and embed it."""
        path = self.folder / f"{name}.png"
        if isinstance(fig, (str, Path)):
            src = Path(fig)
            if src.resolve() != path.resolve():
                path.write_bytes(src.read_bytes())
        else:
            import matplotlib.pyplot as plt

            fig.savefig(path, dpi=dpi, bbox_inches="tight")
            plt.close(fig)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.blocks.append(
            {
                "type": "figure",
                "src": f"data:image/png;base64,{data}",
                "caption": caption,
                "file": path.relative_to(self.out).as_posix(),
            }
        )
        return path


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:3px solid #2a6f97;padding-bottom:.2em} h2{color:#2a6f97;margin-top:2em;border-bottom:1px solid #ddd}
nav ol{columns:2} .meta{color:#666;font-size:.9em}
table.tbl{border-collapse:collapse;font-size:.82em;margin:.5em 0;display:block;overflow-x:auto}
table.tbl th,table.tbl td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
table.tbl th{background:#f3f6f9}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} figcaption,.cap{color:#555;font-size:.88em}
.note{background:#f3f6f9;border-left:4px solid #2a6f97;padding:.5em .8em}
.warning{background:#fff4e5;border-left:4px solid #e08a00;padding:.5em .8em}
.failed{background:#fdecea;border-left:4px solid #c62828;padding:.5em .8em}
</style></head><body>
<h1>{{ title }}</h1>
<p class="meta">RepurposeKit {{ version }} · generated {{ created }}{% if subtitle %} · {{ subtitle }}{% endif %}</p>
<nav><ol>{% for s in sections %}<li><a href="#{{ s.key }}">{{ s.title }}</a></li>{% endfor %}
{% for k, why in failed.items() %}<li>{{ k }} (failed)</li>{% endfor %}</ol></nav>
{% for s in sections %}<section id="{{ s.key }}"><h2>{{ s.title }}</h2>
{% for b in s.blocks %}
{% if b.type == 'text' %}{% if b.kind == 'p' %}<p>{{ b.text|safe }}</p>{% else %}<p class="{{ b.kind }}">{{ b.text|safe }}</p>{% endif %}
{% elif b.type == 'table' %}<div>{{ b.html|safe }}<p class="cap">{{ b.caption }} <a href="{{ b.file }}">{{ b.file }}</a></p></div>
{% elif b.type == 'figure' %}<figure><img src="{{ b.src }}" alt="{{ b.caption }}"><figcaption>{{ b.caption }} <a href="{{ b.file }}">{{ b.file }}</a></figcaption></figure>
{% endif %}{% endfor %}</section>
{% endfor %}
{% for k, why in failed.items() %}<section><h2>{{ k }}</h2><p class="failed">This section failed: {{ why }}</p></section>{% endfor %}
</body></html>
"""


def render_report(
    sections: list[Section],
    path: Path,
    *,
    title: str = "RepurposeKit report",
    subtitle: str = "",
    failed: dict[str, str] | None = None,
) -> Path:
    """Write a self-contained HTML report of ``sections`` to ``path``."""
    from repurposekit import __version__

    env = Environment(autoescape=select_autoescape(default=True))
    page = env.from_string(_TEMPLATE).render(
        title=title,
        subtitle=subtitle,
        version=__version__,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sections=sections,
        failed={k: html.unescape(v) for k, v in (failed or {}).items()},
    )
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
