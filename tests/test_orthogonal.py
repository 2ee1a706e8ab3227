"""fastinit.orthogonal and fastinit.delta_orthogonal on their own: orthonormal (unitary for complex
dtypes), the sign- (phase-) corrected QR of the stream's normal matrix, Haar, reproducible, shards
equal slices of the whole, and bad input refused. (Agreement with JAX and Keras is in
test_adapter_jax.py and test_parity_*.py.)"""

import math

import ml_dtypes
import numpy as np
import pytest
from scipy import stats

import fastinit

SEED = 20240607

ORTHO_SHAPES = [(64, 64), (200, 30), (30, 200), (3, 3, 16, 32), (3, 3, 64, 8), (1, 50), (50, 1), (5, 4, 3, 2)]


def check_orthonormal(m, tol=1e-5):
    m = m.astype(np.float64)
    if m.shape[0] >= m.shape[1]:
        g = m.T @ m
    else:
        g = m @ m.T
    assert np.abs(g - np.eye(g.shape[0])).max() < tol


@pytest.mark.parametrize("shape", ORTHO_SHAPES)
def test_orthogonal_orthonormal_float32(shape):
    w = fastinit.orthogonal(shape, seed=SEED, stream="q")
    assert w.dtype == np.float32
    check_orthonormal(w.reshape(-1, shape[-1]))
    t = fastinit.orthogonal(shape, layout="torch", seed=SEED, stream="q")
    check_orthonormal(t.reshape(shape[0], -1))
    g = fastinit.orthogonal(shape, 0.5, seed=SEED, stream="q")
    np.testing.assert_allclose(g, 0.5 * w, rtol=1e-6, atol=1e-7)


def test_orthogonal_column_axis():
    w = fastinit.orthogonal((6, 10, 4), column_axis=1, seed=2)
    check_orthonormal(np.moveaxis(w, 1, -1).reshape(-1, 10))
    np.testing.assert_array_equal(fastinit.orthogonal((6, 10, 4), column_axis=-1, seed=2),
                                  fastinit.orthogonal((6, 10, 4), seed=2))


@pytest.mark.parametrize("rows,cols", [(40, 40), (60, 25), (25, 60)])
def test_orthogonal_is_sign_corrected_qr_of_the_stream(rows, cols):
    """Q is the QR factor of the float64 normal matrix of (seed, stream) with diag(R) > 0: the unique
    such factor, which is what makes it Haar-distributed."""
    q = fastinit.orthogonal((rows, cols), seed=SEED, stream="haar", dtype="float64")
    big, small = max(rows, cols), min(rows, cols)
    a = fastinit.normal((big, small), seed=SEED, stream="haar", dtype="float64")
    qq = q if rows >= cols else q.T
    r = qq.T @ a
    assert np.abs(np.tril(r, -1)).max() < 1e-10
    assert (np.diagonal(r) > 0).all()
    np.testing.assert_allclose(qq @ r, a, atol=1e-10)


def test_orthogonal_first_entry_is_symmetric():
    """Without the sign correction LAPACK makes Q[0, 0] always negative; Haar Q[0, 0] is symmetric."""
    signs = [np.sign(fastinit.orthogonal((4, 4), seed=SEED, stream=s, dtype="float64")[0, 0]) for s in range(400)]
    assert abs(sum(signs)) < 5 * math.sqrt(400)


def test_orthogonal_reproducible_across_threads(restore_runtime):
    fastinit.set_num_threads(1)
    a = fastinit.orthogonal((300, 200), seed=SEED, stream="t")
    fastinit.set_num_threads(2)
    b = fastinit.orthogonal((300, 200), seed=SEED, stream="t")
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, fastinit.orthogonal((300, 200), seed=SEED, stream="u"))


def test_orthogonal_dtypes_round_the_float64_matrix():
    f64 = fastinit.orthogonal((20, 10), seed=1, dtype="float64")
    np.testing.assert_array_equal(fastinit.orthogonal((20, 10), seed=1), f64.astype(np.float32))
    np.testing.assert_array_equal(fastinit.orthogonal((20, 10), seed=1, dtype="bfloat16"),
                                  f64.astype(ml_dtypes.bfloat16))


def test_orthogonal_empty_and_errors():
    assert fastinit.orthogonal((0, 5), seed=1).shape == (0, 5)
    with pytest.raises(ValueError, match="rank >= 2"):
        fastinit.orthogonal((5,), seed=1)
    with pytest.raises(ValueError, match="depthwise"):
        fastinit.orthogonal((3, 3), layout="depthwise", seed=1)
    with pytest.raises(ValueError, match="column_axis"):
        fastinit.orthogonal((3, 3), layout="torch", column_axis=0, seed=1)
    with pytest.raises(ValueError, match="out of range"):
        fastinit.orthogonal((3, 3), column_axis=2, seed=1)
    with pytest.raises(ValueError, match="overflows float16"):
        fastinit.orthogonal((3, 3), 1e6, seed=1, dtype="float16")

# ---------------------------------------------------------------- complex: Haar unitary


def check_unitary(m, tol):
    """Orthonormal columns (rows when there are fewer rows) under the conjugate transpose."""
    m = m.astype(np.complex128)
    g = m.conj().T @ m if m.shape[0] >= m.shape[1] else m @ m.conj().T
    assert np.abs(g - np.eye(g.shape[0])).max() < tol


@pytest.mark.parametrize("shape", ORTHO_SHAPES)
@pytest.mark.parametrize("dtype,tol", [(np.complex64, 1e-5), (np.complex128, 1e-12)])
def test_complex_orthogonal_is_unitary(shape, dtype, tol):
    w = fastinit.orthogonal(shape, seed=SEED, stream="c", dtype=dtype)
    assert w.dtype == dtype and w.shape == shape
    assert (w.imag != 0).any()
    check_unitary(w.reshape(-1, shape[-1]), tol)
    t = fastinit.orthogonal(np.empty(shape, dtype), layout="torch", seed=SEED, stream="c")
    check_unitary(t.reshape(shape[0], -1), tol)
    np.testing.assert_allclose(fastinit.orthogonal(shape, 0.5, seed=SEED, stream="c", dtype=dtype), 0.5 * w,
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("rows,cols", [(30, 30), (40, 25), (25, 40)])
def test_complex_orthogonal_is_phase_corrected_qr_of_the_stream(rows, cols):
    """Q is the QR factor of the complex128 normal matrix of (seed, stream) with diag(R) real and
    positive (the columns times the phases of diag(R)); transposed, not conjugated, when rows < cols."""
    q = fastinit.orthogonal((rows, cols), seed=SEED, stream="u", dtype=np.complex128)
    big, small = max(rows, cols), min(rows, cols)
    a = fastinit.normal((big, small), seed=SEED, stream="u", dtype=np.complex128)
    qq = q if rows >= cols else q.T
    r = qq.conj().T @ a
    assert np.abs(np.tril(r, -1)).max() < 1e-10
    assert np.abs(np.diagonal(r).imag).max() < 1e-10 and (np.diagonal(r).real > 0).all()
    np.testing.assert_allclose(qq @ r, a, atol=1e-10)
    np.testing.assert_array_equal(fastinit.orthogonal((rows, cols), seed=SEED, stream="u", dtype=np.complex64),
                                  q.astype(np.complex64))  # each part rounded once


def test_complex_orthogonal_is_haar():
    """Haar unitary entries: E|Q_ij|^2 = 1/n, phases uniform (LAPACK alone gives diag(R) real
    negative, so Q[0, 0]'s phase would not be uniform), |Q_ij|^2 ~ Beta(1, n - 1)."""
    n = 6
    qs = np.stack([fastinit.orthogonal((n, n), seed=SEED, stream=s, dtype=np.complex128) for s in range(500)])
    assert abs(np.mean(np.abs(qs) ** 2) - 1 / n) < 1e-12  # each row has norm 1
    for z in (qs[:, 0, 0], qs[:, 2, 4]):
        assert stats.kstest(np.angle(z) / (2 * np.pi) % 1.0, "uniform").pvalue > 1e-4
        assert stats.kstest(np.abs(z) ** 2, stats.beta(1, n - 1).cdf).pvalue > 1e-4


@pytest.mark.parametrize("fn,full,index,kw", [
    (fastinit.orthogonal, (8, 6), (slice(2, 5),), {}),
    (fastinit.orthogonal, (4, 10, 3), (1, slice(3, 9)), {"column_axis": 1}),
    (fastinit.orthogonal, (6, 2, 5), (slice(0, 4), 1), {"layout": "torch"}),
    (fastinit.delta_orthogonal, (3, 3, 4, 6), (1, slice(None), slice(1, 3)), {}),
])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float32])
def test_shards_equal_slices_of_the_whole(fn, full, index, kw, dtype):
    whole = fn(full, seed=SEED, stream=3, dtype=dtype, **kw)
    part = np.empty(whole[index].shape, dtype)
    fn(part, seed=SEED, stream=3, full_shape=full, index=index, **kw)
    np.testing.assert_array_equal(part, whole[index])


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("column_axis", [-1, 0])
def test_complex_delta_orthogonal(dtype, column_axis):
    shape = (3, 4, 8, 12)
    w = fastinit.delta_orthogonal(shape, 2.0, column_axis=column_axis, seed=SEED, dtype=dtype)
    assert w.dtype == dtype
    centre = w[1, 1].copy()
    w[1, 1] = 0
    assert (w == 0).all()
    check_unitary(centre / 2.0, 1e-5)
    np.testing.assert_array_equal(centre, fastinit.orthogonal((8, 12), 2.0, column_axis=column_axis, seed=SEED,
                                                              dtype=dtype))


def test_complex_errors():
    with pytest.raises(ValueError, match="overflows float32"):
        fastinit.orthogonal((3, 3), 1e39, seed=1, dtype=np.complex64)
    with pytest.raises(ValueError, match="rank >= 2"):
        fastinit.orthogonal((5,), seed=1, dtype=np.complex64)
    with pytest.raises(ValueError, match="in <= out"):
        fastinit.delta_orthogonal((3, 8, 4), seed=1, dtype=np.complex128)
    assert fastinit.orthogonal((0, 4), seed=1, dtype=np.complex64).shape == (0, 4)
    with pytest.raises(TypeError):
        fastinit.orthogonal(np.empty((4, 4), np.complex64), seed=1, full_shape=(4, 4), index=(), dtype=np.float32)
