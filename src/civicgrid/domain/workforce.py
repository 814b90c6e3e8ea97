"""Community workers, their post-and-grade ladder, certification and promotion (DOMAIN.md O13).

Anhui "健全社区工作者'三岗十八级'岗位等级序列" (seed 000); Chenghua reports a certification rate
(持证率) of 53.3% and "widened promotion paths" (seed 003). The seeds name the ladder but not
its contents, so the ladder is data (:class:`GradeLadder` of :class:`Post` bands) that a
province sets. :data:`THREE_POSTS_EIGHTEEN_GRADES` is the structure commonly described for
"three posts, eighteen grades" (it began in Hangzhou and was taken up elsewhere): three posts
— 社区正职 (secretary, director) on grades 7–18, 社区副职 (deputies) on 4–15, 其他社区工作者 on
1–12 — with overlapping bands, so that long service in a lower post can earn a grade above a
newcomer's in a higher one. It is a default, not Anhui's text: replace it with the province's
own bands. No pay figures are modelled.

:class:`Workforce` holds workers (:class:`CommunityWorker`, placed on a post and grade for a
term), social-work qualifications (:class:`Certification`, 社会工作者职业资格) and dated
:class:`Promotion` records, refuses what the ladder forbids, and answers the indicators:
certification rate, workers per grade and per post, promotions in a period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "THREE_POSTS_EIGHTEEN_GRADES",
    "Certification",
    "CertificationLevel",
    "CommunityWorker",
    "GradeLadder",
    "Placement",
    "Post",
    "Promotion",
    "UnknownPost",
    "Workforce",
    "WorkforceRefused",
]


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------- the ladder


class UnknownPost(CivicGridError, LookupError):
    """The ladder has no post with this key."""

    def __init__(self, ladder: GradeLadder, key: str) -> None:
        self.ladder = ladder
        self.key = key
        known = ", ".join(p.key for p in ladder.posts)
        super().__init__(
            f"ladder {ladder.key!r} has no post {key!r} (posts: {known})",
            f"{ladder.label_zh}中没有岗位 {key!r}（现有：{known}）",
        )


@attrs.frozen(kw_only=True)
class Post:
    """One post category of a ladder and the grades it spans, ``lowest`` to ``highest``."""

    key: str
    label_zh: str
    label_en: str
    lowest: int
    highest: int

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("key", "label_zh", "label_en")
            if not _text(getattr(self, field))
        ]
        problems.extend(
            Problem(field, f"must be a whole number >= 1, not {getattr(self, field)!r}")
            for field in ("lowest", "highest")
            if not _whole(getattr(self, field)) or getattr(self, field) < 1
        )
        if not problems and self.highest < self.lowest:
            problems.append(Problem("highest", f"must not be below lowest ({self.lowest})"))
        if problems:
            raise InvalidData(f"post {self.key!r}", problems)

    def allows(self, grade: int) -> bool:
        """Whether ``grade`` lies in the post's band."""
        return self.lowest <= grade <= self.highest


def _posts(value: Iterable[Post]) -> tuple[Post, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class GradeLadder:
    """A province's post-and-grade ladder: posts listed from the top down, grades 1..``grades``.

    Grade 1 is the lowest. A post earlier in ``posts`` is higher (a promotion may move a
    worker to it). Bands may overlap; each must lie within 1..``grades``.
    """

    key: str
    label_zh: str
    label_en: str
    grades: int
    posts: tuple[Post, ...] = attrs.field(converter=_posts)
    source: str = ""

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("key", "label_zh", "label_en")
            if not _text(getattr(self, field))
        ]
        if not _whole(self.grades) or self.grades < 1:
            problems.append(Problem("grades", f"must be a whole number >= 1, not {self.grades!r}"))
        if not self.posts:
            problems.append(Problem("posts", "a ladder needs at least one post"))
        seen: dict[str, int] = {}
        for i, post in enumerate(self.posts):
            item: object = post
            if not isinstance(item, Post):
                problems.append(Problem(f"posts[{i}]", f"not a Post: {item!r}"))
                continue
            if post.key in seen:
                problems.append(
                    Problem(f"posts[{i}].key", f"duplicate key (first at posts[{seen[post.key]}])")
                )
            seen.setdefault(post.key, i)
            if _whole(self.grades) and post.highest > self.grades:
                problems.append(
                    Problem(f"posts[{i}].highest", f"above the ladder's top grade {self.grades}")
                )
        if problems:
            raise InvalidData(f"grade ladder {self.key!r}", problems)

    def post(self, key: str) -> Post:
        """Return the post with this key, or raise :class:`UnknownPost`."""
        for post in self.posts:
            if post.key == key:
                return post
        raise UnknownPost(self, key)

    def rank(self, key: str) -> int:
        """0 for the top post, 1 for the next …; raises :class:`UnknownPost` if unknown."""
        return self.posts.index(self.post(key))

    def allows(self, key: str, grade: object) -> bool:
        """Whether the ladder has post ``key`` and ``grade`` lies in its band."""
        if not _whole(grade):
            return False
        return any(p.key == key and p.allows(grade) for p in self.posts)  # type: ignore[arg-type]


THREE_POSTS_EIGHTEEN_GRADES = GradeLadder(
    key="three_posts_eighteen_grades",
    label_zh="三岗十八级",
    label_en="three posts, eighteen grades",
    grades=18,
    posts=(
        Post(key="head", label_zh="社区正职", label_en="community head", lowest=7, highest=18),
        Post(key="deputy", label_zh="社区副职", label_en="community deputy", lowest=4, highest=15),
        Post(
            key="staff",
            label_zh="其他社区工作者",
            label_en="other community worker",
            lowest=1,
            highest=12,
        ),
    ),
    source="O13, seed 000 names the ladder; bands are the commonly described default",
)
"""The common "three posts, eighteen grades" structure; a default a province replaces."""


class CertificationLevel(Labelled):
    """The national social-work qualification levels (社会工作者职业资格)."""

    ASSISTANT = "assistant"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"


_LEVEL_LABELS: dict[CertificationLevel, tuple[str, str]] = {
    CertificationLevel.ASSISTANT: ("助理社会工作师", "assistant social worker"),
    CertificationLevel.INTERMEDIATE: ("社会工作师", "social worker"),
    CertificationLevel.SENIOR: ("高级社会工作师", "senior social worker"),
}
register_labels(_LEVEL_LABELS)


# --------------------------------------------------------------------------- records


@attrs.frozen(kw_only=True)
class CommunityWorker:
    """A person employed as a community worker in ``community``, from ``start`` to ``end``.

    ``post`` and ``grade`` are where they were placed on joining; promotions move them.
    """

    person: str
    community: str
    post: str
    grade: int
    start: date
    end: date | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("person", "community", "post")
            if not _text(getattr(self, field))
        ]
        if not _whole(self.grade) or self.grade < 1:
            problems.append(Problem("grade", f"must be a whole number >= 1, not {self.grade!r}"))
        if not _is_date(self.start):
            problems.append(Problem("start", f"must be a date, not {self.start!r}"))
        if self.end is not None and not _is_date(self.end):
            problems.append(Problem("end", f"must be a date or None, not {self.end!r}"))
        elif self.end is not None and _is_date(self.start) and self.end <= self.start:
            problems.append(Problem("end", f"must be after start ({self.start.isoformat()})"))
        if problems:
            raise InvalidData(f"community worker {self.person!r}", problems)

    def employed_on(self, day: date) -> bool:
        """Whether the person is a community worker on ``day``: ``start <= day < end``."""
        return self.start <= day and (self.end is None or day < self.end)


@attrs.frozen(kw_only=True)
class Certification:
    """A social-work qualification ``person`` obtained on ``obtained_on`` (持证)."""

    person: str
    level: CertificationLevel
    obtained_on: date
    number: str = ""
    """The certificate number, when recorded."""

    def __attrs_post_init__(self) -> None:
        problems = []
        if not _text(self.person):
            problems.append(Problem("person", "must be a non-empty string"))
        level: object = self.level
        if not isinstance(level, CertificationLevel):
            problems.append(Problem("level", f"must be a CertificationLevel, not {level!r}"))
        if not _is_date(self.obtained_on):
            problems.append(Problem("obtained_on", f"must be a date, not {self.obtained_on!r}"))
        number: object = self.number
        if not isinstance(number, str):
            problems.append(Problem("number", "must be a string"))
        if problems:
            raise InvalidData(f"certification of {self.person!r}", problems)


@attrs.frozen(kw_only=True)
class Promotion:
    """``person`` moves up to ``post`` and ``grade`` on ``on``.

    Up means a higher post (at any grade of its band) or, in the same post, a higher grade.
    """

    person: str
    on: date
    post: str
    grade: int
    id: str = ""
    """The decision's own id (a document number), when recorded."""

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("person", "post")
            if not _text(getattr(self, field))
        ]
        if not _whole(self.grade) or self.grade < 1:
            problems.append(Problem("grade", f"must be a whole number >= 1, not {self.grade!r}"))
        if not _is_date(self.on):
            problems.append(Problem("on", f"must be a date, not {self.on!r}"))
        if problems:
            raise InvalidData(f"promotion of {self.person!r}", problems)


@attrs.frozen(kw_only=True)
class Placement:
    """Where a worker stands on a date: community, post and grade, held ``since``."""

    person: str
    community: str
    post: str
    grade: int
    since: date


class WorkforceRefused(CivicGridError, ValueError):
    """A worker, certification or promotion was refused; the workforce is as it was."""

    def __init__(self, record: object, person: str, message_en: str, message_zh: str) -> None:
        self.record = record
        self.person = person
        super().__init__(
            f"community worker {person!r}: {message_en}", f"社区工作者 {person!r}：{message_zh}"
        )


# --------------------------------------------------------------------------- the workforce


class Workforce:
    """A district's community workers on a :class:`GradeLadder`, with the indicators of O13.

    Every refused call raises :class:`WorkforceRefused` and changes nothing. Promotions of one
    person are added in date order.
    """

    __slots__ = ("_certifications", "_ladder", "_promotions", "_workers")

    def __init__(
        self,
        ladder: GradeLadder = THREE_POSTS_EIGHTEEN_GRADES,
        *,
        workers: Iterable[CommunityWorker] = (),
        certifications: Iterable[Certification] = (),
        promotions: Iterable[Promotion] = (),
    ) -> None:
        self._ladder = ladder
        self._workers: dict[str, list[CommunityWorker]] = {}
        self._certifications: dict[str, list[Certification]] = {}
        self._promotions: dict[str, list[Promotion]] = {}
        for worker in workers:
            self.hire(worker)
        for certification in certifications:
            self.certify(certification)
        for promotion in promotions:
            self.promote(promotion)

    @property
    def ladder(self) -> GradeLadder:
        """The ladder every placement is checked against."""
        return self._ladder

    def _check_place(self, record: CommunityWorker | Promotion) -> None:
        if not self._ladder.allows(record.post, record.grade):
            raise WorkforceRefused(
                record,
                record.person,
                f"grade {record.grade} of post {record.post!r} is not on the ladder "
                f"{self._ladder.key!r}",
                f"{self._ladder.label_zh}中没有岗位 {record.post!r} 的第 {record.grade} 级",
            )

    def hire(self, worker: CommunityWorker) -> None:
        """Add a worker; refuse a place off the ladder or an overlapping employment."""
        self._check_place(worker)
        for other in self._workers.get(worker.person, ()):
            if (other.end is None or worker.start < other.end) and (
                worker.end is None or other.start < worker.end
            ):
                raise WorkforceRefused(
                    worker,
                    worker.person,
                    f"already employed in {other.community!r} from {other.start.isoformat()}",
                    f"自 {other.start.isoformat()} 起已在 {other.community!r} 任职",
                )
        self._workers.setdefault(worker.person, []).append(worker)

    def certify(self, certification: Certification) -> None:
        """Record a qualification; refuse one for a person who is not a community worker."""
        if certification.person not in self._workers:
            raise WorkforceRefused(
                certification,
                certification.person,
                "is not a community worker here",
                "不是本辖区的社区工作者",
            )
        self._certifications.setdefault(certification.person, []).append(certification)

    def promote(self, promotion: Promotion) -> Placement:
        """Record a promotion and return the new placement; refuse one that does not go up."""
        self._check_place(promotion)
        current = self.placement(promotion.person, promotion.on)
        if current is None:
            raise WorkforceRefused(
                promotion,
                promotion.person,
                f"is not employed on {promotion.on.isoformat()}",
                f"{promotion.on.isoformat()} 不在职",
            )
        earlier = self._promotions.get(promotion.person, [])
        if earlier and earlier[-1].on >= promotion.on:
            raise WorkforceRefused(
                promotion,
                promotion.person,
                f"promotions are added in date order; the last is on {earlier[-1].on.isoformat()}",
                f"晋升须按日期顺序登记；上一次为 {earlier[-1].on.isoformat()}",
            )
        new_rank = self._ladder.rank(promotion.post)
        old_rank = self._ladder.rank(current.post)
        if not (new_rank < old_rank or (new_rank == old_rank and promotion.grade > current.grade)):
            raise WorkforceRefused(
                promotion,
                promotion.person,
                f"{promotion.post!r} grade {promotion.grade} is not above {current.post!r} "
                f"grade {current.grade}",
                f"{promotion.post!r} 第 {promotion.grade} 级不高于现任 {current.post!r} "
                f"第 {current.grade} 级",
            )
        self._promotions.setdefault(promotion.person, []).append(promotion)
        return Placement(
            person=promotion.person,
            community=current.community,
            post=promotion.post,
            grade=promotion.grade,
            since=promotion.on,
        )

    def employment(self, person: str, on: date) -> CommunityWorker | None:
        """Return the person's employment on ``on``, or ``None``."""
        for worker in self._workers.get(person, ()):
            if worker.employed_on(on):
                return worker
        return None

    def placement(self, person: str, on: date) -> Placement | None:
        """Return where the person stands on ``on`` (``None`` when not employed then)."""
        worker = self.employment(person, on)
        if worker is None:
            return None
        post, grade, since = worker.post, worker.grade, worker.start
        for promotion in self._promotions.get(person, ()):
            if worker.start <= promotion.on <= on:
                post, grade, since = promotion.post, promotion.grade, promotion.on
        return Placement(
            person=person, community=worker.community, post=post, grade=grade, since=since
        )

    def workers_on(self, on: date, *, community: str | None = None) -> tuple[Placement, ...]:
        """Return the placement of every worker employed on ``on`` (in ``community``)."""
        placements = []
        for person in self._workers:
            placement = self.placement(person, on)
            if placement is not None and (community is None or placement.community == community):
                placements.append(placement)
        return tuple(placements)

    def certified(self, person: str, on: date) -> bool:
        """Whether the person holds a qualification obtained on or before ``on``."""
        return any(c.obtained_on <= on for c in self._certifications.get(person, ()))

    def certification_rate(self, on: date, *, community: str | None = None) -> float | None:
        """Share of the workers employed on ``on`` who are certified (``None`` if none)."""
        placements = self.workers_on(on, community=community)
        if not placements:
            return None
        return sum(self.certified(p.person, on) for p in placements) / len(placements)

    def by_grade(self, on: date, *, community: str | None = None) -> dict[int, int]:
        """Workers per grade on ``on``; every grade of the ladder is a key, from 1 up."""
        counts = dict.fromkeys(range(1, self._ladder.grades + 1), 0)
        for placement in self.workers_on(on, community=community):
            counts[placement.grade] += 1
        return counts

    def by_post(self, on: date, *, community: str | None = None) -> dict[str, int]:
        """Workers per post on ``on``; every post of the ladder is a key, top post first."""
        counts = {post.key: 0 for post in self._ladder.posts}
        for placement in self.workers_on(on, community=community):
            counts[placement.post] += 1
        return counts

    def promotions_in(
        self, start: date, end: date, *, community: str | None = None
    ) -> tuple[Promotion, ...]:
        """Return the promotions dated in ``[start, end)``, by date (in ``community``)."""
        if end <= start:
            raise InvalidData("period", [Problem("end", "must be after start")])
        found = []
        for person, promotions in self._promotions.items():
            for promotion in promotions:
                if not start <= promotion.on < end:
                    continue
                worker = self.employment(person, promotion.on)
                if community is None or (worker is not None and worker.community == community):
                    found.append(promotion)
        found.sort(key=lambda p: p.on)
        return tuple(found)
