"""Findings: what a check of a unit tree or an organisation chain reports, as data.

A check never raises for what it finds: it returns :class:`Finding` records (rule, unit,
measured value, limit, severity, a message in Chinese and English) that a report can count,
sort and print, and that a city platform can store or show on a map. Severity says what a
finding means for the caller: ``error`` breaks the scheme (the ``grid check`` command exits 1),
``warning`` asks for a look, ``info`` only informs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

__all__ = ["Finding", "Severity", "count_by_severity", "worst"]


class Severity(enum.StrEnum):
    """How much a finding matters, from ``info`` to ``error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def label_zh(self) -> str:
        """The Chinese label: 提示, 警告 or 错误."""
        return _SEVERITY_ZH[self]

    @property
    def rank(self) -> int:
        """0 for ``info``, 1 for ``warning``, 2 for ``error``: for sorting and comparing."""
        return _SEVERITY_RANK[self]


_SEVERITY_ZH = {Severity.INFO: "提示", Severity.WARNING: "警告", Severity.ERROR: "错误"}
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@attrs.frozen(kw_only=True)
class Finding:
    """One thing a check found: which rule, where, the measured value against the limit.

    ``unit`` is the id of the unit concerned (``None`` for the tree as a whole); ``subject`` is
    the id of another entity concerned when there is one (an organisation, a person). ``value``
    and ``limit`` are the figures compared (households in the grid against the scheme's
    maximum), ``None`` where the rule is not a comparison (a missing party organisation).
    """

    rule: str
    severity: Severity
    message_en: str
    message_zh: str
    unit: str | None = None
    subject: str | None = None
    value: float | None = None
    limit: float | None = None
    plugin: str | None = attrs.field(default=None, eq=False)
    """The plugin whose check reported it; set by the registry."""

    def __str__(self) -> str:
        where = f" [{self.unit}]" if self.unit else ""
        return f"{self.severity}{where} {self.rule}: {self.message_en} / {self.message_zh}"


def worst(findings: Iterable[Finding]) -> Severity | None:
    """Return the highest severity among ``findings``, or ``None`` when there are none."""
    top: Severity | None = None
    for finding in findings:
        if top is None or finding.severity.rank > top.rank:
            top = finding.severity
    return top


def count_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Return how many findings there are of each severity (every severity present as a key)."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
