# SPDX-License-Identifier: GPL-2.0-or-later
"""Sphinx configuration: ``sphinx-build -W -b html docs docs/_build/html``.

Builds offline; the model, parameter and command-line references are generated
from the sources (``_ext/seqnest_reference.py``), the API reference from the
numpydoc docstrings (napoleon).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import seqnest  # noqa: E402

project = "seqnest"
author = "The seqnest developers"
copyright = "the seqnest developers, GPL-2.0-or-later"
release = seqnest.__version__
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon",
              "seqnest_reference"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "figures/*.svg"]
suppress_warnings = ["myst.header"]        # the study pages begin below level 1 in places

napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["nest", "pynestml"]

html_theme = "alabaster"                    # shipped with Sphinx: nothing fetched at view time
html_static_path = []
html_theme_options = {"description": "Spiking sequence learning on NEST",
                      "fixed_sidebar": True}
