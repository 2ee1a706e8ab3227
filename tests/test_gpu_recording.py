"""fastinit.gpu.recording: a NumPy fill recorded as device launches, without running anything (no Triton,
no torch needed): which fills are one pass, what each launch holds, and that refusals come first."""

import numpy as np
import pytest

import fastinit
from fastinit.core import fills
from fastinit.gpu import recording


def test_one_fill_is_one_launch_with_the_core_call():
    launches = recording.record((3, 4), np.float32, lambda a: fastinit.normal(a, 0.5, 2.0, seed=7, stream=9))
    assert launches == [recording.Launch("whole", {
        "dist": "normal", "fmt": "float32", "seed": 7, "stream": 9, "logical_strides": (4, 1), "origin": 0,
        "values": (0.5, 2.0), "axis_offsets": None})]


def test_a_shard_records_its_place_in_the_whole_tensor():
    launches = recording.record((2, 3), np.float64, lambda a: fastinit.uniform(
        a, seed=1, full_shape=(10, 5), index=(slice(4, 6), slice(2, 5))))
    assert launches is not None and len(launches) == 1
    assert launches[0].kwargs["logical_strides"] == (5, 1) and launches[0].kwargs["origin"] == 4 * 5 + 2


def test_complex_outputs_are_the_pairs_or_the_two_parts():
    pairs = recording.record((4,), np.complex64, lambda a: fastinit.normal(a, seed=1))
    assert [one.part for one in pairs] == ["pairs"]
    parts = recording.record((4,), np.complex128, lambda a: fastinit.constant(a, 1.5 - 2j))
    assert sorted((one.part, one.kwargs["values"]) for one in parts) == [("imag", (-2.0,)), ("real", (1.5,))]


def test_what_is_not_one_pass_records_as_none():
    def halves(a):
        fastinit.normal(a[:2], seed=1)
        fastinit.normal(a[2:], seed=2)
    assert recording.record((4, 3), np.float32, halves) is None
    assert recording.record((4, 3), np.float32, lambda a: None) is None  # nothing written
    assert recording.record((4, 4), np.complex64, lambda a: fastinit.uniform_disk(a, seed=1)) is None  # NumPy after
    assert recording.record((4, 4), np.float32, lambda a: fastinit.orthogonal(a, seed=1)) is None


def test_the_cores_checks_run_before_any_launch():
    with pytest.raises(ValueError):
        recording.record((3,), np.float32, lambda a: fastinit.normal(a, 0.0, -1.0, seed=1))  # the core's std check
    with pytest.raises(TypeError):
        recording.record((3,), np.int64, lambda a: fastinit.normal(a, seed=1))
    core = fills._core
    assert type(core).__name__ != "_Recorder" and recording.record((2,), np.float32, fastinit.zeros) is not None
    assert fills._core is core


def test_the_stand_in_has_the_outputs_shape_and_dtype():
    seen = []
    recording.record((5,), np.float16, seen.append)
    assert seen[0].shape == (5,) and seen[0].dtype == np.float16 and seen[0].flags.c_contiguous


def test_a_stand_in_larger_than_host_memory():
    """The stand-in for a 256 GiB output reserves no memory (a device can hold more than the host)."""
    s = recording.stand_in((2**36,), np.float32)
    assert s.shape == (2**36,) and s.dtype == np.float32 and s.flags.writeable
