from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from repurposekit.report import Section, render_report


def test_report_embeds_tables_and_figures(tmp_path):
    s = Section(key="demo", title="Demo", out=tmp_path)
    s.text("hello <b>world</b>")
    s.table(pd.DataFrame({"a": [1.23456, 2.0], "b": ["x", "y"]}), "tab", caption="a table")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    s.figure(fig, "fig", caption="a line")
    page = render_report([s], tmp_path / "report.html", failed={"other": "ValueError: boom"})
    text = page.read_text()
    assert "data:image/png;base64," in text
    assert "1.235" in text
    assert (tmp_path / "demo" / "tab.csv").exists()
    assert "This section failed: ValueError: boom" in text
