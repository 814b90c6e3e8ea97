"""The testing toolkit, used from a throwaway suite the way users will use it."""

from __future__ import annotations

import textwrap

import pytest

USER_SUITE = textwrap.dedent(
    '''
    """A user's own tests, using only civicgrid.testing and the public API."""
    from datetime import timedelta

    import pytest

    from civicgrid import EventKind
    from civicgrid.testing import Move, WalkRefused, actor, walk

    community = actor("community")
    grid_worker = actor("grid_worker")
    resident = actor("resident")


    def test_five_steps_end_to_end(civicgrid_engine):
        """A topic walks all five steps and is closed with feedback."""
        case = civicgrid_engine.open("five_steps", actor=resident)
        walk(civicgrid_engine, case, [
            Move("sort", grid_worker, after=timedelta(hours=2)),
            Move("confirm", community, after=timedelta(days=1)),
            Move("agree", community, {"agreement": "加装电梯，费用按楼层分摊"}, timedelta(days=7)),
            Move("implement", community, after=timedelta(days=30)),
            Move("report_back", grid_worker, {"feedback": "已完工"}, timedelta(days=1)),
        ])
        assert case.is_closed
        assert [e.target for e in case.events][-1] == "closed"
        assert not [e for e in case.events if e.kind is EventKind.BREACHED]


    def test_a_refusal_names_the_move(civicgrid_engine):
        """The first refusal says which move, by whom, and why."""
        case = civicgrid_engine.open("five_steps", actor=resident)
        with pytest.raises(WalkRefused, match="move 2 of 2 .'confirm' by 'resident'."):
            walk(civicgrid_engine, case, [("sort", grid_worker), ("confirm", resident)])


    def test_the_clock_moves_with_the_walk(civicgrid_engine, civicgrid_clock, civicgrid_start):
        """Waits advance the manual clock, and due deadlines are ticked."""
        case = civicgrid_engine.open("five_steps", actor=resident)
        walk(civicgrid_engine, case, [Move("sort", grid_worker, after=timedelta(days=10))])
        assert civicgrid_clock.now() == civicgrid_start + timedelta(days=10)
        assert [e.kind for e in case.events].count(EventKind.BREACHED) == 1
    '''
)


def test_a_user_suite_walks_five_steps_with_the_fixtures(pytester: pytest.Pytester) -> None:
    """The fixtures load through the pytest11 entry point in a separate suite."""
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_users_can_add_their_own_plugins(pytester: pytest.Pytester) -> None:
    """Overriding ``civicgrid_plugins`` adds a city's plugin beside the built-ins."""
    pytester.makepyfile(
        test_city=textwrap.dedent(
            """
            import pytest
            from civicgrid import Guard, hookimpl


            class City:
                @hookimpl
                def register_guards(self):
                    return [Guard(name="always", check=lambda c, a, d: True,
                                  label_zh="总是通过", label_en="always passes")]


            @pytest.fixture
            def civicgrid_plugins():
                return [("city", City())]


            def test_the_city_guard_is_registered(civicgrid_registry):
                assert civicgrid_registry.guard_plugins["always"] == "city"
                assert "six_self" in civicgrid_registry.methods
            """
        )
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
