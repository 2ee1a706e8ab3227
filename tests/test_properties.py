"""Hypothesis property tests: for random shapes, dtypes, memory layouts, slices, seeds, streams
and thread counts, a slice computed alone equals that slice of the whole fill, and values stay
inside each distribution's bounds."""

import ml_dtypes
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastinit

DTYPES = [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

shapes = st.lists(st.integers(0, 7), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**64 - 1)
streams = st.one_of(st.integers(0, 2**64 - 1), st.text(max_size=12))


@st.composite
def sliced(draw):
    shape = draw(shapes)
    index = []
    for n in shape:
        if n and draw(st.booleans()):
            index.append(draw(st.integers(-n, n - 1)))  # an int removes the axis
        else:
            start = draw(st.integers(0, n))
            index.append(slice(start, draw(st.integers(start, n))))
    return shape, tuple(index)


@st.composite
def distribution(draw):
    kind = draw(st.sampled_from(["uniform", "normal", "truncated_normal"]))
    if kind == "uniform":
        low = draw(st.floats(-100, 100))
        return kind, (low, low + draw(st.floats(0, 100)))
    mean, std = draw(st.floats(-10, 10)), draw(st.floats(0, 10))
    if kind == "normal":
        return kind, (mean, std)
    a = draw(st.one_of(st.floats(-8, 7.5), st.just(-np.inf)))
    b = draw(st.one_of(st.floats(a + 0.01, a + 8), st.just(np.inf))) if a != -np.inf else draw(st.floats(-8, 8))
    return kind, (mean, std, a, b)


def _next_up(x, dtype):
    """The next value of ``dtype`` above ``x`` (a value of ``dtype``), from its bits."""
    if np.dtype(dtype).itemsize != 2:
        return np.nextafter(np.asarray(x, dtype), np.asarray(np.inf, dtype))
    bits = int(np.asarray(x, dtype).view(np.uint16))
    return np.asarray(bits - 1 if bits & 0x8000 else bits + 1, np.uint16).view(dtype)


def _format_has_value_in(lo, hi, dtype):
    """Whether some value of ``dtype`` lies in ``[lo, hi]``: the smallest value >= lo is the
    rounding of lo or the value after it (rounding errs by less than one step)."""
    r = np.asarray(lo, np.float64).astype(dtype)
    smallest = r if float(r) >= lo else _next_up(r, dtype)
    return float(smallest) <= hi


def _fill_or_refusal(fn, kind, params, fmt, *args, **kwargs):
    """``fn(*args, **kwargs)``; or None when it refuses a truncated normal whose interval holds no
    value of the output format ``fmt`` (checked here independently)."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        mean, std, a, b = params if kind == "truncated_normal" else (0.0, 0.0, 0.0, 0.0)
        if kind != "truncated_normal" or "value lies in" not in str(exc):
            raise
        assert std > 0 and not _format_has_value_in(mean + a * std, mean + b * std, fmt), exc
        return None


def as_bits(a):
    return np.ascontiguousarray(a).view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])


@SETTINGS
@given(sliced(), distribution(), st.sampled_from(DTYPES), seeds, streams, st.integers(1, 3),
       st.sampled_from(["C", "F", "reversed"]))
def test_slice_alone_equals_slice_of_whole(shape_index, dist, dtype, seed, stream, threads, layout):
    shape, index = shape_index
    kind, params = dist
    fn = getattr(fastinit, kind)
    fastinit.set_num_threads(threads)
    try:
        whole = _fill_or_refusal(fn, kind, params, dtype, shape, *params, seed=seed, stream=stream, dtype=dtype)
        if whole is None:
            return
        part_shape = whole[index].shape
        out = np.empty(part_shape, dtype, order="F" if layout == "F" else "C")
        if layout == "reversed" and out.ndim:
            out = out[(slice(None, None, -1),) * out.ndim]
        got = fn(out, *params, seed=seed, stream=stream, full_shape=shape, index=index)
    finally:
        fastinit.set_num_threads(fastinit._core.default_num_threads())
    assert got is out
    np.testing.assert_array_equal(as_bits(got), as_bits(whole[index]))


@SETTINGS
@given(distribution(), st.sampled_from(DTYPES[:2]), seeds, st.integers(1, 4000))
def test_values_stay_in_bounds(dist, dtype, seed, n):
    kind, params = dist
    v = _fill_or_refusal(getattr(fastinit, kind), kind, params, dtype, n, *params, seed=seed, dtype=dtype)
    if v is None:
        return
    v = v.astype(np.float64)
    assert np.isfinite(v).all()
    if kind == "uniform":
        lo, hi = (np.asarray(p, dtype).astype(np.float64) for p in params)
        assert (v >= lo).all() and (v <= hi).all()
    elif kind == "truncated_normal":
        mean, std, a, b = params
        # the design's interval, allowing the output format's rounding of its ends
        lo, hi = (mean, mean) if std == 0 else (mean + a * std, mean + b * std)
        slack = np.finfo(dtype).eps * (abs(mean) + 10 * std + 1)
        assert (v >= lo - slack).all() and (v <= hi + slack).all()
