"""``python -m fastinit``: the ``fastinit`` command (see :mod:`fastinit.cli`).

    python -m fastinit init TABLE.npy --shape 100000000,128 --init he_normal --seed 0 --dtype float16
    python -m fastinit verify TABLE.npy --init he_normal --seed 0
    python -m fastinit info             # SIMD path, threads, throughput against NumPy
"""

from __future__ import annotations

import sys

from fastinit.cli import main

if __name__ == "__main__":
    sys.exit(main())
