"""Memory-bound fills (constant, zeros, ones) that stop asking for helper threads after a fill whose
calling thread lost its core or waited for late helpers (cpp/helper_backoff.hpp): the rule on
made-up timings, its wiring into the fills, and what run_shared measures. The speed it buys is
shown by bench/test_contention.py; the values never depend on it (checked here on every fill)."""

import time

import numpy as np
import pytest

import fastinit
from fastinit import _core

MS = 1e-3
FAIR = (10 * MS, 10 * MS, 0.0)  # working, on_cpu, tail: on its core throughout, no wait at the end
OFF_CORE = (10 * MS, 4 * MS, 0.0)  # off its CPU 60 % of the time
LATE_TAIL = (10 * MS, 10 * MS, 5 * MS)  # a helper held the end up 5 ms
LARGE = 1 << 20  # float32 elements: enough for 2 threads (at least 2**15 each)


@pytest.fixture
def backoff_state(restore_runtime):
    """The process's back-off state, put back after the test."""
    before = _core.memory_bound_backoff()
    yield
    _core.set_memory_bound_backoff(*before)


def test_fills_that_fare_badly_double_the_back_off_up_to_64():
    state, seen = (0, 0), []
    for _ in range(9):
        state = _core.helper_backoff_after_fill(*state, *OFF_CORE)
        seen.append(state)
    assert seen == [(1, 1), (2, 2), (4, 4), (8, 8), (16, 16), (32, 32), (64, 64), (64, 64), (64, 64)]
    assert _core.helper_backoff_after_fill(0, 2**31, *OFF_CORE) == (64, 64)  # a span set past the cap


def test_a_late_tail_alone_is_faring_badly():
    assert _core.helper_backoff_after_fill(0, 4, *LATE_TAIL) == (8, 8)
    assert _core.helper_backoff_after_fill(0, 4, 10 * MS, 10 * MS, 0.9 * MS) == (0, 2)  # under 1 ms: a chunk's time


@pytest.mark.parametrize(("on_cpu", "backs_off"), [(7.4, True), (7.6, False)])
def test_off_its_cpu_for_more_than_a_quarter_is_faring_badly(on_cpu, backs_off):
    after = _core.helper_backoff_after_fill(0, 0, 10 * MS, on_cpu * MS, 0.0)
    assert after == ((1, 1) if backs_off else (0, 0))


def test_fills_that_fare_well_halve_the_span_and_keep_the_solo_turns():
    state, spans = (5, 64), []
    while state[1]:
        state = _core.helper_backoff_after_fill(*state, *FAIR)
        spans.append(state)
    assert spans == [(5, 32), (5, 16), (5, 8), (5, 4), (5, 2), (5, 1), (5, 0)]


def test_turns():
    assert _core.helper_backoff_turn(3, 4, 2) == (1, 2, 4)  # a solo turn used up
    assert _core.helper_backoff_turn(1, 4, 8) == (1, 0, 4)
    assert _core.helper_backoff_turn(0, 4, 8) == (8, 0, 4)  # no turn left: the threads asked for
    assert _core.helper_backoff_turn(3, 4, 1) == (1, 3, 4)  # one thread: nothing to back off


def _constant(n: int, value: float = 0.25) -> np.ndarray:
    a = np.full(n, -1.0, np.float32)
    fastinit.constant(a, value)
    np.testing.assert_array_equal(a, np.full(n, value, np.float32))
    return a


def test_a_solo_turn_is_used_by_a_constant_fill_that_would_take_helpers(backoff_state):
    fastinit.set_num_threads(2)
    _core.set_memory_bound_backoff(3, 4)
    _constant(LARGE)
    assert _core.memory_bound_backoff() == (2, 4)
    fastinit.zeros(np.ones((1024, 1024), np.float32))
    assert _core.memory_bound_backoff() == (1, 4)


@pytest.mark.parametrize("why", ["small", "one thread", "compute-bound"])
def test_fills_that_would_take_no_helper_or_are_not_memory_bound_leave_the_state(backoff_state, why):
    fastinit.set_num_threads(1 if why == "one thread" else 2)
    _core.set_memory_bound_backoff(3, 4)
    if why == "compute-bound":
        a = np.empty(LARGE, np.float32)
        fastinit.uniform(a, seed=1)
        assert a.min() >= 0.0 and a.max() < 1.0
    else:
        _constant(1000 if why == "small" else LARGE)
    assert _core.memory_bound_backoff() == (3, 4)


def test_a_constant_fill_with_helpers_reports_how_it_fared(backoff_state):
    """Whether it fared well depends on the machine's load; either way the state moves."""
    fastinit.set_num_threads(2)
    _core.set_memory_bound_backoff(0, 8)
    _constant(LARGE)
    assert _core.memory_bound_backoff() in [(0, 4), (16, 16)]


def test_the_calling_thread_measures_its_wait_for_a_late_helper():
    times = _core.caller_times_probe(0.05)
    assert times is not None, "no pool thread joined the probe"
    working, on_cpu, tail = times
    assert tail >= 0.025  # the helper slept 50 ms after the caller's chunks had started
    assert 0 <= on_cpu <= working * 1.01 + 1e-4  # one thread's CPU time within its wall time


def test_time_the_caller_sleeps_is_working_time_off_its_cpu():
    cpu_before = time.thread_time()
    working, on_cpu, _ = _core.caller_times_probe(0.0, caller_idle_seconds=0.03)
    cpu = time.thread_time() - cpu_before  # this thread's CPU time, by Python's own clock
    assert working >= 0.03
    assert on_cpu <= working - 0.024
    assert on_cpu <= cpu + 1e-3


def test_time_the_caller_computes_is_on_its_cpu_as_the_thread_clock_says():
    """The probe's caller spins 50 ms of wall time: however much of it the machine's load leaves
    it on a CPU, the fill's measure agrees with Python's clock of the same thread."""
    cpu_before = time.thread_time()
    working, on_cpu, _ = _core.caller_times_probe(0.0, caller_busy_seconds=0.05)
    cpu = time.thread_time() - cpu_before
    assert working >= 0.05
    assert cpu - 2e-3 - 0.05 * cpu <= on_cpu <= cpu + 1e-3


@pytest.mark.parametrize("name", ["helper_seconds", "caller_busy_seconds", "caller_idle_seconds"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5, 2.0])
def test_the_probe_refuses_durations_it_cannot_sleep(name, bad):
    args = {"helper_seconds": 0.0, name: bad}
    with pytest.raises(ValueError, match=f"{name} must be a number of seconds in \\[0, 1\\], got"):
        _core.caller_times_probe(**args)


def test_the_rule_refuses_durations_that_are_not_numbers_of_seconds():
    with pytest.raises(ValueError, match="on_cpu must be a number of seconds"):
        _core.helper_backoff_after_fill(0, 0, 0.01, float("nan"), 0.0)
