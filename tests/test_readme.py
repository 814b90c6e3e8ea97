"""The README's Python examples run as written (docs examples are tested)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    """At least the first program and the request example are there."""
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_python_example_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each ```python block runs without error in a fresh namespace."""
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {})  # noqa: S102
    capsys.readouterr()


def test_the_request_example_closes_its_case_at_the_grid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The request example prints what its comments say."""
    block = next(b for b in BLOCKS if "RequestDesk" in b)
    exec(compile(block, "README.md request example", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.split() == ["closed", "grid", "1.0"]
