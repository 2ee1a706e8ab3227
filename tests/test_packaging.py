"""The installed distribution's metadata tells the truth: one version everywhere, the MIT license
and its file shipped, and Python classifiers that match ``Requires-Python``.

These read the metadata of the fastinit that is installed (not the source tree), so they fail when
``pyproject.toml`` and the package disagree or when an install predates a metadata change.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import sys

import fastinit
from fastinit import _version

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def _metadata() -> importlib.metadata.PackageMetadata:
    return importlib.metadata.metadata("fastinit")


def test_installed_version_is_the_package_version():
    assert importlib.metadata.version("fastinit") == fastinit.__version__


def test_version_is_written_once():
    assert fastinit.__version__ is _version.__version__
    assert PEP440.match(fastinit.__version__), fastinit.__version__


def test_pyproject_reads_the_version_from_version_py():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^dynamic\s*=\s*\[[^\]]*"version"', project, re.M), "version must be dynamic"
    assert not re.search(r"^version\s*=", project, re.M), "a static version in [project] would be a second source"
    assert 'input = "python/fastinit/_version.py"' in text


def test_license_expression_and_file_are_shipped():
    meta = _metadata()
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    text = importlib.metadata.distribution("fastinit").read_text("licenses/LICENSE")
    assert text is not None, "LICENSE missing from the installed dist-info (licenses/LICENSE)"
    assert text.startswith("MIT License") and "the fastinit developers" in text


def test_readme_is_the_markdown_long_description():
    meta = _metadata()
    assert meta["Description-Content-Type"] == "text/markdown"
    # The long description is the body of METADATA, after the first blank line. Read as text: the
    # parsed message's payload came back empty once other tests had imported the frameworks.
    text = importlib.metadata.distribution("fastinit").read_text("METADATA") or ""
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    assert body.lstrip().startswith("# fastinit")


def test_python_classifiers_match_requires_python():
    meta = _metadata()
    floor = re.fullmatch(r">=3\.(\d+)", meta["Requires-Python"])
    assert floor, meta["Requires-Python"]
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in meta.get_all("Classifier")
                    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert minors[0] == int(floor.group(1)), "the lowest Python classifier must be the Requires-Python floor"
    assert minors == list(range(minors[0], minors[-1] + 1)), f"gaps in the Python classifiers: {minors}"
    assert sys.version_info[1] in minors, f"running on Python 3.{sys.version_info[1]}, which no classifier declares"


def test_extras_core_test_minimal_test_without_frameworks():
    reqs = importlib.metadata.requires("fastinit") or []

    def of(extra: str) -> list[str]:
        return [r for r in reqs if re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", r)]

    def names(extra: str) -> set[str]:
        return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in of(extra)}

    assert names("core-test") == {"pytest", "hypothesis", "scipy"}
    # test: core-test and lint through fastinit[...], and nothing multi-GB (no framework)
    assert names("test") == {"fastinit", "mpmath", "pytest-xdist"}
    assert any(re.match(r"fastinit\[core-test,\s*lint\]", r) for r in of("test")), of("test")
    assert {"torch", "keras", "jax", "flax", "transformers", "fastinit"} <= names("frameworks")  # fastinit[dask]
    assert any(re.match(r"fastinit\[dask\]", r) for r in of("frameworks")), of("frameworks")
    assert {"dask", "distributed", "zarr"} <= names("dask")
    assert {"ruff", "mypy"} <= names("lint")
    pinned = [r for r in reqs if "==" in r.split(";", 1)[0]]
    assert not pinned, f"an exact pin cannot resolve on every Python from 3.9 to 3.13: {pinned}"
