"""The argument checks of the ``fastinit.torch`` drop-ins that torch makes itself, with torch's
messages (a drop-in's errors are part of its interface), a fastinit hint after them where it
helps: calculate_gain's nonlinearity and negative slope, the kaiming mode, normal_'s std and
uniform_'s range (torch's own kernel checks, run on an empty tensor of the dtype) and dirac_'s
groups. Each runs before anything is drawn or written.
"""

from typing import Any

import torch  # absolute import: the real PyTorch

from ..core.checks import is_integer, is_real
from ..core.suggest import did_you_mean
from ..presets.fans import NONLINEARITIES
from .checks import ParameterError

__all__ = ["check_gain_args", "check_fan_mode", "check_normal_std", "check_uniform_range", "check_dirac_groups"]

_FAN_MODES = ["fan_in", "fan_out"]


def check_gain_args(nonlinearity: Any, param: Any) -> None:
    """calculate_gain's ValueErrors: an unknown nonlinearity (exact names, as torch), a leaky_relu
    slope that is not a number (``param``: a Python number already, 0-d tensors converted)."""
    if not isinstance(nonlinearity, str) or nonlinearity not in NONLINEARITIES:
        hint = did_you_mean(nonlinearity, NONLINEARITIES) if isinstance(nonlinearity, str) else ""
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}.{hint} Valid values: "
                         f"{', '.join(map(repr, NONLINEARITIES))}")
    if nonlinearity == "leaky_relu" and param is not None and not is_real(param):
        raise ValueError(f"negative_slope {param} not a valid number")


def check_fan_mode(mode: Any) -> None:
    """kaiming's ``mode``: "fan_in" or "fan_out", any case (torch lower-cases it), checked before
    the tensor's rank as torch does; a non-str is left to the plan's TypeError."""
    if isinstance(mode, str) and mode.lower() not in _FAN_MODES:
        raise ParameterError(f"Mode {mode.lower()} not supported, please use one of {_FAN_MODES}")


def _torch_kernel_checks(method: str, tensor: Any, *params: Any) -> bool:
    """torch's own checks of ``tensor.<method>(*params)`` for a floating or complex ``tensor``: the call
    runs on an empty CPU tensor of its dtype (torch checks the parameters, then draws into no
    elements), torch's RuntimeError raised as ParameterError with torch's message. False (nothing
    checked) for other dtypes and non-tensors, whose errors are the fill's."""
    dtype = getattr(tensor, "dtype", None)
    if not isinstance(dtype, torch.dtype) or not (dtype.is_floating_point or dtype.is_complex):
        return False
    try:
        with torch._C.DisableTorchFunction():  # no mode (a seeded context, a device context) sees the probe
            getattr(torch.empty(0, dtype=dtype, device="cpu"), method)(*params)
    except RuntimeError as exc:
        raise ParameterError(str(exc)) from None
    return True


def check_normal_std(std: Any, tensor: Any) -> None:
    """normal_'s ``std`` >= 0 (not NaN), by torch's own check for ``tensor``'s dtype (torch's
    RuntimeError from its kernel; also ValueError)."""
    if not _torch_kernel_checks("normal_", tensor, 0.0, std) and is_real(std) and not std >= 0:
        raise ParameterError(f"normal expects std >= 0.0, but found std {std:g}")


def check_uniform_range(a: Any, b: Any, tensor: Any) -> None:
    """uniform_'s ``a <= b``, both within ``tensor``'s dtype, by torch's own check for that dtype
    (torch's RuntimeError from its kernel; also ValueError)."""
    if not _torch_kernel_checks("uniform_", tensor, a, b) and is_real(a) and is_real(b) and a > b:
        raise ParameterError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")


def check_dirac_groups(shape: tuple[int, ...], groups: Any) -> None:
    """dirac_'s ``groups`` (an int >= 1; fastinit's check) divides dim 0 (torch's message first)."""
    if is_integer(groups) and int(groups) >= 1 and shape and shape[0] % int(groups):
        raise ParameterError(f"dim 0 must be divisible by groups: groups={groups} does not divide "
                             f"out_channels={shape[0]} (axis 0 of {shape})")
