"""``civicgrid requests``: resident requests; ``dispatch-eval`` measures the dispatcher."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from civicgrid.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    percent,
    table,
    usage,
)
from civicgrid.errors import InvalidData
from civicgrid.plugins.builtin.dispatch import dispatch_sample
from civicgrid.plugins.registry import Registry
from civicgrid.workflows.dispatch_eval import (
    CHENGDU_ACCURACY,
    CHENGDU_AUTOMATIC_RATE,
    DispatchEvaluation,
    evaluate_dispatch,
    load_labelled_requests,
)

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    """Add ``requests dispatch-eval`` to the command line."""
    requests = commands.add_parser("requests", help="resident requests (诉求)")
    requests.set_defaults(handler=lambda _a, _r, out: usage(requests, out))
    actions = requests.add_subparsers(dest="action")
    evaluate = actions.add_parser(
        "dispatch-eval",
        help="measure the installed dispatcher on a labelled sample (DOMAIN.md I9)",
        description="Dispatch every request of a labelled CSV with the installed dispatcher and "
        "print the automatic-dispatch rate and the accuracy of automatic dispatches (Chengdu "
        "reports 95%% and at least 90%%), per split and per category. Exit status: 0 on "
        "success, 1 when no dispatcher is installed, 2 when FILE cannot be read or is invalid.",
    )
    evaluate.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a CSV with columns id,split,channel,category,level,text; default: the labelled "
        "sample shipped with civicgrid",
    )
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(handler=_dispatch_eval)


def _dispatch_eval(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    source = args.file or dispatch_sample()
    try:
        labelled = load_labelled_requests(source)
    except InvalidData as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"civicgrid: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    dispatchers = [plugin for plugin, _function, _takes in registry.dispatchers]
    if not dispatchers:
        print(
            "civicgrid: no dispatcher installed (no plugin implements classify_request)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    evaluation = evaluate_dispatch(registry.classify_request, labelled)
    splits = {name: evaluation.only(name) for name in evaluation.splits if name}
    name = args.file or "the shipped sample 内置样本"
    if args.json:
        data = {
            "file": args.file,
            "dispatchers": dispatchers,
            "chengdu": {"automatic_rate": CHENGDU_AUTOMATIC_RATE, "accuracy": CHENGDU_ACCURACY},
            "all": evaluation.to_data(),
            "splits": {split: part.to_data() for split, part in splits.items()},
        }
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(
        f"派单评估 dispatch evaluation: {name} ({evaluation.total} requests 条诉求)\n"
        f"dispatchers 派单插件: {', '.join(dispatchers)}\n"
        f"Chengdu 成都: automatic {CHENGDU_AUTOMATIC_RATE:.0%} 自动派单率, "
        f"accuracy ≥ {CHENGDU_ACCURACY:.0%} 准确率\n\n"
    )
    table(
        out,
        (
            "split",
            "requests",
            "automatic",
            "rate 派单率",
            "right",
            "accuracy 准确率",
            "with level 含层级",
            "Chengdu 成都",
        ),
        [_split_row(split, part) for split, part in [*splits.items(), ("all", evaluation)]],
    )
    out.write("\nper category 分类 (all; answers = what the dispatcher said, – for nothing)\n")
    table(
        out,
        ("category", "requests", "automatic", "right", "accuracy", "other answers"),
        [
            (
                figures.category,
                str(figures.total),
                str(figures.automatic),
                str(figures.automatic_right),
                percent(figures.accuracy),
                ", ".join(
                    f"{answer or '–'}×{count}"
                    for answer, count in figures.answers.items()
                    if answer != figures.category
                ),
            )
            for figures in evaluation.by_category()
        ],
    )
    return EXIT_OK


def _split_row(split: str, part: DispatchEvaluation) -> tuple[str, ...]:
    return (
        split,
        str(part.total),
        str(part.automatic),
        percent(part.automatic_rate),
        str(part.automatic_right),
        percent(part.accuracy),
        percent(part.accuracy_with_level),
        "met 达到" if part.meets_chengdu else "not met 未达到",
    )
