"""Loading the project's scripts in tests: ``bench/`` and ``scripts/`` hold files, not modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
"""The project's root directory."""


def load_script(relative: str, name: str) -> ModuleType:
    """Import the script at ``ROOT / relative`` as module ``name``, once.

    The module is registered in ``sys.modules`` before it runs (dataclasses need it), and a
    second call with the same ``name`` returns the module already loaded.
    """
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
