# SPDX-License-Identifier: GPL-2.0-or-later
"""The toolkit of every HTML report (no NEST needed): figures collected as PNG and SVG,
one page style, tables, and publication that never leaves a half-written report.

:func:`publish` writes the figures to a temporary folder and the page to a
temporary name, then renames both, so an interrupted report leaves the previous
one (or nothing) in place; :func:`check_report_output` refuses, before any
analysis, an output that is not a report this toolkit wrote.
"""
from __future__ import annotations

import base64
import html
import io
import os
import shutil
import tempfile
from pathlib import Path

from seqnest.sequences.rundir import RunDirError, require_writable

__all__ = ["Figures", "check_report_output", "publish", "figures_html", "html_page", "table",
           "parameter_tables", "PAGE_STYLE"]


def _png(fig, fmt: str = "png") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=100, bbox_inches="tight")
    return buf.getvalue()


class Figures:
    """Collects named figures as PNG bytes (embedded in the page) and SVG (vector
    copies written beside them)."""

    def __init__(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.plt = plt
        self.items: list[tuple[str, str, bytes]] = []
        self.vectors: dict[str, bytes] = {}

    def add(self, name: str, caption: str, draw, ncols: int = 1, size=(7.0, 3.6),
            nrows: int = 1) -> None:
        fig, axes = self.plt.subplots(nrows, ncols, figsize=size, constrained_layout=True,
                                      squeeze=False)
        draw(*axes.ravel())
        self.items.append((name, caption, _png(fig)))
        self.vectors[name] = _png(fig, "svg")
        self.plt.close(fig)


def check_report_output(folder: str | os.PathLike) -> Path:
    """Check, before any analysis, that ``folder/report.html`` and ``folder/report/`` can
    be written: the folder exists or can be created and takes new files, and what is
    there already under those names is a report this module wrote (a ``report/``
    folder of PNG and SVG files only), which is replaced; anything else is refused."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunDirError(f"report output is not a directory: {folder}")
    page, figures = folder / "report.html", folder / "report"
    if page.exists() and not page.is_file():
        raise RunDirError(f"{page} exists and is not a file: not replaced")
    if figures.exists() and not (figures.is_dir() and all(
            f.is_file() and f.suffix in (".png", ".svg") for f in figures.iterdir())):
        raise RunDirError(f"{figures} exists and is not a folder of report figures: "
                          "not replaced (choose another --out)")
    return require_writable(folder, f"cannot write the report into {folder} (use --out DIR)")


def publish(folder: Path, figs: Figures, page_html: str) -> Path:
    """Write ``folder/report/*.png`` and ``folder/report.html``, each via a temporary name
    (files and folder follow the user's umask)."""
    folder = check_report_output(folder)
    umask = os.umask(0)
    os.umask(umask)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".report-", dir=folder))
    tmp_dir.chmod(0o777 & ~umask)
    old_dir = None
    try:
        for name, _, png in figs.items:
            (tmp_dir / f"{name}.png").write_bytes(png)
            if name in figs.vectors:
                (tmp_dir / f"{name}.svg").write_bytes(figs.vectors[name])
        target = folder / "report"
        if target.exists():               # a previous report (checked): set aside, then drop
            old_dir = Path(tempfile.mkdtemp(prefix=".report-old-", dir=folder))
            os.replace(target, old_dir / "report")
        os.replace(tmp_dir, target)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)
    page = folder / "report.html"
    tmp_page = folder / ".report.html.tmp"
    try:
        tmp_page.write_text(page_html)
        os.replace(tmp_page, page)
    finally:
        tmp_page.unlink(missing_ok=True)
    return page


def figures_html(figs: Figures) -> str:
    """The figures as HTML, images embedded (the page opens offline)."""
    parts = []
    for name, caption, png in figs.items:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{html.escape(caption)} (report/{name}.png, "
                     f"vector: report/{name}.svg)</figcaption></figure>")
    return "".join(parts)


PAGE_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
              "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
              "padding:3px 8px;text-align:left;vertical-align:top}img{max-width:100%}"
              "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:80%}")


def html_page(title: str, body: list[str], style: str = "") -> str:
    """A whole HTML page: ``title`` (escaped here), the ``body`` parts (HTML) and CSS
    rules added to :data:`PAGE_STYLE`."""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{PAGE_STYLE}{style}</style></head><body>"
            + "".join(body) + "</body></html>")


def table(rows) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def parameter_tables(cfg) -> str:
    """The run's resolved parameters as one HTML table per group: name, value, unit,
    meaning, source."""
    parts = []
    for name, group in cfg.groups.items():
        rows = "".join(
            f"<tr><td><code>{html.escape(key)}</code></td><td>{html.escape(_shown(group[key]))}"
            f"</td><td>{html.escape(spec.unit)}</td><td>{html.escape(spec.doc)}</td>"
            f"<td>{html.escape(spec.source)}</td></tr>"
            for key, spec in type(group).SPECS.items())
        parts.append(f"<h3>{html.escape(name)}</h3><table><tr><th>name</th><th>value</th>"
                     f"<th>unit</th><th>meaning</th><th>source</th></tr>{rows}</table>")
    return "".join(parts)


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
