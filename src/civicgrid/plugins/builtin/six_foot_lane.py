"""Built-in plugin ``civicgrid.six_foot_lane``: D8 六尺巷工作法 (mutual concession), and its guard.

Seed 000 names the method (Anhui promotes it province-wide) without its steps. The method
follows Tongcheng's 六尺巷调解法, 听、辨、劝、借、让、和, as CCTV's 文化中国行 report
"六尺巷：‘礼让密钥’背后的秘密" (10 June 2025) describes it; see ``methods/six_foot_lane.toml``.
Its point is the story's: the Zhang family gave way three feet, the Wu family three more, and
a six-foot lane was left. So a dispute is settled only when *each* party has given way:
the ``mutual_concession`` guard reads ``data["concessions"]``, a mapping from party to what
that party conceded, and asks for at least two parties, each conceding something.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = ["mutual_concession", "register_guards", "register_methods"]


def mutual_concession(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["concessions"]`` records a concession by each of two or more parties.

    Refuses with a reason naming what is missing: no mapping, fewer than two parties, or a
    party whose concession is blank (a one-sided "settlement" is not 六尺巷).
    """
    concessions = (data or {}).get("concessions")
    if not isinstance(concessions, Mapping):
        raise Refusal(
            "data.concessions must map each party to what it conceded, "
            f"got {type(concessions).__name__}",
            "data.concessions 须记录各方的让步（当事人 → 让步内容），"
            f"实际为 {type(concessions).__name__}",
        )
    if len(concessions) < 2:
        raise Refusal(
            f"each side gives way: concessions by at least two parties needed, "
            f"got {len(concessions)}",
            f"须双方各让一步：至少记录两方的让步，实际 {len(concessions)} 方",
        )
    blank = sorted(
        str(party)
        for party, given in concessions.items()
        if not isinstance(given, str) or not given.strip()
    )
    if blank:
        raise Refusal(
            f"no concession recorded for: {', '.join(blank)}",
            f"以下当事人未记录让步内容：{'、'.join(blank)}",
        )
    return True


@hookimpl
def register_methods() -> list[Method]:
    """Provide the Six-Foot Lane method, loaded from its method file."""
    return [builtin_method("six_foot_lane")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the settling transition uses."""
    return [
        Guard(
            name="mutual_concession",
            check=mutual_concession,
            label_zh="须双方各让一步（data.concessions 记录每方的让步）",
            label_en="each party must give way (data.concessions, one entry per party)",
        )
    ]
