"""``python -m fastinit.cli``: the ``fastinit`` command, as ``python -m fastinit``."""

from __future__ import annotations

import sys

from . import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
