"""The one table of initializers (fastinit.names.specs) and the presets' plans: the declared
parameters are the functions' own, every name resolves, and each elementwise preset's plan is
exactly the one fill call the preset makes (recorded at the compiled core)."""

import inspect
import itertools
import re

import numpy as np
import pytest

import fastinit
from fastinit.core import fills
from fastinit.names import lookup, named, specs
from fastinit.presets.plans import Plan

CALL_KEYWORDS = {"out", "seed", "stream", "full_shape", "index", "dtype"}


@pytest.mark.parametrize("spec", specs.SPECS, ids=[s.name for s in specs.SPECS])
def test_declared_parameters_are_the_functions(spec):
    sig = inspect.signature(spec.fn).parameters
    declared = [(p.name, p.default) for p in spec.params]
    actual = [(n, specs.REQUIRED if p.default is inspect.Parameter.empty else p.default)
              for n, p in sig.items() if n not in CALL_KEYWORDS]
    assert declared == actual
    assert spec.fn is getattr(fastinit, spec.name)
    assert spec.random == ("seed" in sig)
    assert (spec.deterministic and spec.kind != "elementwise") == ("full_shape" in sig and "seed" not in sig)
    assert (spec.plan is not None) == (spec.kind == "elementwise")
    if spec.plan is not None:
        plan_sig = inspect.signature(spec.plan).parameters
        assert list(plan_sig)[0] == "shape"
        assert [(n, specs.REQUIRED if p.default is inspect.Parameter.empty else p.default)
                for n, p in plan_sig.items() if n != "shape"] == declared


def test_every_listed_name_resolves():
    for name in lookup.names():
        assert fastinit.get(name).name
    assert len({s.name for s in specs.SPECS}) == len(specs.SPECS)
    assert named.own_names()[:3] == ("uniform", "normal", "truncated_normal")
    with pytest.raises(ValueError, match="Did you mean 'glorot_uniform'"):
        fastinit.get("glorot_unifrom")


class _Recorder:
    """Stands in for the compiled core in a test: records the fill calls (and still makes them)."""

    def __init__(self, core):
        self.core, self.calls = core, []

    def __getattr__(self, name):
        return getattr(self.core, name)

    def fill_uniform(self, out, fmt, seed, stream, strides, origin, low, high):
        self.calls.append(Plan("uniform", low=low, high=high))
        self.core.fill_uniform(out, fmt, seed, stream, strides, origin, low, high)

    def fill_normal(self, out, fmt, seed, stream, strides, origin, mean, std):
        self.calls.append(Plan("normal", mean=mean, std=std))
        self.core.fill_normal(out, fmt, seed, stream, strides, origin, mean, std)

    def fill_truncated_normal(self, out, fmt, seed, stream, strides, origin, mean, std, a, b):
        self.calls.append(Plan("truncated_normal", mean=mean, std=std, a=a, b=b))
        self.core.fill_truncated_normal(out, fmt, seed, stream, strides, origin, mean, std, a, b)


SHAPES = [(), (7,), (3, 4), (5, 1), (2, 3, 4), (16, 3, 3, 3), (6, 4, 2, 2, 3)]
FAN_OPTIONS = [{}, {"layout": "torch"}, {"layout": "keras"}, {"batch_axis": 0}, {"in_axis": 0, "out_axis": -1},
               {"groups": 2}]
PARAMS = {
    "variance_scaling": [dict(scale=s, mode=m, distribution=d) for s, m, d in itertools.product(
        [1.0, 0.3, 2], ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"], ["truncated_normal", "normal",
                                                                          "untruncated_normal", "uniform"])],
    "xavier_uniform": [{"gain": g} for g in (1.0, 0.5, 3)],
    "xavier_normal": [{"gain": g} for g in (1.0, 0.5, 3)],
    "kaiming_uniform": [dict(a=a, mode=m, nonlinearity=n) for a, m, n in itertools.product(
        [0.0, 0.2], ["fan_in", "fan_out"], ["leaky_relu", "relu", "tanh", "selu"])],
    "kaiming_normal": [dict(a=a, mode=m, nonlinearity=n) for a, m, n in itertools.product(
        [0.0, 0.2], ["fan_in", "fan_out"], ["leaky_relu", "relu", "linear"])],
    "random_uniform": [{}, {"minval": -1, "maxval": 2.5}],
    "random_normal": [{}, {"mean": 1, "stddev": 0.2}],
    "random_truncated_normal": [{}, {"mean": -1.0, "stddev": 3}],
}


def _cases():
    for spec in specs.SPECS:
        if spec.plan is None or spec.fn.__module__ == fills.__name__:
            continue
        fans = FAN_OPTIONS if spec.param("groups") is not None else [{}]
        for params, fan in itertools.product(PARAMS.get(spec.name, [{}]), fans):
            yield spec, {**params, **fan}


@pytest.mark.parametrize("shape", SHAPES)
def test_plan_is_the_fill_the_preset_makes(shape, monkeypatch):
    recorder = _Recorder(fills._core)
    monkeypatch.setattr(fills, "_core", recorder)
    checked = 0
    for spec, params in _cases():
        recorder.calls.clear()
        try:
            spec.fn(shape, seed=1, **params)
        except (TypeError, ValueError) as exc:  # e.g. groups that do not divide: the plan says the same
            with pytest.raises(type(exc), match="^" + re.escape(str(exc)) + "$"):
                spec.plan(shape, **params)
            continue
        assert recorder.calls == [spec.plan(shape, **params)], (spec.name, params)
        checked += 1
    assert checked > 50


def test_shard_uses_the_whole_tensors_plan(monkeypatch):
    recorder = _Recorder(fills._core)
    monkeypatch.setattr(fills, "_core", recorder)
    fastinit.he_normal(np.empty((2, 5), np.float32), seed=0, full_shape=(10, 5), index=(slice(4, 6),))
    assert recorder.calls == [fastinit.presets.glorot_he_lecun.he_normal_plan((10, 5))]
    assert recorder.calls[0] == Plan("truncated_normal", mean=0.0, std=(2 / 10) ** 0.5 / 0.87962566103423978,
                                     a=-2.0, b=2.0)


def test_plan_checks_its_parameters():
    with pytest.raises(TypeError, match="low must be a real number, got str 'x'"):
        Plan("uniform", low="x", high=1.0)
    with pytest.raises(TypeError, match="takes exactly mean, std"):
        Plan("normal", mean=0.0)
    with pytest.raises(ValueError, match="Did you mean 'uniform'"):
        Plan("unifrom", low=0.0, high=1.0)
    p = Plan("uniform", high=2, low=-1)
    assert list(p.params) == ["low", "high"] and p["high"] == 2.0 and isinstance(p["high"], float)
    assert repr(p) == "Plan('uniform', low=-1.0, high=2.0)"
    with pytest.raises(AttributeError):
        p.distribution = "normal"


def test_command_line_text_uses_declared_types():
    b = lookup.by_name("orthogonal")
    assert named.convert(b, "column_axis", "none") is None
    assert named.convert(b, "column_axis", "1") == 1
    with pytest.raises(ValueError, match="--column-axis expects an integer"):
        named.convert(b, "column_axis", "1.5")
    assert named.convert(lookup.by_name("he_normal"), "in_axis", "0,1") == (0, 1)
    assert named.convert(lookup.by_name("uniform_"), "a", "-inf") == -np.inf
    assert named.convert(lookup.by_name("kaiming_normal"), "mode", " fan_out ") == "fan_out"


# ---------------------------------------------------------------- stft, delta_orthogonal by name


@pytest.mark.parametrize("name", ["STFT", "stft", "STFTInitializer", "stft_initializer"])
def test_stft_by_its_keras_names(name):
    init = fastinit.get(name)
    assert init.name == "stft" and init.binding.spec.deterministic and init.binding.spec.kind == "whole"
    np.testing.assert_array_equal(init((16, 1, 9)), fastinit.stft((16, 1, 9)))
    config = {"side": "imag", "window": [0.5] * 16, "scaling": None, "periodic": True}
    np.testing.assert_array_equal(fastinit.get({"class_name": name, "config": config})((16, 2, 9)),
                                  fastinit.stft((16, 2, 9), "imag", np.full(16, 0.5), None, True))
    with pytest.raises(TypeError, match="STFT|stft has no parameter 'sides'.*Did you mean 'side'"):
        fastinit.get({"class_name": name, "config": {"sides": "real"}})


def test_stft_shard_through_get_is_the_slice_of_the_whole():
    whole = fastinit.stft((12, 3, 7), window="hamming", dtype=np.float64)
    part = fastinit.get({"class_name": "STFT", "config": {"window": "hamming"}})(
        np.empty((4, 3, 2), np.float64), full_shape=(12, 3, 7), index=(slice(5, 9), slice(None), slice(3, 5)))
    np.testing.assert_array_equal(part, whole[5:9, :, 3:5])
    hann = fastinit.stft((12, 3, 7), dtype=np.float64)
    np.testing.assert_array_equal(fastinit.get("stft")((12, 3, 7)), hann.astype(np.float32))  # rounded once


def test_stft_config_round_trips_through_keras(monkeypatch):
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first keras import (test_adapter_keras's too)
    fk = pytest.importorskip("fastinit.keras")
    keras = pytest.importorskip("keras")
    for kwargs in ({}, {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
                   {"window": None, "scaling": None}, {"window": np.linspace(0.1, 1.0, 10)}):
        theirs = fk.STFT(**kwargs)
        for config in (theirs.get_config(), keras.initializers.serialize(theirs)):
            if "class_name" not in config:
                config = {"class_name": "STFT", "config": config}
            ours = fastinit.get(config)
            assert ours.get_config()["class_name"] == "stft"
            np.testing.assert_array_equal(ours((10, 1, 6)), np.asarray(theirs((10, 1, 6), "float32")))


def test_delta_orthogonal_by_name():
    init = fastinit.get("delta_orthogonal")
    assert init.name == "delta_orthogonal" and init.binding.spec.kind == "whole" and init.binding.spec.random
    np.testing.assert_array_equal(init((3, 4, 6), seed=5), fastinit.delta_orthogonal((3, 4, 6), seed=5))
    jax_config = {"class_name": "DeltaOrthogonal", "config": {"scale": 2.0, "column_axis": 0, "seed": 7}}
    np.testing.assert_array_equal(fastinit.get(jax_config)((3, 3, 4, 6)),
                                  fastinit.delta_orthogonal((3, 3, 4, 6), 2.0, column_axis=0, seed=7))
    np.testing.assert_array_equal(fastinit.get({"class_name": "delta_orthogonal", "config": {"gain": 2.0}})(
        (3, 4, 6), seed=7), fastinit.delta_orthogonal((3, 4, 6), 2.0, seed=7))
    assert named.resolve("delta-orthogonal", {"column_axis": "-2", "gain": "0.5"}, text=True).params == {
        "column_axis": -2, "gain": 0.5}


def test_command_line_text_of_stft():
    b = lookup.by_name("stft")
    assert [named.convert(b, "periodic", t) for t in ("true", "No", " 1 ", "off")] == [True, False, True, False]
    with pytest.raises(ValueError, match="--periodic expects true or false"):
        named.convert(b, "periodic", "maybe")
    assert named.convert(b, "window", "none") is None and named.convert(b, "scaling", "null") is None
    init = named.resolve("stft", {"window": "hamming", "periodic": "yes"}, text=True)
    np.testing.assert_array_equal(init(np.empty((8, 1, 5), np.float32), seed=None),
                                  fastinit.stft((8, 1, 5), window="hamming", periodic=True))


def test_stand_in_keeps_the_order_of_sizes():
    from fastinit.names.expected import stand_in

    assert stand_in((3, 3, 512, 1024)) == (2, 2, 3, 4)
    assert stand_in((3, 3, 1024, 512)) == (2, 2, 4, 3)
    assert stand_in((4096, 1, 513)) == (4, 1, 3)
    assert stand_in((0, 7), 3) == (0, 3, 2)
    assert stand_in((5,), 2) == (2, 2)
    for full in [(3, 3, 512, 1024), (9, 9, 9), (1, 0, 5, 2, 2)]:
        small = stand_in(full)
        for i, j in itertools.combinations(range(len(full)), 2):
            assert np.sign(full[i] - full[j]) == np.sign(small[i] - small[j])
        assert all(min(d, 2) <= s <= d for d, s in zip(full, small))


def test_whole_initializers_checked_before_writing(tmp_path):
    from fastinit.names.expected import check_and_expect

    big = named.resolve("delta_orthogonal")
    with pytest.raises(ValueError, match=r"in <= out.*stand-in of shape \(2, 2, 4, 3\) for the shape "
                                         r"\(3, 3, 1024, 512\)"):
        check_and_expect(big, (3, 3, 1024, 512), np.float32, 0, 0)
    assert check_and_expect(big, (3, 3, 512, 1024), np.float32, 0, 0) is None
    with pytest.raises(ValueError, match="at least 2 frequency bins"):
        check_and_expect(named.resolve("stft"), (4096, 1, 1), np.float32, 0, 0)
    from fastinit.outofcore import TableError, write_table

    path = tmp_path / "k.npy"
    write_table(path, (9, 2, 5), "stft", window="hamming", stats=False, fsync=False)
    np.testing.assert_array_equal(np.load(path), fastinit.stft((9, 2, 5), window="hamming"))
    write_table(path, (3, 4, 6), "delta_orthogonal", seed=3, force=True, stats=False, fsync=False)
    np.testing.assert_array_equal(np.load(path), fastinit.delta_orthogonal((3, 4, 6), seed=3))
    with pytest.raises(TableError, match="chunk"):  # computed whole: one chunk only
        write_table(tmp_path / "big.npy", (3, 3, 256, 512), "delta_orthogonal", seed=3, chunk_mb=0.5)


def test_command_line_lists_them():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "fastinit", "list"], capture_output=True, text=True,
                         check=True).stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()}
    for name, flags in (("stft", "--periodic --scaling --side --window"), ("delta_orthogonal", "--column-axis --gain")):
        assert flags in lines[name] and "one chunk only" in lines[name]
    assert "STFT" in out and "STFTInitializer" in out


_WHOLE_STFT = ((8, 2, 5), {"window": "hamming"})
STFT_SHARDS = [  # index, and the same part of the whole kernel by NumPy's own indexing
    ((slice(2, 6),), lambda w: w[2:6]),
    (([7, 0, 7], slice(None), [4, 1]), lambda w: w[np.ix_([7, 0, 7], [0, 1], [4, 1])]),
    ((3,), lambda w: w[3]),
    (([np.uint64(5), 2],), lambda w: w[[5, 2]]),
]


@pytest.mark.parametrize("index,part", STFT_SHARDS)
def test_stft_itself_writes_exactly_the_shard(index, part):
    """stft takes full_shape/index as identity, eye and dirac do; no seed (deterministic)."""
    shape, params = _WHOLE_STFT
    expected = part(fastinit.stft(shape, dtype=np.float64, **params)).astype(np.float32)  # rounded once
    out = np.full(expected.shape, -7.0, np.float32)
    assert fastinit.stft(out, full_shape=shape, index=index, **params) is out
    np.testing.assert_array_equal(out, expected)
    assert "seed" not in inspect.signature(fastinit.stft).parameters
