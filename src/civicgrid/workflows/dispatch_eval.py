"""Measuring a dispatcher (DOMAIN.md I9): automatic-dispatch rate and accuracy on a labelled set.

Chengdu reports two figures for its smart dispatch of 12345 requests: **95%** of requests
dispatched automatically, and **≥ 90%** of those dispatched right. :func:`evaluate_dispatch`
computes the same two figures for any dispatcher (usually
:meth:`civicgrid.Registry.classify_request`, so a city's dispatcher is measured the same way
as the built-in one) on requests whose right category and level a person has written down:

* the **automatic-dispatch rate** is the share of all requests the dispatcher routed with
  ``automatic=True``;
* the **accuracy** is the share of those automatic dispatches whose category is right, and the
  **accuracy with level** the share whose category *and* level are right.

A labelled set is a CSV table (:func:`load_labelled_requests`) with the columns
``id,split,channel,category,level,text``. ``split`` says which part of the set a row belongs
to (``train`` for the rows rules were tuned on, ``test`` for the held-out rows), so figures can
be reported per part: only the held-out figures say how the rules do on requests nobody tuned
them for. The category ``other`` (:data:`OTHER`) marks a request outside the table that a
person should route; dispatching one automatically counts as wrong.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TextIO

import attrs

from civicgrid.domain.requests import LEVELS, Channel, Dispatch, Request
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "CHENGDU_ACCURACY",
    "CHENGDU_AUTOMATIC_RATE",
    "OTHER",
    "SAMPLE_COLUMNS",
    "CategoryFigures",
    "DispatchEvaluation",
    "DispatchOutcome",
    "LabelledRequest",
    "evaluate_dispatch",
    "load_labelled_requests",
]

CHENGDU_AUTOMATIC_RATE = 0.95
"""Chengdu's automatic-dispatch rate for 12345 requests (DOMAIN.md I9)."""

CHENGDU_ACCURACY = 0.90
"""Chengdu's accuracy of automatic dispatch, at least this (DOMAIN.md I9)."""

OTHER = "other"
"""The label of a request outside the dispatch table: a person routes it."""

SAMPLE_COLUMNS = ("id", "split", "channel", "category", "level", "text")
"""The columns of a labelled set, in the order the shipped sample has them."""

SAMPLE_AT = datetime(2026, 1, 5, 9, 0, tzinfo=DEFAULT_TZ)
"""When the requests of a labelled set are taken to arrive (the CSV has no time column)."""

_LEVEL_KEYS = tuple(key for key, _zh, _en in LEVELS)
_CHANNELS = {channel.value: channel for channel in Channel}
_WHAT = "labelled request set"

Classifier = Callable[[Request], Dispatch | None]
LabelledSource = str | os.PathLike[str] | TextIO | Traversable
"""A path, a text stream or a package resource (never CSV text itself)."""


@attrs.frozen(kw_only=True)
class LabelledRequest:
    """A request with the category and level a person says are right, and its part of the set."""

    request: Request
    category: str
    level: str | None
    split: str = ""


@attrs.frozen(kw_only=True)
class DispatchOutcome:
    """What a dispatcher answered for one labelled request (``category`` None: no answer)."""

    request_id: str
    split: str
    expected_category: str
    expected_level: str | None
    category: str | None
    level: str | None
    automatic: bool

    @property
    def category_right(self) -> bool:
        """Whether the dispatcher's category (its guess, automatic or not) is the right one."""
        return self.category == self.expected_category

    @property
    def right(self) -> bool:
        """Whether category and level are both right (a label without a level: category only)."""
        return self.category_right and self.expected_level in (None, self.level)


@attrs.frozen(kw_only=True)
class CategoryFigures:
    """The figures of one right category: how its requests were dispatched."""

    category: str
    total: int
    automatic: int
    automatic_right: int
    answers: Mapping[str | None, int]
    """Every answer given for requests of this category, by answered category."""

    @property
    def accuracy(self) -> float | None:
        """Share of this category's automatic dispatches that are right; None if none."""
        return _share(self.automatic_right, self.automatic)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@attrs.frozen
class DispatchEvaluation:
    """The outcomes of a dispatcher on a labelled set, and the figures Chengdu reports."""

    outcomes: tuple[DispatchOutcome, ...]

    @property
    def total(self) -> int:
        """Number of labelled requests."""
        return len(self.outcomes)

    @property
    def answered(self) -> int:
        """Requests the dispatcher gave any answer for (automatic or a guess to confirm)."""
        return sum(o.category is not None for o in self.outcomes)

    @property
    def automatic(self) -> int:
        """Requests dispatched automatically."""
        return sum(o.automatic for o in self.outcomes)

    @property
    def automatic_right(self) -> int:
        """Automatic dispatches with the right category."""
        return sum(o.automatic and o.category_right for o in self.outcomes)

    @property
    def automatic_right_with_level(self) -> int:
        """Automatic dispatches with the right category and level."""
        return sum(o.automatic and o.right for o in self.outcomes)

    @property
    def automatic_rate(self) -> float | None:
        """Share of all requests dispatched automatically (Chengdu: 95%)."""
        return _share(self.automatic, self.total)

    @property
    def accuracy(self) -> float | None:
        """Share of automatic dispatches whose category is right (Chengdu: ≥ 90%)."""
        return _share(self.automatic_right, self.automatic)

    @property
    def accuracy_with_level(self) -> float | None:
        """Share of automatic dispatches whose category and level are both right."""
        return _share(self.automatic_right_with_level, self.automatic)

    @property
    def guess_accuracy(self) -> float | None:
        """Share of all requests whose answer (automatic or not) has the right category."""
        return _share(sum(o.category_right for o in self.outcomes), self.total)

    @property
    def meets_chengdu(self) -> bool:
        """Whether both of Chengdu's figures are reached (category accuracy)."""
        rate, accuracy = self.automatic_rate, self.accuracy
        return (
            rate is not None
            and accuracy is not None
            and rate >= CHENGDU_AUTOMATIC_RATE
            and accuracy >= CHENGDU_ACCURACY
        )

    @property
    def splits(self) -> tuple[str, ...]:
        """The parts of the set, in order of first appearance."""
        return tuple(dict.fromkeys(o.split for o in self.outcomes))

    def only(self, split: str) -> DispatchEvaluation:
        """Return the evaluation of one part of the set (``train``, ``test`` …)."""
        return DispatchEvaluation(tuple(o for o in self.outcomes if o.split == split))

    def by_category(self) -> tuple[CategoryFigures, ...]:
        """Return the figures of each right category, in order of first appearance."""
        groups: dict[str, list[DispatchOutcome]] = {}
        for outcome in self.outcomes:
            groups.setdefault(outcome.expected_category, []).append(outcome)
        return tuple(
            CategoryFigures(
                category=category,
                total=len(group),
                automatic=sum(o.automatic for o in group),
                automatic_right=sum(o.automatic and o.category_right for o in group),
                answers=dict(Counter(o.category for o in group).most_common()),
            )
            for category, group in groups.items()
        )

    def to_data(self) -> dict[str, Any]:
        """Return the figures as plain data (for JSON), with the per-category confusion."""
        return {
            "total": self.total,
            "answered": self.answered,
            "automatic": self.automatic,
            "automatic_right": self.automatic_right,
            "automatic_right_with_level": self.automatic_right_with_level,
            "automatic_rate": self.automatic_rate,
            "accuracy": self.accuracy,
            "accuracy_with_level": self.accuracy_with_level,
            "guess_accuracy": self.guess_accuracy,
            "meets_chengdu": self.meets_chengdu,
            "by_category": [
                {
                    "category": figures.category,
                    "total": figures.total,
                    "automatic": figures.automatic,
                    "automatic_right": figures.automatic_right,
                    "accuracy": figures.accuracy,
                    "answers": {
                        str(k) if k is not None else "": n for k, n in figures.answers.items()
                    },
                }
                for figures in self.by_category()
            ],
        }


def evaluate_dispatch(
    classify: Classifier, labelled: Iterable[LabelledRequest]
) -> DispatchEvaluation:
    """Dispatch every labelled request with ``classify`` and record what it answered."""
    outcomes = []
    for item in labelled:
        dispatch = classify(item.request)
        outcomes.append(
            DispatchOutcome(
                request_id=item.request.id,
                split=item.split,
                expected_category=item.category,
                expected_level=item.level,
                category=None if dispatch is None else dispatch.category,
                level=None if dispatch is None else dispatch.level,
                automatic=dispatch is not None and dispatch.automatic,
            )
        )
    return DispatchEvaluation(tuple(outcomes))


# --------------------------------------------------------------------------- reading


def load_labelled_requests(source: LabelledSource) -> tuple[LabelledRequest, ...]:
    """Read a labelled set from CSV; raise ``InvalidData`` listing every problem by line.

    Columns: ``id`` (unique), ``split`` (may be empty), ``channel`` (a :class:`Channel` value),
    ``category`` (:data:`OTHER` for a request outside the table), ``level`` (a rung of
    :data:`~civicgrid.LEVELS`, or empty) and ``text``. Files are UTF-8, with or without a
    byte-order mark. An unreadable file raises the usual :class:`OSError`.
    """
    text, name = _read(source)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in SAMPLE_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidData(
            _WHAT, [Problem("line 1", f"missing columns: {', '.join(missing)}")], name
        )
    problems: list[Problem] = []
    rows: list[LabelledRequest] = []
    first: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        item = _row(row, f"line {line}", problems)
        if item is None:
            continue
        if item.request.id in first:
            problems.append(
                Problem(
                    f"line {line}: id",
                    f"{item.request.id!r} already on line {first[item.request.id]}",
                )
            )
            continue
        first[item.request.id] = line
        rows.append(item)
    if not rows and not problems:
        problems.append(Problem("", "no rows: the table has a header but no requests"))
    if problems:
        raise InvalidData(_WHAT, problems, name)
    return tuple(rows)


def _row(
    row: Mapping[str, str | None], here: str, problems: list[Problem]
) -> LabelledRequest | None:
    cells = {column: (row.get(column) or "").strip() for column in SAMPLE_COLUMNS}
    found: list[Problem] = []
    channel = _CHANNELS.get(cells["channel"])
    if channel is None:
        found.append(Problem(f"{here}: channel", f"unknown channel {cells['channel']!r}"))
    found.extend(
        Problem(f"{here}: {column}", "must not be empty")
        for column in ("id", "category", "text")
        if not cells[column]
    )
    level = cells["level"] or None
    if level is not None and level not in _LEVEL_KEYS:
        found.append(
            Problem(
                f"{here}: level", f"unknown level {level!r}; the ladder is {', '.join(_LEVEL_KEYS)}"
            )
        )
    if found or channel is None:
        problems.extend(found)
        return None
    request = Request(id=cells["id"], channel=channel, text=cells["text"], submitted_at=SAMPLE_AT)
    return LabelledRequest(
        request=request, category=cells["category"], level=level, split=cells["split"]
    )


def _read(source: LabelledSource) -> tuple[str, str | None]:
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        raw = Path(name).read_bytes()
    elif isinstance(source, Traversable):
        name = str(source)
        raw = source.read_bytes()
    else:
        stream_name = getattr(source, "name", None)
        return source.read(), stream_name if isinstance(stream_name, str) else None
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte {exc.start}): save the file as CSV UTF-8"
        raise InvalidData(_WHAT, [Problem("", problem)], name) from exc
