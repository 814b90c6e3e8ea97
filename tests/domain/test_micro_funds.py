"""Community funds, donations, 以奖代补 grants to projects and fund statements (P5, P6, S4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.ledger import InsufficientBalance, Ledger
from civicgrid.domain.micro_funds import (
    Donation,
    Fund,
    FundKind,
    GrantMode,
    GrantRefused,
    Project,
    ProjectBook,
    ProjectOutcome,
    ProjectStatus,
    Stage,
    UnknownProject,
    allocate,
    donate,
    format_yuan,
    fund_statement,
    open_fund,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

T0 = datetime(2024, 1, 1, tzinfo=DEFAULT_TZ)
YEAR_END = datetime(2025, 1, 1, tzinfo=DEFAULT_TZ)
SHUANGQIAO = Fund(
    id="shuangqiao", kind=FundKind.MICRO_FUND, name_zh="双桥社区微基金", owner="community:sq"
)


def day(n: int) -> datetime:
    """Midnight of the n-th day of 2024 (day 0 is 1 January), Asia/Shanghai."""
    return T0 + timedelta(days=n)


def gift(gid: str, amount: int, at: datetime, donor: str = "merchant:m1") -> Donation:
    """A donation from a merchant of the pioneer circle (先锋商圈)."""
    return Donation(id=gid, donor=donor, amount_fen=amount, at=at, purpose="环境治理")


def project(
    pid: str, *, mode: GrantMode = GrantMode.AWARD, amounts: tuple[int, ...] = (50_000,)
) -> Project:
    """A building micro-governance project of micro grid mg1, one stage per amount."""
    return Project(
        id=pid,
        fund=SHUANGQIAO.id,
        applicant="micro_grid:mg1",
        plan="楼栋微治理：楼道清理",
        stages=tuple(
            Stage(key=f"s{i}", label_zh=f"第{i}期", amount_fen=a) for i, a in enumerate(amounts, 1)
        ),
        mode=mode,
    )


def book_with(balance: int) -> tuple[Ledger, ProjectBook]:
    """A ledger and project book whose Shuangqiao micro-fund holds ``balance`` fen."""
    ledger = Ledger()
    book = ProjectBook(ledger, [SHUANGQIAO])
    if balance:
        donate(ledger, SHUANGQIAO, gift("g0", balance, day(0)))
    return ledger, book


def test_yuan_are_shown_with_two_decimals_from_whole_fen() -> None:
    """371,000,000 fen is 3,710,000.00 yuan; negatives and small amounts keep the fen."""
    assert format_yuan(371_000_000) == "3710000.00"
    assert format_yuan(5) == "0.05"
    assert format_yuan(-1234) == "-12.34"
    assert format_yuan(0) == "0.00"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_yuan_text_reads_back_to_the_same_fen(fen: int) -> None:
    """Formatting loses nothing: the text parses back to exactly the fen given."""
    text = format_yuan(fen)
    sign = -1 if text.startswith("-") else 1
    whole, _, cents = text.lstrip("-").partition(".")
    assert len(cents) == 2
    assert sign * (int(whole) * 100 + int(cents)) == fen


def test_the_fund_kinds_carry_both_labels() -> None:
    """The 1+N foundation and the ring-fenced S4 funds have Chinese and English names."""
    assert FundKind.FOUNDATION.label_zh == "社区发展基金会"
    assert FundKind.MICRO_FUND.label_en == "community micro-fund"
    assert GrantMode.AWARD.label_zh == "以奖代补"
    assert ProjectOutcome.PARTIAL.label_en == "partially completed"
    assert ProjectStatus.APPROVED.label_zh == "已立项"


def test_a_fund_lists_every_problem_at_once() -> None:
    """An empty id and owner, a wrong kind and a self-parent are all named."""
    with pytest.raises(InvalidData) as caught:
        Fund(id="", kind="fund", name_zh="x", owner="", parent="")  # type: ignore[arg-type]
    assert {p.path for p in caught.value.problems} == {"id", "owner", "kind", "parent"}


def test_a_donation_must_be_whole_fen_aware_and_restricted_to_a_purpose() -> None:
    """A float amount, a naive time and a restriction without a purpose are refused."""
    with pytest.raises(InvalidData) as caught:
        Donation(
            id="d",
            donor="merchant:m1",
            amount_fen=1.5,  # type: ignore[arg-type]
            at=datetime(2024, 1, 1),  # noqa: DTZ001
            restricted=True,
        )
    assert {p.path for p in caught.value.problems} == {"amount_fen", "at", "purpose"}


def test_a_donation_is_booked_once_with_donor_and_purpose() -> None:
    """Submitting the same donation twice books one transaction carrying the donor."""
    ledger = Ledger()
    open_fund(ledger, SHUANGQIAO)
    first = donate(ledger, SHUANGQIAO, gift("g1", 20_000, day(1)))
    again = donate(ledger, SHUANGQIAO, gift("g1", 20_000, day(1)))
    assert first is again
    assert len(ledger) == 1
    assert ledger.balance(SHUANGQIAO.account_id) == 20_000
    assert first.data["donor"] == "merchant:m1"
    assert first.data["purpose"] == "环境治理"
    assert ledger.total("micro_fund") == 0


def test_an_award_project_is_paid_only_after_its_outcome() -> None:
    """以奖代补: approval pays nothing; completion pays the whole amount into the project."""
    ledger, book = book_with(100_000)
    book.propose(project("p1"))
    book.decide("p1", approved=True, at=day(2))
    assert book.paid_fen("p1") == 0
    with pytest.raises(GrantRefused):
        book.pay_stage("p1", "s1", at=day(3))
    closed = book.close("p1", ProjectOutcome.COMPLETED, at=day(30))
    assert closed.status is ProjectStatus.CLOSED
    assert book.paid_fen("p1") == 50_000
    assert ledger.balance(SHUANGQIAO.account_id) == 50_000


def test_a_partial_outcome_earns_the_declared_share_rounded_down_to_the_fen() -> None:
    """Half of 333.33 yuan is 166.66 yuan (not 166.665); not completed earns nothing."""
    _, book = book_with(100_000)
    book.propose(project("half", amounts=(33_333,)))
    book.propose(project("none"))
    for pid in ("half", "none"):
        book.decide(pid, approved=True, at=day(2))
    book.close("half", ProjectOutcome.PARTIAL, at=day(10))
    book.close("none", ProjectOutcome.NOT_COMPLETED, at=day(10))
    assert book.paid_fen("half") == 16_666
    assert book.paid_fen("none") == 0


def test_a_subsidy_project_is_paid_stage_by_stage_and_each_stage_once() -> None:
    """Paying a stage twice books it once; an unknown stage is refused."""
    ledger, book = book_with(100_000)
    book.propose(project("p2", mode=GrantMode.SUBSIDY, amounts=(30_000, 20_000)))
    book.decide("p2", approved=True, at=day(2))
    book.pay_stage("p2", "s1", at=day(3))
    book.pay_stage("p2", "s1", at=day(4))
    assert book.paid_fen("p2") == 30_000
    with pytest.raises(GrantRefused, match="s9"):
        book.pay_stage("p2", "s9", at=day(5))
    book.close("p2", ProjectOutcome.COMPLETED, at=day(6))
    book.pay_stage("p2", "s2", at=day(7))
    assert book.paid_fen("p2") == 50_000
    assert len(ledger) == 3


def test_an_unapproved_or_rejected_project_is_never_paid() -> None:
    """Proposed and rejected projects are refused, and nothing is booked."""
    ledger, book = book_with(100_000)
    book.propose(project("p3", mode=GrantMode.SUBSIDY))
    with pytest.raises(GrantRefused, match="proposed"):
        book.pay_stage("p3", "s1", at=day(2))
    book.decide("p3", approved=False, at=day(2))
    with pytest.raises(GrantRefused, match="rejected"):
        book.pay_stage("p3", "s1", at=day(3))
    with pytest.raises(GrantRefused, match="already decided"):
        book.decide("p3", approved=True, at=day(3))
    assert len(ledger) == 1
    assert book.paid_fen("p3") == 0


def test_a_grant_beyond_the_fund_balance_is_refused_and_changes_nothing() -> None:
    """The fund may not go negative: the close is refused and the project stays approved."""
    ledger, book = book_with(40_000)
    book.propose(project("p4"))
    book.decide("p4", approved=True, at=day(2))
    with pytest.raises(InsufficientBalance) as caught:
        book.close("p4", ProjectOutcome.COMPLETED, at=day(3))
    assert caught.value.account == SHUANGQIAO.account_id
    assert book.project("p4").status is ProjectStatus.APPROVED
    assert ledger.balance(SHUANGQIAO.account_id) == 40_000
    assert len(ledger) == 1


def test_unknown_projects_and_funds_are_named() -> None:
    """Paying an unknown project and proposing to an unknown fund say which."""
    _, book = book_with(0)
    with pytest.raises(UnknownProject, match="nope"):
        book.pay_stage("nope", "s1", at=day(1))
    stray = Project(
        id="px",
        fund="elsewhere",
        applicant="micro_grid:mg1",
        plan="x",
        stages=[Stage(key="s", label_zh="一期", amount_fen=1)],
    )
    with pytest.raises(InvalidData, match="fund"):
        book.propose(stray)


def test_a_project_lists_every_problem_at_once() -> None:
    """No stages, a share above 1000 per mille and an empty plan are all named."""
    with pytest.raises(InvalidData) as caught:
        Project(id="p", fund="f", applicant="a", plan="", stages=(), partial_per_mille=1001)
    assert {p.path for p in caught.value.problems} == {"plan", "stages", "partial_per_mille"}


def test_the_statement_of_a_period_reads_balances_and_movements_from_the_ledger() -> None:
    """Opening + donations − grants = closing; a reversed donation lowers donations."""
    ledger, book = book_with(100_000)
    donate(ledger, SHUANGQIAO, gift("g1", 25_050, day(40)))
    donate(ledger, SHUANGQIAO, gift("g2", 1_000, day(41), donor="merchant:m2"))
    ledger.reverse("donate:shuangqiao:g2", at=day(42))
    book.propose(project("p5"))
    book.decide("p5", approved=True, at=day(43))
    book.close("p5", ProjectOutcome.COMPLETED, at=day(60))
    donate(ledger, SHUANGQIAO, gift("g3", 7, day(200)))
    q1 = fund_statement(ledger, [SHUANGQIAO], start=day(31), end=day(91))
    assert q1.opening_fen == 100_000
    assert q1.donations_fen == 25_050
    assert q1.grants_fen == 50_000
    assert q1.closing_fen == 75_050
    assert q1.opening_fen + q1.donations_fen - q1.grants_fen == q1.closing_fen
    assert [(line.project, line.granted_yuan) for line in q1.projects] == [("p5", "500.00")]
    assert dict(q1.donations_by_purpose) == {"环境治理": 25_050}
    assert q1.rows()[0] == ("期初余额", "opening balance", "1000.00")
    assert q1.rows()[-1] == ("期末余额", "closing balance", "750.50")


def test_a_transaction_exactly_at_the_start_belongs_to_the_period() -> None:
    """Periods are start-inclusive: a donation at midnight is a donation, not opening."""
    ledger, _ = book_with(0)
    donate(ledger, SHUANGQIAO, gift("g1", 500, day(31)))
    statement = fund_statement(ledger, ["shuangqiao"], start=day(31), end=day(60))
    assert (statement.opening_fen, statement.donations_fen, statement.closing_fen) == (0, 500, 500)
    before = fund_statement(ledger, ["shuangqiao"], start=day(0), end=day(31))
    assert before.closing_fen == 0


def test_a_statement_refuses_a_backwards_period_and_an_unknown_fund() -> None:
    """End before start and a fund never opened are named."""
    ledger, _ = book_with(0)
    with pytest.raises(InvalidData, match="end"):
        fund_statement(ledger, [SHUANGQIAO], start=day(2), end=day(1))
    with pytest.raises(LookupError, match="fund:ghost"):
        fund_statement(ledger, ["ghost"], start=day(1), end=day(2))


def test_sixty_eight_micro_funds_hold_the_3_71_million_yuan_donated() -> None:
    """Chenghua's 1+N: 68 micro-funds under one foundation, 3.71 M yuan in donations (P5)."""
    ledger = Ledger()
    funds = [
        Fund(
            id=f"mf{i}",
            kind=FundKind.MICRO_FUND,
            name_zh=f"社区微基金{i}",
            owner=f"community:c{i}",
            parent="chenghua",
        )
        for i in range(68)
    ]
    total = 371_000_000
    share, rest = divmod(total, 68)
    for i, fund in enumerate(funds):
        open_fund(ledger, fund)
        amount = share + (1 if i < rest else 0)
        donate(ledger, fund, gift(f"d{i}", amount, day(i), donor=f"donor:{i}"))
    statement = fund_statement(ledger, funds, start=T0, end=YEAR_END)
    assert statement.donations_fen == total
    assert format_yuan(statement.closing_fen) == "3710000.00"
    assert len(statement.funds) == 68


def test_a_district_statement_of_the_ring_fenced_funds_covers_600_projects() -> None:
    """S4: 48 M yuan guarantee + 4 M incentive allocated, 600 projects paid within the year."""
    guarantee = Fund(
        id="chenghua-guarantee",
        kind=FundKind.GUARANTEE,
        name_zh="保障资金",
        owner="district:chenghua",
    )
    incentive = Fund(
        id="chenghua-incentive",
        kind=FundKind.INCENTIVE,
        name_zh="激励资金",
        owner="district:chenghua",
    )
    ledger = Ledger()
    book = ProjectBook(ledger, [guarantee, incentive])
    allocate(ledger, guarantee, key="2024:guarantee", amount_fen=48_000_000_00, at=T0)
    allocate(ledger, incentive, key="2024:incentive", amount_fen=4_000_000_00, at=T0)
    for i in range(600):
        fund = incentive if i % 10 == 0 else guarantee
        amount = 6_666_666 if fund is incentive else 8_000_000
        proposal = Project(
            id=f"p{i}",
            fund=fund.id,
            applicant=f"community:c{i % 83}",
            plan="社区发展治理项目",
            stages=[Stage(key="all", label_zh="全额", amount_fen=amount)],
        )
        book.propose(proposal)
        book.decide(proposal.id, approved=True, at=day(1 + i // 2))
        book.close(proposal.id, ProjectOutcome.COMPLETED, at=day(1 + i // 2))
    statement = fund_statement(ledger, [guarantee, incentive], start=T0, end=YEAR_END)
    assert format_yuan(statement.allocations_fen) == "52000000.00"
    assert len(statement.projects) == 600
    assert statement.grants_fen == 540 * 8_000_000 + 60 * 6_666_666
    assert format_yuan(statement.closing_fen) == "4800000.40"
    assert statement.closing_fen == 52_000_000_00 - statement.grants_fen
    assert statement.closing_fen == sum(
        ledger.balance(f.account_id) for f in (guarantee, incentive)
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["donate", "grant", "reverse"]), st.integers(1, 50_000)),
        max_size=30,
    ),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_any_period_statement_adds_up_to_its_closing_balance(
    moves: list[tuple[str, int]], a: int, b: int
) -> None:
    """For any donations, grants and reversals: opening + in − out + other = closing."""
    ledger, book = book_with(0)
    for i, (what, amount) in enumerate(moves):
        at = day(i * 2 + 1)
        if what == "donate":
            donate(ledger, SHUANGQIAO, gift(f"g{i}", amount, at))
        elif what == "grant" and ledger.balance(SHUANGQIAO.account_id) >= amount:
            book.propose(project(f"p{i}", amounts=(amount,)))
            book.decide(f"p{i}", approved=True, at=at)
            book.close(f"p{i}", ProjectOutcome.COMPLETED, at=at)
        elif what == "reverse" and len(ledger):
            last = list(ledger)[-1]
            if (
                last.kind == "donate"
                and ledger.balance(SHUANGQIAO.account_id) >= last.postings[1].amount
            ):
                ledger.reverse(last.key, at=at)
    start, end = day(min(a, b)), day(max(a, b) + 1)
    s = fund_statement(ledger, [SHUANGQIAO], start=start, end=end)
    assert (
        s.opening_fen + s.donations_fen + s.allocations_fen - s.grants_fen + s.other_fen
        == s.closing_fen
    )
    assert s.grants_fen == sum(line.granted_fen for line in s.projects)
    assert s.closing_fen >= 0
