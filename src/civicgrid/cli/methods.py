"""``civicgrid methods``: list the installed methods and show one (text, JSON, Mermaid)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from dateutil.relativedelta import relativedelta

from civicgrid.cli.common import (
    EXIT_OK,
    table,
)
from civicgrid.plugins.registry import Registry
from civicgrid.serialization import relativedelta_to_mapping
from civicgrid.workflows.diagram import to_mermaid
from civicgrid.workflows.loading import method_to_data
from civicgrid.workflows.method import Method

__all__ = ["add_parsers", "list_methods"]


def add_parsers(commands: Any) -> None:
    """Add ``methods`` and ``methods show`` to the command line."""
    methods = commands.add_parser("methods", help="list the installed methods (工作法)")
    methods.add_argument("--json", action="store_true", help="print a JSON list")
    methods.set_defaults(handler=list_methods)
    shows = methods.add_subparsers(dest="action")
    show = shows.add_parser("show", help="show one method")
    show.add_argument("key", help="the method's key, e.g. six_self")
    show.add_argument(
        "--format", choices=("text", "json", "mermaid"), default="text", help="output format"
    )
    show.set_defaults(handler=_show)


def _method_json(registry: Registry, method: Method) -> dict[str, Any]:
    data = method_to_data(method)
    data["plugin"] = registry.method_plugins[method.key]
    return data


def list_methods(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    """Print the installed methods as a table, or as JSON with ``--json``."""
    methods = sorted(registry.methods.values(), key=lambda m: m.key)
    if args.json:
        json.dump([_method_json(registry, m) for m in methods], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    rows = [
        (
            m.key,
            m.label_zh,
            m.label_en,
            m.source or "-",
            str(len(m.steps)),
            registry.method_plugins[m.key],
        )
        for m in methods
    ]
    table(out, ("key", "名称", "name", "source", "steps", "plugin"), rows)
    return EXIT_OK


def _show(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    method = registry.method(args.key)
    if args.format == "mermaid":
        out.write(to_mermaid(method))
    elif args.format == "json":
        json.dump(_method_json(registry, method), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _describe(method, registry.method_plugins[method.key], out)
    return EXIT_OK


def _describe(method: Method, plugin: str, out: TextIO) -> None:
    out.write(
        f"{method.label_zh} {method.label_en} ({method.key}, source {method.source or '-'},"
        f" plugin {plugin})\n"
    )
    if method.description_zh:
        out.write(f"{method.description_zh}\n")
    if method.description_en:
        out.write(f"{method.description_en}\n")
    out.write("\nsteps 步骤\n")
    table(
        out,
        ("key", "名称", "name", ""),
        [
            (
                s.key,
                s.label_zh,
                s.label_en,
                "initial" if s.key == method.initial else "terminal" if s.terminal else "",
            )
            for s in method.steps
        ],
    )
    out.write("\ntransitions 流转\n")
    table(
        out,
        ("trigger", "名称", "from", "to", "roles / powers", "guards"),
        [
            (
                t.trigger,
                t.label_zh,
                ", ".join(t.sources),
                t.target,
                ", ".join([*t.roles, *(f"power:{p}" for p in t.powers)]),
                ", ".join(t.guards),
            )
            for t in method.transitions
        ],
    )
    if method.deadlines:
        out.write("\ndeadlines 时限\n")
        table(
            out,
            ("key", "名称", "limit", "start", "stop", "pause", "on breach"),
            [
                (
                    d.key,
                    d.label_zh,
                    f"{d.working_days} working days" if d.working_days else _duration(d.duration),
                    ", ".join(d.start),
                    ", ".join(d.stop),
                    ", ".join(d.pause),
                    d.on_breach.value,
                )
                for d in method.deadlines
            ],
        )
    if method.escalation:
        out.write("\nescalation 层级: ")
        out.write(" → ".join(f"{lv.label_zh} {lv.key}" for lv in method.escalation) + "\n")


def _duration(value: object) -> str:
    if not isinstance(value, relativedelta):
        return "-"
    parts = relativedelta_to_mapping(value).items()
    return " ".join(f"{n} {k if n != 1 else k[:-1]}" for k, n in parts)
