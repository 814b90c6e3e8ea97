"""Findings and severities: data a report can count and sort."""

from __future__ import annotations

from civicgrid import Finding, Severity, count_by_severity, worst


def finding(severity: Severity, unit: str = "g1") -> Finding:
    """A finding of the given severity."""
    return Finding(rule="r", severity=severity, unit=unit, message_en="too big", message_zh="过大")


def test_severities_rank_and_carry_chinese_labels() -> None:
    """Error outranks warning outranks info, each with its Chinese label."""
    assert Severity.ERROR.rank > Severity.WARNING.rank > Severity.INFO.rank
    assert [s.label_zh for s in Severity] == ["提示", "警告", "错误"]


def test_worst_and_counts_summarise_findings() -> None:
    """worst() gives the top severity (None for none); counts list every severity."""
    found = [finding(Severity.INFO), finding(Severity.ERROR), finding(Severity.WARNING)]
    assert worst(found) is Severity.ERROR
    assert worst([]) is None
    assert count_by_severity(found[:1]) == {
        Severity.INFO: 1,
        Severity.WARNING: 0,
        Severity.ERROR: 0,
    }


def test_a_finding_reads_in_both_languages() -> None:
    """str() names severity, unit, rule and both messages."""
    assert str(finding(Severity.WARNING)) == "warning [g1] r: too big / 过大"
