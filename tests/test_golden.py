"""Pinned bits of stream version 1 (golden_v1.json, made and independently checked by
make_golden.py): any change to a produced bit fails here and must bump STREAM_VERSION."""

import json
import pathlib

import numpy as np
import pytest

import fastinit

GOLDEN = json.loads(pathlib.Path(__file__).with_name("golden_v1.json").read_text())


def test_golden_is_for_this_stream_version():
    assert GOLDEN["stream_version"] == fastinit.STREAM_VERSION


@pytest.mark.parametrize("path", fastinit.simd_paths())
@pytest.mark.parametrize("case", sorted(GOLDEN["cases"]))
def test_golden_bits(case, path, restore_runtime):
    fastinit.set_simd_path(path)
    spec = GOLDEN["cases"][case]
    fn = getattr(fastinit, spec["fn"])
    full = tuple(GOLDEN["full_shape"])
    got = []
    for e in GOLDEN["indices"]:
        kw = dict(seed=GOLDEN["seed"], stream=GOLDEN["stream"], full_shape=full, index=slice(e, e + 1))
        if spec["fn"] != "random_bits":
            kw.update(spec["params"], dtype=spec["dtype"])
        a = fn(1, **kw)
        got.append(a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])[0].item()
                   .to_bytes(a.itemsize, "big").hex())
    assert got == spec["bits"]


def test_golden_elements_inside_one_fill():
    """The same pinned elements appear at their place inside an ordinary contiguous fill."""
    spec = GOLDEN["cases"]["normal/float32"]
    a = fastinit.normal(1001, seed=GOLDEN["seed"], stream=GOLDEN["stream"], **spec["params"])
    for e, want in zip(GOLDEN["indices"][:6], spec["bits"][:6]):
        assert a[e:e + 1].view(np.uint32)[0].item().to_bytes(4, "big").hex() == want
