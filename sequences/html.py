# SPDX-License-Identifier: GPL-2.0-or-later
"""The toolkit of every HTML report (no NEST needed): figures collected as PNG and SVG,
one page style, tables, and publication that never leaves a half-written report.

:func:`publish` writes every file under a temporary name and renames it, and
replaces only what a previous report wrote (a marker lists it), so a user's
files are never replaced and an interrupted report leaves the previous page;
:func:`check_report_output` refuses, before any analysis and without creating
anything, an output that is not a report this toolkit wrote.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
import shutil
from pathlib import Path

from seqnest.sequences.rundir import RunDirError, require_writable

__all__ = ["Figures", "check_report_output", "publish", "figures_html", "html_page", "table",
           "parameter_tables", "PAGE_STYLE", "REPORT_MARKER", "PAGE_MARKER"]


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


#: Written into every ``report/`` folder this module fills: the names of the files it
#: wrote there (JSON). A report is recognised by it, never by file extensions.
REPORT_MARKER = ".seqnest-report.json"
#: Carried by every page :func:`html_page` writes; ``report.html`` is replaced only with it.
PAGE_MARKER = '<meta name="generator" content="seqnest report">'


def _report_files(figures: Path) -> set[str] | None:
    """The files a previous report wrote into ``figures`` (its marker), or None if the
    folder has no readable marker of ours."""
    try:
        names = json.loads((figures / REPORT_MARKER).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) and "/" not in n
                                              for n in names):
        return None
    return set(names)


def _is_our_page(page: Path) -> bool:
    try:
        with open(page, encoding="utf-8", errors="replace") as f:
            return PAGE_MARKER in f.read(4096)
    except OSError:
        return False


def check_report_output(folder: str | os.PathLike) -> Path:
    """Check, before any analysis, that ``folder/report.html`` and ``folder/report/`` can
    be written, and create nothing: the folder exists and takes new files, or its
    nearest existing parent does. What is there already under those names must be a
    report this module wrote (its marker); the files it wrote are replaced, a user's
    files beside them in ``report/`` are kept, anything else is refused."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunDirError(f"report output is not a directory: {folder}")
    page, figures = folder / "report.html", folder / "report"
    hint = "not replaced (move it away or choose another --out)"
    if page.exists() and not (page.is_file() and _is_our_page(page)):
        raise RunDirError(f"{page} was not written by seqnest report: {hint}")
    if figures.exists() and not (figures.is_dir() and _report_files(figures) is not None):
        raise RunDirError(f"{figures} is not a folder of seqnest report figures: {hint}")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise RunDirError(f"cannot write the report into {folder}: {existing} is not a directory")
    require_writable(existing, f"cannot write the report into {folder} (use --out DIR)")
    return folder


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def publish(folder: Path, figs: Figures, page_html: str) -> Path:
    """Write ``folder/report/*.png``, ``*.svg`` and ``folder/report.html``, each file via
    a temporary name (files and folders follow the user's umask).

    Only files a previous report wrote (its marker) are replaced or removed; a
    user's files in ``report/`` stay, and one named like a new figure stops the
    report before anything is written. The marker lists every file of either report
    while the figures are exchanged, so an interrupted report leaves nothing a later
    one would mistake for a user's. A folder this call created is removed if it fails."""
    folder = check_report_output(folder)
    figures, page = folder / "report", folder / "report.html"
    files = {f"{name}.png": png for name, _, png in figs.items}
    files.update({f"{name}.svg": svg for name, svg in figs.vectors.items()})
    old = (_report_files(figures) or set()) if figures.exists() else set()
    users = ({p.name for p in figures.iterdir()} - old - {REPORT_MARKER}
             if figures.exists() else set())
    clash = sorted(users & set(files))
    if clash:
        raise RunDirError(f"{figures / clash[0]} is not a file seqnest report wrote: "
                          "not replaced (move it away or choose another --out)")
    if PAGE_MARKER not in page_html:
        page_html = page_html.replace("<head>", "<head>" + PAGE_MARKER, 1)
    created = _missing_parts(folder) or ([] if figures.exists() else [figures])
    try:
        figures.mkdir(parents=True, exist_ok=True)
        _write_atomic(figures / REPORT_MARKER, json.dumps({"files": sorted(old | set(files))})
                      .encode())
        for name, data in files.items():
            _write_atomic(figures / name, data)
        for name in old - set(files):
            (figures / name).unlink(missing_ok=True)
        _write_atomic(figures / REPORT_MARKER, json.dumps({"files": sorted(files)}).encode())
        _write_atomic(page, page_html.encode("utf-8"))
    except BaseException:
        if created:                         # only a folder this call made, with what it wrote
            shutil.rmtree(created[0], ignore_errors=True)
        raise
    return page


def _missing_parts(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


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
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>" + PAGE_MARKER + "<title>"
            f"{html.escape(title)}</title><style>{PAGE_STYLE}{style}</style></head><body>"
            + "".join(body) + "</body></html>")


def header_table(header: list[str], rows: list[dict]) -> str:
    """An HTML table with a header row: one row per mapping in ``rows`` (its values
    under ``header``, escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[h]))}</td>" for h in header)
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


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
