"""Community funds (DOMAIN.md P5, S4) and 以奖代补 grants to micro-grid projects (P6).

Chengdu's Chenghua district runs a "1+N" system: one community foundation (成华社区发展基金会)
and N community micro-funds (68 of them, about 3.71 M yuan donated); Wuwei's Shuangqiao
community set up a micro-fund from the donations of its pioneer merchant circle (先锋商圈).
Alongside them the district ring-fences money for communities every year (S4: a 48 M yuan
guarantee fund and a 4 M yuan incentive fund, about 600 funded projects a year).

Every fund is a ``fund:<fund id>`` account of kind FUND in the ``micro_fund`` currency (fen):
it may never go negative, so a grant beyond the balance is refused by the ledger itself.
Money comes in from ``issuer:micro_fund`` (the world outside the ledger) as a donation
(``kind="donate"``) or a budget allocation (``kind="allocate"``), and goes out as a grant
(``kind="grant"``) into the project's own account ``project:<project id>:micro_fund``.

A :class:`Project` is proposed by an applicant unit with a plan and its stages, approved or
rejected, and closed with an outcome. Under :attr:`GrantMode.SUBSIDY` its stages are paid after
approval; under :attr:`GrantMode.AWARD` (以奖代补, awards instead of subsidies) nothing is paid
until the outcome is recorded, and then the award depends on it. A fund's statement for a
period (:func:`fund_statement`) is read from the ledger alone; amounts are shown in yuan with
two decimals, computed from fen with integer arithmetic (:func:`format_yuan`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.ledger import (
    MICRO_FUND_FEN,
    Account,
    AccountKind,
    Ledger,
    Transaction,
)
from civicgrid.domain.time import require_aware
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "MICRO_FUND_ISSUER",
    "Donation",
    "Fund",
    "FundKind",
    "FundStatement",
    "GrantMode",
    "GrantRefused",
    "Project",
    "ProjectBook",
    "ProjectLine",
    "ProjectOutcome",
    "ProjectStatus",
    "Stage",
    "UnknownProject",
    "allocate",
    "donate",
    "format_yuan",
    "fund_statement",
    "open_fund",
]

MICRO_FUND_ISSUER = f"issuer:{MICRO_FUND_FEN.key}"
"""Where fund money enters the ledger from outside (donors, the district budget)."""

_ONE_MICROSECOND = timedelta(microseconds=1)


def format_yuan(fen: int) -> str:
    """Show an amount in fen as yuan with two decimals (``371000000`` → ``"3710000.00"``).

    Integer arithmetic only, so no amount is ever rounded through a float.
    """
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), MICRO_FUND_FEN.per_unit)
    return f"{sign}{yuan}.{rest:02d}"


def _whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


# --------------------------------------------------------------------------- errors


class UnknownProject(CivicGridError, LookupError):
    """No project with this id was proposed."""

    def __init__(self, project: str) -> None:
        self.project = project
        super().__init__(f"unknown project {project!r}", f"未知项目 {project!r}")


class GrantRefused(CivicGridError, ValueError):
    """A project step (approval, payment, outcome) is not allowed; nothing was booked."""

    def __init__(self, project: Project, reason_en: str, reason_zh: str) -> None:
        self.project = project
        self.reason_en = reason_en
        self.reason_zh = reason_zh
        super().__init__(
            f"project {project.id!r}: {reason_en}", f"项目 {project.id!r}：{reason_zh}"
        )


# --------------------------------------------------------------------------- funds


class FundKind(Labelled):
    """What a fund is: the foundation, a micro-fund of the 1+N system, or ring-fenced money."""

    FOUNDATION = "foundation"
    MICRO_FUND = "micro_fund"
    GUARANTEE = "guarantee"
    INCENTIVE = "incentive"


register_labels(
    {
        FundKind.FOUNDATION: ("社区发展基金会", "community foundation"),
        FundKind.MICRO_FUND: ("社区微基金", "community micro-fund"),
        FundKind.GUARANTEE: ("社区发展治理专项保障资金", "community guarantee fund"),
        FundKind.INCENTIVE: ("社区发展治理专项激励资金", "community incentive fund"),
    }
)


@attrs.frozen(kw_only=True)
class Fund:
    """A fund held by ``owner`` (a community or district unit id); ``parent`` links 1+N."""

    id: str
    kind: FundKind
    name_zh: str
    owner: str
    parent: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("id", "name_zh", "owner")
            if not _text(getattr(self, field))
        ]
        kind: object = self.kind
        if not isinstance(kind, FundKind):
            problems.append(Problem("kind", f"must be a FundKind, not {kind!r}"))
        if self.parent is not None and (not _text(self.parent) or self.parent == self.id):
            problems.append(Problem("parent", "must be another fund's id"))
        if problems:
            raise InvalidData(f"fund {self.id!r}", problems)

    @property
    def account_id(self) -> str:
        """The fund's ledger account (``fund:<fund id>``)."""
        return f"fund:{self.id}"


def open_fund(ledger: Ledger, fund: Fund) -> Account:
    """Open the fund's FUND account (never negative) and the micro-fund issuer if needed."""
    ledger.open(Account(id=MICRO_FUND_ISSUER, currency=MICRO_FUND_FEN.key, kind=AccountKind.ISSUER))
    return ledger.open(
        Account(
            id=fund.account_id,
            currency=MICRO_FUND_FEN.key,
            kind=AccountKind.FUND,
            owner=fund.owner,
            label=fund.name_zh,
        )
    )


@attrs.frozen(kw_only=True)
class Donation:
    """A gift into a fund: who gave, how much (fen), when, and for what (if restricted)."""

    id: str
    donor: str
    amount_fen: int
    at: datetime
    purpose: str = ""
    restricted: bool = False

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("id", "donor")
            if not _text(getattr(self, field))
        ]
        if not _whole(self.amount_fen, minimum=1):
            problems.append(
                Problem("amount_fen", f"must be a whole number of fen > 0, not {self.amount_fen!r}")
            )
        at: object = self.at
        if not isinstance(at, datetime) or at.utcoffset() is None:
            problems.append(Problem("at", "must be a timezone-aware datetime"))
        if self.restricted and not self.purpose:
            problems.append(Problem("purpose", "a restricted donation must name its purpose"))
        if problems:
            raise InvalidData(f"donation {self.id!r}", problems)


def donate(ledger: Ledger, fund: Fund, donation: Donation) -> Transaction:
    """Book a donation into the fund (idempotent by ``donate:<fund>:<donation id>``)."""
    return ledger.transfer(
        key=f"donate:{fund.id}:{donation.id}",
        at=donation.at,
        kind="donate",
        source=MICRO_FUND_ISSUER,
        target=fund.account_id,
        amount=donation.amount_fen,
        memo=f"donation from {donation.donor}",
        data={
            "fund": fund.id,
            "donor": donation.donor,
            "purpose": donation.purpose,
            "restricted": donation.restricted,
        },
    )


def allocate(
    ledger: Ledger, fund: Fund, *, key: str, amount_fen: int, at: datetime, memo: str = ""
) -> Transaction:
    """Book a budget allocation into a ring-fenced fund (S4), idempotent by ``allocate:<key>``."""
    return ledger.transfer(
        key=f"allocate:{key}",
        at=at,
        kind="allocate",
        source=MICRO_FUND_ISSUER,
        target=fund.account_id,
        amount=amount_fen,
        memo=memo,
        data={"fund": fund.id},
    )


# --------------------------------------------------------------------------- projects


class GrantMode(Labelled):
    """How a project is paid: stage by stage after approval, or as an award after the outcome."""

    SUBSIDY = "subsidy"
    AWARD = "award"


class ProjectStatus(Labelled):
    """Where a project stands: proposed, then approved or rejected, then closed."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


class ProjectOutcome(Labelled):
    """How a project ended, recorded when it is closed."""

    COMPLETED = "completed"
    PARTIAL = "partial"
    NOT_COMPLETED = "not_completed"


_LABELS: dict[Labelled, tuple[str, str]] = {
    GrantMode.SUBSIDY: ("先行补助", "subsidy by stage"),
    GrantMode.AWARD: ("以奖代补", "award instead of subsidy"),
    ProjectStatus.PROPOSED: ("已申报", "proposed"),
    ProjectStatus.APPROVED: ("已立项", "approved"),
    ProjectStatus.REJECTED: ("未立项", "rejected"),
    ProjectStatus.CLOSED: ("已结项", "closed"),
    ProjectOutcome.COMPLETED: ("已完成", "completed"),
    ProjectOutcome.PARTIAL: ("部分完成", "partially completed"),
    ProjectOutcome.NOT_COMPLETED: ("未完成", "not completed"),
}
register_labels(_LABELS)


@attrs.frozen(kw_only=True)
class Stage:
    """One stage of a project's plan and the amount (fen) paid for it under SUBSIDY."""

    key: str
    label_zh: str
    amount_fen: int


def _stages(value: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Project:
    """A micro-grid project (楼栋微治理项目) applying to one fund.

    ``amount_fen`` is the sum of the stages: the most the project can ever be paid. Under
    AWARD, a PARTIAL outcome earns ``partial_per_mille`` thousandths of it (rounded down to
    the fen), NOT_COMPLETED earns nothing.
    """

    id: str
    fund: str
    applicant: str
    plan: str
    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    mode: GrantMode = GrantMode.AWARD
    partial_per_mille: int = 500
    status: ProjectStatus = ProjectStatus.PROPOSED
    decided_at: datetime | None = None
    outcome: ProjectOutcome | None = None
    closed_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("id", "fund", "applicant", "plan")
            if not _text(getattr(self, field))
        ]
        if not self.stages:
            problems.append(Problem("stages", "a plan has at least one stage"))
        keys = [s.key for s in self.stages]
        if len(set(keys)) != len(keys):
            problems.append(Problem("stages", "stage keys must be unique"))
        problems.extend(
            Problem(
                f"stages[{i}].amount_fen",
                f"must be a whole number of fen > 0, not {s.amount_fen!r}",
            )
            for i, s in enumerate(self.stages)
            if not _whole(s.amount_fen, minimum=1)
        )
        mode: object = self.mode
        if not isinstance(mode, GrantMode):
            problems.append(Problem("mode", f"must be a GrantMode, not {mode!r}"))
        if not _whole(self.partial_per_mille, minimum=0) or self.partial_per_mille > 1000:
            problems.append(Problem("partial_per_mille", "must be a whole number from 0 to 1000"))
        if problems:
            raise InvalidData(f"project {self.id!r}", problems)

    @property
    def amount_fen(self) -> int:
        """The approved ceiling: the sum of the stages."""
        return sum(s.amount_fen for s in self.stages)

    @property
    def account_id(self) -> str:
        """The project's own account, where its grants are paid."""
        return f"project:{self.id}:{MICRO_FUND_FEN.key}"

    def award_fen(self) -> int:
        """Return what an AWARD-mode project earns for its recorded outcome (0 before one)."""
        if self.outcome is ProjectOutcome.COMPLETED:
            return self.amount_fen
        if self.outcome is ProjectOutcome.PARTIAL:
            return self.amount_fen * self.partial_per_mille // 1000
        return 0


class ProjectBook:
    """The projects applying to a set of funds, and their grants booked in a ledger.

    A grant is paid only to an approved project, never twice for the same stage, never
    beyond the project's amount, and never beyond the fund's balance (the ledger refuses
    that with :class:`~civicgrid.domain.ledger.InsufficientBalance`). A refused step leaves
    the book and the ledger as they were.
    """

    def __init__(self, ledger: Ledger, funds: Iterable[Fund]) -> None:
        self._ledger = ledger
        self._funds = {f.id: f for f in funds}
        self._projects: dict[str, Project] = {}
        self._lock = threading.RLock()
        for fund in self._funds.values():
            open_fund(ledger, fund)

    def project(self, project_id: str) -> Project:
        """Return the project, or raise :class:`UnknownProject`."""
        try:
            return self._projects[project_id]
        except KeyError:
            raise UnknownProject(project_id) from None

    def projects(self) -> tuple[Project, ...]:
        """Every project, in the order proposed."""
        return tuple(self._projects.values())

    def propose(self, project: Project) -> Project:
        """Record a proposed project (the same proposal twice is a no-op)."""
        with self._lock:
            existing = self._projects.get(project.id)
            if existing is not None:
                if existing != project:
                    raise GrantRefused(project, "already proposed differently", "已以不同内容申报")
                return existing
            if project.fund not in self._funds:
                raise InvalidData(
                    f"project {project.id!r}", [Problem("fund", f"unknown fund {project.fund!r}")]
                )
            if project.status is not ProjectStatus.PROPOSED:
                raise GrantRefused(project, "a new project must be proposed", "新项目须为申报状态")
            self._projects[project.id] = project
            return project

    def decide(self, project_id: str, *, approved: bool, at: datetime) -> Project:
        """Approve (立项) or reject a proposed project; approval opens its account."""
        require_aware(at, "at")
        with self._lock:
            project = self.project(project_id)
            if project.status is not ProjectStatus.PROPOSED:
                raise GrantRefused(
                    project,
                    f"already decided ({project.status.label_en})",
                    f"已作出决定（{project.status.label_zh}）",
                )
            status = ProjectStatus.APPROVED if approved else ProjectStatus.REJECTED
            if approved:
                self._ledger.open(
                    Account(
                        id=project.account_id,
                        currency=MICRO_FUND_FEN.key,
                        owner=project.applicant,
                        label=project.plan,
                    )
                )
            decided = attrs.evolve(project, status=status, decided_at=at)
            self._projects[project_id] = decided
            return decided

    def pay_stage(self, project_id: str, stage_key: str, *, at: datetime) -> Transaction:
        """Pay one stage of a SUBSIDY project (idempotent: a stage is paid at most once)."""
        with self._lock:
            project = self.project(project_id)
            if project.mode is not GrantMode.SUBSIDY:
                raise GrantRefused(
                    project,
                    "an award project is paid after its outcome",
                    "以奖代补项目结项后方可拨付",
                )
            stage = next((s for s in project.stages if s.key == stage_key), None)
            if stage is None:
                raise GrantRefused(project, f"no stage {stage_key!r}", f"无阶段 {stage_key!r}")
            payable = project.status is ProjectStatus.APPROVED or (
                project.status is ProjectStatus.CLOSED
                and project.outcome is ProjectOutcome.COMPLETED
            )
            if not payable:
                raise GrantRefused(
                    project,
                    f"cannot be paid while {project.status.label_en}",
                    f"项目{project.status.label_zh}，不能拨付",
                )
            return self._grant(project, stage.key, stage.amount_fen, at)

    def close(self, project_id: str, outcome: ProjectOutcome, *, at: datetime) -> Project:
        """Record the outcome of an approved project; an AWARD project is paid now."""
        require_aware(at, "at")
        with self._lock:
            project = self.project(project_id)
            if project.status is not ProjectStatus.APPROVED:
                raise GrantRefused(
                    project,
                    f"only an approved project can be closed ({project.status.label_en})",
                    f"仅已立项项目可结项（{project.status.label_zh}）",
                )
            closed = attrs.evolve(
                project, status=ProjectStatus.CLOSED, outcome=outcome, closed_at=at
            )
            amount = closed.award_fen() if closed.mode is GrantMode.AWARD else 0
            if amount:
                self._grant(closed, "award", amount, at)
            self._projects[project_id] = closed
            return closed

    def paid_fen(self, project_id: str) -> int:
        """Return what the project has received so far, from the ledger."""
        project = self.project(project_id)
        if project.status in {ProjectStatus.PROPOSED, ProjectStatus.REJECTED}:
            return 0
        return self._ledger.balance(project.account_id)

    def _grant(self, project: Project, stage: str, amount: int, at: datetime) -> Transaction:
        fund = self._funds[project.fund]
        key = f"grant:{project.id}:{stage}"
        try:
            return self._ledger.transaction(key)  # paid already: a stage is paid once
        except KeyError:
            pass
        return self._ledger.transfer(
            key=key,
            at=at,
            kind="grant",
            source=fund.account_id,
            target=project.account_id,
            amount=amount,
            memo=f"{project.mode.label_zh}: {project.plan}",
            data={
                "fund": fund.id,
                "project": project.id,
                "applicant": project.applicant,
                "stage": stage,
                "mode": project.mode.value,
            },
        )


# --------------------------------------------------------------------------- statements


@attrs.frozen(kw_only=True)
class ProjectLine:
    """What one project received from the funds in the period (net of reversed grants)."""

    project: str
    applicant: str
    granted_fen: int

    @property
    def granted_yuan(self) -> str:
        """The amount in yuan, two decimals."""
        return format_yuan(self.granted_fen)


@attrs.frozen(kw_only=True)
class FundStatement:
    """A statement of one or more funds for ``start <= at < end``, in fen.

    ``grants_fen`` is what went out (a positive number); movements between funds of the same
    statement cancel out and are not shown. ``opening_fen + donations_fen + allocations_fen
    - grants_fen + other_fen == closing_fen`` always holds.
    """

    funds: tuple[str, ...]
    start: datetime
    end: datetime
    opening_fen: int
    donations_fen: int
    allocations_fen: int
    grants_fen: int
    other_fen: int
    closing_fen: int
    projects: tuple[ProjectLine, ...]
    donations_by_purpose: Mapping[str, int]

    def rows(self) -> tuple[tuple[str, str, str], ...]:
        """Return the statement as (Chinese label, English label, yuan) rows, ready to print."""
        return (
            ("期初余额", "opening balance", format_yuan(self.opening_fen)),
            ("捐赠收入", "donations", format_yuan(self.donations_fen)),
            ("拨入资金", "allocations", format_yuan(self.allocations_fen)),
            ("项目支出", "grants", format_yuan(self.grants_fen)),
            ("其他变动", "other movements", format_yuan(self.other_fen)),
            ("期末余额", "closing balance", format_yuan(self.closing_fen)),
        )


def fund_statement(
    ledger: Ledger, funds: Iterable[Fund | str], *, start: datetime, end: datetime
) -> FundStatement:
    """Read the statement of ``funds`` for ``start <= at < end`` from the ledger alone.

    Balances come from :meth:`Ledger.balance` just before ``start`` and ``end``; movements
    from one pass over the period's transactions. A reversal counts under the kind of the
    transaction it reverses (a reversed donation lowers donations).
    """
    require_aware(start, "start")
    require_aware(end, "end")
    if end < start:
        raise InvalidData("fund statement", [Problem("end", "must not be before start")])
    ids = tuple(f if isinstance(f, str) else f.id for f in funds)
    accounts = {f"fund:{i}" for i in ids}
    for account in accounts:
        ledger.account(account)
    opening = sum(ledger.balance(a, as_of=start - _ONE_MICROSECOND) for a in accounts)
    closing = sum(ledger.balance(a, as_of=end - _ONE_MICROSECOND) for a in accounts)
    by_kind: dict[str, int] = {}
    granted: dict[str, int] = {}
    applicants: dict[str, str] = {}
    by_purpose: dict[str, int] = {}
    for transaction in ledger.transactions(start=start, end=end):
        net = sum(p.amount for p in transaction.postings if p.account in accounts)
        if not net:
            continue
        origin = transaction
        if transaction.reverses is not None:
            origin = ledger.transaction(transaction.reverses)
        by_kind[origin.kind] = by_kind.get(origin.kind, 0) + net
        if origin.kind == "grant" and "project" in origin.data:
            project = str(origin.data["project"])
            applicants[project] = str(origin.data.get("applicant", ""))
            granted[project] = granted.get(project, 0) - net
        elif origin.kind == "donate":
            purpose = str(origin.data.get("purpose", ""))
            by_purpose[purpose] = by_purpose.get(purpose, 0) + net
    donations = by_kind.pop("donate", 0)
    allocations = by_kind.pop("allocate", 0)
    grants = -by_kind.pop("grant", 0)
    return FundStatement(
        funds=ids,
        start=start,
        end=end,
        opening_fen=opening,
        donations_fen=donations,
        allocations_fen=allocations,
        grants_fen=grants,
        other_fen=sum(by_kind.values()),
        closing_fen=closing,
        projects=tuple(
            ProjectLine(project=pid, applicant=applicants[pid], granted_fen=amount)
            for pid, amount in sorted(granted.items())
        ),
        donations_by_purpose=dict(sorted(by_purpose.items())),
    )
