"""Stopping between chunks on SIGINT/SIGTERM: the handlers only note the signal, the write loop
stops at the next chunk and the record stays valid."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["install_stop_handlers", "restore_handlers"]


def install_stop_handlers(stop: list[str], enabled: bool) -> dict[int, Any]:
    """When ``enabled`` (and on the main thread), make SIGINT and SIGTERM append their name to
    ``stop`` (a second Ctrl-C interrupts at once); returns the handlers they replaced."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        return {}

    def on_signal(signum: int, frame: Any) -> None:
        stop.append(signal.Signals(signum).name)
        if signum == signal.SIGINT:  # a second Ctrl-C interrupts at once (the record stays valid)
            signal.signal(signal.SIGINT, signal.default_int_handler)

    return {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}


def restore_handlers(old: Mapping[int, Any]) -> None:
    """Put back the handlers :func:`install_stop_handlers` replaced."""
    for s, h in old.items():
        signal.signal(s, h)
