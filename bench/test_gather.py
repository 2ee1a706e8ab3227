"""Index arrays (docs/guide/performance.md, "Index arrays"): rows by id of a 10**9-row table, ``fastinit.uniform(out,
full_shape=(10**9, D), index=(ids,))``, against the contiguous fill of the same number of elements.

Rows "<fill> gather rows D": the "contiguous" column's x is contiguous time / gather time, the
gather's share of the contiguous fill's speed (targets: >= 0.7 for rows of 128 float32,
>= 0.4 for rows of 16). Timed on one thread, so that the ratio does not depend on how busy the
other cores are. Each benchmark also checks a few gathered rows against the same rows filled as
slices of the table."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit

from conftest import median_seconds, record

TABLE_ROWS = 10**9
ROWS = {"full": 1 << 20, "quick": 1 << 14}  # full: the 2**20 ids
TARGET = {128: 0.7, 16: 0.4}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(1)
    yield
    fastinit.set_num_threads(before)


@pytest.mark.parametrize("width", [128, 16])
@pytest.mark.parametrize("fill", ["uniform", "normal"])
def test_gather_rows(fill, width, quick, rounds):
    rows = ROWS["quick" if quick else "full"] * (128 // width if quick else 1)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, TABLE_ROWS, rows)
    fn = getattr(fastinit, fill)
    out = np.empty((rows, width), np.float32)
    flat = np.empty(rows * width, np.float32)
    gather = median_seconds(lambda: fn(out, seed=1, full_shape=(TABLE_ROWS, width), index=(ids,)), rounds)
    contiguous = median_seconds(lambda: fn(flat, seed=1), rounds)
    name = f"{fill} gather rows {width}"
    record(name, "float32", out.size, 4, "fastinit", gather)
    record(name, "float32", out.size, 4, "contiguous", contiguous,
           note=f"target x >= {TARGET[width]}")
    print(f"\n{name}: {rows} ids, gather/contiguous speed {contiguous / gather:.2f} (target >= {TARGET[width]})")
    for r in (0, rows // 2, rows - 1):
        row = fn((1, width), seed=1, full_shape=(TABLE_ROWS, width), index=(slice(ids[r], ids[r] + 1),))
        np.testing.assert_array_equal(out[r], row[0])
