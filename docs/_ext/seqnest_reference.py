# SPDX-License-Identifier: GPL-2.0-or-later
"""Sphinx extension: reference pages generated from the sources at build time.

* ``_generated/models/<model>.md``: one page per NESTML model: its ODEs rendered
  to SVG at build time (matplotlib mathtext: no script or network at view time),
  its parameters (unit, default, whether a synapse stores it per synapse or once
  per model, meaning and source) and state variables (recordables), and its
  header comment (update rules, references);
* ``_generated/parameters.md``: every parameter group of the sequence network,
  from the :class:`seqnest.params.ParameterSet` declarations;
* ``_generated/cli.md``: the ``--help`` of every ``seqnest`` command.

Nothing is fetched: everything comes from the checkout being documented.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARAM_LINE = re.compile(r"^\s+(?P<name>[A-Za-z_]\w*\$?)\s+(?P<type>[^=]+?)\s*=\s*(?P<default>[^#]*?)"
                        r"\s*(?:#\s*(?P<doc>.*))?$")
EQUATION = re.compile(r"^\s+(?P<lhs>[A-Za-z_]\w*\$?)(?P<order>'+)\s*=\s*(?P<rhs>[^#]+?)\s*(?:#.*)?$")
#: Units written in a parameter's comment, as "(pA)", when its NESTML type is ``real``.
UNIT_IN_DOC = re.compile(r"\((pA|mV|ms|pF|nS|Hz|s|1/ms|1/s|pA/ms|GOhm|mV/ms|dimensionless)\b")
GREEK = {"alpha", "beta", "gamma", "delta", "Delta", "epsilon", "eta", "theta", "lambda",
         "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip()


def _block_lines(lines: list[str], name: str):
    """The lines inside the model's ``name:`` blocks (parameters, state, equations)."""
    inside, indent = False, 0
    for line in lines:
        stripped = line.strip()
        if stripped == f"{name}:":
            inside, indent = True, len(line) - len(line.lstrip())
        elif inside and stripped and len(line) - len(line.lstrip()) <= indent:
            inside = False
        elif inside and not stripped.startswith("#"):
            yield line


def _block(lines: list[str], name: str) -> list[dict]:
    """The declarations of the model's ``name:`` block (parameters, state)."""
    rows = []
    for m in filter(None, map(PARAM_LINE.match, _block_lines(lines, name))):
        default = m["default"]
        shared = "@homogeneous" in default
        default = default.replace("@homogeneous", "").replace("@heterogeneous", "").strip()
        rows.append({"name": m["name"], "type": m["type"].strip(), "default": default,
                     "doc": (m["doc"] or "").strip(), "shared": shared})
    return rows


def _equations(lines: list[str]) -> list[tuple[str, int, str]]:
    """(variable, order, right-hand side) of the ODEs in the ``equations:`` block."""
    return [(m["lhs"], len(m["order"]), m["rhs"])
            for m in filter(None, map(EQUATION.match, _block_lines(lines, "equations")))]


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
    return title, body, _block(lines, "parameters")


def _unit(row: dict) -> str:
    """The physical unit of a declaration: its NESTML type, or for ``real`` the unit its
    comment names ("(pA)"), else dimensionless."""
    kind = row["type"]
    if kind in ("integer", "boolean"):
        return kind
    if kind != "real":
        return kind
    m = UNIT_IN_DOC.search(row["doc"])
    return "1" if m is None or m[1] == "dimensionless" else m[1]


def _symbol(name: str) -> str:
    """A NESTML variable name as LaTeX: tau_syn_ext -> \tau_{\mathrm{syn,ext}}; the
    auxiliary state I_dend$ gets a tilde."""
    aux = name.endswith("$")
    name = name.rstrip("$")
    base, _, sub = name.partition("_")
    head = f"\\{base}" if base in GREEK else (base if len(base) == 1 else f"\\mathrm{{{base}}}")
    if aux:
        head = f"\\tilde{{{head}}}"
    return head + (f"_{{\\mathrm{{{sub.replace('_', ',')}}}}}" if sub else "")


def to_latex(expr: str) -> str:
    """A NESTML expression (Python-like: + - * / **, calls) as LaTeX."""
    import ast
    tree = ast.parse(expr.replace("$", "__aux").strip(), mode="eval").body

    def low(node) -> bool:
        return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))

    def par(node) -> str:
        return f"\\left({emit(node)}\\right)" if low(node) else emit(node)

    def emit(node) -> str:
        if isinstance(node, ast.BinOp):
            a, b = node.left, node.right
            if isinstance(node.op, ast.Add):
                return f"{emit(a)} + {emit(b)}"
            if isinstance(node.op, ast.Sub):
                return f"{emit(a)} - {par(b)}"
            if isinstance(node.op, ast.Mult):
                return f"{par(a)}\\,{par(b)}"
            if isinstance(node.op, ast.Div):
                return f"\\frac{{{emit(a)}}}{{{emit(b)}}}"
            if isinstance(node.op, ast.Pow):
                return f"{{{par(a)}}}^{{{emit(b)}}}"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"-{par(node.operand)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = ", ".join(emit(x) for x in node.args)
            fn = node.func.id
            head = f"\\{fn}" if fn in ("exp", "log", "sin", "cos") else f"\\mathrm{{{fn}}}"
            return f"{head}\\left({args}\\right)"
        if isinstance(node, ast.Name):
            return _symbol(node.id.replace("__aux", "$"))
        if isinstance(node, ast.Constant):
            return f"{node.value:g}" if isinstance(node.value, float) else str(node.value)
        raise ValueError(f"cannot render {ast.dump(node)}")
    return emit(tree)


def _equation_image(folder: Path, stem: str, k: int, lhs: str, order: int, rhs: str) -> str | None:
    """Render one ODE to an SVG file at build time (matplotlib mathtext; opens offline);
    its file name, or None where the expression is beyond the renderer."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import mathtext
    d = "d" if order == 1 else f"d^{{{order}}}"
    dt = "dt" if order == 1 else f"dt^{{{order}}}"
    try:
        tex = f"$\\frac{{{d}{_symbol(lhs)}}}{{{dt}}} = {to_latex(rhs)}$"
        name = f"{stem}_eq{k}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        import io
        buf = io.BytesIO()
        from matplotlib.font_manager import FontProperties
        mathtext.math_to_image(tex, buf, prop=FontProperties(size=15), format="svg")
        svg = buf.getvalue()
        path = folder / name
        if not path.is_file() or path.read_bytes() != svg:
            path.write_bytes(svg)
        return name
    except Exception:       # noqa: BLE001 - shown as NESTML text instead
        return None


def model_page(path: Path, folder: Path | None = None) -> str:
    title, body, params = parse_nestml(path)
    lines = path.read_text().splitlines()
    states = _block(lines, "state")
    synapse = "synapse" in path.parts[-2]
    rel = path.relative_to(ROOT).as_posix()
    out = [f"# {path.stem}", "", f"*{_cell(title)}* — source: `{rel}`", ""]
    equations = _equations(lines)
    if equations:
        out += ["## Equations", "",
                "The model's ODEs (its `equations` block; the update rules applied at spikes "
                "are in the description below):", ""]
        for k, (lhs, order, rhs) in enumerate(equations):
            image = _equation_image(folder, path.stem, k, lhs, order, rhs) if folder else None
            nestml = f"{lhs}{chr(39) * order} = {rhs}"
            out += ([f"![{nestml}]({image})", ""] if image else [f"`{nestml}`", ""])
    out += ["## Parameters", ""]
    if params:
        head = "| name | unit | default | " + ("stored | " if synapse else "") + "meaning [reference] |"
        out += [head, "|---|---|---|" + ("---|" if synapse else "") + "---|"]
        for p in params:
            stored = ("shared by the model | " if p["shared"] else "per synapse | ") if synapse else ""
            out.append(f"| `{p['name']}` | {_cell(_unit(p))} | `{_cell(p['default'])}` | "
                       f"{stored}{_cell(p['doc'])} |")
    else:
        out.append("(none)")
    out += ["", "## State variables", "",
            ("Per synapse; read with `nest.GetConnections(...).get(name)` (the final read "
             "of a run reads them all at once)." if synapse else
             "Recordable with a `multimeter` (`record_from`), with the model's `recordables`."),
            ""]
    if states:
        out += ["| name | unit | initial value | meaning |", "|---|---|---|---|"]
        out += [f"| `{s['name'].replace('$', '__DOLLAR')}` | {_cell(_unit(s))} | "
                f"`{_cell(s['default'])}` | {_cell(s['doc'])} |" for s in states]
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
        _write(out / "models" / f"{path.stem}.md", model_page(path, out / "models"))
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
