"""One table of bad inputs tried on every public fill and preset (and the torch adapter): each
raises TypeError or ValueError whose message names the offending parameter, and the output
buffer is left exactly as it was."""

import array

import numpy as np
import pytest

import fastinit

SENTINEL = -7.25

# name -> (function, extra positional arguments); dirac (rank >= 3 only) is covered in test_presets.py
SEEDED = {
    "uniform": (fastinit.uniform, ()),
    "normal": (fastinit.normal, ()),
    "truncated_normal": (fastinit.truncated_normal, ()),
    "glorot_uniform": (fastinit.glorot_uniform, ()),
    "glorot_normal": (fastinit.glorot_normal, ()),
    "he_uniform": (fastinit.he_uniform, ()),
    "he_normal": (fastinit.he_normal, ()),
    "lecun_uniform": (fastinit.lecun_uniform, ()),
    "lecun_normal": (fastinit.lecun_normal, ()),
    "variance_scaling": (fastinit.variance_scaling, ()),
    "xavier_uniform": (fastinit.xavier_uniform, ()),
    "xavier_normal": (fastinit.xavier_normal, ()),
    "kaiming_uniform": (fastinit.kaiming_uniform, ()),
    "kaiming_normal": (fastinit.kaiming_normal, ()),
    "orthogonal": (fastinit.orthogonal, ()),
    "random_uniform": (fastinit.random_uniform, ()),
    "random_normal": (fastinit.random_normal, ()),
    "random_truncated_normal": (fastinit.random_truncated_normal, ()),
    "sparse": (fastinit.sparse, (0.5,)),
}
UNSEEDED = {
    "constant": (fastinit.constant, (0.5,)),
    "zeros": (fastinit.zeros, ()),
    "ones": (fastinit.ones, ()),
    "identity": (fastinit.identity, ()),
    "eye": (fastinit.eye, ()),
}
# constant/zeros/ones have no position dependence and take no full_shape/index.
NO_LAYOUT = {"constant", "zeros", "ones"}
SHAPE = (4, 6)


def _out(dtype=np.float32, shape=SHAPE):
    return np.full(shape, SENTINEL, dtype)


def _strided(strides, shape=SHAPE):
    """A writable view of SHAPE over 64 float32 elements with the given byte strides."""
    return np.lib.stride_tricks.as_strided(_out(shape=(64,)), shape, strides)


# (case id, how to build out, keyword arguments, exception types, words the message must contain)
COMMON = [
    ("int_array", lambda: np.full(SHAPE, 3, np.int32), {}, TypeError, ["dtype"]),
    ("bool_array", lambda: np.zeros(SHAPE, bool), {}, TypeError, ["dtype"]),
    # complex64/complex128 are filled (docs/stream-v1.md section 13); extended-precision complex is not
    ("clongdouble_array", lambda: np.full(SHAPE, SENTINEL, np.clongdouble), {}, TypeError, ["dtype"]),
    ("object_array", lambda: np.full(SHAPE, SENTINEL, object), {}, TypeError, ["dtype"]),
    ("big_endian", lambda: np.full(SHAPE, SENTINEL, ">f4"), {}, ValueError, ["byte order"]),
    ("list_of_floats", lambda: [[0.5] * 6] * 4, {}, TypeError, ["shape"]),
    ("string", lambda: "abc", {}, TypeError, ["shape"]),
    ("full_shape_mismatch", _out, {"full_shape": (5, 6)}, ValueError, ["shape"]),
    ("index_without_full_shape", _out, {"index": (slice(0, 4),)}, ValueError, ["full_shape"]),
    ("index_step", _out, {"full_shape": (8, 6), "index": (slice(0, 8, 2),)}, ValueError, ["step"]),
    ("index_out_of_range", lambda: _out(shape=(6,)), {"full_shape": (4, 6), "index": (9,)}, IndexError, ["bounds"]),
    # index arrays: checked before anything is written
    ("index_array_out_of_range", _out, {"full_shape": (8, 6), "index": ([0, 1, 8, 2],)}, IndexError, ["8", "axis 0"]),
    ("index_array_negative_out_of_range", _out, {"full_shape": (8, 6), "index": (slice(0, 4), [0, -7, 1, 2, 3, 4])},
     IndexError, ["-7", "axis 1"]),
    ("index_array_past_int64", _out, {"full_shape": (8, 6), "index": ([0, 1, 2**64, 2],)}, IndexError, ["bounds"]),
    ("index_array_float", _out, {"full_shape": (8, 6), "index": (np.array([0.0, 1.0, 2.0, 3.0]),)}, TypeError,
     ["ints"]),
    ("index_array_bool_mask", _out, {"full_shape": (4, 6), "index": (np.array([True, True, True, True]),)},
     TypeError, ["mask"]),
    ("index_array_2d", _out, {"full_shape": (8, 6), "index": (np.zeros((4, 1), np.int64),)}, ValueError, ["1-d"]),
    ("index_array_wrong_length", _out, {"full_shape": (8, 6), "index": ([0, 1, 2],)}, ValueError, ["shape"]),
    # one rule for ID lists (fastinit.core.ids): floats, even whole, and booleans refused, naming index
    ("index_list_of_whole_floats", _out, {"full_shape": (8, 6), "index": ([0.0, 1.0, 2.0, 3.0],)}, TypeError,
     ["index on axis 0"]),
    ("index_list_with_a_bool", _out, {"full_shape": (8, 6), "index": ([0, 1, True, 2],)}, TypeError, ["bool"]),
    ("index_object_array_with_a_float", _out, {"full_shape": (8, 6), "index": (np.array([0, 1, 2, 3.0], object),)},
     TypeError, ["index on axis 0"]),
    ("index_mixed_uint64_int64_out_of_range", _out,
     {"full_shape": (8, 6), "index": ([np.uint64(2**64 - 1), np.int64(0), 1, 2],)}, IndexError,
     ["18446744073709551615"]),
    ("full_shape_overflows", _out, {"full_shape": (2**40, 2**40), "index": (slice(0, 4), slice(0, 6))},
     ValueError, ["2**63"]),
    ("full_shape_negative", _out, {"full_shape": (-4, 6)}, ValueError, ["full_shape"]),
    ("full_shape_dimension_2**70", lambda: _out(shape=(0, 6)), {"full_shape": (0, 2**70)}, ValueError,
     ["full_shape"]),
    # elements that share memory would get values depending on thread timing
    ("zero_stride", lambda: _strided((0, 4)), {}, ValueError, ["overlap"]),
    ("overlapping_strides", lambda: _strided((8, 4)), {}, ValueError, ["overlap"]),
    ("interleaved_strides", lambda: _strided((8, 12), shape=(3, 3)), {}, ValueError, ["overlap"]),
    # a buffer is not a shape (it used to be read as one and left untouched)
    ("memoryview", lambda: memoryview(bytearray(96)), {}, TypeError, ["buffer"]),
    ("bytearray", lambda: bytearray(96), {}, TypeError, ["buffer"]),
    ("bytes", lambda: bytes(96), {}, TypeError, ["buffer"]),
    ("array.array", lambda: array.array("f", [SENTINEL] * 24), {}, TypeError, ["buffer"]),
]
SEED_CASES = [
    ("seed_negative", _out, {"seed": -1}, ValueError, ["seed"]),
    ("seed_too_big", _out, {"seed": 2**64}, ValueError, ["seed"]),
    ("seed_float", _out, {"seed": 1.0}, TypeError, ["seed"]),
    ("seed_str", _out, {"seed": "1"}, TypeError, ["seed"]),
    ("stream_negative", _out, {"seed": 0, "stream": -1}, ValueError, ["stream"]),
    ("stream_too_big", _out, {"seed": 0, "stream": 2**64}, ValueError, ["stream"]),
    ("stream_float", _out, {"seed": 0, "stream": 0.5}, TypeError, ["stream"]),
]


def _read_only():
    a = _out()
    a.flags.writeable = False
    return a


def _read_only_memmap(tmp_path):
    path = tmp_path / "ro.npy"
    np.save(path, _out())
    return np.load(path, mmap_mode="r")


def _cases(table):
    for name, (fn, args) in table.items():
        cases = COMMON + (SEED_CASES if table is SEEDED else [])
        for cid, make, kw, exc, words in cases:
            if name in NO_LAYOUT and ("full_shape" in kw or "index" in kw):
                continue
            yield pytest.param(fn, args, make, kw, exc, words, id=f"{name}-{cid}")


@pytest.mark.parametrize("fn,args,make,kw,exc,words", list(_cases(SEEDED)) + list(_cases(UNSEEDED)))
def test_bad_input_raises_and_leaves_out_untouched(fn, args, make, kw, exc, words):
    out = make()
    before = np.array(out, dtype=object, copy=True) if isinstance(out, np.ndarray) else None
    before_bytes = bytes(out) if isinstance(out, (memoryview, bytearray, array.array)) else None
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        fn(out, *args, **kw)
    assert isinstance(info.value, exc), f"{type(info.value).__name__}: {info.value}"
    message = str(info.value).lower()
    assert any(w.lower() in message for w in words), message
    if before is not None:
        assert (np.array(out, dtype=object) == before).all()
    if before_bytes is not None:
        assert bytes(out) == before_bytes


@pytest.mark.parametrize("fn,args", [pytest.param(fn, args, id=name) for name, (fn, args) in
                                     {**SEEDED, **UNSEEDED}.items()])
def test_read_only_arrays_and_memmaps_are_refused(fn, args, tmp_path):
    for out in (_read_only(), _read_only_memmap(tmp_path)):
        with pytest.raises(ValueError, match="read-only"):
            fn(out, *args)
        assert (np.asarray(out) == SENTINEL).all()


@pytest.mark.parametrize("fn,kw,word", [
    (fastinit.normal, {"std": float("nan")}, "std"),
    (fastinit.normal, {"std": float("inf")}, "std"),
    (fastinit.normal, {"std": -1.0}, "std"),
    (fastinit.truncated_normal, {"std": -1.0}, "std"),
    (fastinit.uniform, {"low": 1.0, "high": 0.0}, "low"),
    (fastinit.truncated_normal, {"a": 2.0, "b": 2.0}, "a < b"),
    (fastinit.random_normal, {"stddev": -1.0}, "std"),
    (fastinit.variance_scaling, {"mode": "fan_inn"}, "fan_in"),
    (fastinit.variance_scaling, {"distribution": "normall"}, "normal"),
    (fastinit.kaiming_normal, {"nonlinearity": "relu6"}, "relu"),
    (fastinit.kaiming_uniform, {"mode": "fanout"}, "fan_out"),
    (fastinit.variance_scaling, {"scale": -1.0}, "scale"),
])
def test_bad_parameters_name_the_fix(fn, kw, word):
    out = _out()
    with pytest.raises((TypeError, ValueError)) as info:
        fn(out, seed=0, **kw)
    assert word.lower() in str(info.value).lower()
    assert (out == SENTINEL).all()


@pytest.mark.parametrize("fn,args", [pytest.param(fn, args, id=name) for name, (fn, args) in
                                     {**SEEDED, **UNSEEDED}.items() if name != "orthogonal"])
def test_zero_size_is_a_no_op(fn, args):
    out = np.empty((0, 6), np.float32)
    assert fn(out, *args) is out


def test_random_bits_wants_uint32():
    for bad in (np.zeros(4, np.float32), np.zeros(4, np.int32), np.zeros(4, np.uint64)):
        with pytest.raises(TypeError, match="dtype"):
            fastinit.random_bits(bad, seed=0)


def test_torch_adapter_bad_input():
    torch = pytest.importorskip("torch")  # installed by the test extra: never skipped in CI
    import fastinit.torch as ft

    t = torch.full((4, 6), SENTINEL)
    for call, exc in [(lambda: ft.normal_(t, std=-1.0), ValueError), (lambda: ft.normal_(t, seed=-1), ValueError),
                      (lambda: ft.uniform_(t, 1.0, 0.0), ValueError),
                      (lambda: ft.normal_(torch.zeros(4, dtype=torch.int32)), TypeError),
                      (lambda: ft.kaiming_normal_(t, nonlinearity="relu6"), ValueError),
                      (lambda: ft.xavier_uniform_(torch.zeros(5)), ValueError)]:
        with pytest.raises(exc):
            call()
    assert (t == SENTINEL).all()


KERAS_JAX_CASES = [
    ("keras", "GlorotUniform(seed=-1)", ValueError, "seed"),
    ("keras", "VarianceScaling(mode='fan_inn')", ValueError, "fan_in"),
    ("keras", "RandomNormal(stddev=-1.0)((3, 4))", ValueError, "stddev"),
    ("keras", "GlorotUniform(seed=1)((-3, 4))", ValueError, "shape"),
    ("jax", "variance_scaling(1.0, 'fan_inn', 'uniform')", ValueError, "fan_in"),
    ("jax", "normal(-1.0)(jax.random.key(0), (3, 4))", ValueError, "stddev"),
    ("jax", "glorot_uniform()(jax.random.key(0), (-3, 4))", ValueError, "shape"),
    ("jax", "glorot_uniform()('notakey', (3, 4))", TypeError, "key"),
]


@pytest.mark.parametrize("framework,expr,exc,word", KERAS_JAX_CASES, ids=[c[1] for c in KERAS_JAX_CASES])
def test_keras_and_jax_adapter_bad_input(framework, expr, exc, word, monkeypatch):
    if framework == "keras":
        monkeypatch.setenv("KERAS_BACKEND", "torch")
        import fastinit.keras as adapter
        namespace = vars(adapter)
    else:
        import jax

        import fastinit.jax as adapter
        namespace = dict(vars(adapter), jax=jax)
    with pytest.raises(exc) as info:
        eval(expr, namespace)
    assert word in str(info.value)


def _zero_stride(rows):
    """A writable (rows, 6) float32 view whose rows all share one row of memory."""
    return np.lib.stride_tricks.as_strided(_out(shape=(6,)), (rows, 6), (0, 4))


def _rows(ids, **kw):
    return lambda out: fastinit.rows("normal", ids, 6, seed=0, stream=0, out=out, **kw)


# The entry points that take ID arrays besides the fills: (case id, how to build the array the call
# gets (or None), the call, exception type, words the message must contain). Each array is left as it was.
ENTRY_POINTS = [
    ("rows-whole_floats", lambda: _out(shape=(2, 6)), _rows([0.0, 1.0]), TypeError, ["ids"]),
    ("rows-bool_item", lambda: _out(shape=(2, 6)), _rows([0, True]), TypeError, ["bool"]),
    ("rows-mask", lambda: _out(shape=(2, 6)), _rows(np.array([True, False])), TypeError, ["mask"]),
    ("rows-2d", lambda: _out(shape=(1, 6)), _rows([[0, 1]]), ValueError, ["1-d"]),
    ("rows-past_num_rows", lambda: _out(shape=(2, 6)), _rows([0, 4], num_rows=4), IndexError, ["4 rows"]),
    ("rows-negative", lambda: _out(shape=(2, 6)), _rows([0, -1]), IndexError, ["negative"]),
    ("rows-mixed_uint64_past_num_rows", lambda: _out(shape=(2, 6)),
     _rows([np.uint64(2**64 - 1), np.int64(1)], num_rows=4), IndexError, ["18446744073709551615"]),
    ("rows-hashed_past_2**64", lambda: _out(shape=(2, 6)), _rows([2**64, -1], hashed=True), ValueError, ["2**64"]),
    ("rows-hashed_with_num_rows", lambda: _out(shape=(1, 6)), _rows([0], hashed=True, num_rows=4), ValueError,
     ["num_rows"]),
    ("rows-hashed_zero_stride_one_stream", lambda: _zero_stride(2), _rows([1, 2], hashed=True), ValueError,
     ["overlap"]),
    ("rows-hashed_zero_stride_two_streams", lambda: _zero_stride(2), _rows([1, 2**63], hashed=True), ValueError,
     ["overlap"]),
    ("rows-zero_stride", lambda: _zero_stride(2), _rows([1, 2]), ValueError, ["overlap"]),
    ("rows-out_shape", lambda: _out(shape=(3, 6)), _rows([0, 1]), ValueError, ["shape"]),
    ("rows-num_rows_float", lambda: _out(shape=(1, 6)), _rows([0], num_rows=4.0), TypeError, ["num_rows"]),
    ("rows-hashed_dim_2**62", None, lambda _: fastinit.rows("normal", [1], 2**62, seed=0, stream=0, hashed=True),
     ValueError, ["dim"]),
    ("hashed_row_ids-whole_floats", None, lambda _: fastinit.hashed_row_ids([1.0], 6, stream=0), TypeError, ["ids"]),
    ("hashed_row_ids-bool_item", None, lambda _: fastinit.hashed_row_ids([1, False], 6, stream=0), TypeError,
     ["bool"]),
    ("hashed_row_ids-past_2**64", None, lambda _: fastinit.hashed_row_ids([2**64], 6, stream=0), ValueError,
     ["2**64"]),
    ("hashed_row_ids-dim_2**62", None, lambda _: fastinit.hashed_row_ids([1], 2**62, stream=0), ValueError,
     ["dim"]),
    ("hashed_row_ids-dim_0", None, lambda _: fastinit.hashed_row_ids([1], 0, stream=0), ValueError, ["dim"]),
    ("hashed_row_ids-stream_negative", None, lambda _: fastinit.hashed_row_ids([1], 6, stream=-1), ValueError,
     ["stream"]),
    ("fingerprint-index_whole_floats", _out, lambda a: fastinit.fingerprint(a, full_shape=(8, 6), index=[0.0, 1, 2, 3]),
     TypeError, ["index on axis 0"]),
    ("fingerprint-index_mixed_out_of_range", _out,
     lambda a: fastinit.fingerprint(a, full_shape=(8, 6), index=[np.uint64(9), np.int64(0), 1, 2]), IndexError,
     ["bounds"]),
    ("fingerprint-index_without_full_shape", _out, lambda a: fastinit.fingerprint(a, index=[0, 1, 2, 3]), ValueError,
     ["full_shape"]),
    ("fingerprint-shape_mismatch", _out, lambda a: fastinit.fingerprint(a, full_shape=(8, 6), index=[0, 1]),
     ValueError, ["shape"]),
    ("stft-index_out_of_range", lambda: _out(shape=(2, 1, 5)),
     lambda a: fastinit.stft(a, full_shape=(8, 1, 5), index=[0, 8]), IndexError, ["bounds"]),
    ("stft-index_float", lambda: _out(shape=(2, 1, 5)),
     lambda a: fastinit.stft(a, full_shape=(8, 1, 5), index=[0, 1.0]), TypeError, ["index on axis 0"]),
    ("stft-full_shape_mismatch", lambda: _out(shape=(2, 1, 5)), lambda a: fastinit.stft(a, full_shape=(8, 1, 5)),
     ValueError, ["shape"]),
]


@pytest.mark.parametrize("make,call,exc,words", [pytest.param(*case[1:], id=case[0]) for case in ENTRY_POINTS])
def test_entry_points_refuse_bad_ids_and_leave_the_array_untouched(make, call, exc, words):
    array = None if make is None else make()
    before = None if array is None else np.array(array, copy=True)
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        call(array)
    assert isinstance(info.value, exc), f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert all(w in message for w in words), message
    if array is not None:
        np.testing.assert_array_equal(array, before)
