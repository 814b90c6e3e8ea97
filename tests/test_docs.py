"""The documentation site builds offline with warnings as errors and documents every public name."""

from __future__ import annotations

import html
import inspect
import logging
import re
import runpy
import shutil
import warnings
from pathlib import Path
from types import ModuleType

import pytest

import civicgrid
from civicgrid.plugins import hookspecs
from civicgrid.workflows.diagram import to_mermaid
from script_support import load_script

for _needed in ("mkdocs", "material", "mkdocstrings_handlers.python"):
    pytest.importorskip(
        _needed, reason="the docs generator is not installed: pip install -e '.[docs]'"
    )

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
VENDORED = ROOT / "docs" / "assets" / "javascripts"


def load_build_script() -> ModuleType:
    """Import scripts/build_docs.py, which is not a package module."""
    return load_script("scripts/build_docs.py", "civicgrid_build_docs")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with --strict into a temporary directory (any warning aborts it)."""
    out = tmp_path_factory.mktemp("site")
    with warnings.catch_warnings():
        # An import hook another package installs (PluginImportFixer) warns on every import.
        warnings.simplefilter("ignore", ImportWarning)
        load_build_script().build(out)
    return out


def mermaid_blocks(page: str) -> list[str]:
    """Return the diagram sources of a built page, in the markup Material draws with Mermaid."""
    found = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', page, re.DOTALL)
    return [html.unescape(source).strip() for source in found]


def words(text: str) -> str:
    """Reduce text to its words, so markup differences do not matter."""
    return " ".join(re.findall(r"\w+", text))


def page_words(page: str) -> str:
    """Reduce a built HTML page to the words it shows."""
    return words(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def first_line(obj: object) -> str:
    """Return the first line of an object's own docstring, or '' if it has none."""
    doc = inspect.getdoc(obj) if inspect.isclass(obj) or callable(obj) else None
    return doc.strip().splitlines()[0] if doc else ""


def test_the_site_builds_with_the_main_pages(site: Path) -> None:
    """Home, getting started, concepts, testing, methods, CLI, hooks, API and glossary exist."""
    for page in [
        "index.html",
        "getting-started.html",
        "concepts/cases.html",
        "testing.html",
        "methods/index.html",
        "methods/immediate_53522.html",
        "cli.html",
        "reference/hooks.html",
        "reference/api/index.html",
        "glossary.html",
    ]:
        assert (site / page).is_file(), page


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    """No page loads a script, stylesheet, font or image from another host."""
    remote = re.compile(r"""(?:src|href)=["'](?:https?:)?//[^"']+\.(?:js|css|woff2?|png|svg)""")
    for page in site.rglob("*.html"):
        assert not remote.findall(page.read_text(encoding="utf-8")), page
    assert not list(site.rglob("*fonts.googleapis*"))


def test_every_script_a_page_loads_is_a_file_of_the_site(site: Path) -> None:
    """No ``<script src>`` points off the site, and each one it names was built beside it.

    Material fetches mermaid.js from a CDN only when no global ``mermaid`` exists, so the
    method pages must load the vendored copy by a relative path that resolves.
    """
    script = re.compile(r"""<script\b[^>]*?\bsrc=["']?([^"' >]+)""", re.IGNORECASE)
    remote: list[str] = []
    dangling: list[str] = []
    for page in site.rglob("*.html"):
        for src in script.findall(page.read_text(encoding="utf-8")):
            where = f"{page.relative_to(site)}: {src}"
            base = site if src.startswith("/") else page.parent  # 404.html: from the root
            if re.match(r"(?:[a-z][a-z0-9+.-]*:|//)", src, re.IGNORECASE):
                remote.append(where)
            elif not (base / src.split("?")[0].lstrip("/")).is_file():
                dangling.append(where)
    assert not remote, remote
    assert not dangling, dangling
    for method_page in (site / "methods").glob("*.html"):
        text = method_page.read_text("utf-8")
        assert '<script src="../assets/javascripts/mermaid.min.js">' in text, method_page.name


def test_the_vendored_mermaid_ships_with_its_licence_and_stated_version(site: Path) -> None:
    """The built site carries mermaid.min.js and its MIT licence; mkdocs.yml names its version."""
    assert (site / "assets" / "javascripts" / "mermaid.min.js").is_file()
    licence = (site / "assets" / "javascripts" / "mermaid.LICENSE.txt").read_text("utf-8")
    assert licence.startswith("The MIT License")
    stated = re.search(r"mermaid (\d+\.\d+\.\d+)", (ROOT / "mkdocs.yml").read_text("utf-8"))
    assert stated is not None
    assert f'{{version:"{stated.group(1)}"}}' in (VENDORED / "mermaid.min.js").read_text("utf-8")


def test_every_public_name_is_in_the_api_reference_with_its_docstring(site: Path) -> None:
    """Each name of civicgrid.__all__ has an anchor, and a class or function its docstring."""
    missing: list[str] = []
    undocumented: list[str] = []
    pages: dict[str, str] = {}
    for name in civicgrid.__all__:
        module = civicgrid._EXPORTS[name]
        if module not in pages:
            pages[module] = (site / "reference" / "api" / f"{module}.html").read_text("utf-8")
        page = pages[module]
        if f'id="{module}.{name}"' not in page:
            missing.append(f"{module}.{name}")
            continue
        obj = getattr(civicgrid, name)
        line = first_line(obj) if inspect.isclass(obj) or inspect.isfunction(obj) else ""
        if line and words(line) not in page_words(page):
            undocumented.append(f"{module}.{name}: {line}")
    assert not missing, missing
    assert not undocumented, undocumented


def test_every_hook_is_in_the_hook_reference_with_its_docstring(site: Path) -> None:
    """Each hookspec has an anchor and its whole first docstring line."""
    page = (site / "reference" / "hooks.html").read_text("utf-8")
    for name in hookspecs.__all__:
        assert f'id="civicgrid.plugins.hookspecs.{name}"' in page, name
        assert words(first_line(getattr(hookspecs, name))) in page_words(page), name


def test_every_builtin_method_has_a_page_with_its_steps_and_diagram(site: Path) -> None:
    """The method pages are generated from the registry: a new method gets one.

    Its diagram is the command line's Mermaid output in the markup Material draws in the
    browser (``<pre class="mermaid">``), not a code listing of the source.
    """
    registry = civicgrid.load_registry(entry_points=False)
    for key, method in registry.methods.items():
        page = (site / "methods" / f"{key}.html").read_text("utf-8")
        assert method.label_zh in html.unescape(page), key
        assert mermaid_blocks(page) == [to_mermaid(method).strip()], key
        for step in method.steps:
            assert f"<code>{step.key}</code>" in page, (key, step.key)


def test_a_broken_link_or_reference_fails_the_strict_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad link or an unknown API name in any page aborts the build, and the log names it.

    The real configuration builds a copy of docs/ whose glossary gained one of each; each must
    be a warning (which --strict turns into failure) that names the page or the name.
    """
    from mkdocs.commands.build import build as mkdocs_build  # noqa: PLC0415
    from mkdocs.config import load_config  # noqa: PLC0415
    from mkdocs.exceptions import Abort  # noqa: PLC0415

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("__pycache__"))
    glossary = docs / "glossary.md"
    glossary.write_text(
        glossary.read_text("utf-8")
        + "\n见 [不存在的页面](concepts/no-such-page.md)。"
        + " See [a name that does not exist][civicgrid.NoSuchName].\n",
        encoding="utf-8",
    )
    config = load_config(
        str(ROOT / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"), strict=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)
        with pytest.raises(Abort, match="Aborted with 2 warnings"):
            mkdocs_build(config)
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("glossary.md" in p and "concepts/no-such-page.md" in p for p in problems), problems
    assert any("civicgrid.NoSuchName" in p for p in problems), problems


def test_the_first_program_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/examples/first_program.py runs and prints the step it reached."""
    runpy.run_path(str(EXAMPLES / "first_program.py"), run_name="__main__")
    assert capsys.readouterr().out.startswith("自议")


def test_the_testing_example_passes_in_a_users_suite(pytester: pytest.Pytester) -> None:
    """docs/examples/test_my_city.py passes in a separate pytest, as a user would run it."""
    shutil.copy(EXAMPLES / "test_my_city.py", pytester.path / "test_my_city.py")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
