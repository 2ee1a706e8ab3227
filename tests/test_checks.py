"""fastinit.core.checks: one meaning of "a number" (NumPy scalars yes, bool no) at every site."""

import math

import numpy as np
import pytest

import fastinit
from fastinit.core import checks


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), np.int32(-1)])
def test_integers_are_integers_and_reals(value):
    assert checks.is_integer(value) and checks.is_real(value)
    assert type(checks.integer(value, "n")) is int


@pytest.mark.parametrize("value", [1.5, np.float32(1.5), np.float64(-2.0), math.inf])
def test_floats_are_reals_not_integers(value):
    assert checks.is_real(value) and not checks.is_integer(value)
    assert type(checks.real(value, "x")) is float


@pytest.mark.parametrize("value", [True, np.bool_(False), "1", None, 1j, np.array([1])])
def test_bool_and_non_numbers_are_refused(value):
    assert not checks.is_integer(value) and not checks.is_real(value)
    with pytest.raises(TypeError, match=r"^f: x must be a real number, got "):
        checks.real(value, "x", "f")
    with pytest.raises(TypeError, match=r"^n must be an int >= 1, got "):
        checks.integer(value, "n", minimum=1, expected="an int >= 1")


def test_messages_and_bounds():
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        checks.integer(np.int64(0), "n", minimum=1)
    with pytest.raises(ValueError, match=r"^g: a must not be NaN$"):
        checks.real(math.nan, "a", "g", allow_nan=False)
    assert checks.real(-math.inf, "a", allow_nan=False) == -math.inf
    with pytest.raises(ValueError, match=r"^std must be finite, got inf$"):
        checks.finite_real(math.inf, "std")
    with pytest.raises(ValueError, match=r"^scale must be > 0, got 0.0$"):
        checks.finite_real(0.0, "scale", minimum=0.0, strict=True)
    with pytest.raises(ValueError, match=r"^std must be >= 0, got -1$"):
        checks.finite_real(-1, "std", minimum=0.0)
    assert checks.finite_real(np.float32(0.5), "std", minimum=0.0) == 0.5


def test_numpy_scalars_work_where_python_numbers_do():
    """Sites that once took only ``int`` (column_axis, groups) take NumPy integers too."""
    a = fastinit.orthogonal((4, 3), column_axis=np.int64(-1), seed=1)
    np.testing.assert_array_equal(a, fastinit.orthogonal((4, 3), column_axis=-1, seed=1))
    d = fastinit.dirac((4, 2, 3), groups=np.int64(2))
    np.testing.assert_array_equal(d, fastinit.dirac((4, 2, 3), groups=2))
    with pytest.raises(TypeError, match="groups must be an int >= 1, got bool True"):
        fastinit.dirac((4, 2, 3), groups=True)


# ---------------------------------------------------------------- the other shared helpers


def test_did_you_mean():
    from fastinit.core.suggest import did_you_mean

    assert did_you_mean("fan_avgg", ["fan_in", "fan_out", "fan_avg"]) == " Did you mean 'fan_avg'?"
    assert did_you_mean("std", ["mean", "stdd"], show=lambda n: "--" + n) == " Did you mean --stdd?"
    assert did_you_mean("zzz", ["fan_in", "fan_out"]) == ""


def test_torch_trunc_bounds():
    from fastinit.presets.truncation import torch_trunc_bounds

    assert torch_trunc_bounds(1, 2, -3, np.float32(5)) == (1.0, 2.0, -2.0, 2.0)
    assert torch_trunc_bounds(0.0, 1.0, -math.inf, 0.5) == (0.0, 1.0, -math.inf, 0.5)
    with pytest.raises(ValueError, match=r"^trunc_normal_: std must be > 0, got 0.0$"):
        torch_trunc_bounds(0.0, 0.0, -1.0, 1.0)
    with pytest.raises(ValueError, match=r"^f: the bounds need a < b, got a=1, b=1$"):
        torch_trunc_bounds(0.0, 1.0, 1, 1, "f")
    with pytest.raises(ValueError, match=r"^trunc_normal_: b must not be NaN$"):
        torch_trunc_bounds(0.0, 1.0, 0.0, math.nan)
    with pytest.raises(TypeError, match=r"^mean must be a real number, got bool True$"):
        torch_trunc_bounds(True, 1.0, 0.0, 1.0)


def test_keras_axes():
    from fastinit.presets.fans import compute_fans, keras_axes

    axes = keras_axes([1], [-1], 4)
    assert axes == {"in_axis": (1,), "out_axis": (-1,), "batch_axis": (0, 2)}
    assert compute_fans((2, 3, 5, 7), **axes) == (3, 7)
    assert keras_axes((np.int64(0),), (9,), 2)["batch_axis"] == (1,)  # 9: left for compute_fans to report


@pytest.mark.parametrize("call,name", [
    (lambda out: fastinit.constant(out, 10**400), "value"),
    (lambda out: fastinit.normal(out, 0.0, 10**400, seed=1), "std"),
    (lambda out: fastinit.uniform(out, -(10**400), 1.0, seed=1), "low"),
])
def test_numbers_beyond_float64_are_a_value_error_naming_the_parameter(call, name):
    out = np.full(4, 7.0, np.float32)
    with pytest.raises(ValueError, match=f"{name}=.* too large for a float64"):
        call(out)
    assert (out == 7.0).all()
