"""Requests arriving in a simulated district: by channel, with daily and weekly rhythms.

:func:`day_arrivals` draws one day's requests from the day's own seeded generator, so any
day can be drawn again alone (a resumed run draws the same requests as an uninterrupted
one). How many: the district's residents times the preset's yearly rate, shared out over the
days and shaped by the weekday, then drawn around that mean (a normal approximation of the
Poisson count). When: by the hour-of-day weights, uniform within the hour. Where: a place
unit in proportion to its residents. What: a text from the dispatcher's labelled sample
(the dispatcher then reads it as it would a real one), through a channel by its weight.
"""

from __future__ import annotations

import bisect
import csv
import functools
import itertools
import math
import random
from datetime import date, datetime, time, timedelta

import attrs

from civicgrid.domain.requests import Channel, Request
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitTree
from civicgrid.plugins.builtin.dispatch import dispatch_sample
from civicgrid.simulation.presets import Behaviour, Preset

__all__ = ["Places", "day_arrivals", "day_start", "day_topics", "request_texts"]


@functools.cache
def request_texts() -> tuple[str, ...]:
    """Return the request texts arrivals draw from: the dispatcher's labelled sample."""
    with dispatch_sample().open(encoding="utf-8") as handle:
        return tuple(row["text"] for row in csv.DictReader(handle))


@attrs.frozen
class Places:
    """The units requests land on, with cumulative resident weights for drawing one."""

    ids: tuple[str, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, tree: UnitTree, preset: Preset) -> Places:
        """Return the preset's place units of ``tree``, in tree order."""
        ids = [u.id for u in tree if u.kind in preset.places]
        weights = [tree.residents(unit_id) for unit_id in ids]
        return cls(tuple(ids), tuple(itertools.accumulate(weights)))

    @property
    def residents(self) -> int:
        """The residents of every place unit."""
        return self.cumulative[-1] if self.cumulative else 0

    def draw(self, rng: random.Random) -> str:
        """Return a place unit's id, in proportion to its residents."""
        point = rng.random() * self.cumulative[-1]
        return self.ids[bisect.bisect_right(self.cumulative, point)]


def day_arrivals(
    day: date,
    places: Places,
    behaviour: Behaviour,
    rng: random.Random,
) -> list[Request]:
    """Return the requests arriving on ``day``, in time order, drawn from ``rng``.

    Ids are ``r<YYYYMMDD>-<n>``, so they sort by arrival and never repeat across days.
    """
    weekly = behaviour.weekly
    mean = places.residents * behaviour.requests_per_resident_year / 365.0
    mean *= weekly[day.weekday()] * 7 / sum(weekly)
    count = _count(mean, rng)
    hours = list(itertools.accumulate(behaviour.hourly))
    channels = [Channel(c) for c in behaviour.channels]
    channel_weights = list(itertools.accumulate(behaviour.channels.values()))
    texts = request_texts()
    midnight = datetime.combine(day, time(), DEFAULT_TZ).timestamp()
    seconds = sorted(
        rng.choices(range(24), cum_weights=hours)[0] * 3600 + rng.random() * 3600
        for _ in range(count)
    )
    stamp = day.strftime("%Y%m%d")
    out: list[Request] = []
    for n, second in enumerate(seconds):
        out.append(
            Request(
                id=f"r{stamp}-{n:05d}",
                channel=rng.choices(channels, cum_weights=channel_weights)[0],
                text=texts[rng.randrange(len(texts))],
                submitted_at=datetime.fromtimestamp(midnight + second, DEFAULT_TZ),
                unit=places.draw(rng),
            )
        )
    return out


def day_topics(
    day: date, places: Places, behaviour: Behaviour, *, seed: int
) -> dict[str, tuple[float, str]]:
    """Return the topics raised on ``day`` as ``{case id: (instant, unit)}``, in time order.

    They draw from a generator of their own, seeded by ``seed`` and the day, so the day's
    requests are the same with deliberation on or off (request methods compare on the same
    arrivals whatever else runs). Residents raise ``topics_per_thousand_year`` of them,
    between 08:00 and 21:00, at a place unit in proportion to its residents; ids are
    ``t<YYYYMMDD>-<n>``.
    """
    rng = random.Random(f"{seed}:{day.isoformat()}:topics")  # noqa: S311 - a simulation
    count = _count(places.residents * behaviour.topics_per_thousand_year / 1000 / 365, rng)
    midnight = datetime.combine(day, time(), DEFAULT_TZ).timestamp()
    stamp = day.strftime("%Y%m%d")
    instants = sorted(midnight + rng.uniform(8, 21) * 3600 for _ in range(count))
    return {f"t{stamp}-{n:04d}": (when, places.draw(rng)) for n, when in enumerate(instants)}


def _count(mean: float, rng: random.Random) -> int:
    """Draw how many arrive around ``mean``: a normal approximation of the Poisson count."""
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0


def day_start(start: date, number: int) -> datetime:
    """Return midnight (Asia/Shanghai) at the start of simulated day ``number``."""
    return datetime.combine(start + timedelta(days=number), time(), DEFAULT_TZ)
