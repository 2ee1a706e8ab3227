"""Threads and SIMD paths of the compiled core."""

from __future__ import annotations

import os

from .. import _core
from .checks import integer

__all__ = ["SIMD_ENV_VAR", "get_num_threads", "set_num_threads", "simd_path", "simd_paths", "set_simd_path"]

#: Environment variable read at import: "scalar", "avx2"/"avx512" (x86-64), "neon" (AArch64) or "auto" (the default).
SIMD_ENV_VAR = "FASTINIT_SIMD"

_MAX_THREADS = 2**31 - 1


def get_num_threads() -> int:
    """Threads a fill uses at most (default: all cores, or ``OMP_NUM_THREADS`` when set)."""
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads (1 <= n < 2**31). Values never depend on it."""
    count = integer(n, "n", minimum=1)
    if count > _MAX_THREADS:
        raise ValueError(f"n must be <= {_MAX_THREADS} (a C int), got {count}; os.cpu_count() is the most "
                         "that helps")
    _core.set_num_threads(count)


def simd_paths() -> list[str]:
    """The SIMD paths this CPU can run, scalar first."""
    return list(_core.simd_paths())


def simd_path() -> str:
    """The SIMD path fills use now."""
    return _core.simd_path()


def set_simd_path(name: str) -> None:
    """Force a SIMD path (one of :func:`simd_paths`, or "auto"). Values never depend on it:
    this exists to compare paths and to work around a broken CPU feature report."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    _core.set_simd_path(name)


def _apply_environment() -> None:
    name = os.environ.get(SIMD_ENV_VAR, "").strip().lower()
    if name:
        try:
            _core.set_simd_path(name)
        except ValueError as exc:
            raise ImportError(f"{SIMD_ENV_VAR}={name!r}: {exc}") from None
