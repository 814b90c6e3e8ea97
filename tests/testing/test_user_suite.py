"""A user's own suite, run through pytester, using only civicgrid.testing and the public API."""

from __future__ import annotations

import textwrap

import pytest

USER_SUITE = textwrap.dedent(
    '''
    """Tests a city team writes against civicgrid, with nothing but the public names."""
    from datetime import timedelta

    import pytest

    from civicgrid import EventKind
    from civicgrid.store import load_case, read_events
    from civicgrid.testing import (
        IndicatorMismatch,
        Move,
        actor,
        assert_closed_at_level,
        assert_completion,
        assert_indicator,
        assert_on_time,
        assert_satisfaction,
        walk,
    )

    MINUTE = timedelta(minutes=1)
    HOUR = timedelta(hours=1)
    DAY = timedelta(days=1)


    def test_five_steps_end_to_end_is_stored_and_counted(
        civicgrid_store_engine, civicgrid_store, civicgrid_sample
    ):
        """Five Steps runs to closed; the store holds every event and replays the case."""
        engine = civicgrid_store_engine
        resident = civicgrid_sample.resident("resident-1")
        grid_worker = civicgrid_sample.actor("grid-worker-1")
        community = actor("community")
        case = engine.open("five_steps", actor=resident)
        walk(engine, case, [
            Move("sort", grid_worker, after=2 * HOUR),
            Move("confirm", community, after=DAY),
            Move("agree", community, {"agreement": "加装电梯，费用按楼层分摊"}, 7 * DAY),
            Move("implement", community, after=30 * DAY),
            Move("report_back", grid_worker, {"feedback": "已完工"}, DAY),
        ])
        assert case.is_closed
        stored = read_events(civicgrid_store, case.id)
        assert stored == list(case.events)
        assert load_case(civicgrid_store, engine, case.id, track=False).step == case.step
        assert_completion(stored, 1.0, methods=engine)


    def test_53522_small_problem_closes_at_the_grid(civicgrid_engine, civicgrid_indicators,
                                                    civicgrid_sample):
        """接到问题 → 到达现场 → 小问题 → 答复 → 满意: every limit met, closed at the grid."""
        leader = civicgrid_sample.actor("building-leader-1")
        resident = civicgrid_sample.resident("resident-1")
        case = civicgrid_engine.open("immediate_53522", actor=resident,
                                     data={"text": "1栋楼道灯不亮"})
        walk(civicgrid_engine, case, [
            Move("arrive", leader, after=3 * MINUTE),
            Move("classify_small", leader, after=MINUTE),
            Move("solve", leader, after=20 * MINUTE),
            Move("reply", leader, {"feedback": "楼道灯已更换"}),
            Move("rate", resident, {"rating": "satisfied"}, HOUR),
        ])
        assert case.is_closed
        assert_completion(civicgrid_indicators, 1.0)
        assert_on_time(civicgrid_indicators, "on_site", 1.0)
        assert_on_time(civicgrid_indicators, "small", 1.0)
        assert_satisfaction(civicgrid_indicators, 1.0)
        assert_closed_at_level(civicgrid_indicators, {"grid": 1})


    def test_53522_late_arrival_escalates_and_is_counted(civicgrid_engine, civicgrid_indicators,
                                                         civicgrid_sample):
        """Arriving after five minutes breaches on_site, escalates, and the grid cannot act."""
        leader = civicgrid_sample.actor("building-leader-1")
        steward = civicgrid_sample.actor("red-steward-1")
        resident = civicgrid_sample.resident("resident-2")
        case = civicgrid_engine.open("immediate_53522", actor=resident)
        walk(civicgrid_engine, case, [Move("arrive", steward, after=6 * MINUTE)])
        assert case.level == "compound"
        assert [e.kind for e in case.events].count(EventKind.BREACHED) == 1
        assert_on_time(civicgrid_indicators, "on_site", 0.0)
        assert_indicator(civicgrid_indicators, "in_progress", 1)
        with pytest.raises(Exception, match="classify_small.*building-leader-1"):
            walk(civicgrid_engine, case, [("classify_small", leader)])


    def test_a_wrong_figure_is_explained(civicgrid_engine, civicgrid_indicators,
                                         civicgrid_sample):
        """A mismatch names the figure, both values and what was counted."""
        resident = civicgrid_sample.resident("resident-3")
        civicgrid_engine.open("immediate_53522", actor=resident)
        expected = r"0\\.0 .0 closed of 1 received.*expected 1\\.0"
        with pytest.raises(IndicatorMismatch, match=expected):
            assert_completion(civicgrid_indicators, 1.0)
    '''
)


def test_a_user_suite_walks_five_steps_and_53522_with_only_the_toolkit(
    pytester: pytest.Pytester,
) -> None:
    """The pytest11 fixtures, sample district, store engine and assertions work in a user suite."""
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_a_failing_indicator_assertion_reads_plainly_in_pytest_output(
    pytester: pytest.Pytester,
) -> None:
    """A failed assertion shows the figure in both languages and the counts behind it."""
    pytester.makepyfile(
        test_fail=textwrap.dedent(
            """
            from civicgrid.testing import assert_on_time

            def test_on_site(civicgrid_engine, civicgrid_indicators, civicgrid_sample):
                civicgrid_engine.open("immediate_53522",
                                      actor=civicgrid_sample.resident("resident-1"))
                assert_on_time(civicgrid_indicators, "reply", 1.0)
            """
        )
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*IndicatorMismatch: 按时率 on-time rate of 'reply' is None "
                "(0 met, 0 breached, 1 pending)*"
            )
        ]
    )
