"""fastinit.torch.rows_ (docs/guide/rows-by-id.md): rows by ID written into an existing 2-d CPU tensor, equal to
fastinit.rows; refusals leave the tensor untouched."""

import numpy as np
import pytest

import fastinit

torch = pytest.importorskip("torch")  # installed by the test extra: never skipped in CI
import fastinit.torch as ft  # noqa: E402

SEED = 77
SENTINEL = -7.25


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.complex64])
def test_rows_into_a_tensor_equal_fastinit_rows(dtype):
    ids = [9, 2, 9, 0]
    t = torch.full((4, 12), SENTINEL, dtype=dtype)
    ptr = t.data_ptr()
    assert ft.rows_(t, "normal", ids, seed=SEED, stream="emb", std=0.02) is t
    assert t.data_ptr() == ptr
    want = fastinit.rows("normal", ids, 12, seed=SEED, stream="emb", std=0.02, dtype=ft.numpy_view(t).dtype)
    np.testing.assert_array_equal(ft.numpy_view(t).view(np.uint8), want.view(np.uint8))


def test_torch_ids_non_contiguous_tensor_and_autograd_version():
    ids = torch.tensor([2**40, 5, 2**40], dtype=torch.int64)
    w = torch.nn.Parameter(torch.full((12, 3), SENTINEL).t())  # (3, 12), column-major memory
    version = w._version
    with torch.no_grad():
        ft.rows_(w, "uniform", ids, seed=SEED, stream=3, low=-0.1, high=0.1)
    assert w._version > version
    want = fastinit.rows("uniform", ids.numpy(), 12, seed=SEED, stream=3, low=-0.1, high=0.1)
    np.testing.assert_array_equal(w.detach().numpy(), want)


def test_hashed_and_explicit_num_rows():
    ids = np.array([2**64 - 1, 7], np.uint64)
    t = torch.empty(2, 8)
    ft.rows_(t, "normal", torch.from_numpy(ids.view(np.int64)), seed=SEED, stream=1, hashed=True)
    np.testing.assert_array_equal(t.numpy(), fastinit.rows("normal", ids, 8, seed=SEED, stream=1, hashed=True))
    t2 = torch.empty(2, 8)
    ft.rows_(t2, "xavier_uniform", [3, 1], seed=SEED, stream=1, num_rows=5)
    np.testing.assert_array_equal(t2.numpy(), fastinit.xavier_uniform((5, 8), seed=SEED, stream=1)[[3, 1]])


@pytest.mark.parametrize("make,ids,kw,exc", [
    (lambda: torch.full((2, 4), SENTINEL), [0, -1], {}, IndexError),
    (lambda: torch.full((2, 4), SENTINEL), [0, 1, 2], {}, ValueError),
    (lambda: torch.full((2, 4), SENTINEL), [0, 1], {"std": -1.0}, ft.ParameterError),
    (lambda: torch.full((2, 4), SENTINEL), [0, 1], {"num_rows": 1}, IndexError),
    (lambda: torch.full((2, 4), SENTINEL), [0, 1], {"init": "glorot_uniform"}, ValueError),
    (lambda: torch.full((8,), SENTINEL), [0, 1], {}, ValueError),
    (lambda: torch.zeros((2, 4), dtype=torch.int32), [0, 1], {}, TypeError),
])
def test_refusals_leave_the_tensor_untouched(make, ids, kw, exc):
    t = make()
    before = t.clone()
    init = kw.pop("init", "normal")
    with pytest.raises(exc):
        ft.rows_(t, init, ids, seed=SEED, stream=0, **kw)
    assert torch.equal(t, before)


def test_not_a_tensor():
    with pytest.raises(TypeError, match="torch.Tensor"):
        ft.rows_(np.zeros((2, 4), np.float32), "normal", [0, 1], seed=0, stream=0)
