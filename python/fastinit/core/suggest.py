"""Error messages for a bad choice among named options: name the parameter, the closest valid
name (difflib, ignoring case and underscores) and every valid name."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence

__all__ = ["check_choice", "closest", "did_you_mean", "unknown_choice"]


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def closest(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to ``value`` (best first), compared without case or underscores."""
    by_norm: dict[str, str] = {}
    for c in choices:
        by_norm.setdefault(_norm(c), c)
    hits = difflib.get_close_matches(_norm(value), list(by_norm), n=n, cutoff=0.6)
    return [by_norm[h] for h in hits]


def did_you_mean(value: str, choices: Iterable[str], show: Callable[[str], str] = repr) -> str:
    """``" Did you mean 'a' or 'b'?"`` (leading space included) naming the :func:`closest` of
    ``choices`` to ``value`` in their order, each written by ``show`` (default ``repr``; e.g. a
    command-line flag); ``""`` when none is close."""
    near = closest(value, choices)
    return " Did you mean " + " or ".join(show(c) for c in near) + "?" if near else ""


def unknown_choice(param: str, value: object, choices: Iterable[str]) -> ValueError:
    """A ValueError for ``param=value`` not among ``choices``, suggesting the closest names."""
    choices = list(choices)
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    valid = ", ".join(repr(c) for c in choices)
    return ValueError(f"unknown {param}={value!r}.{hint} Valid values: {valid}")


def check_choice(value: object, param: str, choices: Sequence[str]) -> str:
    """``value`` lower-cased if it is one of ``choices``, else TypeError/ValueError naming ``param``."""
    if not isinstance(value, str):
        raise TypeError(f"{param} must be a str (one of {', '.join(choices)}), got {type(value).__name__} {value!r}")
    v = value.lower()
    if v not in choices:
        raise unknown_choice(param, value, choices)
    return v
