"""The parameter texts that many public functions share, written once.

A docstring names a shared text by a placeholder on its own ``Args:`` line, e.g.
``seed: {seed}``; :func:`shared_docs` replaces each placeholder with the text, indenting the
continuation lines under the entry, so ``help()``, IDEs and the API reference show the whole text.

Example:
    >>> @shared_docs
    ... def f(seed=None):
    ...     '''Do something.
    ...
    ...     Args:
    ...         seed: {seed}
    ...     '''
    >>> "Philox key" in f.__doc__
    True
"""

import re
from typing import Callable, TypeVar

__all__ = ["SHARED", "shared_docs"]

F = TypeVar("F", bound=Callable[..., object])

#: Texts of the parameters that the fills, the presets and the adapters share (Google style, one
#: paragraph each; placeholders are the keys).
SHARED: dict[str, str] = {
    "out": (
        "The array to fill in place (a NumPy array of any shape, 0-d included, and any strides: C, "
        "Fortran, sliced, negative steps), or a shape (an int or a tuple of ints) to allocate a new "
        "array of ``dtype``. The filled array is returned."
    ),
    "seed": (
        "The Philox key: an int in [0, 2**64). The same seed gives the same values on every "
        "machine, thread count and SIMD path. ``None`` (the default) draws a fresh seed from the "
        "operating system, so the values differ on each call: pass a seed to reproduce them."
    ),
    "stream": (
        "Which independent sequence of the seed to use: an int in [0, 2**64) or a str (hashed "
        "with BLAKE2b to 64 bits). Give every tensor its own stream, e.g. its parameter name, and "
        "tensors are independent of each other and of the order they are filled in."
    ),
    "full_shape": (
        "The shape of the whole logical tensor of which ``out`` is a part. ``None`` (the "
        "default) means ``out`` is the whole tensor. Fans, where a preset uses them, come from "
        "``full_shape``, never from the part."
    ),
    "index": (
        "Which part of the ``full_shape`` tensor ``out`` holds: ``out`` is filled with "
        "``full[index]`` of a whole fill, bit for bit. A tuple with one entry per leading axis, "
        "each an int, a step-1 slice or a 1-D array of int IDs (any order, duplicates and "
        "negatives allowed); arrays on several axes combine as ``np.ix_`` does. ``None`` (the "
        "default) means the whole tensor."
    ),
    "dtype": (
        "The dtype of a newly allocated array when ``out`` is a shape (default float32): "
        "float32, float64, float16, bfloat16 (``ml_dtypes.bfloat16`` or ``\"bfloat16\"``), or "
        "complex64/complex128 where the function supports complex values. Must match ``out``'s "
        "dtype (or be omitted) when ``out`` is an array."
    ),
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)(?P<name>\*{0,2}\w+): \{(?P<key>\w+)\}[ \t]*$", re.MULTILINE)


def _wrap(text: str, indent: str, width: int = 96) -> str:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ("\n" + indent).join(lines)


def fill_placeholders(doc: str) -> str:
    """Replace each ``name: {key}`` line of ``doc`` with ``name:`` and the shared text for ``key``."""

    def replace(m: "re.Match[str]") -> str:
        key = m.group("key")
        if key not in SHARED:
            raise KeyError(f"no shared parameter text named {key!r}; known: {sorted(SHARED)}")
        indent = m.group("indent")
        return f"{indent}{m.group('name')}: " + _wrap(SHARED[key], indent + "    ")

    return _PLACEHOLDER.sub(replace, doc)


def shared_docs(func: F) -> F:
    """Fill the shared parameter texts into ``func``'s docstring (see the module docstring)."""
    if func.__doc__:
        func.__doc__ = fill_placeholders(func.__doc__)
    return func
