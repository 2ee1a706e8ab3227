"""fastinit.fingerprint: equal to a NumPy reimplementation of docs/fingerprint.md for every dtype,
additive over shards of any layout, independent of threads and SIMD paths, sensitive to every bit."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit.fingerprint import FINGERPRINT_CODES, combine

M = np.uint64
GAMMA = M(0x9E3779B97F4A7C15)
# docs/fingerprint.md's table, written out again so that a change to either shows here.
CODES = {"float32": 1, "float64": 2, "float16": 3, "bfloat16": 4, "uint32": 5, "complex64": 6, "complex128": 7,
         "int8": 8, "int16": 9, "int32": 10, "int64": 11, "uint8": 12, "uint16": 13, "uint64": 14, "bool": 15,
         "float8_e4m3fn": 16, "float8_e5m2": 17}
DTYPES = {name: np.dtype(getattr(ml_dtypes, name, None) or name) for name in CODES}


ROUNDS = (M(0x85EBCA6A), M(0xC2B2AE34), M(0x27D4EB2E), M(0x165667B0))
LOW = M(0xFFFFFFFF)


def mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, modulo 2**64 (makes the key from the dtype code)."""
    with np.errstate(over="ignore"):
        z = z ^ (z >> M(30))
        z = z * M(0xBF58476D1CE4E5B9)
        z = z ^ (z >> M(27))
        z = z * M(0x94D049BB133111EB)
        return z ^ (z >> M(31))


def swap(x: np.ndarray) -> np.ndarray:
    """The two 32-bit halves of each value exchanged."""
    return (x >> M(32)) | (x << M(32))


def bijection(x: np.ndarray) -> np.ndarray:
    """B of docs/fingerprint.md: four rounds x (+ or ^)= lo32(x) * C_i, halves swapped between."""
    with np.errstate(over="ignore"):
        x = x + (x & LOW) * ROUNDS[0]
        x = swap(x)
        x = x ^ (x & LOW) * ROUNDS[1]
        x = swap(x)
        x = x + (x & LOW) * ROUNDS[2]
        x = swap(x)
        return x ^ (x & LOW) * ROUNDS[3]


def global_ids(full: tuple[int, ...], index) -> np.ndarray:
    """Each element's index in the flattening of the full tensor, for full[index] (arrays: outer)."""
    ids = np.arange(int(np.prod(full)), dtype=np.uint64).reshape(full)
    entries = index if isinstance(index, tuple) else (index,)
    axis = 0
    for entry in entries:
        if isinstance(entry, slice):
            ids = ids[(slice(None),) * axis + (entry,)]
            axis += 1
        elif isinstance(entry, int):
            ids = np.take(ids, entry, axis=axis)
        else:
            ids = np.take(ids, np.asarray(entry), axis=axis)
            axis += 1
    return ids


def reference(a: np.ndarray, full_shape=None, index=()) -> int:
    """docs/fingerprint.md in NumPy."""
    name = "bool" if a.dtype == np.bool_ else a.dtype.name
    ids = global_ids(a.shape if full_shape is None else full_shape, index)
    if a.dtype.kind == "c":
        parts = a[..., None].view(a.real.dtype)
        bits = parts.view(f"u{parts.itemsize}").astype(M)
        ids = np.stack([2 * ids, 2 * ids + M(1)], axis=-1)
    else:
        bits = np.ascontiguousarray(a).view(f"u{a.itemsize}").astype(M)
    key = mix(np.array(CODES[name], dtype=M))
    with np.errstate(over="ignore"):
        terms = bijection((key + ids.astype(M) * GAMMA) ^ bits)
    return int(terms.sum(dtype=M))


def random_array(dtype: np.dtype, shape, seed: int = 0) -> np.ndarray:
    """Random bits of every pattern (NaNs, infinities, -0.0 and subnormals included)."""
    raw = np.random.default_rng(seed).integers(0, 256, size=int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
    if dtype == np.bool_:
        raw = raw & 1
    return raw.view(dtype).reshape(shape)


def test_codes_are_the_documented_ones():
    assert FINGERPRINT_CODES == CODES


def test_known_answer():
    """The definition frozen: a change of the hash or a code changes these numbers."""
    assert fastinit.fingerprint(np.arange(4, dtype=np.float32)) == reference(np.arange(4, dtype=np.float32))
    assert fastinit.fingerprint(np.zeros((), np.float32)) == int(bijection(mix(np.array(1, M))))
    assert fastinit.fingerprint(np.zeros(0, np.float64)) == 0


@pytest.mark.parametrize("name", list(CODES))
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 5, 7), (2, 0, 3), (70, 33)])
def test_matches_numpy_reference(name, shape):
    a = random_array(DTYPES[name], shape, seed=len(shape))
    assert fastinit.fingerprint(a) == reference(a)


@pytest.mark.parametrize("name", list(CODES))
def test_shard_of_index(name):
    a = random_array(DTYPES[name], (6, 9, 4), seed=3)
    index = (2, slice(1, 8), np.array([3, 0, 2]))
    shard = a[2, 1:8][:, [3, 0, 2]]
    assert fastinit.fingerprint(shard, full_shape=(6, 9, 4), index=index) == reference(shard, (6, 9, 4), index)


def _layouts(a: np.ndarray) -> dict[str, np.ndarray]:
    """The same values in other memory layouts."""
    big = np.zeros((a.shape[0], 3 * a.shape[1] + 1), a.dtype)
    big[:, 1::3] = a
    rev = np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    return {"C": a, "F": np.asfortranarray(a), "transposed": np.ascontiguousarray(a.T).T, "strided": big[:, 1::3],
            "negative": rev, "readonly": _readonly(a)}


def _readonly(a: np.ndarray) -> np.ndarray:
    b = a.copy()
    b.flags.writeable = False
    return b


@pytest.mark.parametrize("name", ["float32", "float64", "bfloat16", "complex64", "int8", "float16"])
def test_layouts_and_shards_sum_to_whole(name):
    a = random_array(DTYPES[name], (37, 53), seed=5)
    whole = fastinit.fingerprint(a)
    assert whole == reference(a)
    for label, view in _layouts(a).items():
        assert fastinit.fingerprint(view) == whole, label
        rows = [0, 0, 5, 20, 37]  # includes an empty shard
        cols = [0, 17, 17, 53]
        parts = [fastinit.fingerprint(view[r0:r1, c0:c1], full_shape=a.shape, index=(slice(r0, r1), slice(c0, c1)))
                 for r0, r1 in zip(rows, rows[1:]) for c0, c1 in zip(cols, cols[1:])]
        assert combine(*parts) == whole, label
    perm = np.random.default_rng(1).permutation(53)  # index-array shards: any disjoint cover
    parts = [fastinit.fingerprint(np.asfortranarray(a[:, p]), full_shape=a.shape, index=(slice(None), p))
             for p in np.array_split(perm, 4)]
    assert combine(*parts) == whole


def test_broadcast_and_zero_stride():
    a = np.broadcast_to(np.arange(7, dtype=np.float32), (5, 7))
    assert fastinit.fingerprint(a) == reference(np.ascontiguousarray(a))


def test_big_endian_is_its_values():
    a = random_array(np.dtype(np.float64), (100,))
    assert fastinit.fingerprint(a.astype(">f8")) == fastinit.fingerprint(a)


def test_threads_and_simd_paths_agree():
    a = random_array(np.dtype(np.float32), (1 << 18) + 13, seed=9)[1:]  # unaligned start too
    want = reference(a)
    threads = fastinit.get_num_threads()
    path = fastinit.simd_path()
    try:
        for simd in fastinit.simd_paths():
            fastinit.set_simd_path(simd)
            for n in (1, 2, 3):
                fastinit.set_num_threads(n)
                assert fastinit.fingerprint(a) == want, (simd, n)
                assert fastinit.fingerprint(a[::-1].copy()[::-1]) == want, (simd, n)
    finally:
        fastinit.set_num_threads(threads)
        fastinit.set_simd_path(path)


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex128", "uint8"])
def test_every_bit_matters(name):
    a = random_array(DTYPES[name], (3, 11), seed=2)
    base = fastinit.fingerprint(a)
    raw = a.reshape(-1).view(np.uint8)
    for byte in range(raw.size):
        for bit in range(8):
            b = a.copy()
            b.reshape(-1).view(np.uint8)[byte] ^= np.uint8(1 << bit)
            assert fastinit.fingerprint(b) != base, (byte, bit)


def _flip_fractions(term, n: int) -> np.ndarray:
    """For each of n input bit positions i, the mean fraction of the term's 64 bits that change when
    bit i flips (term(i) gives the terms with bit i flipped, term(None) the unchanged ones)."""
    base = term(None)
    return np.array([np.unpackbits((term(i) ^ base).view(np.uint8)).mean() for i in range(n)])


def test_avalanche():
    """Changing one bit of the value or of the index flips about half of the term's 64 bits."""
    rng = np.random.default_rng(7)
    key = mix(np.array(CODES["float32"], M))
    ids = rng.integers(0, 1 << 40, 4000, dtype=np.int64).astype(M)
    bits = rng.integers(0, 1 << 63, 4000, dtype=np.int64).astype(M) * M(2) + rng.integers(0, 2, 4000).astype(M)

    def flip(v: np.ndarray, i: int | None) -> np.ndarray:
        return v if i is None else v ^ M(1 << i)

    with np.errstate(over="ignore"):
        of_bits = _flip_fractions(lambda i: bijection((key + ids * GAMMA) ^ flip(bits, i)), 64)
        of_index = _flip_fractions(lambda i: bijection((key + flip(ids, i) * GAMMA) ^ bits), 63)
    for label, frac in (("value bits", of_bits), ("index bits", of_index)):
        assert 0.45 < frac.mean() < 0.55, (label, frac.mean())
        assert frac.min() > 0.3, (label, int(frac.argmin()), frac.min())


def test_bijection_is_invertible():
    """B is a bijection (so one changed element always changes the digest): invert it round by round."""
    x = np.random.default_rng(3).integers(0, 1 << 63, 1000, dtype=np.int64).astype(M) * M(2) + M(1)
    y = bijection(x)
    with np.errstate(over="ignore"):
        for i, c in reversed(list(enumerate(ROUNDS))):
            if i < 3:
                y = swap(y)
            lo = y & LOW
            if i % 2 == 0:  # y = x + lo(x) * c: lo(y) = lo(x) * (c + 1), c + 1 odd
                lo = (lo * pow(int(c) + 1, -1, 1 << 32)) & LOW
                y = y - lo * c
            else:  # y = x ^ lo(x) * c: bit j of lo(x) * c depends on bits below j of lo(x) (c even)
                for _ in range(32):
                    lo = (y ^ lo * c) & LOW
                y = y ^ lo * c
    assert np.array_equal(y, x)
    assert len(np.unique(bijection(np.arange(1 << 16, dtype=M)))) == 1 << 16


def test_places_dtypes_and_special_values_matter():
    a = np.arange(1, 9, dtype=np.float32)
    assert fastinit.fingerprint(a) != fastinit.fingerprint(a.astype(np.float64))
    assert fastinit.fingerprint(a) != fastinit.fingerprint(a.view(np.uint32))
    assert fastinit.fingerprint(a) != fastinit.fingerprint(a[::-1].copy())  # same values, other places
    assert fastinit.fingerprint(a) != fastinit.fingerprint(a, full_shape=(9,), index=slice(1, 9))
    assert fastinit.fingerprint(np.float32([0.0])) != fastinit.fingerprint(np.float32([-0.0]))
    nan1 = np.uint32([0x7FC00000]).view(np.float32)
    nan2 = np.uint32([0x7FC00001]).view(np.float32)
    assert fastinit.fingerprint(nan1) != fastinit.fingerprint(nan2)
    c = np.complex64([1 + 2j])
    assert fastinit.fingerprint(c) != fastinit.fingerprint(np.float32([1, 2]))


def test_reshape_keeps_the_digest():
    a = random_array(np.dtype(np.float32), (6, 10))
    assert fastinit.fingerprint(a) == fastinit.fingerprint(a.reshape(3, 20))


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (([1.0, 2.0],), {}, TypeError, "numpy.ndarray"),
    ((np.zeros(3, dtype=object),), {}, TypeError, "not supported"),
    ((np.zeros(3, dtype="M8[s]"),), {}, TypeError, "not supported"),
    ((np.zeros(3, np.float32),), {"index": slice(0, 3)}, ValueError, "full_shape"),
    ((np.zeros(3, np.float32),), {"full_shape": (5,), "index": slice(0, 2)}, ValueError, "shape"),
    ((np.zeros(2, np.float32),), {"full_shape": (5,), "index": slice(0, 4, 2)}, ValueError, "step"),
    ((np.zeros((), np.float32),), {"full_shape": (5,), "index": 5}, IndexError, "out of bounds"),
    ((np.zeros(2, np.float32),), {"full_shape": (5,), "index": np.array([1, 7])}, IndexError, "7"),
    ((np.zeros(2, np.float32),), {"full_shape": (1 << 62, 4), "index": (slice(0, 2), 0)}, ValueError, "2\\*\\*63"),
])
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.fingerprint(*args, **kwargs)


def test_core_checks_its_input():
    from fastinit import _core
    with pytest.raises(TypeError, match="uint32"):
        _core.fingerprint(np.zeros(3, np.float32), "float32", [1], 0)
    with pytest.raises(ValueError, match="format must be one of"):
        _core.fingerprint(np.zeros(3, np.uint32), "float33", [1], 0)
    with pytest.raises(ValueError, match="2\\*\\*63"):
        _core.fingerprint(np.zeros(3, np.uint32), "float32", [1 << 62], 1 << 62)
    with pytest.raises(ValueError, match="axis_offsets"):
        _core.fingerprint(np.zeros(3, np.uint32), "float32", [1], 0, [np.zeros(2, np.uint64)])
