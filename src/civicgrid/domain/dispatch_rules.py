"""Rule-based dispatch (智能派单, DOMAIN.md I9): categories, phrases and levels as data.

A :class:`DispatchRules` table names the categories of resident requests (环境卫生, 电梯,
燃气安全 …), the Chinese phrases that point to each, the rung of the I4 ladder each is handled
at (小事不出网格 … 疑难问题再找街道) and the role it goes to. :meth:`DispatchRules.classify`
reads a request's text and returns a :class:`Classification`: the best category, whether it
wins clearly enough to be dispatched automatically, and which phrases decided it.

The scoring, in order:

* The text is normalised: NFKC (full-width letters and digits become ASCII), the table's
  traditional characters made simplified, lower case, white space dropped. Phrases are
  normalised the same way, so a city may write them in either script.
* It is read left to right, taking at each position the *longest* phrase of the whole table
  that starts there and jumping past it: 燃气泄漏 beats 燃气, 楼道灯 beats 灯, and an
  ``ignore`` phrase (毛病, 出租车) is taken the same way but scores nothing.
* Each occurrence adds its tier's weight (``strong``, ``keywords``, ``weak``; ``urgent`` and
  ``emergency`` phrases weigh as strong and also raise the urgency) to its category. A
  category with some score gains its bonus for the request's channel (a smoke sensor's alarm
  is fire safety); a channel alone never makes a category.
* The best category is automatic when its score reaches ``min_score`` and its share of the
  best two, ``best / (best + runner-up)``, reaches ``dominance``; otherwise it is a guess a
  person confirms. Ties go to the category listed first.
* The level is the category's, unless a phrase of its ``level_on`` table appears anywhere in
  the text; then the highest level so named.

The domain does no I/O: the built-in plugin ``civicgrid.dispatch`` reads a table from TOML
(:func:`civicgrid.load_dispatch_rules`) and ships the default one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from civicgrid.domain.requests import LEVELS, Channel, Dispatch, Request, Urgency
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "DEFAULT_WEIGHTS",
    "TIERS",
    "AssigneeRole",
    "Classification",
    "DispatchCategory",
    "DispatchRules",
]

TIERS = ("strong", "keywords", "weak", "urgent", "emergency")
"""The phrase lists of a category, as the table names them."""

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"strong": 2.0, "keywords": 1.0, "weak": 0.5}
)
"""What one occurrence of a phrase of each tier adds; urgent and emergency weigh as strong."""

_LEVEL_RANK = {key: rank for rank, (key, _zh, _en) in enumerate(LEVELS)}
_URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.URGENT: 1, Urgency.EMERGENCY: 2}
_URGENCY_OF_TIER = {"urgent": Urgency.URGENT, "emergency": Urgency.EMERGENCY}


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _level_on(value: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({level: tuple(phrases) for level, phrases in value.items()})


def _channels(value: Mapping[Channel, float]) -> Mapping[Channel, float]:
    return MappingProxyType(dict(value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _phrase_problems(path: str, phrases: object) -> list[Problem]:
    if not isinstance(phrases, tuple):
        return [Problem(path, "must be a list of phrases")]
    return [
        Problem(f"{path}[{i}]", f"must be non-blank text, not {phrase!r}")
        for i, phrase in enumerate(phrases)
        if not isinstance(phrase, str) or not phrase.strip()
    ]


@attrs.frozen(kw_only=True)
class AssigneeRole:
    """A role or department a category is dispatched to (物业服务企业, 燃气公司 …).

    The built-in dispatcher puts the key in :attr:`Dispatch.assignee`; a city maps it to the
    person or office on duty.
    """

    key: str
    label_zh: str
    label_en: str

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be non-blank text")
            for field in ("key", "label_zh", "label_en")
            if not isinstance(getattr(self, field), str) or not getattr(self, field).strip()
        ]
        if problems:
            raise InvalidData(f"assignee {self.key!r}", problems)


@attrs.frozen(kw_only=True)
class DispatchCategory:
    """One category of request: its labels, level, assignee and the phrases pointing to it.

    ``strong`` phrases are unambiguous (燃气泄漏), ``keywords`` point to the category (燃气),
    ``weak`` words often appear under other topics too (物业). ``urgent`` and ``emergency``
    phrases count as strong and raise the request's urgency. ``level_on`` maps a level to
    phrases that move the request there (施工 moves noise to the subdistrict); ``channels``
    maps a channel to the bonus it adds once the category has some score.
    """

    key: str
    label_zh: str
    label_en: str
    level: str
    assignee: str | None = None
    strong: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    weak: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    urgent: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    emergency: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    level_on: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_level_on)
    channels: Mapping[Channel, float] = attrs.field(factory=dict, converter=_channels)

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be non-blank text")
            for field in ("key", "label_zh", "label_en")
            if not isinstance(getattr(self, field), str) or not getattr(self, field).strip()
        ]
        if self.level not in _LEVEL_RANK:
            problems.append(Problem("level", _unknown_level(self.level)))
        assignee: object = self.assignee
        if assignee is not None and (not isinstance(assignee, str) or not assignee):
            problems.append(Problem("assignee", "must be a role key or absent"))
        for tier in TIERS:
            problems.extend(_phrase_problems(tier, getattr(self, tier)))
        if not any(getattr(self, tier) for tier in TIERS):
            problems.append(Problem("keywords", "a category needs at least one phrase"))
        for level, phrases in self.level_on.items():
            if level not in _LEVEL_RANK:
                problems.append(Problem(f"level_on.{level}", _unknown_level(level)))
            problems.extend(_phrase_problems(f"level_on.{level}", phrases))
        channels: list[tuple[object, object]] = list(self.channels.items())
        for channel, bonus in channels:
            if not isinstance(channel, Channel):
                problems.append(Problem(f"channels.{channel}", _unknown_channel(channel)))
            elif not isinstance(bonus, int | float) or isinstance(bonus, bool) or bonus < 0:
                problems.append(
                    Problem(f"channels.{channel}", f"must be a number ≥ 0, not {bonus!r}")
                )
        if problems:
            raise InvalidData(f"dispatch category {self.key!r}", problems)

    def phrases(self) -> Iterable[tuple[str, int, str]]:
        """Yield ``(tier, position, phrase)`` for every scored phrase, as listed."""
        for tier in TIERS:
            for i, phrase in enumerate(getattr(self, tier)):
                yield tier, i, phrase


def _unknown_level(level: object) -> str:
    return f"unknown level {level!r}; the ladder is {', '.join(_LEVEL_RANK)}"


def _unknown_channel(channel: object) -> str:
    return f"unknown channel {channel!r}; channels are {', '.join(c.value for c in Channel)}"


@attrs.frozen(kw_only=True)
class Classification:
    """What the rules make of one text: the best category, and why.

    ``matched`` lists the winning category's phrases with their counts, in order of first
    appearance; ``scores`` every category that scored, best first. ``confidence`` is the
    winner's share of the best two scores (1.0 when nothing else scored). ``level_by`` and
    ``urgency_by`` name the phrase that set the level or raised the urgency, if any.
    """

    category: DispatchCategory
    level: str
    automatic: bool
    confidence: float
    score: float
    matched: tuple[tuple[str, int], ...]
    scores: tuple[tuple[str, float], ...]
    min_score: float
    dominance: float
    urgency: Urgency = Urgency.ROUTINE
    level_by: str | None = None
    urgency_by: str | None = None

    @property
    def runner_up(self) -> tuple[str, float] | None:
        """The second-best category and its score, ``None`` when only one scored."""
        return self.scores[1] if len(self.scores) > 1 else None

    def explain(self) -> str:
        """Say which phrases decided, for :attr:`Dispatch.rule` and the ledger."""
        found = "、".join(f"{phrase}×{count}" for phrase, count in self.matched)
        parts = [f"score {self.score:g}"]
        if self.runner_up is not None:
            parts.append(f"runner-up {self.runner_up[0]} {self.runner_up[1]:g}")
        if self.automatic:
            verdict = f"share {self.confidence:.3f} ≥ {self.dominance:g}: automatic 自动派单"
        elif self.score < self.min_score:
            verdict = f"score below {self.min_score:g}: to confirm 待人工确认"
        else:
            verdict = f"share {self.confidence:.3f} < {self.dominance:g}: to confirm 待人工确认"
        text = (
            f"{self.category.label_zh} {self.category.key} ← {found} "
            f"({'; '.join(parts)}; {verdict})"
        )
        if self.level_by is not None:
            text += f"; level {self.level} ← {self.level_by}"
        if self.urgency_by is not None:
            text += f"; urgency {self.urgency.value} {self.urgency.label_zh} ← {self.urgency_by}"
        return text

    def to_dispatch(self, *, unit: str | None = None) -> Dispatch:
        """Return the :class:`Dispatch` this classification amounts to."""
        return Dispatch(
            category=self.category.key,
            level=self.level,
            unit=unit,
            assignee=self.category.assignee,
            automatic=self.automatic,
            confidence=self.confidence,
            rule=self.explain(),
            urgency=None if self.urgency is Urgency.ROUTINE else self.urgency,
        )


def _categories(value: Iterable[DispatchCategory]) -> tuple[DispatchCategory, ...]:
    return tuple(value)


def _assignees(value: Mapping[str, AssigneeRole]) -> Mapping[str, AssigneeRole]:
    return MappingProxyType(dict(value))


def _variants(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _weights(value: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({**DEFAULT_WEIGHTS, **value})


_Entry = tuple[str, int, float]
"""An indexed phrase: (normalised phrase, category position or -1 to ignore, weight)."""


@attrs.frozen(kw_only=True)
class DispatchRules:
    """A dispatch table: categories, assignee roles, weights and the automatic threshold.

    Checked when built: every problem (an unknown level or assignee, a phrase listed twice,
    within a category or across two, an ``ignore`` phrase that is also scored, a threshold out
    of range) is reported at once, as :class:`~civicgrid.errors.InvalidData` with the paths of
    the TOML table (``categories.noise.strong[3]``).

    ``variants`` maps single characters to the ones phrases are written in (traditional to
    simplified: ``{"電": "电"}``); ``weights`` gives what one occurrence of each tier adds
    (:data:`DEFAULT_WEIGHTS` for the tiers not named); ``min_score`` and ``dominance`` are the
    two thresholds of an automatic dispatch.
    """

    categories: tuple[DispatchCategory, ...] = attrs.field(converter=_categories)
    assignees: Mapping[str, AssigneeRole] = attrs.field(factory=dict, converter=_assignees)
    ignore: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    min_score: float = 1.0
    dominance: float = 0.55
    weights: Mapping[str, float] = attrs.field(factory=dict, converter=_weights)
    variants: Mapping[str, str] = attrs.field(factory=dict, converter=_variants)
    source: str | None = attrs.field(default=None, eq=False)
    _table: Mapping[int, int] = attrs.field(init=False, eq=False, repr=False)
    _index: Mapping[str, tuple[_Entry, ...]] = attrs.field(init=False, eq=False, repr=False)
    _urgency: Mapping[str, Urgency] = attrs.field(init=False, eq=False, repr=False)
    _level_on: tuple[tuple[tuple[str, str, str], ...], ...] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        problems = self._setting_problems()
        table: dict[int, int] = {}
        pairs: list[tuple[object, object]] = list(self.variants.items())
        for old, new in pairs:
            if not (isinstance(old, str) and isinstance(new, str) and len(old) == len(new) == 1):
                problems.append(
                    Problem(f"variants.{old}", f"must map one character to one, not {new!r}")
                )
            else:
                table[ord(old)] = ord(new)
        object.__setattr__(self, "_table", MappingProxyType(table))
        problems.extend(self._build_index())
        if problems:
            raise InvalidData("dispatch rules", problems, self.source)

    def _setting_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if not _is_number(self.min_score) or self.min_score <= 0:
            problems.append(Problem("min_score", f"must be a number > 0, not {self.min_score!r}"))
        if not _is_number(self.dominance) or not 0.5 <= self.dominance <= 1:
            problems.append(
                Problem("dominance", f"must be a share in [0.5, 1], not {self.dominance!r}")
            )
        for tier, weight in self.weights.items():
            if tier not in DEFAULT_WEIGHTS:
                problems.append(
                    Problem(f"weights.{tier}", f"unknown tier; tiers: {', '.join(DEFAULT_WEIGHTS)}")
                )
            elif not _is_number(weight) or weight <= 0:
                problems.append(Problem(f"weights.{tier}", f"must be a number > 0, not {weight!r}"))
        if not self.categories:
            problems.append(Problem("categories", "the table needs at least one category"))
        problems.extend(_phrase_problems("ignore", self.ignore))
        return problems

    def _build_index(self) -> list[Problem]:
        """Index every phrase by its first character, longest first; report clashes."""
        problems: list[Problem] = []
        seen: dict[str, str] = {}
        keys: dict[str, int] = {}
        entries: list[_Entry] = []
        urgency: dict[str, Urgency] = {}
        level_on: list[tuple[tuple[str, str, str], ...]] = []
        for position, item in enumerate(self.categories):
            category: object = item
            if not isinstance(category, DispatchCategory):
                problems.append(
                    Problem(f"categories[{position}]", f"not a DispatchCategory: {category!r}")
                )
                continue
            here = f"categories.{category.key}"
            level_on.append(
                tuple(
                    (level, phrase, self.normalise(phrase))
                    for level, phrases in category.level_on.items()
                    for phrase in phrases
                )
            )
            if category.key in keys:
                problems.append(Problem(here, "category listed twice"))
                continue
            keys[category.key] = position
            if category.assignee is not None and category.assignee not in self.assignees:
                known = ", ".join(self.assignees) or "none"
                problems.append(
                    Problem(
                        f"{here}.assignee",
                        f"unknown assignee {category.assignee!r}; known: {known}",
                    )
                )
            for tier, i, phrase in category.phrases():
                path, text = f"{here}.{tier}[{i}]", self.normalise(phrase)
                if text in seen:
                    problems.append(Problem(path, f"{phrase!r} is already listed at {seen[text]}"))
                    continue
                seen[text] = path
                weight = self.weights.get(tier, self.weights["strong"])
                entries.append((text, position, weight))
                if tier in _URGENCY_OF_TIER:
                    urgency[text] = _URGENCY_OF_TIER[tier]
        for i, phrase in enumerate(self.ignore):
            text = self.normalise(phrase)
            if text in seen:
                problems.append(Problem(f"ignore[{i}]", f"{phrase!r} is scored at {seen[text]}"))
                continue
            seen[text] = f"ignore[{i}]"
            entries.append((text, -1, 0.0))
        index: dict[str, list[_Entry]] = {}
        for entry in entries:
            if entry[0]:
                index.setdefault(entry[0][0], []).append(entry)
        object.__setattr__(
            self,
            "_index",
            MappingProxyType(
                {ch: tuple(sorted(es, key=lambda e: -len(e[0]))) for ch, es in index.items()}
            ),
        )
        object.__setattr__(self, "_urgency", MappingProxyType(urgency))
        object.__setattr__(self, "_level_on", tuple(level_on))
        return problems

    @property
    def by_key(self) -> Mapping[str, DispatchCategory]:
        """The categories by key."""
        return MappingProxyType({category.key: category for category in self.categories})

    def normalise(self, text: str) -> str:
        """Return ``text`` as phrases are matched: NFKC, simplified, lower case, no spaces."""
        return "".join(unicodedata.normalize("NFKC", text).translate(self._table).lower().split())

    def classify(
        self,
        text: str,
        *,
        channel: Channel | None = None,
        urgency: Urgency = Urgency.ROUTINE,
    ) -> Classification | None:
        """Classify ``text``; ``None`` when no phrase of any category appears in it.

        ``channel`` adds the categories' channel bonuses; ``urgency`` is the urgency the request
        already has, which a phrase may raise but never lower.
        """
        normalised = self.normalise(text)
        index, bumps = self._index, self._urgency
        counts: dict[int, dict[str, int]] = {}
        scores: dict[int, float] = {}
        raised: tuple[Urgency, str | None] = (urgency, None)
        i, end = 0, len(normalised)
        while i < end:
            for phrase, position, weight in index.get(normalised[i], ()):
                if normalised.startswith(phrase, i):
                    i += len(phrase)
                    if position >= 0:
                        found = counts.setdefault(position, {})
                        found[phrase] = found.get(phrase, 0) + 1
                        scores[position] = scores.get(position, 0.0) + weight
                        bump = bumps.get(phrase)
                        if bump is not None and _URGENCY_RANK[bump] > _URGENCY_RANK[raised[0]]:
                            raised = (bump, phrase)
                    break
            else:
                i += 1
        if not scores:
            return None
        if channel is not None:
            for position in scores:
                scores[position] += self.categories[position].channels.get(channel, 0.0)
        ranked = sorted(scores, key=lambda position: (-scores[position], position))
        best = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        confidence = scores[best] / (scores[best] + second)
        category = self.categories[best]
        level, level_by = self._level(best, normalised)
        return Classification(
            category=category,
            level=level,
            automatic=scores[best] >= self.min_score and confidence >= self.dominance,
            confidence=confidence,
            score=scores[best],
            matched=tuple(counts[best].items()),
            scores=tuple((self.categories[p].key, scores[p]) for p in ranked),
            min_score=self.min_score,
            dominance=self.dominance,
            urgency=raised[0],
            level_by=level_by,
            urgency_by=raised[1],
        )

    def _level(self, position: int, normalised: str) -> tuple[str, str | None]:
        """Return the category's level, or the highest its ``level_on`` phrases name."""
        found: tuple[str, str | None] = (self.categories[position].level, None)
        for level, phrase, text in self._level_on[position]:
            if text in normalised and (
                found[1] is None or _LEVEL_RANK[level] > _LEVEL_RANK[found[0]]
            ):
                found = (level, phrase)
        return found

    def dispatch(self, request: Request) -> Dispatch | None:
        """Classify ``request`` (text, channel, urgency) into a :class:`Dispatch`, or ``None``."""
        found = self.classify(request.text, channel=request.channel, urgency=request.urgency)
        return None if found is None else found.to_dispatch(unit=request.unit)
