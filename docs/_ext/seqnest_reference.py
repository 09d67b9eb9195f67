# SPDX-License-Identifier: GPL-2.0-or-later
"""Sphinx extension: reference pages generated from the sources at build time.

* ``_generated/models/<model>.md``: one page per NESTML model, from its header
  comment (equations, references) and its ``parameters`` block (name, unit,
  default, meaning and source of every parameter);
* ``_generated/parameters.md``: every parameter group of the sequence network,
  from the :class:`seqnest.params.ParameterSet` declarations;
* ``_generated/cli.md``: the ``--help`` of every ``seqnest`` command.

Nothing is fetched: everything comes from the checkout being documented.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARAM_LINE = re.compile(r"^\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>[^=]+?)\s*=\s*(?P<default>[^#]*?)"
                        r"\s*(?:#\s*(?P<doc>.*))?$")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip()


def parse_nestml(path: Path) -> tuple[str, list[str], list[dict]]:
    """(title line, header lines without '# ', parameter rows) of one model file."""
    lines = path.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line[2:] if line.startswith("# ") else line[1:])
    title = header[0].strip() if header else path.stem
    body = header[1:]
    while body and (not body[0].strip() or set(body[0].strip()) <= set("#=+-")):
        body = body[1:]
    params, inside, indent = [], False, 0
    for line in lines:
        stripped = line.strip()
        if stripped == "parameters:":
            inside, indent = True, len(line) - len(line.lstrip())
            continue
        if inside:
            if stripped and len(line) - len(line.lstrip()) <= indent:
                inside = False
                continue
            m = PARAM_LINE.match(line)
            if m and not stripped.startswith("#"):
                default = m["default"].replace("@homogeneous", "").strip()
                params.append({"name": m["name"], "type": m["type"].strip(),
                               "default": default, "doc": (m["doc"] or "").strip()})
    return title, body, params


def model_page(path: Path) -> str:
    title, body, params = parse_nestml(path)
    rel = path.relative_to(ROOT).as_posix()
    out = [f"# {path.stem}", "", f"*{_cell(title)}* — source: `{rel}`", "",
           "## Parameters", ""]
    if params:
        out += ["| name | unit / type | default | meaning [reference] |", "|---|---|---|---|"]
        out += [f"| `{p['name']}` | {_cell(p['type'])} | `{_cell(p['default'])}` | {_cell(p['doc'])} |"
                for p in params]
    else:
        out.append("(none)")
    out += ["", "## Model description (from the model's header)", "", "```text", *body, "```", ""]
    return "\n".join(out)


def parameters_page() -> str:
    from seqnest.sequences.temporal_memory.config import group_classes
    from seqnest.pynest_ext.models import SYNAPSE_KINDS
    out = ["# Every parameter", "",
           "Every parameter of a sequence-network run, by group, as `seqnest learn` resolves "
           "it (`--set group.key=value`, a configuration file `{group: {key: value}}`, or "
           "`params=` in Python). `seqnest learn ... --dry-run` prints the values a given "
           "command resolves to, including the ones derived from the task.", ""]

    def table(cls) -> list[str]:
        rows = ["| name | default | unit | meaning | source |", "|---|---|---|---|---|"]
        for name, default, unit, doc, source in cls.describe():
            rows.append(f"| `{name}` | `{_cell(str(default))}` | {_cell(unit)} | {_cell(doc)} | "
                        f"{_cell(source)} |")
        return rows

    for group, cls in group_classes("stdsp").items():
        out += [f"## `{group}`", "", f"{_cell((cls.__doc__ or '').strip().splitlines()[0])} "
                f"(`{cls.__module__}.{cls.__name__}`)", "", *table(cls), ""]
    for kind, cls in SYNAPSE_KINDS.items():
        if kind == "stdsp":
            continue
        out += [f"## `synapse` with `--synapse {kind}`", "",
                f"`{cls.__module__}.{cls.__name__}`", "", *table(cls), ""]
    return "\n".join(out)


def cli_page() -> str:
    from seqnest.cli import _parser
    parser = _parser()
    out = ["# Command line", "", "`seqnest COMMAND --help` prints these pages.", ""]
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    out += ["## seqnest", "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, p in sub.choices.items():
        out += [f"## seqnest {name}", "", "```text", p.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:    # unchanged: no rebuild
        path.write_text(text)


def generate(app) -> None:
    out = Path(app.srcdir) / "_generated"
    models = sorted((ROOT / "nestml_models").rglob("*.nestml"))
    for path in models:
        _write(out / "models" / f"{path.stem}.md", model_page(path))
    index = ["# NESTML models", "",
             "Generated from the model files in `nestml_models/` (compiled into one NEST "
             "module by `seqnest build`).", "", "```{toctree}", ":maxdepth: 1", "",
             *[p.stem for p in models], "```", ""]
    _write(out / "models" / "index.md", "\n".join(index))
    _write(out / "parameters.md", parameters_page())
    _write(out / "cli.md", cli_page())


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True}
