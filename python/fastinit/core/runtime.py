"""Threads, SIMD paths and the stores of large outputs, in the compiled core."""

import os

from .. import _core
from .checks import integer

__all__ = ["SIMD_ENV_VAR", "STORES_ENV_VAR", "get_num_threads", "set_num_threads", "set_simd_path", "set_store_kind",
           "simd_path", "simd_paths", "store_kind"]

#: Environment variable read at import: "scalar", "avx2"/"avx512" (x86-64), "neon" (AArch64) or "auto" (the default).
SIMD_ENV_VAR = "FASTINIT_SIMD"

#: Environment variable read at import: the stores of large outputs, "plain", "nontemporal" or "auto" (the default).
STORES_ENV_VAR = "FASTINIT_STORES"

_STORE_KINDS = ("auto", "plain", "nontemporal")

_MAX_THREADS = 2**31 - 1


def get_num_threads() -> int:
    """The number of threads a fill uses at most.

    The default is the number of CPUs this process may use (its affinity mask, as ``taskset`` or
    a job scheduler sets it, capped by a container's cgroup CPU quota), or ``OMP_NUM_THREADS``
    when set; :func:`set_num_threads` changes it. The values never depend on it.

    Returns:
        The thread count, an int >= 1.

    Example:
        >>> import fastinit
        >>> fastinit.get_num_threads() >= 1
        True
    """
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads in every later fill, in this process.

    The values never depend on it: a fill on 1 thread and on 64 gives the same bits. Small fills
    run on fewer threads than this, and so do ``constant``, ``zeros`` and ``ones`` for a while
    after one whose thread lost its core to other processes (they only write memory; see the
    performance guide, "Busy machines").

    Args:
        n: The thread count, an int in [1, 2**31); more than ``os.cpu_count()`` does not help.

    Raises:
        TypeError: ``n`` is not an int.
        ValueError: ``n < 1`` or ``n >= 2**31``.

    Example:
        >>> import fastinit
        >>> before = fastinit.get_num_threads()
        >>> fastinit.set_num_threads(1)
        >>> fastinit.get_num_threads()
        1
        >>> fastinit.set_num_threads(before)
    """
    count = integer(n, "n", minimum=1)
    if count > _MAX_THREADS:
        raise ValueError(f"n must be <= {_MAX_THREADS} (a C int), got {count}; os.cpu_count() is the most "
                         "that helps")
    _core.set_num_threads(count)


def simd_paths() -> list[str]:
    """The SIMD paths this CPU can run, ``"scalar"`` first.

    ``"avx2"``/``"avx512"`` on x86-64 and ``"neon"`` on AArch64, where the CPU has them. Every
    path gives the same values.

    Returns:
        A list of path names, e.g. ``["scalar", "avx2"]``.

    Example:
        >>> import fastinit
        >>> fastinit.simd_paths()[0]
        'scalar'
    """
    return list(_core.simd_paths())


def simd_path() -> str:
    """The SIMD path fills use now: the best of :func:`simd_paths`, unless one was forced.

    Returns:
        One of :func:`simd_paths`.

    Example:
        >>> import fastinit
        >>> fastinit.simd_path() in fastinit.simd_paths()
        True
    """
    return _core.simd_path()


def set_simd_path(name: str) -> None:
    """Force a SIMD path for every later fill in this process.

    The values never depend on it: this exists to compare paths and to work around a broken CPU
    feature report. The environment variable ``FASTINIT_SIMD`` (:data:`SIMD_ENV_VAR`) does the
    same at import.

    Args:
        name: One of :func:`simd_paths`, or ``"auto"`` for the best one.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: ``name`` is unknown or this CPU cannot run it (the message lists the paths).

    Example:
        >>> import fastinit
        >>> fastinit.set_simd_path("scalar")
        >>> fastinit.simd_path()
        'scalar'
        >>> fastinit.set_simd_path("auto")
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    _core.set_simd_path(name)


def store_kind() -> str:
    """The stores that write contiguous outputs of 32 MiB and more: ``"plain"`` or ``"nontemporal"``.

    Non-temporal stores skip the caches (no read of each memory line before it is written, none of
    your cached data evicted); plain stores go through them. Which writes memory faster depends
    on the CPU (non-temporal on an AMD Zen 2, plain on a Zen 4), so unless :func:`set_store_kind` or ``FASTINIT_STORES``
    (:data:`STORES_ENV_VAR`) chose one, the first call (or the first fill of 32 MiB or more)
    measures both, once per process: one thread writes a temporary 64-128 MiB buffer twice in
    2 MiB slices, plain and non-temporal in turn, the median slice of each kind deciding, and two
    such comparisons that agree (or a third) choose (tens of milliseconds; ranks started together
    share their traffic between both kinds). Smaller outputs use plain stores; Fortran-order and transposed
    outputs of 32 MiB and more non-temporal ones whatever this says, and the scalar path's copies
    are plain. The values never depend on it.

    Returns:
        ``"plain"`` or ``"nontemporal"``.

    Example:
        >>> import fastinit
        >>> fastinit.store_kind() in ("plain", "nontemporal")
        True
    """
    return _core.store_kind()


def set_store_kind(kind: str) -> None:
    """Force the stores that write contiguous outputs of 32 MiB and more, in this process.

    The values never depend on it. The environment variable ``FASTINIT_STORES``
    (:data:`STORES_ENV_VAR`) does the same at import, and skips the measurement
    :func:`store_kind` describes.

    Args:
        kind: ``"plain"``, ``"nontemporal"``, or ``"auto"`` for the faster of the two as measured
            on this machine.

    Raises:
        TypeError: ``kind`` is not a str.
        ValueError: ``kind`` is none of those.

    Example:
        >>> import fastinit
        >>> fastinit.set_store_kind("plain")
        >>> fastinit.store_kind()
        'plain'
        >>> fastinit.set_store_kind("auto")
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, got {type(kind).__name__}")
    if kind not in _STORE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _STORE_KINDS))}, got {kind!r}")
    _core.set_store_kind(kind)


def _apply_environment() -> None:
    name = os.environ.get(SIMD_ENV_VAR, "").strip().lower()
    if name:
        try:
            _core.set_simd_path(name)
        except ValueError as exc:
            raise ImportError(f"{SIMD_ENV_VAR}={name!r}: {exc}") from None
    kind = os.environ.get(STORES_ENV_VAR, "").strip().lower()
    if kind:
        if kind not in _STORE_KINDS:
            raise ImportError(f"{STORES_ENV_VAR}={kind!r}: must be one of {', '.join(map(repr, _STORE_KINDS))}")
        _core.set_store_kind(kind)
