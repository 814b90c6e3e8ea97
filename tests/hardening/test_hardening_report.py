"""The hardening figures page (docs/hardening.md) shows exactly the numbers the runs recorded.

``scripts/hardening_report.py`` turns the suites' tally (``{suite: {door: {outcome: n}}}``)
and the soak's samples into the page a security review reads; a figure that does not match
its input, or a missing suite shown as if it had passed, would mislead it. The page writer
is run here on canned inputs (no pytest or soak subprocess): every table is read back and
compared with what went in.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from script_support import load_script

WHEN = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
COMMAND = "python scripts/hardening_report.py --examples 20 --days 120"

TALLY: dict[str, dict[str, dict[str, int]]] = {
    "fuzz": {
        "method files": {"loaded": 31, "refused": 1089},
        "unit trees": {"loaded": 7, "refused": 113},
        "open311": {"refused": 120},
    },
    "store faults": {
        "disk full": {"survived": 12},
        "killed mid-write": {"survived": 25, "lost": 0},
    },
    "permissions": {"immediate_53522": {"accepted": 5405, "refused": 64804}},
    "personal data": {"log records": {"scanned": 3}, "html report": {"scanned": 1}},
    "latency probe": {"engine": {"timed": 4}},
}
"""A tally as the suites write it; no hostile-strings suite recorded anything."""


@pytest.fixture(scope="module")
def writer() -> ModuleType:
    """scripts/hardening_report.py as a module."""
    return load_script("scripts/hardening_report.py", "civicgrid_hardening_report")


@pytest.fixture(scope="module")
def soak_script() -> ModuleType:
    """bench/soak.py as a module."""
    return load_script("bench/soak.py", "civicgrid_bench_soak")


def _sample(day: int, rss_mib: float, events: int, seconds: float) -> dict[str, Any]:
    return {
        "day": day,
        "rss_bytes": round(rss_mib * 2**20),
        "traced_bytes": None,
        "events": 0,
        "window_days": 10 if day else 0,
        "window_events": events,
        "window_seconds": seconds,
        "window_cpu_seconds": seconds,
        "events_per_second": events / seconds if day else None,
        "events_per_cpu_second": events / seconds if day else None,
        "seconds": 0.0,
    }


@pytest.fixture(scope="module")
def soak(soak_script: ModuleType) -> dict[str, Any]:
    """A 60-day soak's result as bench/soak.py returns it: samples every 10 days."""
    samples = [
        _sample(0, 30.0, 0, 0.0),
        _sample(10, 50.5, 7000, 1.0),
        _sample(20, 55.25, 7100, 1.0),
        _sample(30, 60.0, 6900, 1.0),
        _sample(40, 62.0, 7000, 1.25),
        _sample(50, 64.0, 7200, 1.25),
        _sample(60, 70.5, 6800, 1.25),
    ]
    result: dict[str, Any] = {
        "preset": "chenghua", "days": 60, "scale": 0.03, "seed": 1, "store": "sqlite",
        "warmup": 0.1, "wall_seconds": 7.0, "events": 42000, "requests": 6400,
        "samples": samples,
    }  # fmt: skip
    result.update(soak_script.figures(samples, days=60, warmup=0.1))
    return result


def _stub_chart(soak: dict[str, Any]) -> str:
    return "<svg>" + " ".join(str(s["day"]) for s in soak["samples"]) + "</svg>"


@pytest.fixture(scope="module")
def page(writer: ModuleType, soak: dict[str, Any]) -> str:
    """The page written from the canned tally and soak (a stub chart: no pygal needed)."""
    text: str = writer.render(
        TALLY, soak, command=COMMAND, generated=WHEN, machine="Linux x86_64, 2 CPUs",
        chart=_stub_chart,
    )  # fmt: skip
    return text


def sections(page: str) -> dict[str, str]:
    """Split the page by its ``##`` headings: heading → text."""
    parts = re.split(r"^## (.+)$", page, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def tables(text: str) -> dict[str, dict[str, dict[str, int]]]:
    """Read each ``Suite `name`:`` table back into door → outcome → number (totals too)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for name, body in re.findall(r"套件 Suite `([^`]+)`:\n\n((?:\|.*\n?)+)", text):
        rows = [[c.strip() for c in line.strip("|").split("|")] for line in body.splitlines()]
        head = rows[0][1:]
        out[name] = {
            row[0].strip("*"): {
                h: int(c.strip("*").replace(",", "")) for h, c in zip(head, row[1:], strict=True)
            }
            for row in rows[2:]
        }
    return out


def test_every_table_gives_the_tallied_numbers_and_their_totals(page: str) -> None:
    """Each suite's table holds, door by door and outcome by outcome, the tally's numbers."""
    read: dict[str, dict[str, dict[str, int]]] = {}
    for text in sections(page).values():
        read.update(tables(text))
    assert set(read) == set(TALLY)
    for suite, doors in TALLY.items():
        table = read[suite]
        total = table.pop("合计 Total")
        outcomes = sorted({o for counts in doors.values() for o in counts})
        for door, counts in doors.items():
            expected = {o: counts.get(o, 0) for o in outcomes}
            assert table[door] == {**expected, "合计 Total": sum(counts.values())}, (suite, door)
        assert set(table) == set(doors)
        for outcome in outcomes:
            assert total[outcome] == sum(c.get(outcome, 0) for c in doors.values())
        assert total["合计 Total"] == sum(sum(c.values()) for c in doors.values())


def test_suites_land_in_their_sections_and_the_rest_under_other_tallies(page: str) -> None:
    """Suites are placed by name; one no section names is still shown, not dropped."""
    placed = {heading: set(tables(text)) for heading, text in sections(page).items()}
    assert placed["各入口生成的输入 Inputs generated per door"] == {"fuzz"}
    assert placed["注入并挺过的故障 Faults injected and survived"] == {"store faults"}
    assert placed["权限矩阵 The permission matrix"] == {"permissions"}
    assert placed["扫描的个人信息出口 Personal-data surfaces scanned"] == {"personal data"}
    assert placed["其他计数 Other tallies"] == {"latency probe"}


def test_a_section_without_a_suite_says_no_figures_were_recorded(
    writer: ModuleType, page: str
) -> None:
    """A suite that has not run yet shows "no figures recorded", never an empty table."""
    assert sections(page)["恶意字符串 Hostile strings"].strip().endswith(writer.NONE_RECORDED)
    empty = writer.render(
        None, None, command=COMMAND, generated=WHEN, machine="m", chart=_stub_chart
    )
    for heading, text in sections(empty).items():
        assert text.strip().endswith(writer.NONE_RECORDED), heading
        assert "| " not in text, heading
    assert len(sections(empty)) == len(writer.SECTIONS) + 1


def _mib(sample: dict[str, Any]) -> str:
    return f"{sample['rss_bytes'] / 2**20:,.1f} MiB"


def test_the_soak_figures_are_the_samples(page: str, soak: dict[str, Any]) -> None:
    """Start (after the warm-up), middle and end RSS, the verdicts and every window match."""
    text = sections(page)["长时运行 Soak"]
    assert (soak["start"]["day"], soak["middle"]["day"], soak["end"]["day"]) == (10, 30, 60)
    for label, key in (("起点 Start", "start"), ("中点 Middle", "middle"), ("终点 End", "end")):
        sample = soak[key]
        assert f"| {label} | {sample['day']} | {_mib(sample)} |" in text
    assert "End within 10% of middle: **否 no** (+17.5%)" in text
    # Windows after the warm-up (6 days), by end day: 20..60, events/s 7100, 6900, 5600,
    # 5760, 5440: the first two average 7000, the last two 5600.
    assert "Throughput decay: **20.0%**" in text
    for sample in soak["samples"]:
        rate = f"{sample['events_per_second']:,.0f}" if sample["day"] else "—"
        row = (
            f"| {sample['day']} | {sample['window_events']:,} | "
            f"{sample['window_seconds']:.1f} | {rate} | {rate} | {_mib(sample)} |"
        )
        assert row in text
    assert "<svg>0 10 20 30 40 50 60</svg>" in text


def test_the_page_says_it_is_generated_by_which_command_when_and_where(page: str) -> None:
    """The top of the page names the command, forbids hand edits, and gives date and machine."""
    top = page.split("## ", 1)[0]
    assert page.startswith("# 加固数据 Hardening figures\n")
    assert f"本页由 `{COMMAND}` 生成，请勿手工编辑" in top
    assert f"This page is generated by `{COMMAND}` and must not be edited by hand" in top
    assert "2026-12-06 09:30 UTC" in top
    assert "Linux x86_64, 2 CPUs" in top


def test_the_memory_curve_is_an_inline_svg_with_one_point_per_sample(
    writer: ModuleType, soak: dict[str, Any]
) -> None:
    """The chart is SVG text that sits in the Markdown: no script, no namespace, one line."""
    pytest.importorskip("pygal", reason="the chart needs the report extra")
    svg = writer.memory_chart(soak)
    assert svg.startswith(f'<svg id="{writer.CHART_ID}"')
    assert svg.endswith("</svg>")
    assert "\n" not in svg
    assert "<script" not in svg
    assert "xmlns" not in svg
    values = re.findall(r'<desc class="value">([^<]+)</desc>', svg)
    assert values == [
        f"{s['rss_bytes'] / 2**20:.1f}".rstrip("0").rstrip(".") for s in soak["samples"]
    ]


def test_the_command_writes_the_page_from_saved_outputs(
    writer: ModuleType, soak: dict[str, Any], tmp_path: Path
) -> None:
    """``--tally`` and ``--soak-json`` reuse earlier runs: the page is written from them."""
    pytest.importorskip("pygal", reason="the chart needs the report extra")
    tally, saved, out = tmp_path / "tally.json", tmp_path / "soak.json", tmp_path / "page.md"
    tally.write_text(json.dumps(TALLY), encoding="utf-8")
    raw = {key: soak[key] for key in ("preset", "days", "scale", "seed", "store", "warmup",
                                      "wall_seconds", "events", "requests", "samples")}  # fmt: skip
    saved.write_text(json.dumps(raw), encoding="utf-8")
    argv = ["--tally", str(tally), "--soak-json", str(saved), "--out", str(out)]
    assert writer.main(argv) == 0
    text = out.read_text(encoding="utf-8")
    assert "python scripts/hardening_report.py --tally" in text
    assert tables(sections(text)["权限矩阵 The permission matrix"])["permissions"][
        "immediate_53522"
    ] == {"accepted": 5405, "refused": 64804, "合计 Total": 70209}
    assert f'<svg id="{writer.CHART_ID}"' in text
    assert "End within 10% of middle: **否 no** (+17.5%)" in text
