"""The course model's layers (CONTRIBUTING.md, Layout): wire -> brain -> reading, never back up.

A new API goes in wire/, beside Chat Completions; a new way of deciding in brain/; a new way of reading a
question in reading/. This test keeps the arrows pointing down, so each layer can be read without the ones
above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "helpers" / "course_model"
BELOW = {"wire": {"brain", "reading"}, "brain": {"reading"}, "reading": set()}


def layers_imported(path: Path) -> set[str]:
    """The course model's layers a module imports, from its relative and absolute imports."""
    layer = path.parent.name
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                continue  # its own layer
            if node.level == 2:
                names = [node.module] if node.module else [alias.name for alias in node.names]
            elif node.module and node.module.startswith("helpers.course_model."):
                names = [node.module.split(".")[2]]
            else:
                continue
            found |= {name.split(".")[0] for name in names if name.split(".")[0] in BELOW} - {layer}
    return found


MODULES = sorted(path for layer in BELOW for path in (PACKAGE / layer).glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_layer_imports_only_the_layers_below_it(path):
    layer = path.parent.name
    assert layers_imported(path) <= BELOW[layer], f"{layer}/{path.name} imports {layers_imported(path) - BELOW[layer]}"


def test_every_module_has_a_layer():
    """Only the package's entry points and the shared budget live above the layers."""
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py", "workload.py"]
