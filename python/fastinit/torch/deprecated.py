"""torch.nn.init's deprecated names: ``uniform``, ``normal``, ``constant``, ``eye``, ``dirac``,
``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``, ``kaiming_normal``, ``orthogonal``
and ``sparse`` warn (FutureWarning) and call the new ones, as in torch. Importable from
:mod:`fastinit.torch` but not in its ``__all__``.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

from .deterministic import constant_, dirac_, eye_
from .fan_scaled import kaiming_normal_, kaiming_uniform_, xavier_normal_, xavier_uniform_
from .functions import normal_, orthogonal_, sparse_, uniform_

__all__ = [
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def _deprecated(fn: _F) -> _F:
    """torch.nn.init's old name of ``fn`` (no trailing underscore): a FutureWarning, then ``fn``."""
    old = fn.__name__[:-1]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.", FutureWarning,
                      stacklevel=2)
        return fn(*args, **kwargs)
    call.__name__ = call.__qualname__ = old
    return call  # type: ignore[return-value]  # same signature as fn (functools.wraps)


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
