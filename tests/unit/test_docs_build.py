# SPDX-License-Identifier: GPL-2.0-or-later
"""The Sphinx documentation builds offline with warnings as errors, and its
generated references cover every model, parameter group and command."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out = tmp_path_factory.mktemp("html")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", str(ROOT / "docs"), str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def test_every_model_has_a_reference_page_with_its_parameters(html):
    for model in (ROOT / "nestml_models").rglob("*.nestml"):
        page = (html / "_generated" / "models" / f"{model.stem}.html").read_text()
        block = model.read_text().split("parameters:", 1)[1]
        first = re.search(r"^\s+([A-Za-z_]\w*)\s+\S", block, re.M).group(1)
        assert f">{first}<" in page, (model.stem, first)


def test_model_pages_show_units_storage_state_and_rendered_equations(html):
    models = html / "_generated" / "models"
    syn = (models / "stm_stdsp_synapse.html").read_text().split("Model description")[0]
    assert "@heterogeneous" not in syn and "@homogeneous" not in syn     # in the tables
    # w_mature is declared real with "(pA)" in its comment: its unit is pA
    row = syn.split("<span class=\"pre\">w_mature</span>", 1)[1].split("</tr>", 1)[0]
    assert "<td><p>pA</p></td>" in row and "shared by the model" in row
    row = syn.split("<span class=\"pre\">permanence_min</span>", 1)[1].split("</tr>", 1)[0]
    assert "per synapse" in row
    assert "State variables" in syn and "<span class=\"pre\">x_pre</span>" in syn
    neuron = (models / "stm_neuron.html").read_text()
    assert "multimeter" in neuron and "<span class=\"pre\">dAP_register</span>" in neuron
    # every ODE of the neuron as a local SVG drawn at build time
    images = re.findall(r'<img alt="([^"]+)" src="([^"]+\.svg)"', neuron)
    assert len(images) == 7 and all(not src.startswith("http") for _, src in images)
    for _, src in images:
        assert (models / src).resolve().read_text().lstrip().startswith("<?xml")


def test_parameter_and_cli_references_are_complete(html):
    from seqnest.cli import _parser
    from seqnest.sequences.temporal_memory.config import GROUPS
    params = (html / "_generated" / "parameters.html").read_text()
    for group in GROUPS:
        assert f"<span class=\"pre\">{group}</span>" in params, group
    assert "tristate_stm" in params
    cli = (html / "_generated" / "cli.html").read_text()
    sub = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for command in sub.choices:
        assert f"seqnest {command}" in cli, command


def test_pages_load_no_external_resources(html):
    for page in html.rglob("*.html"):
        text = page.read_text()
        for ref in re.findall(r'<(?:script|img|link)[^>]+(?:src|href)="([^"]+)"', text):
            assert not ref.startswith(("http:", "https:", "//")), (page.name, ref)


def test_api_reference_documents_the_public_functions(html):
    import seqnest
    api = (html / "api.html").read_text()
    for name in ("install", "learn", "replay", "report", "sweep", "load_spikes"):
        assert f'id="seqnest.{name}"' in api, name
        assert getattr(seqnest, name).__doc__


def test_the_readme_fits_on_a_page_and_its_links_resolve():
    """The README is the front door (what it is, the two commands, one example per
    family, where the docs are); everything else lives in the documentation."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert links
    for link in links:
        if not link.startswith(("http:", "https:")):
            assert (ROOT / link).exists(), link
    for heading in ("## Quick start", "bash run.sh test", "## Documentation"):
        assert heading in text
