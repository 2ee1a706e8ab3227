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
    assert (spec.kind == "structured") == ("full_shape" in sig and "seed" not in sig)
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
