"""Sphinx configuration of the neuronlab site: ``make docs`` (strict: warnings are errors).

Everything is local: the theme (furo) ships its assets, math is shown as TeX source
(no MathJax from a CDN), and the generated pages come from ``neuronlab.docs``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import neuronlab  # noqa: E402  (after the path set-up above)

project = "neuronlab"
author = "the neuronlab authors"
copyright = "neuronlab authors, MIT licence"
release = version = neuronlab.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "neuronlab_sphinx",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/.*"]

# The API pages: members in source order, the signature's types shown once.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_preserve_defaults = False
numpydoc_show_class_members = False  # autodoc lists them; numpydoc would list them twice
numpydoc_class_members_toctree = False
autosummary_generate = False  # numpydoc loads autosummary; the API stubs are ours

myst_heading_anchors = 3
# benchmarks/README.md, included as it is, jumps from ## to ####; that is its style.
suppress_warnings = ["myst.header"]
myst_enable_extensions = ["deflist"]

html_theme = "furo"
html_title = f"neuronlab {release}"
html_math_renderer = "tex_source"
html_static_path: list[str] = []
html_copy_source = False
html_show_sourcelink = False
