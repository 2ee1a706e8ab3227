"""The fastinit seed of a JAX PRNG key: a threefry key's two words, or the hash of another key's words."""

import hashlib
from typing import Any

import jax
import numpy as np

__all__ = ["key_data", "seed_from_key", "seed_from_words"]


def seed_from_words(words: Any) -> int:
    """The seed of one key's uint32 words (see :func:`seed_from_key`)."""
    w = np.asarray(words)
    if w.dtype != np.uint32:
        raise TypeError(f"a JAX PRNG key's data must be uint32 words, got dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"expected a single PRNG key, got a key array with data of shape {w.shape}; split it and "
                         "call the initializer once per key (or use jax.vmap)")
    if w.size == 2:
        return (int(w[0]) << 32) | int(w[1])
    digest = hashlib.blake2b(w.astype("<u4").tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def key_data(key: Any) -> Any:
    """The uint32 words of ``key`` (typed or raw), or TypeError naming what a key is."""
    try:
        return jax.random.key_data(key)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"key must be a JAX PRNG key (jax.random.key(seed) or a raw uint32[2] jax.random.PRNGKey), "
                        f"got {type(key).__name__}: {exc}") from None


def seed_from_key(key: Any) -> int:
    """The 64-bit fastinit seed of a (concrete, single) JAX PRNG key.

    Threefry keys (data ``[k0, k1]``) give ``k0 * 2**32 + k1``, so ``jax.random.key(42)`` is seed
    42 and an initializer called with it gives the fastinit function's values for ``seed=42``;
    keys with other numbers of words give the BLAKE2b-64 hash of their little-endian bytes.

    Args:
        key: A new-style typed key (``jax.random.key``) or a raw ``uint32[2]`` key
            (``jax.random.PRNGKey``); concrete, not traced, and one key (not a key array).

    Returns:
        The seed, an int in [0, 2**64).

    Raises:
        TypeError: not a PRNG key.
        ValueError: an array of several keys (split it and call once per key).

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.seed_from_key(jax.random.key(42)), fj.seed_from_key(jax.random.PRNGKey(42))
        (42, 42)
    """
    return seed_from_words(np.asarray(key_data(key)))
