# SPDX-License-Identifier: GPL-2.0-or-later
"""The import graph of the package, read from the sources (no import is executed).

Every import counts, those inside function bodies too: a cycle closed by a
function-level import is still a cycle.
"""
import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "seqnest"


def _python_files(folder: Path):
    """Every .py file under `folder`, through its symbolic links to the top-level folders."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                yield Path(dirpath) / name


def _modules() -> dict[str, Path]:
    """Import name -> file, read from the folder path alone (as a static tool reads it)."""
    found = {}
    for path in _python_files(PACKAGE):
        parts = ["seqnest", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = subs if all(s in modules for s in subs) else [base, *subs]
        else:
            continue
        out.update(t for t in targets if t in modules and t != name)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_nest_adapter_has_no_import_cycle():
    graph = import_graph()
    assert "seqnest.pynest_ext.kernel" in graph and len(graph) > 20
    adapter = {k: {v for v in vs if v.startswith("seqnest.pynest_ext")}
               for k, vs in graph.items() if k.startswith("seqnest.pynest_ext")}
    assert cycles(adapter) == []


def test_the_nest_adapter_does_not_import_the_science_layer():
    graph = import_graph()
    upward = {k: sorted(v for v in vs if v.startswith("seqnest.sequences"))
              for k, vs in graph.items() if k.startswith("seqnest.pynest_ext")}
    assert {k: v for k, v in upward.items() if v} == {}


def test_the_package_has_no_import_cycle():
    """Generic modules (run directories, the report toolkit, sweeps) know no family:
    the dispatch by family lives in the public API (seqnest.report)."""
    assert cycles(import_graph()) == []


def test_every_family_is_read_from_its_run_directory(tmp_path):
    import json

    from seqnest.sequences.rundir import run_family
    cases = {"tm_now": {"family": "temporal_memory", "hash": "x", "params": {}},
             "tm_before": {"hash": "x", "params": {}},
             "patterns_now": {"family": "patterns", "hash": "x", "params": {"family": "patterns"}},
             "stp_marked": {"family": "stp", "hash": "x", "params": {"family": "stp"}},
             "stp_before": {"hash": "x", "params": {"family": "stp"}},
             "cd": {"family": "coincidence", "seed": 1},
             "other": ["not", "a", "record"]}
    for name, record in cases.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "params.json").write_text(json.dumps(record))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "params.json").write_text("{")
    found = {name: run_family(tmp_path / name) for name in [*cases, "broken", "missing"]}
    assert found == {"tm_now": "temporal_memory", "tm_before": "temporal_memory",
                     "patterns_now": "patterns", "stp_marked": "patterns",
                     "stp_before": "patterns", "cd": "coincidence",
                     "other": None, "broken": None, "missing": None}


def test_one_error_hierarchy():
    import seqnest
    from seqnest import errors
    from seqnest.pynest_ext.buildcache import BuildError
    from seqnest.pynest_ext.params import ParameterError as OldPath
    from seqnest.sequences.rundir import RunDirError
    assert BuildError is errors.BuildError and RunDirError is errors.RunDirError
    assert OldPath is errors.ParameterError is seqnest.ParameterError
    for cls in (errors.ParameterError, errors.RunDirError, errors.BuildError):
        assert issubclass(cls, errors.SeqnestError)
    assert issubclass(errors.ParameterError, ValueError)
    assert issubclass(errors.BuildError, RuntimeError)
    sources = [p for folder in ("pynest_ext", "sequences", "seqnest", "scripts")
               for p in (ROOT / folder).rglob("*.py")]
    defined = [p for p in sources if any(f"class {n}(" in p.read_text()
                                         for n in ("ParameterError", "RunDirError", "BuildError"))]
    assert [p.relative_to(ROOT).as_posix() for p in defined] == ["seqnest/errors.py"]


def test_the_build_starts_at_the_root_and_the_recipe_works_as_a_subdirectory():
    """`cmake -S .` builds the models through nestml_models/CMakeLists.txt, which the
    wheel ships and `seqnest build` drives; it must not assume it is the top project."""
    import re
    root = (ROOT / "CMakeLists.txt").read_text()
    recipe = (ROOT / "nestml_models" / "CMakeLists.txt").read_text()
    assert re.search(r"^add_subdirectory\(nestml_models\)", root, re.M)
    code = "\n".join(line for line in recipe.splitlines() if not line.lstrip().startswith("#"))
    assert "CMAKE_SOURCE_DIR" not in code and "CMAKE_BINARY_DIR" not in code


def test_import_names_are_folder_paths():
    """seqnest/pynest_ext, seqnest/sequences and seqnest/nestml_models are links to the
    top-level folders: every `seqnest.*` import resolves to a file by its path alone."""
    for name in ("pynest_ext", "sequences", "nestml_models"):
        link = PACKAGE / name
        assert link.is_symlink() and link.resolve() == ROOT / name, name
    modules = _modules()
    assert {"seqnest.cli", "seqnest.pynest_ext.kernel", "seqnest.sequences.rundir"} <= set(modules)
    unresolved = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("seqnest")):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                if base not in modules:
                    unresolved.add(f"{name}: {base}")
            elif isinstance(node, ast.Import):
                unresolved.update(f"{name}: {a.name}" for a in node.names
                                  if a.name.startswith("seqnest") and a.name not in modules)
    assert unresolved == set()


def test_a_static_type_checker_follows_every_import():
    """mypy reads the package from the folders alone (no import hook): no `seqnest.*`
    module or name it cannot find."""
    import shutil
    import subprocess
    import sys
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if mypy is None:
        import pytest
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    out = subprocess.run([mypy, "-p", "seqnest", "--follow-imports=silent", "--no-incremental",
                          "--cache-dir", os.devnull],
                         cwd=ROOT, capture_output=True, text=True, timeout=600).stdout.splitlines()
    bad = [line for line in out
           if '"seqnest' in line and ("[import-not-found]" in line or "[attr-defined]" in line
                                      or "[import-untyped]" in line)]
    assert bad == []
    import re
    checked = re.search(r"checked (\d+) source files", out[-1])
    # every module, and the three data packages of nestml_models/
    assert checked and int(checked.group(1)) >= len(_modules()), out[-1]


def test_the_command_line_is_thin():
    """The CLI modules call the public API; what else they import is the parameter
    vocabulary their parsers offer (synapse kinds, noise kinds, frequencies)."""
    graph = import_graph()
    allowed = {"seqnest", "seqnest.params", "seqnest.errors", "seqnest.pynest_ext.models",
               "seqnest.pynest_ext.noise", "seqnest.sequences.tasks.sequence_sets",
               "seqnest.pynest_ext.parallel"}
    cli = {name: deps for name, deps in graph.items() if name.split(".")[:2] == ["seqnest", "cli"]}
    assert len(cli) >= 6
    beyond = {name: sorted(d for d in deps if d not in allowed and not d.startswith("seqnest.cli"))
              for name, deps in cli.items()}
    assert {k: v for k, v in beyond.items() if v} == {}


def test_no_family_imports_another():
    graph = import_graph()
    families = ("temporal_memory", "pattern_sequences", "coincidence")
    crossing = []
    for name, deps in graph.items():
        parts = name.split(".")
        if parts[:2] != ["seqnest", "sequences"] or len(parts) < 3 or parts[2] not in families:
            continue
        crossing += [(name, d) for d in deps
                     if d.split(".")[:2] == ["seqnest", "sequences"] and len(d.split(".")) > 2
                     and d.split(".")[2] in families and d.split(".")[2] != parts[2]]
    assert crossing == []


def test_generic_science_modules_know_no_family():
    """Run directories, the report toolkit, statistics, analyses and the sweep package
    import no family; families plug into sweeps through entry points."""
    graph = import_graph()
    generic = ["seqnest.sequences.rundir", "seqnest.sequences.html", "seqnest.sequences.stats",
               "seqnest.sequences.analysis",
               *(name for name in graph if name.startswith("seqnest.sequences.sweep"))]
    assert len(generic) >= 11
    families = ("temporal_memory", "pattern_sequences", "coincidence")
    for name in generic:
        assert not [d for d in graph[name] if any(f".{f}" in d for f in families)], name


def test_every_family_that_sweeps_is_registered():
    import tomllib

    from seqnest.sequences.sweep import families
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "seqnest.sweep_families"]
    found = families()
    assert set(found) == {"temporal_memory", "patterns"} == set(declared)
    assert [f.name for f in found.values() if f.selector is None] == ["temporal_memory"]


def test_the_model_names_know_every_synapse_kind():
    """models/names.py names the NESTML model of each kind without importing the
    parameter classes; the two tables agree."""
    from seqnest.pynest_ext.models import KIND_MODELS, MODEL_NAMES, SYNAPSE_KINDS
    assert {k: cls.MODEL for k, cls in SYNAPSE_KINDS.items()} == KIND_MODELS
    assert MODEL_NAMES.pair("bistable") == MODEL_NAMES.pair("tristate")


def test_modules_and_functions_stay_small_or_say_why():
    """No module above ~400 lines whose docstring does not give its size a reason
    ("Size: ..."), and no function above 80 lines of code (its docstring aside)."""
    long_modules, long_functions = [], []
    for name, path in _modules().items():
        source = path.read_text()
        tree = ast.parse(source)
        if len(source.splitlines()) > 420 and "Size:" not in (ast.get_docstring(tree) or ""):
            long_modules.append(name)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if ast.get_docstring(node) is not None:
                    lines -= node.body[0].end_lineno - node.body[0].lineno + 1
                if lines > 80:
                    long_functions.append(f"{name}.{node.name} ({lines})")
    assert long_modules == [] and long_functions == []


def test_every_family_folder_has_the_same_shape():
    """Each family: config, learn or train, run directory, metrics, report."""
    for family in ("temporal_memory", "pattern_sequences", "coincidence"):
        folder = ROOT / "sequences" / family
        names = {p.stem for p in folder.glob("*.py")}
        assert {"__init__", "config", "rundir", "metrics", "report"} <= names, family
        assert names & {"learn", "train"}, family
