"""The Thursday talks plugin, tested with the civicgrid.testing fixtures only."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civicgrid import (
    Engine,
    Ledger,
    PointsDesk,
    ProposerKind,
    Registry,
    Topic,
    TopicNotDeliberated,
)
from civicgrid.testing import Move, actor, walk
from civicgrid_thursday_talks import plugin

TZ = ZoneInfo("Asia/Shanghai")
RESIDENT = actor("resident", id="resident-1")
COUNCIL = actor("council", id="council-1")


@pytest.fixture
def civicgrid_plugins() -> list[tuple[str, object]]:
    """Load this plugin beside the built-ins, by the name its entry point gives it."""
    return [("thursday_talks", plugin)]


def test_a_matter_is_taken_up_handled_and_answered(civicgrid_engine: Engine) -> None:
    """群众说事 → 议事会议事 → 分办落实 → 办结回复, every time limit met."""
    case = civicgrid_engine.open("thursday_talks", actor=RESIDENT)
    walk(
        civicgrid_engine,
        case,
        [
            Move("table", COUNCIL, after=timedelta(days=3)),
            Move("agree", COUNCIL),
            Move("close", COUNCIL, {"feedback": "楼道堆物已清理"}, after=timedelta(days=5)),
        ],
    )
    assert case.step == "closed"
    assert {key: state.status.value for key, state in case.deadlines.items()} == {
        "answer": "met",
        "handling": "met",
    }


def test_a_resident_cannot_put_a_matter_on_the_agenda(civicgrid_engine: Engine) -> None:
    """Only the council or the party organisation tables a matter."""
    case = civicgrid_engine.open("thursday_talks", actor=RESIDENT)
    with pytest.raises(AssertionError, match="table"):
        walk(civicgrid_engine, case, [Move("table", RESIDENT)])
    assert case.step == "raised"


def test_the_next_talks_after_national_day_move_to_a_working_day() -> None:
    """Thursday 1 October 2026 is a holiday: the talks are held on Thursday 8 October."""
    (talks,) = plugin.next_talks(date(2026, 9, 25))
    assert (talks.scheduled, talks.held) == (date(2026, 10, 1), date(2026, 10, 8))
    assert plugin.MEETINGS.description_zh == "周四来说事：每周四，逢法定节假日顺延至下一个工作日"


def test_matters_being_deliberated_wait_for_thursday_evening(civicgrid_registry: Registry) -> None:
    """A matter on the agenda on Friday waits for next Thursday's talks at 19:00."""
    schedule = civicgrid_registry.meeting_schedules["thursday_talks"]
    assert schedule.steps == {"deliberating"}
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
    assert schedule.next_meeting(friday) == datetime(2026, 12, 3, 19, 0, tzinfo=TZ)


def test_the_topic_list_admits_parking_and_refuses_law_enforcement(
    civicgrid_registry: Registry,
) -> None:
    """Parking goes to Thursday's method; unlawful acts go to the authorities."""
    rules = civicgrid_registry.topic_rule_set("thursday_talks")
    raised_at = datetime.fromisoformat("2026-11-26T09:00+08:00")

    def topic(category: str) -> Topic:
        return Topic(
            id=f"t-{category}",
            title="说事",
            unit="compound-1",
            category=category,
            raised_by=RESIDENT.id,
            proposer=ProposerKind.RESIDENT,
            raised_at=raised_at,
        )

    triage = rules.triage(topic("parking"))
    assert (triage.method, triage.deadline) == ("thursday_talks", "answer")
    with pytest.raises(TopicNotDeliberated):
        rules.check(topic("law_enforcement"))


def test_the_person_named_earns_points_when_the_matter_is_answered(
    civicgrid_registry: Registry, civicgrid_engine: Engine
) -> None:
    """The assignee earns 3 city and 3 district points on 办结回复, not before."""
    ledger = Ledger()
    civicgrid_engine.subscribe(PointsDesk.from_registry(civicgrid_registry, ledger))
    case = civicgrid_engine.open("thursday_talks", actor=RESIDENT)
    civicgrid_engine.fire(case, "table", COUNCIL)
    civicgrid_engine.fire(case, "agree", COUNCIL, assignee="volunteer-7")
    assert len(ledger) == 0
    civicgrid_engine.fire(case, "close", COUNCIL, data={"feedback": "已办结"})
    assert ledger.balance("person:volunteer-7:city_points") == 3
    assert ledger.balance("person:volunteer-7:district_points") == 3
