"""A drop-in's errors are part of its interface: each bad input below goes to the framework's own
function and to fastinit's adapter of it, and both must raise the same exception type (ours may
be a subclass that is also fastinit's type) with the framework's message.

How the messages compare (``how``): "exact": the same text; "extends": ours is the framework's
text followed by a fastinit hint (valid values, the shape); "type": only the type (the
framework's text is an accident of its internals, e.g. a kernel's name); any other string is a
marker: the texts before it agree (what follows differs, e.g. the order of a printed set).
Where the framework's own test suite checks a message (Keras's ``random_initializers_test.py``:
``scale``, ``mode``, ``distribution``), it is compared exactly up to the point that suite checks.
No model is built: constructor arguments and one call each.
"""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before the first keras import of the process (as test_adapter_keras)

import jax  # noqa: E402
import jax.nn.initializers as J  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import fastinit.jax as fj  # noqa: E402
import fastinit.keras as fk  # noqa: E402
import fastinit.torch as ft  # noqa: E402

KEY = jax.random.key(3)


def _raised(call, module):
    try:
        call(module)
    except Exception as exc:  # the exception under comparison, whatever its type
        return exc
    raise AssertionError(f"{module.__name__}: no exception")


def assert_same_error(call, theirs_module, ours_module, how):
    theirs, ours = _raised(call, theirs_module), _raised(call, ours_module)
    assert isinstance(ours, type(theirs)), f"ours {type(ours).__name__}: {ours}; theirs {type(theirs).__name__}"
    t, o = str(theirs), str(ours)
    if how == "exact":
        assert o == t
    elif how == "extends":
        assert o.startswith(t) and len(o) > len(t), (o, t)
    elif how != "type":
        assert how in o and how in t, (o, t)
        assert o.split(how)[0].strip() == t.split(how)[0].strip(), (o, t)


KERAS = [
    ("scale -1", lambda m: m.VarianceScaling(scale=-1.0, seed=1, mode="fan_in"), "exact"),
    ("scale 0", lambda m: m.VarianceScaling(scale=0.0), "exact"),
    ("mode", lambda m: m.VarianceScaling(scale=1.0, seed=1, mode="invalid_mode"), "Please use one of"),
    ("mode upper case", lambda m: m.VarianceScaling(mode="FAN_IN"), "Please use one of"),
    ("mode None", lambda m: m.VarianceScaling(mode=None), "Please use one of"),
    ("distribution", lambda m: m.VarianceScaling(distribution="invalid_distribution"), "Please use one of"),
    ("seed str", lambda m: m.VarianceScaling(seed="abc"), "exact"),
    ("seed float", lambda m: m.RandomNormal(seed=1.5), "exact"),
    ("seed list", lambda m: m.Orthogonal(seed=[1]), "exact"),
    ("orthogonal rank 1", lambda m: m.Orthogonal(seed=1)((5,)), "exact"),
    ("orthogonal rank 0", lambda m: m.Orthogonal(seed=1)(()), "exact"),
    ("identity rank 3", lambda m: m.Identity()((3, 3, 3)), "exact"),
    ("identity rank 1", lambda m: m.Identity()((3,)), "exact"),
    ("stft side", lambda m: m.STFT("imaginary"), "exact"),
    ("stft side None", lambda m: m.STFT(None), "exact"),
    ("stft scaling", lambda m: m.STFT("real", scaling="l2"), "exact"),
    ("stft window name", lambda m: m.STFT("real", window="unknown"), "exact"),
    ("stft window length", lambda m: m.STFT(window=np.ones(3))((4, 1, 3)), "[frame_length]."),
    ("stft shape", lambda m: m.STFT()((4, 1)), "type"),
    ("axes out of range", lambda m: m.GlorotUniform(seed=1, input_axes=[5], output_axes=[0])((3, 2)), "type"),
]


@pytest.mark.parametrize("call,how", [c[1:] for c in KERAS], ids=[c[0] for c in KERAS])
def test_keras_errors(call, how):
    assert_same_error(call, keras.initializers, fk, how)


JAX = [
    ("mode", lambda m: m.variance_scaling(1.0, "fan_sum", "normal")(KEY, (3, 4)), "extends"),
    ("mode upper case", lambda m: m.variance_scaling(1.0, "FAN_IN", "normal")(KEY, (3, 4)), "extends"),
    ("mode None", lambda m: m.variance_scaling(1.0, None, "normal")(KEY, (3, 4)), "extends"),
    ("distribution", lambda m: m.variance_scaling(1.0, "fan_in", "gamma")(KEY, (3, 4)), "extends"),
    ("distribution upper case", lambda m: m.variance_scaling(1.0, "fan_in", "Normal")(KEY, (3, 4)), "extends"),
    ("distribution fastinit's name", lambda m: m.variance_scaling(1.0, "fan_in", "untruncated_normal")(KEY, (3, 4)),
     "extends"),
    ("fans rank 1", lambda m: m.glorot_uniform()(KEY, (3,)), "exact"),
    ("fans rank 0", lambda m: m.he_normal()(KEY, ()), "exact"),
    ("fans rank 1 lecun", lambda m: m.lecun_uniform()(KEY, (7,)), "exact"),
    ("orthogonal rank 1", lambda m: m.orthogonal()(KEY, (3,)), "exact"),
    ("orthogonal rank 0", lambda m: m.orthogonal()(KEY, ()), "exact"),
    ("delta_orthogonal rank 2", lambda m: m.delta_orthogonal()(KEY, (3, 4)), "extends"),
    ("delta_orthogonal rank 6", lambda m: m.delta_orthogonal()(KEY, (2, 2, 2, 2, 2, 2)), "extends"),
    ("delta_orthogonal in > out", lambda m: m.delta_orthogonal()(KEY, (3, 3, 5, 4)), "extends"),
    ("integer dtype", lambda m: m.normal()(KEY, (3, 2), jnp.int32), "type"),
    ("integer dtype variance_scaling", lambda m: m.glorot_normal()(KEY, (3, 2), jnp.int32), "type"),
    ("in_axis not an int", lambda m: m.glorot_uniform(in_axis="a")(KEY, (3, 4)), "type"),
    ("in_axis out of range", lambda m: m.glorot_uniform(in_axis=5)(KEY, (3, 4)), "type"),
    ("in_axis negative out of range", lambda m: m.he_uniform(in_axis=-3)(KEY, (3, 4)), "type"),
    ("in_axis tuple out of range", lambda m: m.lecun_normal(in_axis=(0, 5))(KEY, (3, 4, 2)), "type"),
    ("out_axis out of range", lambda m: m.glorot_normal(out_axis=5)(KEY, (3, 4)), "type"),
    ("batch_axis out of range", lambda m: m.variance_scaling(1.0, "fan_in", "normal", batch_axis=5)(KEY, (3, 4, 2)),
     "type"),
    ("column_axis out of range", lambda m: m.orthogonal(column_axis=5)(KEY, (3, 4)), "type"),
]


@pytest.mark.parametrize("call,how", [c[1:] for c in JAX], ids=[c[0] for c in JAX])
def test_jax_errors(call, how):
    assert_same_error(call, J, fj, how)


def _t(*shape, dtype=torch.float32):
    return torch.empty(shape, dtype=dtype)


TORCH = [
    ("kaiming mode", lambda m: m.kaiming_uniform_(_t(3, 4), mode="bad"), "exact"),
    ("kaiming mode fan_avg", lambda m: m.kaiming_normal_(_t(3, 4), mode="fan_avg"), "exact"),
    ("kaiming mode upper case", lambda m: m.kaiming_normal_(_t(3, 4), mode="FAN_AVG"), "exact"),
    ("kaiming mode before rank", lambda m: m.kaiming_uniform_(_t(3), mode="bad"), "exact"),
    ("kaiming nonlinearity", lambda m: m.kaiming_uniform_(_t(3, 4), nonlinearity="gelu"), "extends"),
    ("kaiming slope", lambda m: m.kaiming_normal_(_t(3, 4), a="x"), "exact"),
    ("kaiming rank 1", lambda m: m.kaiming_uniform_(_t(3)), "exact"),
    ("kaiming rank 0", lambda m: m.kaiming_normal_(_t()), "exact"),
    ("xavier rank 1", lambda m: m.xavier_uniform_(_t(3)), "exact"),
    ("xavier rank 0", lambda m: m.xavier_normal_(_t()), "exact"),
    ("gain unknown", lambda m: m.calculate_gain("bad"), "extends"),
    ("gain case", lambda m: m.calculate_gain("Relu"), "extends"),
    ("gain None", lambda m: m.calculate_gain(None), "extends"),
    ("gain slope str", lambda m: m.calculate_gain("leaky_relu", "x"), "exact"),
    ("gain slope bool", lambda m: m.calculate_gain("leaky_relu", True), "exact"),
    ("gain slope list", lambda m: m.calculate_gain("leaky_relu", [1]), "exact"),
    ("sparse rank 1", lambda m: m.sparse_(_t(3), 0.1), "exact"),
    ("sparse rank 3", lambda m: m.sparse_(_t(3, 3, 3), 0.1), "exact"),
    ("eye rank 1", lambda m: m.eye_(_t(3)), "exact"),
    ("eye rank 3", lambda m: m.eye_(_t(3, 3, 3)), "exact"),
    ("dirac rank 2", lambda m: m.dirac_(_t(3, 3)), "exact"),
    ("dirac rank 6", lambda m: m.dirac_(_t(3, 3, 1, 1, 1, 1)), "exact"),
    ("dirac groups", lambda m: m.dirac_(_t(4, 3, 3), groups=3), "extends"),
    ("orthogonal rank 1", lambda m: m.orthogonal_(_t(3)), "exact"),
    ("orthogonal rank 0", lambda m: m.orthogonal_(_t()), "exact"),
    ("normal std", lambda m: m.normal_(_t(3), std=-1.0), "exact"),
    ("normal std fraction", lambda m: m.normal_(_t(3), 0.0, -0.123456789), "exact"),
    ("uniform range", lambda m: m.uniform_(_t(3), 2.0, 1.0), "exact"),
    ("uniform range large", lambda m: m.uniform_(_t(3), 1e20, 0.5), "exact"),
    ("normal std nan", lambda m: m.normal_(_t(3), 0.0, float("nan")), "exact"),
    ("uniform bound inf", lambda m: m.uniform_(_t(3), 0.0, float("inf")), "exact"),
    ("uniform bounds past float16", lambda m: m.uniform_(_t(3, dtype=torch.float16), -1e5, 1e5), "exact"),
    ("uniform bound past bfloat16", lambda m: m.uniform_(_t(3, dtype=torch.bfloat16), 0.0, 1e39), "exact"),
    ("uniform span past float32", lambda m: m.uniform_(_t(3), -3.4e38, 3.4e38), "exact"),
    ("trunc_normal bounds", lambda m: m.trunc_normal_(_t(3), a=2.0, b=-2.0), "type"),
    ("integer tensor", lambda m: m.normal_(_t(3, dtype=torch.int64)), "type"),
    ("integer tensor uniform", lambda m: m.uniform_(_t(3, dtype=torch.int32)), "type"),
    ("not a tensor", lambda m: m.xavier_uniform_([1.0, 2.0]), "type"),
]


@pytest.mark.parametrize("call,how", [c[1:] for c in TORCH], ids=[c[0] for c in TORCH])
def test_torch_errors(call, how):
    assert_same_error(call, torch.nn.init, ft, how)
