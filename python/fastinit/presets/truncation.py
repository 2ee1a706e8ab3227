"""PyTorch's truncation bounds: ``torch.nn.init.trunc_normal_(mean, std, a, b)`` cuts N(mean,
std**2) at the *absolute* values ``a`` and ``b``; :func:`fastinit.truncated_normal` takes its
bounds in standard deviations from the mean, as ``scipy.stats.truncnorm`` does."""

from __future__ import annotations

from ..core.checks import finite_real, real

__all__ = ["torch_trunc_bounds"]


def torch_trunc_bounds(mean: object, std: object, a: object, b: object,
                       where: str = "trunc_normal_") -> tuple[float, float, float, float]:
    """``(mean, std, (a - mean) / std, (b - mean) / std)``: PyTorch's absolute bounds [a, b] as
    fastinit's bounds in standard deviations.

    ``mean`` and ``std`` must be finite real numbers with ``std > 0``; ``a`` and ``b`` real numbers,
    not NaN (infinite for a one-sided cut), with ``a < b``. Raises TypeError / ValueError naming
    the parameter (and ``where``, the function the caller called).
    """
    m = finite_real(mean, "mean")
    s = finite_real(std, "std")
    lo = real(a, "a", where, allow_nan=False)
    hi = real(b, "b", where, allow_nan=False)
    if not s > 0:
        raise ValueError(f"{where}: std must be > 0, got {s!r}")
    if not lo < hi:
        raise ValueError(f"{where}: the bounds need a < b, got a={a!r}, b={b!r}")
    return m, s, (lo - m) / s, (hi - m) / s
