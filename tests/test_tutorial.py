"""The plugin tutorial (docs/tutorial/) works when a newcomer follows it, in a temporary directory.

The tutorial's folder is copied out of the repository and installed with pip into a temporary
directory (``--target``, never the project's venv), as ``pip install -e .`` would install it for a
city team. The plugin's own tests then run in a separate pytest with that directory on
``PYTHONPATH``, and the command line finds the plugin through its entry point.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from civicgrid.cli import main

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial"
PAGE = TUTORIAL / "index.md"
PACKAGE = "civicgrid_thursday_talks"
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
INCLUDE = re.compile(r'^--8<-- "([^":]+)(?::([a-z_]+))?"$')


@attrs.frozen
class Installed:
    """Where the newcomer's copy of the tutorial lives, and where pip installed it."""

    project: Path
    site: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The tutorial's folder copied to a temporary directory and installed there with pip."""
    project = tmp_path_factory.mktemp("newcomer") / "thursday_talks"
    shutil.copytree(
        TUTORIAL / "thursday_talks",
        project,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.egg-info"),
    )
    site = tmp_path_factory.mktemp("thursday-talks-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(project),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Installed(project=project, site=site)


@pytest.fixture
def on_path(installed: Installed, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The install directory on ``sys.path``; the plugin's modules are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(installed.site))
    yield installed.site
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def cli(*argv: str) -> str:
    """Return what ``civicgrid argv`` prints, checking it exits with 0."""
    out = io.StringIO()
    assert main(list(argv), stdout=out) == 0
    return out.getvalue()


def test_every_code_block_of_the_page_is_an_include_of_a_file_that_exists() -> None:
    """No code is typed into the page: each block is one --8<-- line naming a real file."""
    blocks = FENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 15
    for block in blocks:
        match = INCLUDE.match(block.strip())
        assert match, block
        path = ROOT / match[1]
        assert path.is_file(), path
        assert path.is_relative_to(TUTORIAL), path
        if match[2]:
            text = path.read_text(encoding="utf-8")
            assert f"--8<-- [start:{match[2]}]" in text, match[0]
            assert f"--8<-- [end:{match[2]}]" in text, match[0]


def test_the_page_shows_every_file_of_the_plugin() -> None:
    """Each source file of the tutorial's package (bar the empty py.typed) is on the page."""
    page = PAGE.read_text(encoding="utf-8")
    for path in sorted((TUTORIAL / "thursday_talks").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".toml"}:
            assert f'"{path.relative_to(ROOT).as_posix()}' in page, path


def test_pip_installs_the_method_file_and_the_entry_point(installed: Installed) -> None:
    """The wheel ships the TOML and py.typed, and declares the ``civicgrid`` entry point."""
    package = installed.site / PACKAGE
    assert (package / "methods" / "thursday_talks.toml").is_file()
    assert (package / "py.typed").is_file()
    (dist_info,) = installed.site.glob("civicgrid_thursday_talks-0.1.0.dist-info")
    entry_points = (dist_info / "entry_points.txt").read_text(encoding="utf-8")
    assert "[civicgrid]" in entry_points
    assert "thursday_talks = civicgrid_thursday_talks.plugin" in entry_points


def test_the_plugins_own_tests_pass_in_a_separate_pytest(
    installed: Installed, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m pytest`` in the newcomer's folder: six tests, all passing."""
    shutil.copytree(installed.project / "tests", pytester.path / "tests")
    shutil.copy(installed.project / "pyproject.toml", pytester.path / "pyproject.toml")
    pythonpath = [str(installed.site), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in pythonpath if p))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=6)


def test_civicgrid_methods_lists_the_installed_plugin(on_path: Path) -> None:
    """``civicgrid methods`` finds thursday_talks through its entry point, credited to it."""
    (row,) = [line for line in cli("methods").splitlines() if line.startswith("thursday_talks ")]
    assert "周四来说事" in row
    assert "Thursday talks" in row
    assert row.split()[-1] == "thursday_talks"
    assert Path(sys.modules[f"{PACKAGE}.plugin"].__file__ or "").is_relative_to(on_path)


@pytest.mark.parametrize(
    ("output", "argv"),
    [
        ("methods_show.txt", ("methods", "show", "thursday_talks")),
        ("thursday_talks.mmd", ("methods", "show", "thursday_talks", "--format", "mermaid")),
        ("compare.txt", tuple((TUTORIAL / "shell" / "compare.sh").read_text().split()[1:])),
    ],
)
def test_the_outputs_on_the_page_are_what_the_commands_print(
    on_path: Path, output: str, argv: tuple[str, ...]
) -> None:
    """The page's command outputs match the command line's, character for character."""
    shown = (TUTORIAL / "output" / output).read_text(encoding="utf-8")
    assert cli(*argv).rstrip() + "\n" == shown


def test_the_page_shows_the_commands_the_tests_follow() -> None:
    """The shell steps are the ones this module reproduces: install, test, list, compare, draw."""
    shell = TUTORIAL / "shell"
    assert "pip install -e ." in (shell / "run_tests.sh").read_text(encoding="utf-8")
    assert "python -m pytest" in (shell / "run_tests.sh").read_text(encoding="utf-8")
    assert (shell / "methods.sh").read_text(encoding="utf-8").splitlines() == [
        "civicgrid methods",
        "civicgrid methods show thursday_talks",
    ]
    compare = (shell / "compare.sh").read_text(encoding="utf-8").split()
    assert compare[:2] == ["civicgrid", "compare"]
    assert "--methods" in compare
    assert compare[compare.index("--methods") + 1] == "thursday_talks,five_steps"
    assert (shell / "diagram.sh").read_text(encoding="utf-8").strip() == (
        "civicgrid methods show thursday_talks --format mermaid"
    )
