"""Guards: named checks a transition runs before it may happen.

A method names its guards (``guards = ["majority_in_favour"]``); plugins provide them through
the ``register_guards`` hook. Method files therefore never carry code: a name is resolved to a
plain callable once, when the method is compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from civicgrid.workflows.actor import Actor
    from civicgrid.workflows.case import Case

__all__ = ["Guard", "GuardCheck"]

GuardCheck = Callable[["Case", "Actor", "Mapping[str, Any] | None"], bool]
"""``check(case, actor, data) -> bool``: true lets the transition through.

To refuse with a reason of its own, a check raises :class:`civicgrid.errors.Refusal`.
It must not change the case.
"""


@attrs.frozen(kw_only=True)
class Guard:
    """A named, labelled check; the label explains a refusal to the person refused."""

    name: str
    check: GuardCheck
    label_zh: str
    label_en: str
    plugin: str | None = None
    """The plugin that registered the guard; the registry fills it in."""
