"""The import direction of the guide: lower layers never load the ones above them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import civicgrid.domain.time", {"pluggy", "cattrs", "civicgrid.workflows"}),
        ("import civicgrid.workflows.engine", {"pluggy", "civicgrid.plugins"}),
        ("import civicgrid", {"pluggy", "cattrs", "civicgrid.workflows"}),
    ],
)
def test_a_lower_layer_does_not_import_the_layers_above(
    statement: str, forbidden: set[str]
) -> None:
    """Importing a layer loads none of the modules above it."""
    assert _loaded_after(statement) & forbidden == set()
