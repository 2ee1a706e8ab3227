"""host_steal.py: reading the host's steal time, and the timer that retimes rounds it overlapped
(checked on made-up counters and clocks)."""

from __future__ import annotations

import os

import pytest

from host_steal import steady_median_seconds, steal_seconds


def test_steal_seconds_reads_the_cpu_line(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 2 30 4000 5 0 6 250 0 0\ncpu0 50 1 15 2000 2 0 3 125 0 0\n")
    assert steal_seconds(str(stat)) == pytest.approx(250 / os.sysconf("SC_CLK_TCK"))


def test_steal_seconds_is_none_without_the_field(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 2 30 4000\n")  # a kernel before steal was counted
    assert steal_seconds(str(stat)) is None
    assert steal_seconds(str(tmp_path / "missing")) is None


class Script:
    """fn, clock and steal counter for steady_median_seconds: call k (0: the untimed one) takes
    durations[k] seconds, and the host steals during the timed calls listed in `stolen`."""

    def __init__(self, durations, stolen=(), steal_counted=True):
        self.durations, self.stolen, self.counted = list(durations), set(stolen), steal_counted
        self.calls, self.now, self.stolen_so_far = 0, 0.0, 0.0

    def fn(self):
        self.now += self.durations[self.calls]
        if self.calls in self.stolen:
            self.stolen_so_far += 0.01
        self.calls += 1

    def clock(self):
        return self.now

    def steal(self):
        return self.stolen_so_far if self.counted else None


def test_rounds_with_steal_are_timed_again():
    s = Script([9.0, 1.0, 5.0, 2.0, 7.0, 3.0], stolen={2, 4})
    t = steady_median_seconds(s.fn, 3, steal=s.steal, clock=s.clock)
    assert s.calls == 6  # the untimed call, then 3 steady rounds and the 2 retimed ones
    assert (t.seconds, t.retimed, t.steady) == (2.0, 2, True)  # the median of 1, 2 and 3
    assert t.note() == "2 round(s) with host steal retimed"


def test_no_steady_round_gives_the_median_of_all():
    s = Script([9.0, 1.0, 5.0, 2.0, 7.0, 3.0, 8.0, 4.0, 6.0, 9.0, 9.0], stolen=set(range(1, 11)))
    t = steady_median_seconds(s.fn, 3, steal=s.steal, clock=s.clock)
    assert s.calls == 10  # at most 3 * repeat timed calls
    assert (t.seconds, t.retimed, t.steady) == (5.0, 9, False)
    assert t.note() == "host steal in every round"


def test_without_a_steal_counter_every_round_counts():
    s = Script([9.0, 1.0, 4.0, 2.0], stolen={1, 2, 3}, steal_counted=False)
    t = steady_median_seconds(s.fn, 3, steal=s.steal, clock=s.clock)
    assert (s.calls, t.seconds, t.retimed, t.steady, t.note()) == (4, 2.0, 0, True, "")


def test_repeat_must_be_positive():
    with pytest.raises(ValueError, match="repeat must be at least 1, got 0"):
        steady_median_seconds(lambda: None, 0)
