"""Owners rate the property company (DOMAIN.md D11): scores per period, trends, the fee spiral.

Huichuan's report (seed 002) asks to "建立业主评价物业公司机制，让业主打分成为监督物业公司服务
质量的有力评判" and warns of the failure to prevent: in 乌江小区 the fee started at 1.2 yuan per
m² a month, owners thought the service not worth it and stopped paying, and the company cut the
fee to 0.8 and then 0.6 "都收不上来，陷入恶性循环".

- A :class:`RatingScheme` is data: dimensions (满意度 items) with weights, and a whole-number
  scale. :data:`SATISFACTION_SCHEME` is an example (six service items, 1–5), not an official
  standard; a city declares its own, e.g. from TOML through :meth:`RatingScheme.from_data`.
- :class:`PropertyRatings` keeps one company's ratings by owners and refuses what does not fit
  the scheme. One rating per owner and period counts: the latest, so an owner may revise it.
- :meth:`PropertyRatings.indicators` gives, per :class:`RatingPeriod`, the mean weighted score
  (exact, a :class:`~fractions.Fraction`), its share of the scale in percent, the mean per
  dimension, and the :class:`Trend` against the previous period, next to the fee and the fee
  collection rate (收缴率, :class:`FeeCollection`) of the same period.
- :func:`find_fee_spiral` reports, as a :class:`~civicgrid.domain.findings.Finding`, a run of
  fee cuts after each of which the collection rate did not rise.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import CivicGridError, InvalidData, NaiveDatetimeError, Problem

__all__ = [
    "FEE_SPIRAL_RULE",
    "SATISFACTION_SCHEME",
    "FeeCollection",
    "PeriodIndicators",
    "PropertyRating",
    "PropertyRatings",
    "RatingDimension",
    "RatingPeriod",
    "RatingRefused",
    "RatingScheme",
    "Trend",
    "find_fee_spiral",
]

FEE_SPIRAL_RULE = "property.fee_spiral"
"""The rule name of the fee-spiral finding."""


class Trend(Labelled):
    """How a figure moved against the previous period."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"
    NONE = "none"
    """No figure to compare with (the first period, or a period without ratings)."""


_TREND_LABELS: dict[Trend, tuple[str, str]] = {
    Trend.UP: ("上升", "up"),
    Trend.DOWN: ("下降", "down"),
    Trend.FLAT: ("持平", "flat"),
    Trend.NONE: ("无可比", "no comparison"),
}
register_labels(_TREND_LABELS)


def _exact(value: object) -> Fraction | None:
    """Return an exact number from text, Decimal, Fraction or int; None for anything else."""
    if isinstance(value, bool | float) or not isinstance(value, str | Decimal | Fraction | int):
        return None
    try:
        return Fraction(value.strip() if isinstance(value, str) else value)
    except (ValueError, ArithmeticError):
        return None


def _to_exact(value: str | Decimal | Fraction | int) -> Fraction:
    # attrs converter: exact inputs become Fractions; others are kept for the validator.
    number = _exact(value)
    kept: Any = value
    return kept if number is None else number


def _check_exact(
    problems: list[Problem],
    path: str,
    value: object,
    *,
    positive: bool = False,
    high: Fraction | None = None,
) -> None:
    if not isinstance(value, Fraction):
        problems.append(
            Problem(path, f"must be exact (text such as '0.95', a Fraction), not {value!r}")
        )
    elif value < 0 or (positive and value == 0):
        problems.append(
            Problem(
                path,
                f"must be more than 0, not {value}"
                if positive
                else f"must be at least 0, not {value}",
            )
        )
    elif high is not None and value > high:
        problems.append(Problem(path, f"must be at most {high}, not {value}"))


def _nonempty(problems: list[Problem], owner: object, *fields: str) -> None:
    for field in fields:
        value: object = getattr(owner, field)
        if not isinstance(value, str) or not value:
            problems.append(Problem(field, "must be a non-empty string"))


# --------------------------------------------------------------------------- the scheme


@attrs.frozen(kw_only=True)
class RatingDimension:
    """One item owners score (``cleaning`` 环境卫生), with its weight in the total."""

    key: str
    label_zh: str
    label_en: str
    weight: Fraction = attrs.field(default=Fraction(1), converter=_to_exact)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "key", "label_zh", "label_en")
        _check_exact(problems, "weight", self.weight, positive=True)
        if problems:
            raise InvalidData(f"rating dimension {self.key!r}", problems)


@attrs.frozen(kw_only=True)
class RatingScheme:
    """A declared way of rating a property company: dimensions, weights and a scale.

    A rating's score is the weighted mean of its dimension scores; weights need not add up to
    anything. The scale runs over whole numbers from ``scale_min`` to ``scale_max``.
    """

    key: str
    label_zh: str
    label_en: str
    dimensions: tuple[RatingDimension, ...]
    scale_min: int = 1
    scale_max: int = 5

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "key", "label_zh", "label_en")
        if not self.dimensions:
            problems.append(Problem("dimensions", "a scheme needs at least one dimension"))
        seen: set[str] = set()
        for i, dimension in enumerate(self.dimensions):
            item: object = dimension
            if not isinstance(item, RatingDimension):
                problems.append(Problem(f"dimensions[{i}]", f"not a RatingDimension: {item!r}"))
            elif dimension.key in seen:
                problems.append(Problem(f"dimensions[{i}].key", f"duplicate key {dimension.key!r}"))
            else:
                seen.add(dimension.key)
        bounds: tuple[object, object] = (self.scale_min, self.scale_max)
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            problems.append(Problem("scale_min", "the scale bounds must be whole numbers"))
        elif self.scale_min >= self.scale_max:
            problems.append(Problem("scale_max", f"must be more than scale_min ({self.scale_min})"))
        if problems:
            raise InvalidData(f"rating scheme {self.key!r}", problems)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str | None = None) -> RatingScheme:
        """Build a scheme from plain data (parsed TOML or JSON); every problem reported at once.

        ``{"key": ..., "label_zh": ..., "label_en": ..., "scale_min": 1, "scale_max": 5,
        "dimensions": [{"key": ..., "label_zh": ..., "label_en": ..., "weight": "0.2"}]}``
        """
        problems: list[Problem] = []
        dimensions: list[RatingDimension] = []
        at: list[int] = []  # where each built dimension stood in the data
        raws = list(data.get("dimensions", ()))
        for i, raw in enumerate(raws):
            try:
                dimensions.append(RatingDimension(**raw))
                at.append(i)
            except InvalidData as error:
                problems.extend(
                    Problem(f"dimensions[{i}].{p.path}", p.message) for p in error.problems
                )
            except TypeError as error:
                problems.append(Problem(f"dimensions[{i}]", str(error)))
        fields = {k: v for k, v in data.items() if k != "dimensions"}
        try:
            scheme = cls(dimensions=tuple(dimensions), **fields)
        except InvalidData as error:
            for problem in error.problems:
                found = re.match(r"dimensions\[(\d+)\]", problem.path)
                if found:
                    path = f"dimensions[{at[int(found[1])]}]{problem.path[found.end() :]}"
                    problems.append(Problem(path, problem.message))
                elif problem.path != "dimensions" or not raws:
                    problems.append(problem)
        except TypeError as error:
            problems.append(Problem("", str(error)))
        if problems:
            raise InvalidData("rating scheme", problems, source)
        return scheme

    @property
    def keys(self) -> tuple[str, ...]:
        """The dimension keys, in order."""
        return tuple(d.key for d in self.dimensions)

    def problems(self, scores: Mapping[str, object]) -> list[Problem]:
        """Return what is wrong with one rating's scores (missing, unknown, off the scale)."""
        found = [Problem(f"scores.{key}", "missing") for key in self.keys if key not in scores]
        for key, value in scores.items():
            if key not in self.keys:
                found.append(
                    Problem(f"scores.{key}", f"unknown dimension; known: {', '.join(self.keys)}")
                )
            elif isinstance(value, bool) or not isinstance(value, int):
                found.append(Problem(f"scores.{key}", f"must be a whole number, not {value!r}"))
            elif not self.scale_min <= value <= self.scale_max:
                found.append(
                    Problem(
                        f"scores.{key}",
                        f"must lie in {self.scale_min}–{self.scale_max}, not {value}",
                    )
                )
        return found

    def score(self, scores: Mapping[str, int]) -> Fraction:
        """Return the exact weighted mean of one rating's scores; InvalidData if they are wrong."""
        problems = self.problems(scores)
        if problems:
            raise InvalidData("rating scores", problems)
        total = sum((d.weight for d in self.dimensions), Fraction(0))
        return sum((d.weight * scores[d.key] for d in self.dimensions), Fraction(0)) / total

    def percent(self, score: Fraction) -> Fraction:
        """Where ``score`` lies on the scale, 0 at the bottom and 100 at the top."""
        return (score - self.scale_min) * 100 / (self.scale_max - self.scale_min)


SATISFACTION_SCHEME = RatingScheme.from_data(
    {
        "key": "property_satisfaction",
        "label_zh": "物业服务满意度",
        "label_en": "property-service satisfaction",
        "scale_min": 1,
        "scale_max": 5,
        "dimensions": [
            {"key": key, "label_zh": zh, "label_en": en, "weight": weight}
            for key, zh, en, weight in (
                ("customer_service", "客户服务", "customer service", 2),
                ("maintenance", "房屋及设施设备维修养护", "upkeep of buildings and equipment", 2),
                ("order_and_safety", "秩序维护与安全", "order and safety", 2),
                ("cleaning", "环境卫生", "cleaning", 2),
                ("greening", "绿化养护", "greening", 1),
                ("fee_transparency", "收费与公开", "fees and disclosure", 1),
            )
        ],
    }
)
"""An example scheme: six service items, 1 (非常不满意) to 5 (非常满意), weighted 2:2:2:2:1:1."""


# --------------------------------------------------------------------------- ratings and fees


def _frozen_scores(scores: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(scores))


@attrs.frozen(kw_only=True)
class PropertyRating:
    """One owner's rating of a property company, a score per dimension of the scheme."""

    rater: str
    company: str
    scores: Mapping[str, int] = attrs.field(converter=_frozen_scores)
    rated_at: datetime
    comment: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "rater", "company")
        rated_at: object = self.rated_at
        if not isinstance(rated_at, datetime):
            problems.append(Problem("rated_at", f"must be a datetime, not {rated_at!r}"))
        else:
            try:
                require_aware(rated_at, "rated_at")
            except NaiveDatetimeError as error:
                problems.append(Problem("rated_at", error.message_en))
        if problems:
            raise InvalidData(f"rating by {self.rater!r}", problems)


@attrs.frozen(kw_only=True)
class RatingPeriod:
    """A period ratings and fees are summed over: ``start`` inclusive, ``end`` exclusive."""

    key: str
    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "key")
        if not self.end > self.start:
            problems.append(Problem("end", f"must be after start ({self.start.isoformat()})"))
        if problems:
            raise InvalidData(f"rating period {self.key!r}", problems)

    def holds(self, instant: datetime) -> bool:
        """Whether the instant's date in Asia/Shanghai lies in the period."""
        return self.start <= instant.astimezone(DEFAULT_TZ).date() < self.end


@attrs.frozen(kw_only=True)
class FeeCollection:
    """A period's property fee (yuan per m² a month) and the share of it collected (收缴率).

    ``rate`` is a fraction of 1 (``"0.95"`` for Shushan's 95%); :meth:`from_amounts` computes
    it from the amounts billed and collected.
    """

    period: str
    fee: Fraction = attrs.field(converter=_to_exact)
    rate: Fraction = attrs.field(converter=_to_exact)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "period")
        _check_exact(problems, "fee", self.fee)
        _check_exact(problems, "rate", self.rate, high=Fraction(1))
        if problems:
            raise InvalidData(f"fee collection of {self.period!r}", problems)

    @classmethod
    def from_amounts(
        cls,
        *,
        period: str,
        fee: str | Decimal | Fraction | int,
        billed: str | Decimal | Fraction | int,
        collected: str | Decimal | Fraction | int,
    ) -> FeeCollection:
        """Compute the rate as ``collected / billed`` (amounts in yuan, exact)."""
        amounts = {"billed": _exact(billed), "collected": _exact(collected)}
        problems = [
            Problem(k, "must be an exact amount of at least 0")
            for k, v in amounts.items()
            if v is None or v < 0
        ]
        if amounts["billed"] == 0:
            problems.append(Problem("billed", "must be more than 0"))
        if problems:
            raise InvalidData(f"fee collection of {period!r}", problems)
        return cls(
            period=period,
            fee=fee,
            rate=Fraction(amounts["collected"] or 0) / Fraction(amounts["billed"] or 1),
        )


class RatingRefused(CivicGridError, ValueError):
    """A rating does not fit: another company, not an owner, or scores off the scheme."""

    def __init__(self, rating: PropertyRating, problems: Sequence[Problem]) -> None:
        self.rating = rating
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(
            f"rating by {rating.rater!r} of {rating.company!r} refused: {lines}",
            f"{rating.rater!r} 对 {rating.company!r} 的评价无效：{lines}",
        )


@attrs.frozen(kw_only=True)
class PeriodIndicators:
    """One period's indicators: the owners' score and its trend beside the fee collection.

    ``score`` is on the scheme's scale (``None`` without ratings), ``percent`` the same on 0–100;
    ``change`` the difference from the previous period's score.
    """

    period: RatingPeriod
    raters: int
    score: Fraction | None
    percent: Fraction | None
    by_dimension: Mapping[str, Fraction]
    trend: Trend
    change: Fraction | None
    fee: Fraction | None
    collection_rate: Fraction | None
    collection_trend: Trend


def _trend(now: Fraction | None, before: Fraction | None, flat_within: Fraction) -> Trend:
    if now is None or before is None:
        return Trend.NONE
    if abs(now - before) <= flat_within:
        return Trend.FLAT
    return Trend.UP if now > before else Trend.DOWN


class PropertyRatings:
    """The owners' ratings of one property company under one scheme.

    ``owners``, when given, are the ids allowed to rate (an owners' roll's holders); others
    are refused. :meth:`add` refuses a rating that does not fit and changes nothing.
    """

    __slots__ = ("_owners", "_ratings", "company", "scheme")

    def __init__(
        self, scheme: RatingScheme, *, company: str, owners: Collection[str] | None = None
    ) -> None:
        self.scheme = scheme
        self.company = company
        self._owners = None if owners is None else frozenset(owners)
        self._ratings: list[PropertyRating] = []

    def __len__(self) -> int:
        return len(self._ratings)

    def add(self, rating: PropertyRating) -> None:
        """Record a rating, or raise :class:`RatingRefused` naming every problem."""
        problems = self.scheme.problems(rating.scores)
        if rating.company != self.company:
            problems.insert(0, Problem("company", f"these ratings are of {self.company!r}"))
        if self._owners is not None and rating.rater not in self._owners:
            problems.insert(0, Problem("rater", "only owners rate the property company"))
        if problems:
            raise RatingRefused(rating, problems)
        self._ratings.append(rating)

    def _latest(self, period: RatingPeriod) -> list[PropertyRating]:
        latest: dict[str, PropertyRating] = {}
        for rating in self._ratings:
            if period.holds(rating.rated_at):
                kept = latest.get(rating.rater)
                if kept is None or rating.rated_at >= kept.rated_at:
                    latest[rating.rater] = rating
        return list(latest.values())

    def indicators(
        self,
        periods: Sequence[RatingPeriod],
        fees: Iterable[FeeCollection] = (),
        *,
        flat_within: Fraction = Fraction(0),
    ) -> tuple[PeriodIndicators, ...]:
        """Return the indicators of each period, in the order given, with trends.

        A change of at most ``flat_within`` (score points, or collection-rate fraction) is
        :attr:`Trend.FLAT`.
        """
        by_period = {f.period: f for f in fees}
        out: list[PeriodIndicators] = []
        before: PeriodIndicators | None = None
        for period in periods:
            ratings = self._latest(period)
            score = percent = None
            means: dict[str, Fraction] = {}
            if ratings:
                score = sum((self.scheme.score(r.scores) for r in ratings), Fraction(0)) / len(
                    ratings
                )
                percent = self.scheme.percent(score)
                means = {
                    k: Fraction(sum(r.scores[k] for r in ratings), len(ratings))
                    for k in self.scheme.keys
                }
            fee = by_period.get(period.key)
            now = PeriodIndicators(
                period=period,
                raters=len(ratings),
                score=score,
                percent=percent,
                by_dimension=MappingProxyType(means),
                trend=_trend(score, before.score if before else None, flat_within),
                change=None
                if score is None or before is None or before.score is None
                else score - before.score,
                fee=None if fee is None else fee.fee,
                collection_rate=None if fee is None else fee.rate,
                collection_trend=_trend(
                    None if fee is None else fee.rate,
                    before.collection_rate if before else None,
                    flat_within,
                ),
            )
            out.append(now)
            before = now
        return tuple(out)


# --------------------------------------------------------------------------- the fee spiral


def _yuan(value: Fraction) -> str:
    return (
        f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}".rstrip("0").rstrip(".")
        or "0"
    )


def _pct(value: Fraction) -> str:
    return f"{Decimal(value.numerator * 100) / Decimal(value.denominator):.1f}%"


def find_fee_spiral(
    fees: Sequence[FeeCollection],
    *,
    unit: str | None = None,
    company: str | None = None,
    min_cuts: int = 2,
) -> tuple[Finding, ...]:
    """Find runs of at least ``min_cuts`` fee cuts after each of which collection did not rise.

    ``fees`` are consecutive periods in order. A cut is a period whose fee is lower than the
    period before; it *failed* when the collection rate of the last period at the new fee is no
    higher than the rate of the period before the cut. Consecutive failed cuts (no successful
    cut between them) form a spiral, reported as one warning naming the fees and rates, e.g.
    "1.2 → 0.8 → 0.6 yuan/m²/month, collection 70.0% → 55.0% → 45.0%".
    """
    levels: list[tuple[FeeCollection, FeeCollection]] = []  # (first, last) period at each fee
    for fee in fees:
        if levels and fee.fee >= levels[-1][1].fee:
            levels[-1] = (levels[-1][0], fee)
        else:
            levels.append((fee, fee))
    findings: list[Finding] = []
    run: list[int] = []  # indexes into levels of consecutive failed cuts

    def report() -> None:
        if len(run) >= min_cuts:
            chain = [levels[run[0] - 1], *(levels[i] for i in run)]
            fees = [chain[0][1].fee, *(first.fee for first, _ in chain[1:])]
            path = " → ".join(_yuan(fee) for fee in fees)
            rates = " → ".join(_pct(last.rate) for _, last in chain)
            findings.append(
                Finding(
                    rule=FEE_SPIRAL_RULE,
                    severity=Severity.WARNING,
                    message_en=(
                        f"fee spiral: the fee was cut {len(run)} times ({path} yuan/m²/month) "
                        f"and collection still fell ({rates}), through period {chain[-1][1].period}"
                    ),
                    message_zh=(
                        f"物业费恶性循环：物业费连续下调 {len(run)} 次（{path} 元/平方米·月），"
                        f"收缴率仍未回升（{rates}），截至 {chain[-1][1].period}"
                    ),
                    unit=unit,
                    subject=company,
                    value=float(chain[-1][1].rate),
                    limit=float(levels[run[0] - 1][1].rate),
                )
            )
        run.clear()

    for i in range(1, len(levels)):
        if levels[i][1].rate <= levels[i - 1][1].rate:
            run.append(i)
        else:
            report()
    report()
    return tuple(findings)
