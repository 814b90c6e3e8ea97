"""The library's exceptions: one hierarchy rooted at :class:`CivicGridError`.

Every error the library raises on purpose is a :class:`CivicGridError`. Each also subclasses
the builtin it resembles (``ValueError`` for bad input, ``LookupError`` for unknown keys), so
code that already catches those keeps working. Errors carry the objects involved as
attributes, and a message in English and in Chinese: ``str(error)`` gives both, one per line.

Definition-time errors (a malformed method, a plugin that breaks its contract) are split from
run-time errors (a transition refused on a case), as in the guide's state-machine examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "CalendarError",
    "CalendarRangeError",
    "CivicGridError",
    "ClockError",
    "DuplicateRegistration",
    "GuardFailed",
    "GuardRefused",
    "InvalidData",
    "InvalidMethod",
    "LadderExhausted",
    "NaiveDatetimeError",
    "ObserverError",
    "OpenRefused",
    "OutOfOrder",
    "PluginError",
    "Problem",
    "Refusal",
    "ReplayError",
    "RoleRefused",
    "TransitionRefused",
    "TriggerNotAllowed",
    "UnknownGuard",
    "UnknownMethod",
    "UnknownScheme",
    "UnknownTrigger",
    "WorkflowError",
]


class CivicGridError(Exception):
    """Root of every error civicgrid raises on purpose.

    ``message_en`` and ``message_zh`` hold the two forms of the message; ``str()`` joins them.
    Phone and ID numbers quoted in a message (a refused value echoed back, say) are masked
    (:func:`civicgrid.domain.personal.mask_text`), so no error shows one in full.
    """

    def __init__(self, message_en: str, message_zh: str | None = None) -> None:
        # Imported here: civicgrid.domain.personal imports this module.
        from civicgrid.domain.personal import mask_text  # noqa: PLC0415

        message_en = mask_text(message_en)
        if message_zh is not None:
            message_zh = mask_text(message_zh)
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh

    def __str__(self) -> str:
        if self.message_zh is None:
            return self.message_en
        return f"{self.message_en}\n{self.message_zh}"


# --------------------------------------------------------------------------- definition time


@attrs.frozen
class Problem:
    """One thing wrong with loaded data: where (``steps[2].label_zh``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidData(CivicGridError, ValueError):
    """Data from outside (a file, a dict) does not describe a valid object.

    Every problem found is listed at once in :attr:`problems`, each with its path.
    """

    def __init__(self, what: str, problems: Sequence[Problem], source: str | None = None) -> None:
        self.what = what
        self.problems = tuple(problems)
        self.source = source
        where = f" ({source})" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(
            f"invalid {what}{where}: {count} problem{'s' if count != 1 else ''}\n{lines}",
            f"{what}{where} 无效：共 {count} 处问题",
        )


class InvalidMethod(InvalidData):
    """A method (工作法) definition is malformed or inconsistent."""

    def __init__(
        self, key: str | None, problems: Sequence[Problem], source: str | None = None
    ) -> None:
        self.key = key
        super().__init__(f"method {key!r}" if key else "method", problems, source)


class NaiveDatetimeError(CivicGridError, ValueError):
    """A datetime without a timezone was given where an instant is needed."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"{field}: datetime must be timezone-aware (e.g. tzinfo=Asia/Shanghai)",
            f"{field}：时间必须带时区（例如 Asia/Shanghai）",
        )


class ClockError(CivicGridError, ValueError):
    """A clock was asked to do something clocks do not do, such as run backwards."""


class CalendarError(CivicGridError):
    """A work calendar cannot answer, or was given malformed holiday data."""


class CalendarRangeError(CalendarError, LookupError):
    """The date lies outside the years a calendar knows; it never guesses."""

    def __init__(self, year: int, covered: Iterable[int], calendar: str) -> None:
        self.year = year
        self.covered = tuple(sorted(covered))
        self.calendar = calendar
        span = _describe_years(self.covered)
        super().__init__(
            f"{calendar} has no holiday arrangement for {year} (covers {span}); "
            "add that year's State Council notice as data",
            f"{calendar} 没有 {year} 年的节假日安排（已覆盖 {span}）；"
            "请以数据形式补充当年国务院办公厅通知",
        )


def _describe_years(years: tuple[int, ...]) -> str:
    if not years:
        return "no year"
    if years == tuple(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


# --------------------------------------------------------------------------- plugins


class PluginError(CivicGridError):
    """A plugin failed to load, raised in a hook, or returned something it should not."""

    def __init__(
        self, plugin: str, hook: str, message_en: str, message_zh: str | None = None
    ) -> None:
        self.plugin = plugin
        self.hook = hook
        super().__init__(
            f"plugin {plugin!r}, hook {hook!r}: {message_en}",
            f"插件 {plugin!r} 的钩子 {hook!r}：{message_zh or message_en}",
        )


class DuplicateRegistration(PluginError):
    """Two plugins registered the same key (a method, a guard …)."""

    def __init__(self, kind: str, key: str, first: str, second: str, hook: str) -> None:
        self.kind = kind
        self.key = key
        self.plugins = (first, second)
        super().__init__(
            second,
            hook,
            f"{kind} {key!r} is already registered by plugin {first!r}",
            f"{kind} {key!r} 已由插件 {first!r} 注册",
        )


class UnknownMethod(CivicGridError, LookupError):
    """No installed plugin provides a method with this key."""

    def __init__(self, key: str, known: Iterable[str]) -> None:
        self.key = key
        self.known = tuple(sorted(known))
        super().__init__(
            f"unknown method {key!r}; installed: {', '.join(self.known) or 'none'}",
            f"未知的工作法 {key!r}；已安装：{'、'.join(self.known) or '无'}",
        )


class UnknownScheme(CivicGridError, LookupError):
    """No installed plugin provides a grid scheme (or party chain) with this key."""

    def __init__(self, key: str, known: Iterable[str], kind: str = "grid scheme") -> None:
        self.key = key
        self.kind = kind
        self.known = tuple(sorted(known))
        kind_zh = "网格方案" if kind == "grid scheme" else "党组织链条"
        super().__init__(
            f"unknown {kind} {key!r}; installed: {', '.join(self.known) or 'none'}",
            f"未知的{kind_zh} {key!r}；已安装：{'、'.join(self.known) or '无'}",
        )


class UnknownGuard(CivicGridError, LookupError):
    """A method names a guard that no installed plugin provides."""

    def __init__(self, method: str, trigger: str, guard: str, known: Iterable[str]) -> None:
        self.method = method
        self.trigger = trigger
        self.guard = guard
        self.known = tuple(sorted(known))
        super().__init__(
            f"method {method!r}, transition {trigger!r}: no plugin provides guard {guard!r} "
            f"(known guards: {', '.join(self.known) or 'none'})",
            f"工作法 {method!r} 的流转 {trigger!r}：没有插件提供校验 {guard!r}",
        )


class GuardFailed(PluginError):
    """A guard raised an unexpected exception instead of answering."""


class ObserverError(PluginError):
    """An observer raised while being told of an event; the event itself stands.

    ``case`` and ``event`` are the case (as it now is) and the event the observer was told of,
    so a caller of ``open`` still gets the case it opened.
    """

    case: object = None
    event: object = None


# --------------------------------------------------------------------------- run time


class Refusal(CivicGridError):
    """Raised by a guard to refuse a transition with its own reason.

    The engine turns it into a :class:`GuardRefused` that names the case and the guard.
    """


class WorkflowError(CivicGridError):
    """Something went wrong running a case; the case is as it was before the call."""


class OutOfOrder(WorkflowError, ValueError):
    """An event would be earlier than the case's last event: time never runs backwards."""


class ReplayError(WorkflowError, ValueError):
    """A sequence of events cannot be replayed into a case."""


class TransitionRefused(WorkflowError):
    """A trigger was refused; nothing changed. ``allowed`` lists what is allowed now."""

    def __init__(
        self,
        case_id: str,
        step: str,
        trigger: str,
        allowed: Sequence[str],
        message_en: str,
        message_zh: str,
    ) -> None:
        self.case_id = case_id
        self.step = step
        self.trigger = trigger
        self.allowed = tuple(allowed)
        hint = ", ".join(self.allowed) or "none, the case is closed"
        hint_zh = "、".join(self.allowed) or "无，事项已办结"
        super().__init__(
            f"case {case_id!r} at step {step!r}: {message_en} (allowed now: {hint})",
            f"事项 {case_id!r} 处于 {step!r}：{message_zh}（当前可用：{hint_zh}）",
        )


class UnknownTrigger(TransitionRefused):
    """The method declares no transition with this trigger at all."""


class TriggerNotAllowed(TransitionRefused):
    """The trigger exists in the method, but not from the case's current step."""


class RoleRefused(TransitionRefused):
    """The actor holds none of the roles or powers the transition asks for."""

    actor: object = None
    """The :class:`~civicgrid.workflows.actor.Actor` that was refused."""


class GuardRefused(TransitionRefused):
    """A named guard refused the transition."""

    guard: str = ""
    """The name of the guard that refused."""


class LadderExhausted(TransitionRefused):
    """The transition escalates, but the case is already on the top rung of the ladder."""


class OpenRefused(WorkflowError):
    """The actor may not open a case of this method, or the opening data is wrong."""

    def __init__(self, method: str, actor: str, message_en: str, message_zh: str) -> None:
        self.method = method
        self.actor = actor
        super().__init__(
            f"cannot open a case of method {method!r} as {actor!r}: {message_en}",
            f"{actor!r} 不能发起工作法 {method!r} 的事项：{message_zh}",
        )
