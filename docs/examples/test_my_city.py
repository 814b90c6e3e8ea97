"""A city team's own test: walk 53522 with the civicgrid.testing fixtures only."""

from datetime import timedelta

from civicgrid import Engine, IndicatorBuilder
from civicgrid.testing import Move, SampleDistrict, assert_completion, assert_on_time, walk


def test_a_small_problem_is_closed_at_the_grid(
    civicgrid_engine: Engine,
    civicgrid_indicators: IndicatorBuilder,
    civicgrid_sample: SampleDistrict,
) -> None:
    """接到问题 → 到达现场 → 解决小问题 → 答复 → 满意."""
    leader = civicgrid_sample.actor("building-leader-1")
    resident = civicgrid_sample.resident("resident-1")
    case = civicgrid_engine.open("immediate_53522", actor=resident)
    walk(
        civicgrid_engine,
        case,
        [
            Move("arrive", leader, after=timedelta(minutes=3)),
            Move("classify_small", leader),
            Move("solve", leader, after=timedelta(minutes=20)),
            Move("reply", leader, {"feedback": "楼道灯已更换"}),
            Move("rate", resident, {"rating": "satisfied"}),
        ],
    )
    assert_completion(civicgrid_indicators, 1.0)
    assert_on_time(civicgrid_indicators, "on_site", 1.0)
