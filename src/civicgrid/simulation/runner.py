"""The simulation's day loop: arrivals, actions, deadlines and points, one commit a day.

:func:`simulate` builds a preset's district, opens requests as they arrive (through
:class:`~civicgrid.workflows.intake.RequestDesk` and the registry's dispatcher), lets workers,
residents and volunteers act in time order on a :class:`~civicgrid.workflows.clock.ManualClock`
while ``Engine.tick`` records warnings and breaches as they fall due, and at the end of each
simulated day commits, in ONE ``append_many`` keyed ``sim:day:<n>`` (a commit retried after a
lost connection is stored once), the new events of every case touched that
day, the day's ledger transactions and the ``sim:days`` record (the store layout agreed with
the report: streams ``sim:meta``, ``district:units``, ``district:organisations``,
``case:<id>``, ``ledger:points``, ``sim:days``). Closed cases are dropped once committed.

Each day draws from ``random.Random(f"{seed}:{day}")`` and each case decision from a
generator seeded by the case and its latest event (:class:`~civicgrid.simulation.agents.Draws`),
so a run resumed from the store (``resume=True``) writes exactly what an uninterrupted one
would. Interrupted between commits, the store holds whole days only.
"""

from __future__ import annotations

import gc
import heapq
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import civicgrid
from civicgrid.domain.catalogue import Issuer, IssuerKind, RewardCatalogue, RewardItem, RewardKind
from civicgrid.domain.ledger import Ledger
from civicgrid.domain.requests import Request
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitTree
from civicgrid.errors import CivicGridError, InvalidData, Problem
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.report.loading import read_units, unit_record
from civicgrid.serialization import make_converter
from civicgrid.simulation import agents
from civicgrid.simulation.agents import DATA, Draws, Workforce, accounts_for
from civicgrid.simulation.arrivals import Places, day_arrivals, day_start, day_topics
from civicgrid.simulation.presets import Preset
from civicgrid.simulation.presets import preset as find_preset
from civicgrid.simulation.summary import PointsTotals, Summary, summary_of
from civicgrid.store.codec import case_stream, encode_events, encode_transactions, ledger_stream
from civicgrid.store.errors import StorageFault
from civicgrid.store.protocol import Batch, EventStore
from civicgrid.store.streams import load_case, read_events, read_transactions
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import Event, EventKind
from civicgrid.workflows.intake import RequestDesk
from civicgrid.workflows.points import PointsDesk
from civicgrid.workflows.redemption import RedemptionDesk

__all__ = ["LEDGER", "Progress", "simulate"]

LEDGER = "points"
"""The name of the run's points ledger (stream ``ledger:points``)."""
REDEMPTION = "redemption"
"""The method volunteers redeem points through (P1), driven like any other: a worker of the
issuer hands the reward over, or the hold expires after its deadline."""
REWARD = "city_gift"
"""The one reward of the simulated catalogue: daily goods for ``redeem_points`` city points."""
SCHEMA = 1
Progress = Callable[[int, int], None]
"""Told ``(days committed, days in the run)`` after each commit."""

_REFUSALS = (CivicGridError,)


def simulate(
    preset: str | Preset,
    *,
    days: int,
    seed: int,
    store: EventStore,
    requests_method: str | None = "immediate_53522",
    deliberation_method: str | None = None,
    start: date = date(2026, 1, 1),
    scale: float = 1.0,
    resume: bool = False,
    registry: Registry | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Simulate ``days`` days of ``preset`` into ``store`` and return the run's summary.

    A fresh run needs an empty store (one run per store); ``resume=True`` continues the run
    in ``store`` from the day after its last committed one, and its arguments must match
    the stored ``sim:meta`` (``scale`` is read from the stored units).

    ``requests_method`` drives the residents' requests (``None``: no requests), and
    ``deliberation_method`` the topics residents raise for deliberation (``None``: none);
    a topic waiting in a step its method's :class:`~civicgrid.MeetingSchedule` names moves
    on at the next meeting. Bad arguments raise :class:`~civicgrid.errors.InvalidData` naming
    the field, an unknown method :class:`~civicgrid.errors.UnknownMethod`, before anything
    is written.

    While the days run, the cyclic garbage collector's full collections are made rarer
    (:data:`FULL_COLLECTIONS_AFTER`); its thresholds, which are process-wide, are restored
    when the call returns or raises.
    """
    began = time.perf_counter()
    chosen = find_preset(preset) if isinstance(preset, str) else preset
    registry = registry or load_registry()
    for key in (requests_method, deliberation_method):
        if key is not None:
            registry.method(key)
    _check(days=days, seed=seed, scale=scale)
    if requests_method is None and deliberation_method is None:
        raise InvalidData(
            "simulation", [Problem("requests_method", "name a requests or a deliberation method")]
        )
    run = _Run(chosen, registry, requests_method, deliberation_method, seed, start, store)
    first = run.resume(days) if resume else run.begin(days, scale)
    events = transactions = 0
    with _fewer_full_collections():
        for day in range(first, days):
            counted = run.day(day)
            events += counted[0]
            transactions += counted[1]
            if progress is not None:
                progress(day + 1, days)
    return summary_of(
        store,
        run.builder,
        run.totals,
        meta=run.meta,
        as_of=day_start(start, days),
        wall_seconds=time.perf_counter() - began,
        events_this_run=events,
        days_this_run=max(0, days - first),
        definitions=[track.method for track in run.tracks.values()],
    )


FULL_COLLECTIONS_AFTER = 100
"""While the days run, the cyclic collector looks at its oldest generation only after this
many collections of the middle one (Python's default is 10; see :func:`gc.set_threshold`)."""


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """Make the cyclic collector's full collections rarer while the days run, then restore.

    A day creates hundreds of thousands of events, deadline states and records that outlive
    the young generations and are then freed by reference counting once their cases close,
    and they hold next to no reference cycles. Yet each full collection walks everything
    alive: at a whole district (scale 1) the default thresholds ran about three a simulated
    day, a third of the run's time, and freed almost nothing. Young generations are still
    collected as usual, and the old one still is, only less often. The thresholds are
    process-wide; the previous ones are put back however the run ends.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, FULL_COLLECTIONS_AFTER))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


def _check(*, days: object, seed: object, scale: object) -> None:
    problems = []
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        problems.append(Problem("days", f"must be a whole number >= 1, not {days!r}"))
    if not isinstance(seed, int) or isinstance(seed, bool):
        problems.append(Problem("seed", f"must be a whole number, not {seed!r}"))
    if not isinstance(scale, int | float) or not 0.001 <= scale <= 4:
        problems.append(Problem("scale", f"must lie in [0.001, 4], not {scale!r}"))
    if problems:
        raise InvalidData("simulation", problems)


class _Track:
    """How the driver moves the cases of one method: its policy, workers and meeting days."""

    def __init__(self, registry: Registry, key: str, *, rated: bool) -> None:
        self.key = key
        self.method = registry.method(key)
        self.policy = agents.read_policy(self.method)
        policy = self.policy
        if self.method.initial not in policy.forward or (rated and not policy.rating_step):
            way = "rated way" if rated else "way"
            field = "requests_method" if rated else "deliberation_method"
            raise InvalidData(
                "simulation", [Problem(field, f"{key!r} has no {way} to its last step")]
            )
        self.top = self.method.escalation[-1].key if self.method.escalation else None
        self.ladder = frozenset(level.key for level in self.method.escalation)
        self.schedule = registry.meeting_schedules.get(key)
        self.waits = self.schedule.steps if self.schedule is not None else frozenset()
        self.workforce: Workforce | None = None
        """Set once the district is built (``_Run._ready``)."""
        roles = self.method.open_roles
        self.opener = Actor(
            id="resident", roles=frozenset({"resident"}) if "resident" in roles else roles
        )


class _Run:
    """One run's state between days: engine, open cases, schedule, ledger and desks."""

    def __init__(
        self,
        preset: Preset,
        registry: Registry,
        requests_key: str | None,
        deliberation_key: str | None,
        seed: int,
        start: date,
        store: EventStore,
    ) -> None:
        self.preset = preset
        self.behaviour = preset.behaviour
        self.registry = registry
        self.key = requests_key
        self.deliberation_key = deliberation_key
        self.tracks: dict[str, _Track] = {}
        for key, rated in ((requests_key, True), (deliberation_key, False)):
            if key is not None and key not in self.tracks:
                self.tracks[key] = _Track(registry, key, rated=rated)
        if REDEMPTION in registry.methods and REDEMPTION not in self.tracks:
            self.tracks[REDEMPTION] = _Track(registry, REDEMPTION, rated=False)
        self.seed = seed
        self.start = start
        self.store = store
        self.clock = ManualClock(day_start(start, 0))
        self.engine = Engine.from_registry(registry, clock=self.clock, tz=DEFAULT_TZ)
        self.builder = IndicatorBuilder.for_engine(self.engine)
        self.ledger = Ledger()
        self.totals = PointsTotals()
        self.meta: dict[str, Any] = {}
        self.open: dict[str, Case] = {}
        self.committed: dict[str, int] = {}
        self.draws: dict[str, Draws] = {}
        self.agenda: list[tuple[float, str, int]] = []
        self.resident = Actor(id="resident", roles=frozenset({"resident"}))
        self.openers: dict[str, Actor] = {}
        self.rated = {value: {**DATA, "rating": value} for value, _ in self.behaviour.ratings}
        self.tree: UnitTree | None = None

    # ------------------------------------------------------------------ setting up

    def _meta(self, days: int) -> dict[str, Any]:
        return {
            "preset": self.preset.key,
            "seed": self.seed,
            "days": days,
            "start": self.start.isoformat(),
            "methods": {"requests": self.key, "deliberation": self.deliberation_key},
            "tz": "Asia/Shanghai",
            "library": civicgrid.__version__,
            "schema": SCHEMA,
        }

    def begin(self, days: int, scale: float) -> int:
        """Write the run's meta, units and organisations; return the first day to run."""
        if self.store.version("sim:meta"):
            raise InvalidData(
                "simulation",
                [Problem("store", "already holds a run: resume it, or give an empty store")],
            )
        units = self.preset.build(scale)
        tree = UnitTree(units)
        converter = make_converter()
        self.meta = self._meta(days)
        _commit_keyed(
            self.store,
            {
                "sim:meta": ([self.meta], 0),
                "district:units": ([unit_record(u) for u in units], 0),
                "district:organisations": (
                    [converter.unstructure(o) for o in self.preset.organise(tree)],
                    0,
                ),
            },
            key="sim:begin",
        )
        self._ready(tree)
        return 0

    def resume(self, days: int) -> int:
        """Rebuild the run from the store; return the first day not yet committed."""
        stored = self.store.read("sim:meta")
        if not stored:
            raise InvalidData("simulation", [Problem("store", "holds no run to resume")])
        self.meta = dict(stored[0].data)
        wanted = self._meta(days)
        problems = [
            Problem(name, f"is {wanted[name]!r}, the stored run has {self.meta.get(name)!r}")
            for name in ("preset", "seed", "days", "start", "methods")
            if self.meta.get(name) != wanted[name]
        ]
        if self.meta.get("schema") != SCHEMA:
            problems.append(Problem("schema", f"the stored run has {self.meta.get('schema')!r}"))
        if problems:
            raise InvalidData("simulation to resume", problems)
        tree = UnitTree(read_units(self.store))
        if self.store.version(ledger_stream(LEDGER)):
            transactions = read_transactions(self.store, LEDGER)
            self.ledger = Ledger.replay(transactions, accounts=accounts_for(transactions))
            self.totals.fold(self.ledger, self.ledger)
        self._ready(tree)
        for stream in self.store.streams("case:"):
            case_id = stream.removeprefix("case:")
            events = read_events(self.store, case_id)
            self.builder.extend(events)
            self.committed[case_id] = len(events)
            terminal = self.engine.compiled(events[0].trigger or "").terminal
            if _last_step(events) not in terminal:
                case = load_case(self.store, self.engine, case_id)
                self.open[case_id] = case
                if self.redemptions is not None and case.method_key == REDEMPTION:
                    self.redemptions.restore(case)
                self._schedule(case, case.events[-1])
            else:
                del self.committed[case_id]
        return self.store.version("sim:days")

    def _ready(self, tree: UnitTree) -> None:
        self.tree = tree
        self.places = Places.of(tree, self.preset)
        for track in self.tracks.values():
            track.workforce = Workforce(tree, self.preset, track.method)
        residents = self.places.residents
        count = max(1, round(residents * self.behaviour.volunteers_per_thousand / 1000))
        self.volunteers = [f"v{n:06d}" for n in range(count)]
        self.points = PointsDesk.from_registry(
            self.registry,
            self.ledger,
            roles_of=lambda person: ("volunteer",) if person.startswith("v") else (),
            keep_awards=False,
        )
        self.redemptions: RedemptionDesk | None = None
        if REDEMPTION in self.tracks:
            self.redemptions = RedemptionDesk(self.engine, self.ledger, self._catalogue())
        self.engine.subscribe(self.builder)
        rules = self.points.rules.values()
        self.earning = frozenset(
            (rule.method, key)
            for rule in rules
            if rule.method is not None
            for key in (rule.trigger, rule.target)
            if key is not None
        )
        self.engine.subscribe(self._earn)
        self.engine.subscribe(self._observe)

    # ------------------------------------------------------------------ scheduling

    def _earn(self, case: Case, event: Event) -> None:
        """Pass the points desk only events some earning rule names (most name none)."""
        method, earning = case.method_key, self.earning
        if (method, event.trigger) in earning or (method, event.target) in earning:
            self.points.observe(case, event)

    def _observe(self, case: Case, event: Event) -> None:
        if event.kind is EventKind.OPENED:
            self.open[case.id] = case
        self._schedule(case, event)

    def _schedule(self, case: Case, event: Event) -> None:
        if case.is_closed:
            self.draws.pop(case.id, None)
            return
        track = self.tracks.get(case.method_key)
        if track is None:
            return  # a case of a method the run does not drive (opened by a plugin)
        draws = Draws.for_case(self.seed, case.id, event.seq)
        at = event.at.timestamp()
        schedule = track.schedule
        if schedule is not None and case.step in track.waits:
            meeting = schedule.next_meeting(event.at, calendar=self.engine.calendar)
            if meeting is None:
                return  # the rule meets no more: the topic waits past the run
            # Topics are taken in turn during a meeting of about two hours.
            when = meeting.timestamp() + draws.uniform(0, 7200)
        else:
            when = at + agents.delay(case, at, track.policy, self.behaviour, draws)
        self.draws[case.id] = draws
        heapq.heappush(self.agenda, (when, case.id, event.seq))

    # ------------------------------------------------------------------ one day

    def day(self, number: int) -> tuple[int, int]:
        """Run simulated day ``number`` and commit it; return its events and transactions."""
        rng = random.Random(f"{self.seed}:{number}")  # noqa: S311 - a simulation, not secrets
        today = self.start + timedelta(days=number)
        midnight = day_start(self.start, number).timestamp()
        end = midnight + 86_400
        requests: dict[str, Request] = {}
        if self.key is not None:
            arrivals = day_arrivals(today, self.places, self.behaviour, rng)
            requests = {r.id: r for r in arrivals}
        volunteering = self._volunteering(rng, midnight)
        agenda = self.agenda
        for request in requests.values():
            heapq.heappush(agenda, (request.submitted_at.timestamp(), request.id, 0))
        topics: dict[str, tuple[float, str]] = {}
        if self.deliberation_key is not None:
            topics = day_topics(today, self.places, self.behaviour, seed=self.seed)
            for key, (when, _unit) in topics.items():
                heapq.heappush(agenda, (when, key, 0))
        for when, key in volunteering:
            heapq.heappush(agenda, (when, key, -1))
        desk = None
        if self.key is not None:
            desk = RequestDesk(
                self.engine, method=self.key, classify=self.registry.classify_request
            )
        now = midnight
        tz, fromtimestamp = DEFAULT_TZ, datetime.fromtimestamp
        while agenda and agenda[0][0] < end:
            when, key, seq = heapq.heappop(agenda)
            if seq > 0:
                case = self.open.get(key)
                if case is None or seq != len(case.events):
                    continue  # superseded by a later event of the case
            now = max(now, when)
            at = fromtimestamp(now, tz)
            self.clock.set(at)
            self.engine.tick(at)
            if seq > 0:
                self._act(self.open[key], at)
            elif seq == 0 and desk is not None and key in requests:
                request = requests[key]
                desk.receive(request, actor=self._opener(request))
            elif seq == 0:
                self._raise_topic(key, topics[key][1], at)
            else:
                self._volunteer(key, at)
        closing = fromtimestamp(end, tz)
        self.clock.set(closing)
        self.engine.tick(closing)
        return self._commit(number, today, len(requests), len(topics))

    def _opener(self, request: Request) -> Actor:
        actor = self.openers.get(request.channel.value)
        if actor is None:
            roles = self.tracks[self.key or ""].method.open_roles
            actor = Actor(id=f"intake:{request.channel.value}", roles=roles)
            self.openers[request.channel.value] = actor
        return actor

    def _raise_topic(self, case_id: str, unit: str, at: datetime) -> None:
        """Open a topic a resident raised, in the deliberation method's first step."""
        track = self.tracks[self.deliberation_key or ""]
        self.engine.open(
            track.key,
            actor=track.opener,
            at=at,
            case_id=case_id,
            data={**DATA, "unit": unit, "topic": "居民提出的小区公共事务"},
        )

    def _act(self, case: Case, at: datetime) -> None:
        """Let the resident rate, or the case's worker act; a duty officer steps in if refused."""
        draws = self.draws[case.id]
        seen = len(case.events)
        track = self.tracks[case.method_key]
        if case.step == track.policy.rating_step:
            trigger, verdict = agents.rating(case, self.behaviour, draws)
            self.engine.fire(case, trigger, self.resident, at=at, data=self.rated[verdict])
            return
        unit = (case.data or {}).get("unit")
        chosen = agents.choose(case, track.policy, self.behaviour, draws, track.top)
        if chosen is None:
            raise InvalidData(
                "simulation", [Problem(case.method_key, f"no way on from step {case.step!r}")]
            )
        workforce = track.workforce
        if workforce is None:  # pragma: no cover - set by _ready before any day runs
            raise InvalidData("simulation", [Problem("district", "is not built yet")])
        actor = workforce.actor(unit, case.level)
        try:
            self.engine.fire(case, chosen, actor, at=at, data=DATA, assignee=actor.id)
        except _REFUSALS:
            if len(case.events) != seen:
                return  # a deadline alarm moved the case first; it is scheduled anew
            # The worker of another rung, or another's order: a duty officer steps in.
            forward = track.policy.forward.get(case.step)
            if not forward:
                return
            duty = Actor(
                id=case.assignee or actor.id,
                roles=actor.roles,
                unit=unit,
                levels=track.ladder,
            )
            self.engine.fire(case, forward[0], duty, at=at, data=DATA)

    def _volunteering(self, rng: random.Random, midnight: float) -> list[tuple[float, str]]:
        """Return the day's volunteer activities as (instant, agenda key), drawn from ``rng``."""
        behaviour = self.behaviour
        out: list[tuple[float, str]] = []
        for volunteer in self.volunteers:
            roll = rng.random()
            if roll < behaviour.patrol:
                out.append((midnight + rng.uniform(7, 20) * 3600, f"~patrol:{volunteer}"))
            elif roll < behaviour.patrol + behaviour.serve:
                minutes = rng.choice((60, 90, 120, 180))
                out.append((midnight + rng.uniform(8, 18) * 3600, f"~serve:{minutes}:{volunteer}"))
            if rng.random() < behaviour.redeem:
                out.append((midnight + rng.uniform(9, 21) * 3600, f"~redeem:{volunteer}"))
        return out

    def _volunteer(self, key: str, at: datetime) -> None:
        what, _, volunteer = key[1:].partition(":")
        minutes = 0
        if what == "serve":
            quantity, _, volunteer = volunteer.partition(":")
            minutes = int(quantity)
        stamp = at.strftime("%Y%m%d")
        if what == "patrol":
            self.points.record("patrol", key=f"patrol:{volunteer}:{stamp}", person=volunteer, at=at)
        elif what == "serve":
            self.points.record(
                "hours_served",
                key=f"serve:{volunteer}:{stamp}",
                person=volunteer,
                at=at,
                quantity=minutes,
            )
        elif self.redemptions is not None:
            try:
                self.redemptions.reserve(
                    f"rd{stamp}-{volunteer}",
                    person=volunteer,
                    item=REWARD,
                    actor=Actor(id=volunteer, roles=frozenset({"volunteer"})),
                    at=at,
                )
            except _REFUSALS:
                return  # too few points (or none yet): the volunteer keeps earning

    def _catalogue(self) -> RewardCatalogue:
        """Return the district's reward catalogue: one item, always in stock."""
        city = Issuer(id="city", kind=IssuerKind.CITY, name_zh="市级礼遇资源库")
        gift = RewardItem(
            id=REWARD,
            issuer=city.id,
            kind=RewardKind.GOODS,
            name_zh="生活用品兑换",
            name_en="daily goods",
            cost={"city_points": self.behaviour.redeem_points},
            stock=10**12,
            valid_from=self.start,
        )
        return RewardCatalogue([city], [gift])

    # ------------------------------------------------------------------ committing

    def _commit(self, number: int, today: date, requests: int, topics: int) -> tuple[int, int]:
        batch: dict[str, tuple[list[Any], int]] = {}
        counts: dict[str, int] = {}
        events = 0
        for case_id, case in self.open.items():
            seen = self.committed.get(case_id, 0)
            total = len(case.events)
            if total > seen:
                batch[case_stream(case_id)] = (
                    encode_events(case_id, case.events[seen:], seen),
                    seen,
                )
                counts[case_id] = total
                events += total - seen
        ledger_seen = self.store_ledger_version
        booked = self.ledger.since(ledger_seen)
        if booked:
            batch[ledger_stream(LEDGER)] = (encode_transactions(booked, ledger_seen), ledger_seen)
        still_open = sum(1 for case in self.open.values() if not case.is_closed)
        record = {
            "day": number,
            "date": today.isoformat(),
            "requests": requests,
            "topics": topics,
            "events": events,
            "transactions": len(booked),
            "open_cases": still_open,
        }
        batch["sim:days"] = ([record], number)
        _commit_keyed(self.store, batch, key=f"sim:day:{number}")
        self.committed.update(counts)
        for case_id in [c for c, case in self.open.items() if case.is_closed]:
            del self.open[case_id]
            del self.committed[case_id]
            self.draws.pop(case_id, None)
        # What the store holds now leaves memory: closed cases above, and the ledger's
        # history, the points desk's past days and closed redemptions here.
        self.totals.fold(booked, self.ledger)
        self.points.forget(today + timedelta(days=1))  # catches up with the ledger first
        # Keys too: the desks refuse their own old keys (past days, forgotten redemptions).
        self.ledger.forget(len(self.ledger), keep_keys=False)
        if self.redemptions is not None:
            self.redemptions.forget_closed()
        return events, len(booked)

    @property
    def store_ledger_version(self) -> int:
        """How many of the ledger's transactions the store holds."""
        return self.store.version(ledger_stream(LEDGER))


RETRIES = 3
"""How often a commit is retried when the connection to the store's server is lost."""


def _commit_keyed(store: EventStore, batch: Batch, *, key: str) -> None:
    """Commit ``batch`` under the idempotency ``key``, retrying a lost connection.

    A connection lost while committing leaves it unknown whether the batch was stored; the
    same key makes the retry store it once either way (the store answers a key it holds with
    the first commit). Other faults, and a connection still lost after the retries, raise.
    """
    for attempt in range(RETRIES + 1):
        try:
            store.append_many(batch, key=key)
        except StorageFault as fault:
            if fault.fault != "connection" or attempt == RETRIES:
                raise
            time.sleep(0.1 * 2**attempt)
        else:
            return


def _last_step(events: list[Event]) -> str | None:
    for event in reversed(events):
        if event.kind in (EventKind.OPENED, EventKind.TRANSITION):
            target: str | None = event.target
            return target
    return None
