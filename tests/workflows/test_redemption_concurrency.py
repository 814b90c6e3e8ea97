"""Acceptance: many threads redeeming the last items never oversell nor double-spend (P1, P2)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime

import pytest

from civicgrid import Actor, Engine, FixedClock, Registry, load_registry
from civicgrid.domain.catalogue import (
    Issuer,
    IssuerKind,
    RedemptionStatus,
    RewardCatalogue,
    RewardItem,
    RewardKind,
)
from civicgrid.domain.ledger import Account, AccountKind, Ledger
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError
from civicgrid.plugins.builtin import redemption as redemption_plugin
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.workflows.redemption import OutOfStock, RedemptionDesk

THREADS = 32
ATTEMPTS = 200
STOCK = 5
COST = 200
ROUNDS = 20
RICH = [f"v{i}" for i in range(8)]
"""Volunteers with 400 points: enough for two tickets each, if nothing stopped them."""
POOR = [f"w{i}" for i in range(4)]
"""Volunteers with 150 points: never enough for one."""
STAFF = Actor(id="museum-desk", roles={"issuer_staff"})
AT = datetime(2026, 11, 23, 9, tzinfo=DEFAULT_TZ)
_TAKEN = (RedemptionStatus.RESERVED, RedemptionStatus.FULFILLED)


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus Points Redemption, whether or not it is listed yet."""
    mine = ("civicgrid.redemption", redemption_plugin)
    listed = {name for name, _ in BUILTIN_PLUGINS}
    return load_registry(entry_points=False, plugins=[] if mine[0] in listed else [mine])


def _setup(registry: Registry) -> tuple[RedemptionDesk, Ledger]:
    ledger = Ledger()
    ledger.open(Account(id="issuer:city_points", currency="city_points", kind=AccountKind.ISSUER))
    for person, amount in [(p, 400) for p in RICH] + [(p, 150) for p in POOR]:
        ledger.open(Account(id=f"person:{person}:city_points", currency="city_points"))
        ledger.transfer(
            key=f"earn:{person}",
            at=AT,
            kind="earn",
            source="issuer:city_points",
            target=f"person:{person}:city_points",
            amount=amount,
        )
    catalogue = RewardCatalogue(
        [Issuer(id="chengdu", kind=IssuerKind.CITY, name_zh="成都市礼遇资源库")],
        [
            RewardItem(
                id="museum-ticket",
                issuer="chengdu",
                kind=RewardKind.TICKET,
                name_zh="成都自然博物馆门票",
                cost={"city_points": COST},
                stock=STOCK,
                valid_from=date(2026, 1, 1),
            )
        ],
    )
    engine = Engine.from_registry(registry, clock=FixedClock(AT))
    return RedemptionDesk(engine, ledger, catalogue), ledger


def _run(desk: RedemptionDesk) -> Counter[str]:
    """200 attempts over 32 threads; some redemption ids repeat, some attempts fulfil or cancel."""
    people = RICH + POOR
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        barrier.wait()
        for n in range(thread, ATTEMPTS, THREADS):
            person = people[n % len(people)]
            actor = Actor(id=person, roles={"volunteer"})
            rid = f"r{n % 150}"  # ids 0–49 are submitted twice
            try:
                redemption = desk.reserve(rid, person=person, item="museum-ticket", actor=actor)
                outcome = "reserved"
                if redemption.holds and n % 3 == 0:
                    desk.fulfil(rid, actor=STAFF)
                    outcome = "fulfilled"
                elif redemption.holds and n % 3 == 1:
                    desk.cancel(rid, actor=actor)
                    outcome = "cancelled"
            except OutOfStock:
                outcome = "out_of_stock"
            except CivicGridError as error:
                outcome = type(error).__name__
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _check(desk: RedemptionDesk, ledger: Ledger) -> None:
    """No oversell, no double spend, every currency sums to zero, holds match the records."""
    statuses = Counter(r.status for r in desk)
    taken = statuses[RedemptionStatus.RESERVED] + statuses[RedemptionStatus.FULFILLED]
    level = desk.stock("museum-ticket")
    assert taken <= STOCK
    assert (level.held, level.consumed) == (
        statuses[RedemptionStatus.RESERVED],
        statuses[RedemptionStatus.FULFILLED],
    )
    assert level.remaining >= 0
    assert ledger.total("city_points") == 0
    for account in ledger.accounts(kind=AccountKind.HOLDER):
        assert ledger.balance(account.id) >= 0, account.id
    fulfilled = statuses[RedemptionStatus.FULFILLED]
    if fulfilled:
        assert ledger.balance("sink:redeemed:city_points") == COST * fulfilled
    held = sum(ledger.balance(a.id) for a in ledger.accounts(kind=AccountKind.HOLD))
    assert held == COST * statuses[RedemptionStatus.RESERVED]
    owing = Counter(r.person for r in desk if r.status in _TAKEN)
    for person in RICH:
        assert ledger.balance(f"person:{person}:city_points") == 400 - COST * owing[person]
    for person in POOR:
        assert ledger.balance(f"person:{person}:city_points") == 150
    holds = [t for t in ledger if t.kind == "hold"]
    assert len(holds) == len({t.key for t in holds}) == len(desk)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_threads_redeeming_the_last_tickets_never_oversell(registry: Registry, round_: int) -> None:
    """32 threads, 200 attempts, 5 tickets: never oversold, never double-spent, sums zero."""
    desk, ledger = _setup(registry)
    outcomes = _run(desk)
    assert sum(outcomes.values()) == ATTEMPTS
    assert outcomes["out_of_stock"] > 0
    assert outcomes["InsufficientBalance"] > 0
    _check(desk, ledger)
    assert round_ in range(ROUNDS)
