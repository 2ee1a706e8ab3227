import pathlib

import pytest

import fastinit

DATA = pathlib.Path(__file__).resolve().parent / "data"


@pytest.fixture
def restore_runtime():
    """Put thread count and SIMD path back after a test that changes them."""
    threads, path = fastinit.get_num_threads(), fastinit.simd_path()
    yield
    fastinit.set_num_threads(threads)
    fastinit.set_simd_path(path)
