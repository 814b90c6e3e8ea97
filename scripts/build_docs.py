"""Build the documentation site, and generate its pages from the code while MkDocs builds.

Run ``python scripts/build_docs.py [SITE_DIR]`` to build into ``SITE_DIR`` (default ``site``)
with warnings as errors. ``mkdocs.yml`` also names this file under ``hooks:``, so MkDocs calls
:func:`on_files`, which adds the pages that must never go stale: one page per built-in method
(from the registry: steps, transitions, deadlines, and its diagram, drawn in the browser by the
vendored Mermaid, with its source), the command line's help, and the API reference (one page
per module, one entry per name in ``civicgrid.__all__``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI_COMMANDS: tuple[list[str], ...] = (
    [],
    ["methods"],
    ["methods", "show"],
    ["demo"],
    ["grid"],
    ["requests"],
)


def _cli(argv: list[str]) -> str:
    """Return what the command line prints for ``argv`` (help exits; that is expected)."""
    from civicgrid.cli import main  # noqa: PLC0415 - only when building

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(argv, stdout=out)
    return out.getvalue().rstrip()


def _fence(text: str, lang: str = "text") -> str:
    return f"```{lang}\n{text}\n```\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def method_pages() -> dict[str, str]:
    """Return the method pages by path: an index and one page per built-in method."""
    from civicgrid import load_registry  # noqa: PLC0415
    from civicgrid.workflows.diagram import to_mermaid  # noqa: PLC0415

    registry = load_registry(entry_points=False)
    pages: dict[str, str] = {}
    rows = []
    for key in sorted(registry.methods):
        m = registry.methods[key]
        plugin = registry.method_plugins[key]
        diagram = to_mermaid(m)
        rows.append(
            f"| [{_cell(m.label_zh)}]({key}.md) | {_cell(m.label_en)} | `{key}` | {m.source} |"
        )
        steps = "\n".join(
            f"| `{s.key}` | {_cell(s.label_zh)} | {_cell(s.label_en)} | "
            f"{'initial 起始' if s.key == m.initial else ''}"
            f"{'terminal 终结' if s.terminal else ''} |"
            for s in m.steps
        )
        transitions = "\n".join(
            f"| `{t.trigger}` | {_cell(t.label_zh)} | {', '.join(t.sources)} | {t.target} | "
            f"{', '.join([*t.roles, *t.powers])} | {', '.join(t.guards)} |"
            for t in m.transitions
        )
        lines = [
            f"# {m.label_zh} {m.label_en}",
            "",
            f"`{key}` · DOMAIN.md **{m.source}** · plugin `{plugin}`",
            "",
            m.description_zh,
            "",
            m.description_en,
            "",
            "## 步骤 Steps",
            "",
            "| key | 名称 | name | |",
            "|---|---|---|---|",
            steps,
            "",
            "## 流转 Transitions",
            "",
            "| trigger | 名称 | from | to | roles / powers 角色 | guards 条件 |",
            "|---|---|---|---|---|---|",
            transitions,
            "",
            "## 完整说明 Full description (`civicgrid methods show`)",
            "",
            (
                "时限、升级层级等见下（命令行输出，随代码生成）。"
                " Deadlines and the escalation ladder, as the command line prints them:"
            ),
            "",
            _fence(_cli(["methods", "show", key])),
            "## 状态图 Diagram",
            "",
            "由 `civicgrid methods show " + key + " --format mermaid` 生成，用站内自带的"
            " Mermaid 绘制（离线可用）。 Drawn from `civicgrid methods show " + key + " --format"
            " mermaid` by the Mermaid copy the site ships (no network needed).",
            "",
            _fence(diagram, "mermaid"),
            '??? note "Mermaid 源码 Mermaid source"',
            "",
            "    可粘贴到任何 Mermaid 编辑器。 Paste it into any Mermaid editor.",
            "",
            textwrap.indent(_fence(diagram), "    "),
        ]
        pages[f"methods/{key}.md"] = "\n".join(lines)
    pages["methods/index.md"] = "\n".join(
        [
            "# 工作法 Methods",
            "",
            (
                "内置的工作法，每页由插件注册表在构建时生成。"
                " The built-in methods; each page is generated from the plugin registry when the"
                " site is built, so it never goes stale. `civicgrid methods` lists the same."
            ),
            "",
            "| 名称 | name | key | DOMAIN.md |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    return pages


def cli_page() -> str:
    """Return the command-line reference: the help of every command, as the program prints it."""
    parts = [
        "# 命令行 Command line",
        "",
        (
            "`civicgrid` 命令随库安装。以下帮助文本在构建时由程序本身生成。"
            " The `civicgrid` command is installed with the library; the help below is generated"
            " from the program when the site is built."
        ),
        "",
    ]
    for argv in CLI_COMMANDS:
        title = " ".join(["civicgrid", *argv])
        parts += [f"## `{title}`", "", _fence(_cli([*argv, "--help"]))]
    parts += ["## `civicgrid methods`", "", _fence(_cli(["methods"]))]
    return "\n".join(parts)


def api_pages() -> dict[str, str]:
    """Return the API reference: an index and one page per module of ``civicgrid.__all__``."""
    import civicgrid  # noqa: PLC0415

    exports: dict[str, str] = civicgrid._EXPORTS  # the module of each public name
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in civicgrid.__all__:
        by_module[exports[name]].append(name)
    pages: dict[str, str] = {}
    index = [
        "# API 参考 API reference",
        "",
        (
            "`civicgrid` 公开的每个名称，按所在模块分页，文字取自代码的文档字符串。"
            " Every name `civicgrid` exports (`civicgrid.__all__`), one page per module, from the"
            " docstrings. Import them from `civicgrid` itself."
        ),
        "",
    ]
    for module in sorted(by_module):
        names = sorted(by_module[module])
        path = f"reference/api/{module}.md"
        index.append(f"- [`{module}`]({module}.md): " + ", ".join(f"`{n}`" for n in names))
        body = [f"# `{module}`", ""]
        doc = (sys.modules.get(module) or __import__(module, fromlist=["_"])).__doc__ or ""
        if doc:
            body += [doc.strip().split("\n\n")[0], ""]
        body += [f"::: {module}.{name}\n" for name in names]
        pages[path] = "\n".join(body)
    pages["reference/api/index.md"] = "\n".join(index) + "\n"
    return pages


def generated_pages() -> dict[str, str]:
    """Return every generated page by its path under ``docs/``."""
    return {**method_pages(), "cli.md": cli_page(), **api_pages()}


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated pages to the site's files."""
    from mkdocs.structure.files import File  # noqa: PLC0415

    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    return files


def build(site_dir: Path) -> None:
    """Build the site into ``site_dir`` with warnings as errors."""
    from mkdocs.commands.build import build as mkdocs_build  # noqa: PLC0415
    from mkdocs.config import load_config  # noqa: PLC0415

    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
    mkdocs_build(config)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "site")
