"""The ``civicgrid`` command: parses arguments, calls the library, prints.

Exit status: 0 on success, 1 when the library reports an error, 2 for bad usage or an
unknown key (a method or grid scheme that is not installed). ``grid check`` exits 1 when a
finding is at error severity, and 2 when its file cannot be read or is invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from dateutil.relativedelta import relativedelta

from civicgrid.domain.findings import Finding, Severity, count_by_severity, worst
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError, InvalidData, UnknownMethod, UnknownScheme
from civicgrid.interchange.documents import load_district
from civicgrid.plugins.manager import PluginSpec
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.serialization import relativedelta_to_mapping
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.diagram import to_mermaid
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import EventKind
from civicgrid.workflows.loading import method_to_data
from civicgrid.workflows.method import Method

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

DEFAULT_GRID_SCHEME = "chengdu_3plus1"
"""The scheme ``grid check`` uses when neither ``--scheme`` nor the document names one."""


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    plugins: Iterable[PluginSpec] = (),
) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    ``plugins`` are registered after the discovered ones, as with
    :func:`~civicgrid.plugins.registry.load_registry`: for tests and for applications that
    embed the command with their own plugins.
    """
    out = stdout or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(out)
        return EXIT_USAGE
    try:
        registry = load_registry(blocked=args.block, plugins=plugins)
        return int(args.handler(args, registry, out))
    except BrokenPipeError:
        # The reader went away (`civicgrid methods --json | head`): stop quietly, as
        # the Python documentation recommends, without a traceback at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except UnknownMethod as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CivicGridError as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicgrid",
        description="Community governance methods on one kernel (党建引领基层治理).",
    )
    parser.add_argument(
        "--block",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="do not load the plugin with this name (repeatable), e.g. civicgrid.six_self",
    )
    commands = parser.add_subparsers(dest="command")

    methods = commands.add_parser("methods", help="list the installed methods (工作法)")
    methods.add_argument("--json", action="store_true", help="print a JSON list")
    methods.set_defaults(handler=_methods)
    shows = methods.add_subparsers(dest="action")
    show = shows.add_parser("show", help="show one method")
    show.add_argument("key", help="the method's key, e.g. six_self")
    show.add_argument(
        "--format", choices=("text", "json", "mermaid"), default="text", help="output format"
    )
    show.set_defaults(handler=_show)

    demo = commands.add_parser(
        "demo", help="list the methods, then run Six Self once on a sample topic"
    )
    demo.set_defaults(handler=_demo)

    grid = commands.add_parser("grid", help="check a district's grids (网格) against a scheme")
    grid.set_defaults(handler=lambda _a, _r, out: _usage(grid, out))
    grid_actions = grid.add_subparsers(dest="action")
    check = grid_actions.add_parser(
        "check",
        help="check a unit table or district document against a grid scheme",
        description="Check a district against a grid scheme and print the findings. Exit "
        "status: 0 when no finding is an error, 1 when one is, 2 when FILE cannot be read or "
        "is invalid, or the scheme is not installed.",
    )
    check.add_argument(
        "file",
        metavar="FILE",
        help="a unit table (.csv) or a district document (.json); the suffix decides which",
    )
    check.add_argument(
        "--scheme",
        metavar="KEY",
        help=f"the grid scheme; default: the document's scheme, else {DEFAULT_GRID_SCHEME}",
    )
    check.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    check.add_argument(
        "--on",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the date terms and appointments are read on (default: today in Asia/Shanghai)",
    )
    check.set_defaults(handler=_grid_check)
    return parser


def _usage(parser: argparse.ArgumentParser, out: TextIO) -> int:
    parser.print_help(out)
    return EXIT_USAGE


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


# --------------------------------------------------------------------------- methods


def _method_json(registry: Registry, method: Method) -> dict[str, Any]:
    data = method_to_data(method)
    data["plugin"] = registry.method_plugins[method.key]
    return data


def _methods(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
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
    _table(out, ("key", "名称", "name", "source", "steps", "plugin"), rows)
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
    _table(
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
    _table(
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
        _table(
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


# --------------------------------------------------------------------------- demo


def _demo(_args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    out.write("Installed methods 已安装的工作法\n")
    _methods(argparse.Namespace(json=False), registry, out)
    method = registry.method("six_self")
    out.write(
        f"\nRunning {method.label_zh} {method.label_en} on a sample topic"
        " 示例议题：3号楼加装电梯 (install a lift in building 3)\n\n"
    )
    clock = ManualClock(datetime(2026, 11, 20, 19, 0, tzinfo=DEFAULT_TZ))
    engine = Engine.from_registry(registry, clock=clock)
    resident = Actor(id="resident:3-2-501", roles={"resident"})
    council = Actor(id="council:binhu", roles={"council"})
    case = engine.open(
        "six_self", actor=resident, data={"topic": "3号楼加装电梯 install a lift in building 3"}
    )
    walk: list[tuple[timedelta, str, Actor, dict[str, Any] | None]] = [
        (timedelta(days=3), "table", council, None),
        (timedelta(days=7), "call_vote", council, None),
        (timedelta(days=1), "adopt", council, {"votes_for": 41, "votes_against": 6}),
        (timedelta(days=90), "complete", resident, None),
        (timedelta(days=30), "share", council, None),
    ]
    _print_event(method, case.events[0].at, "open", resident.id, case.step, out)
    for delay, trigger, actor, data in walk:
        engine.tick(clock.advance(delay))
        engine.fire(case, trigger, actor, data=data)
        event = case.events[-1]
        _print_event(method, event.at, trigger, actor.id, event.target, out)
    breaches = [e for e in case.events if e.kind is EventKind.BREACHED]
    out.write(
        f"\n{len(case.events)} events, {len(breaches)} deadline breaches; "
        f"closed: {case.is_closed}\n"
    )
    return EXIT_OK


def _print_event(
    method: Method, at: datetime, trigger: str, actor: str, step: str, out: TextIO
) -> None:
    target = method.step(step)
    out.write(
        f"  {at:%Y-%m-%d %H:%M}  {trigger:<10} by {actor:<18} → "
        f"{target.label_zh} {target.label_en}\n"
    )


# --------------------------------------------------------------------------- grid check


def _grid_check(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    try:
        district = load_district(args.file)
        scheme = registry.grid_scheme(args.scheme or district.scheme or DEFAULT_GRID_SCHEME)
    except (InvalidData, UnknownScheme) as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"civicgrid: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    on = args.on or datetime.now(DEFAULT_TZ).date()
    findings = registry.check_grid(
        district.tree,
        scheme.key,
        organisations=district.organisations,
        roster=district.roster,
        on=on,
    )
    if args.json:
        data = registry.converter.unstructure(list(findings), list[Finding])
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(
            f"网格检查 grid check: {args.file} "
            f"({len(district.tree)} units 个单元, on {on.isoformat()})\n"
            f"方案 scheme: {scheme.key}\n  {scheme.label_zh}\n  {scheme.label_en}\n\n"
        )
        for finding in findings:
            _print_finding(finding, out)
        out.write(_summary(findings) + "\n")
    return EXIT_ERROR if worst(findings) is Severity.ERROR else EXIT_OK


def _print_finding(finding: Finding, out: TextIO) -> None:
    parts = [f"{finding.severity.value} {finding.severity.label_zh}", finding.rule]
    if finding.unit is not None:
        parts.append(f"unit {finding.unit}")
    if finding.subject is not None:
        parts.append(f"subject {finding.subject}")
    if finding.value is not None:
        parts.append(f"value {_figure(finding.value)}")
    if finding.limit is not None:
        parts.append(f"limit {_figure(finding.limit)}")
    out.write("  ".join(parts) + "\n")
    out.write(f"    {finding.message_zh}\n    {finding.message_en}\n")


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings 未发现问题"
    counts = count_by_severity(findings)
    per = ", ".join(
        f"{counts[s]} {s.value} {s.label_zh}" for s in sorted(Severity, key=lambda s: -s.rank)
    )
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun} 项发现: {per}"


# --------------------------------------------------------------------------- tables


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print an aligned plain-text table; Chinese characters count as two columns."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [f"{c}{' ' * (w - _width(str(c)))}" for c, w in zip(row, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
