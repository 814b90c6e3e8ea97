"""Benchmark the points ledger: 1,000,000 earnings across 100,000 accounts (issue 6).

Prints postings per second by the wall clock (each earning is one two-posting transfer from
the issuer), the memory the booked ledger holds (RSS growth, from ``resource``), and the time
of a quarterly top-100 ranking by points earned, computed from the ledger's transactions. The
CPU-time rate is printed too, since other processes on a shared machine slow the wall clock;
the target is judged by the wall clock: at least 100,000 postings per second in memory. The
last line says "target met" or "target missed"; the script always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import resource
import sys
import time
from datetime import datetime

from civicgrid.domain.ledger import Account, AccountKind, Ledger
from civicgrid.domain.time import DEFAULT_TZ

TARGET = 100_000
QUARTER_START = datetime(2026, 1, 1, tzinfo=DEFAULT_TZ)
QUARTER_END = datetime(2026, 4, 1, tzinfo=DEFAULT_TZ)
ISSUER = "issuer:city_points"


def rss_mb() -> float:
    """Return the peak resident set size of this process, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quarterly_top(
    ledger: Ledger, start: datetime, end: datetime, n: int = 100
) -> list[tuple[int, str]]:
    """Return the ``n`` holder accounts that earned most in ``[start, end)``, ties by id."""
    earned: dict[str, int] = {}
    for transaction in ledger.transactions(start=start, end=end):
        if transaction.kind != "earn":
            continue
        for posting in transaction.postings:
            if posting.amount > 0:
                earned[posting.account] = earned.get(posting.account, 0) + posting.amount
    top = heapq.nsmallest(n, ((-points, account) for account, points in earned.items()))
    return [(-points, account) for points, account in top]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--earnings", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    ledger = Ledger()
    ledger.open(Account(id=ISSUER, currency="city_points", kind=AccountKind.ISSUER))
    holders = [f"person:p{i}:city_points" for i in range(args.accounts)]
    for holder in holders:
        ledger.open(Account(id=holder, currency="city_points"))
    step = (QUARTER_END - QUARTER_START) / args.earnings
    instants = [QUARTER_START + i * step for i in range(args.earnings)]
    keys = [f"earn:case{i}:1:patrol" for i in range(args.earnings)]
    accounts = len(holders)
    gc.collect()
    before = rss_mb()
    gc.disable()
    started, cpu = time.perf_counter(), time.process_time()
    transfer = ledger.transfer
    for i in range(args.earnings):
        transfer(
            key=keys[i],
            at=instants[i],
            kind="earn",
            source=ISSUER,
            target=holders[(i * 7919) % accounts],
            amount=1 + i % 5,
        )
    booking = time.perf_counter() - started
    booking_cpu = time.process_time() - cpu
    gc.enable()
    grown = rss_mb() - before
    assert ledger.total("city_points") == 0
    assert len(ledger) == args.earnings

    started = time.perf_counter()
    top = quarterly_top(ledger, QUARTER_START, QUARTER_END)
    ranking = time.perf_counter() - started
    assert len(top) == min(100, accounts)

    postings = 2 * args.earnings / booking
    figures = {
        "earnings": args.earnings,
        "accounts": accounts,
        "booking_s": round(booking, 3),
        "booking_cpu_s": round(booking_cpu, 3),
        "transactions_per_s": round(args.earnings / booking),
        "postings_per_s": round(postings),
        "rss_growth_mb": round(grown, 1),
        "bytes_per_transaction": round(grown * 1024 * 1024 / args.earnings),
        "ranking_s": round(ranking, 3),
        "target_met": postings >= TARGET,
    }
    if args.json:
        json.dump(figures, sys.stdout)
        print()
        return 0
    print(f"booked {args.earnings:,} earnings across {accounts:,} accounts in {booking:.2f} s")
    print(f"  {figures['transactions_per_s']:,} transactions/s, {round(postings):,} postings/s")
    print(f"  CPU time {booking_cpu:.2f} s: {round(2 * args.earnings / booking_cpu):,} postings/s")
    print(f"  memory: +{grown:.0f} MB RSS (~{figures['bytes_per_transaction']} B a transaction)")
    print(f"quarterly top-100 from the ledger: {ranking:.2f} s (first: {top[0][1]}, {top[0][0]})")
    print(
        f"target {TARGET:,} postings/s: {'target met' if postings >= TARGET else 'target missed'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
