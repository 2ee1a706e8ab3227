"""The package version: the one place it is written.

pyproject.toml reads it from here at build time (scikit-build-core's regex metadata provider),
and ``fastinit.__version__`` imports it, so the installed metadata and the module never disagree.
"""

__version__ = "0.1.0"
