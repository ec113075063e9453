"""The generated reference pages are up to date with the registries."""

from pathlib import Path

from neuronlab import activations, docs

ROOT = Path(__file__).resolve().parents[1]


def test_activation_page_is_current():
    committed = (ROOT / "docs" / "activations.md").read_text(encoding="utf-8")
    assert committed == docs.activation_page(), "run: python -m neuronlab.docs"


def test_activation_page_has_a_row_per_registered_activation():
    page = docs.activation_page()
    for name in activations.names():
        assert f"| `{name}` |" in page
