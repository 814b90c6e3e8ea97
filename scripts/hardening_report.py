"""Write docs/hardening.md, the hardening figures page, from runs, never by hand.

``python scripts/hardening_report.py [options]`` runs, each in its own process:

1. the hardening suites, ``pytest tests/hardening tests/store -q -k "fuzz or fault or
   hostile or permission or personal"``, with ``CIVICGRID_HARDENING_LOG`` naming a
   temporary file where the ``tally`` fixture writes ``{suite: {door: {outcome: n}}}``
   and ``CIVICGRID_FUZZ_EXAMPLES`` set from ``--examples`` (unset: the suites' default);
2. the soak, ``bench/soak.py`` with the soak options given here (``--preset``, ``--days``,
   ``--scale``, ``--store``, ``--samples``, ``--seed``, ``--warmup``);

then writes the page (``--out``, ``docs/hardening.md`` by default): inputs generated per
door, faults injected and survived, the permission matrix, personal-data surfaces scanned,
hostile strings, the soak's memory curve (inline SVG by pygal, the ``report`` extra) and its
start, middle and end figures, the command that produced it, the date and the machine. A
suite that recorded nothing is shown as "no figures recorded"; suites are placed by name
(``fuzz``, ``fault``, ``permission``, ``personal``, ``hostile``; any other under "other
tallies"). ``--tally FILE`` and ``--soak-json FILE`` reuse earlier outputs instead of
running the suites or the soak. The exit status is 1 when the suites failed (the page says
so too), else 0.

    .venv/bin/python scripts/hardening_report.py                       # suites and a 180-day soak
    .venv/bin/python scripts/hardening_report.py --examples 5000       # the longer fuzzing mode
    .venv/bin/python scripts/hardening_report.py --examples 20 --days 60 --scale 0.02
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOAK_SCRIPT = ROOT / "bench" / "soak.py"
PAGE = ROOT / "docs" / "hardening.md"
SUITES_K = "fuzz or fault or hostile or permission or personal"
"""The ``-k`` expression selecting the hardening suites."""
LOG_ENV = "CIVICGRID_HARDENING_LOG"
EXAMPLES_ENV = "CIVICGRID_FUZZ_EXAMPLES"
NONE_RECORDED = "本次运行没有记录数据。 No figures recorded."
CHART_ID = "hardening-soak-memory"

Tally = Mapping[str, Mapping[str, Mapping[str, int]]]
"""What the suites write: suite → door → outcome → count."""
Chart = Callable[[Mapping[str, Any]], str]
"""Draws the soak's memory curve (SVG) from its result."""


class Section:
    """One table of the page: the suites whose name contains ``keyword``."""

    def __init__(self, keyword: str, title: str, zh: str, en: str, door: str) -> None:
        self.keyword = keyword
        self.title = title
        self.zh = zh
        self.en = en
        self.door = door


SECTIONS = (
    Section(
        "fuzz",
        "各入口生成的输入 Inputs generated per door",
        "每个接收外部数据的入口（工作法文件、单元树、Open311 导入、命令行参数、读回的存储内容、"
        "插件返回值）都用生成和变异的输入测试：要么加载，要么抛出指明字段的 `CivicGridError`。",
        "Every door that takes outside data is fed generated and mutated inputs: each loads "
        "or raises a `CivicGridError` naming the field, never another exception.",
        "入口 Door",
    ),
    Section(
        "fault",
        "注入并挺过的故障 Faults injected and survived",
        "存储故障（磁盘写满、只读文件、文件损坏、锁被占用、写入中途被杀、连接断开）逐一注入；"
        "每次都给出清楚的错误，重新打开后每个已提交的事务都完好。",
        "Storage faults (disk full, read-only file, corrupted file, a held lock, killed "
        "mid-write, a dropped connection) are injected one by one: each gives a clear error "
        "and every committed transaction is intact when the store reopens.",
        "故障 Fault",
    ),
    Section(
        "permission",
        "权限矩阵 The permission matrix",
        "对每种内置工作法的每个触发、角色与层级：只有声明的组合被接受，拒绝不改变任何东西。",
        "For every built-in method, trigger, role and level: exactly the declared "
        "combinations are accepted, and a refusal changes nothing.",
        "工作法 Method",
    ),
    Section(
        "personal",
        "扫描的个人信息出口 Personal-data surfaces scanned",
        "测试先写入已知的电话和身份证号，再扫描日志、repr、异常消息、默认导出与报告：不得出现未脱敏的号码。",
        "Known phone and ID numbers are seeded, then logs, reprs, exception messages, default "
        "exports and reports are scanned: none may show an unmasked number.",
        "出口 Surface",
    ),
    Section(
        "hostile",
        "恶意字符串 Hostile strings",
        "引号、SQL、超长文本与无效的 UTF-8 代理字符写入每个文本字段，读回时原样不变。",
        "Quotes, SQL, very long text and invalid UTF-8 surrogates in every text field "
        "round-trip unchanged.",
        "字段 Field",
    ),
)


# ---------------------------------------------------------------------- running


def run_suites(examples: int | None, log: Path) -> dict[str, Any]:
    """Run the hardening suites with the tally written to ``log``; return how it went."""
    command = [
        sys.executable, "-m", "pytest", "tests/hardening", "tests/store", "-q",
        "-p", "no:cacheprovider", "-k", SUITES_K,
    ]  # fmt: skip
    env = {**os.environ, LOG_ENV: str(log)}
    if examples is not None:
        env[EXAMPLES_ENV] = str(examples)
    else:
        env.pop(EXAMPLES_ENV, None)
    began = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else done.stderr.strip()[-300:]
    return {
        "command": shlex.join(["python", *command[1:]]),
        "exit": done.returncode,
        "summary": summary,
        "seconds": time.perf_counter() - began,
        "examples": examples,
    }


def soak_arguments(args: argparse.Namespace) -> list[str]:
    """Return the command-line options this script passes through to bench/soak.py."""
    return [
        "--preset", args.preset, "--days", str(args.days), "--scale", str(args.scale),
        "--store", args.store, "--samples", str(args.samples), "--seed", str(args.seed),
        "--warmup", str(args.warmup),
    ]  # fmt: skip


def run_soak(options: Sequence[str], out: Path) -> dict[str, Any]:
    """Run bench/soak.py in its own process (its RSS is its own) and return its JSON."""
    command = [sys.executable, str(SOAK_SCRIPT), *options, "--json", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=sys.stderr)  # noqa: S603
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


# ---------------------------------------------------------------------- the page


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _n(value: int) -> str:
    return f"{value:,}"


def tally_table(doors: Mapping[str, Mapping[str, int]], door_heading: str) -> list[str]:
    """Return a Markdown table: one row per door, one column per outcome, and totals."""
    outcomes = sorted({outcome for counts in doors.values() for outcome in counts})
    head = f"| {door_heading} | " + " | ".join(_cell(o) for o in outcomes) + " | 合计 Total |"
    lines = [head, "|---|" + "---:|" * (len(outcomes) + 1)]
    for door in sorted(doors):
        counts = doors[door]
        cells = " | ".join(_n(counts.get(o, 0)) for o in outcomes)
        lines.append(f"| {_cell(door)} | {cells} | {_n(sum(counts.values()))} |")
    sums = [sum(counts.get(o, 0) for counts in doors.values()) for o in outcomes]
    lines.append(
        "| **合计 Total** | " + " | ".join(_n(s) for s in sums) + f" | **{_n(sum(sums))}** |"
    )
    return lines


def _sections(tally: Tally) -> list[tuple[Section | None, list[str]]]:
    """Return each section with the suites it shows; suites no section names come last."""
    placed: set[str] = set()
    out: list[tuple[Section | None, list[str]]] = []
    for section in SECTIONS:
        names = sorted(s for s in tally if section.keyword in s.lower() and s not in placed)
        placed.update(names)
        out.append((section, names))
    rest = sorted(set(tally) - placed)
    if rest:
        out.append((None, rest))
    return out


def _suite_lines(tally: Tally, names: list[str], door_heading: str) -> list[str]:
    if not names:
        return [NONE_RECORDED]
    lines: list[str] = []
    for name in names:
        lines += [f"套件 Suite `{_cell(name)}`:", ""]
        doors = tally[name]
        lines += tally_table(doors, door_heading) if doors else [NONE_RECORDED]
        lines.append("")
    return lines[:-1]


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def memory_chart(soak: Mapping[str, Any]) -> str:
    """Return the soak's RSS by simulated day as an inline SVG line chart (pygal)."""
    from civicgrid.report.charts import chart_style, inline_svg, pygal_module  # noqa: PLC0415

    pygal = pygal_module()
    samples = soak["samples"]
    style = chart_style()
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=style,
        title="内存（RSS，MiB）随模拟天数 Memory (RSS, MiB) by simulated day",
        width=760,
        height=320,
        explicit_size=True,
        show_legend=False,
        x_title="模拟天数 simulated days",
        x_label_rotation=45 if len(samples) > 16 else 0,
        show_minor_x_labels=len(samples) <= 31,
        x_labels_major_every=max(len(samples) // 15, 1),
        truncate_label=-1,
        include_x_axis=True,
        margin=8,
    )
    chart.x_labels = [str(s["day"]) for s in samples]
    chart.add("RSS", [round(s["rss_bytes"] / 2**20, 1) for s in samples])
    if any(s.get("traced_bytes") for s in samples):
        chart.add("tracemalloc", [round((s["traced_bytes"] or 0) / 2**20, 1) for s in samples])
        chart.show_legend = True
    svg = inline_svg(chart.render(is_unicode=True), CHART_ID)
    return " ".join(line.strip() for line in svg.splitlines() if line.strip())


def soak_lines(soak: Mapping[str, Any] | None, chart: Chart) -> list[str]:
    """Return the soak section: what ran, the chart, start/middle/end and the windows."""
    lines = [
        "## 长时运行 Soak",
        "",
        (
            "大型预设的长时间模拟，运行中采样内存与吞吐量：预热之后内存应保持平稳"
            "（不随已结案事项的数量增长），吞吐量不应下降。“起点”是预热后的第一个样本。"
        ),
        "",
        (
            "A long simulation of a large preset, memory and throughput sampled as it runs: once "
            "warmed up, memory should stay flat (not grow with the number of closed cases) and "
            "throughput should not decay. *Start* is the first sample after the warm-up "
            "(`bench/soak.py` documents how each figure is taken)."
        ),
        "",
    ]
    if soak is None:
        return [*lines, NONE_RECORDED]
    decay, cpu = soak.get("throughput_decay"), soak.get("cpu_throughput_decay")
    lines += [
        (
            f"预设 Preset `{_cell(soak['preset'])}` · {soak['days']} 天 days · 规模 scale "
            f"{soak['scale']:g} · 种子 seed {soak['seed']} · 存储 store {_cell(soak['store'])} · "
            f"{_n(soak['requests'])} 条诉求 requests · {_n(soak['events'])} 个事件 events · "
            f"{soak['wall_seconds']:,.1f} s · 预热 warm-up: {soak['warmup_days']} 天 days "
            f"({soak['warmup']:.0%})"
        ),
        "",
        '<div class="civicgrid-chart">',
        chart(soak),
        "</div>",
        "",
        "| 时点 Point | 天 Day | RSS |",
        "|---|---:|---:|",
    ]
    for zh, key in (("起点 Start", "start"), ("中点 Middle", "middle"), ("终点 End", "end")):
        sample = soak[key]
        lines.append(f"| {zh} | {sample['day']} | {_mib(sample['rss_bytes'])} |")
    flat = "是 yes" if soak["flat"] else "否 no"
    lines += [
        "",
        f"- 终点在中点的 10% 以内 End within 10% of middle: **{flat}** ({soak['growth']:+.1%})",
        "- 吞吐量下降 Throughput decay: "
        + (
            f"**{decay:.1%}**（墙钟 wall clock；按 CPU 时间 by CPU time {cpu:.1%}）"
            if decay is not None and cpu is not None
            else "未测得 not measured"
        ),
        "",
        (
            "| 天 Day | 窗口事件 Events in window | 窗口秒数 Window s | 事件/秒 Events/s | "
            "事件/CPU 秒 Events/CPU s | RSS |"
        ),
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in soak["samples"]:
        rate = f"{s['events_per_second']:,.0f}" if s.get("events_per_second") else "—"
        cpu = f"{s['events_per_cpu_second']:,.0f}" if s.get("events_per_cpu_second") else "—"
        lines.append(
            f"| {s['day']} | {_n(s['window_events'])} | {s['window_seconds']:.1f} | {rate} | "
            f"{cpu} | {_mib(s['rss_bytes'])} |"
        )
    return lines


def render(
    tally: Tally | None,
    soak: Mapping[str, Any] | None,
    *,
    command: str,
    generated: datetime,
    machine: str,
    suites: Mapping[str, Any] | None = None,
    chart: Chart = memory_chart,
) -> str:
    """Return the page's Markdown from the suites' tally and the soak's result."""
    tally = tally or {}
    lines = [
        "# 加固数据 Hardening figures",
        "",
        '!!! note "自动生成 Generated"',
        f"    本页由 `{command}` 生成，请勿手工编辑：重新运行该命令即可更新。",
        (
            f"    This page is generated by `{command}` and must not be edited by hand: run the "
            "command again to update it."
        ),
        "",
        f"生成于 Generated {generated.strftime('%Y-%m-%d %H:%M %Z')} · 机器 Machine {machine}",
        "",
        (
            "输入、故障与内存的数字都来自测试本身：`tally` 夹具按套件、入口与结果计数"
            "（`tests/hardening_support.py`），长时运行来自 `bench/soak.py`。"
        ),
        "",
        (
            "The figures come from the tests themselves: the `tally` fixture counts by suite, door "
            "and outcome (`tests/hardening_support.py`); the soak is `bench/soak.py`."
        ),
        "",
    ]
    if suites is not None:
        examples = suites.get("examples")
        shown = f"{examples:,}" if examples is not None else "套件默认 the suites' default"
        lines += [
            "## 测试运行 The suites run",
            "",
            f"- 命令 Command: `{suites['command']}`",
            f"- 每个入口的样例数 Examples per door (`{EXAMPLES_ENV}`): {shown}",
            (
                f"- 结果 Result: `{_cell(suites['summary'])}` (exit {suites['exit']}, "
                f"{suites['seconds']:,.0f} s)"
            ),
            "",
        ]
    for section, names in _sections(tally):
        if section is None:
            lines += ["## 其他计数 Other tallies", ""]
            lines += _suite_lines(tally, names, "入口 Door")
        else:
            lines += [f"## {section.title}", "", section.zh, "", section.en, ""]
            lines += _suite_lines(tally, names, section.door)
        lines.append("")
    lines += soak_lines(soak, chart)
    return "\n".join(lines).rstrip() + "\n"


def machine_description() -> str:
    """Return the operating system, architecture, CPUs and Python of this machine."""
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count() or 1} CPUs, Python {platform.python_version()}"
    )


def _load(path: str | None) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else None


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("civicgrid_bench_soak", SOAK_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {SOAK_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suites and the soak (or reuse their outputs) and write the page.

    Return 1 when the suites failed (the page is written all the same, saying so), else 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(PAGE), help="the page to write")
    parser.add_argument("--examples", type=int, help=f"{EXAMPLES_ENV} for the fuzzed doors")
    parser.add_argument("--tally", metavar="FILE", help="reuse a tally instead of the suites")
    parser.add_argument("--soak-json", metavar="FILE", help="reuse a soak's --json output")
    soak = parser.add_argument_group("the soak (bench/soak.py)")
    soak.add_argument("--preset", default="chenghua")
    soak.add_argument("--days", type=int, default=180)
    soak.add_argument("--scale", type=float, default=0.1)
    soak.add_argument("--store", default="sqlite", help="sqlite, sqlite:PATH or memory")
    soak.add_argument("--samples", type=int, default=18)
    soak.add_argument("--seed", type=int, default=1)
    soak.add_argument("--warmup", type=float, default=0.1)
    args = parser.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["python", "scripts/hardening_report.py", *given])

    with tempfile.TemporaryDirectory(prefix="civicgrid-hardening-") as directory:
        suites: dict[str, Any] | None = None
        if args.tally:
            tally = _load(args.tally)
        else:
            log = Path(directory) / "tally.json"
            print(f"running the hardening suites: pytest -k {SUITES_K!r} …", file=sys.stderr)
            suites = run_suites(args.examples, log)
            print(f"  {suites['summary']}", file=sys.stderr)
            tally = _load(str(log)) if log.exists() else {}
        if args.soak_json:
            result = _load(args.soak_json)
            result.update(_soak_module().figures(result["samples"], days=result["days"],
                                                 warmup=result["warmup"]))  # fmt: skip
        else:
            print("running the soak: bench/soak.py …", file=sys.stderr)
            result = run_soak(soak_arguments(args), Path(directory) / "soak.json")
    page = render(
        tally,
        result,
        command=command,
        generated=datetime.now(UTC),
        machine=machine_description(),
        suites=suites,
    )
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    if suites is not None and suites["exit"] not in (0, 5):
        print(f"the hardening suites failed: {suites['summary']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
