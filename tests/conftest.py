"""Shared by every test: fixtures, the frameworks a test module needs, the test tiers, and CI's
no-skip rule.

Tiers (markers registered in pyproject.toml): ``python -m pytest`` runs the fast tier; the tests
marked ``slow``, ``sanitizers`` or ``multiprocess`` run with
``python -m pytest -m "slow or sanitizers or multiprocess"``. ``.ci/run`` runs both.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import pathlib

import pytest

import fastinit

DATA = pathlib.Path(__file__).resolve().parent / "data"

#: The deselected tiers of a plain ``python -m pytest`` (the ``-m`` of addopts in pyproject.toml).
DEFAULT_TIER = "not slow and not sanitizers and not multiprocess"

#: How to get the frameworks of the adapter tests. The test extra leaves them out: torch alone,
#: unpinned, is a multi-GB CUDA build; its CPU build comes first, then the rest.
INSTALL_FRAMEWORKS = ('pip install torch --index-url https://download.pytorch.org/whl/cpu && '
                      'pip install ".[frameworks]"  (the CPU build of torch, then the other frameworks)')

#: The top-level module a test module's import needs: each framework, and fastinit's adapter for it.
FRAMEWORK_OF = {name: name for name in ("torch", "jax", "keras", "flax", "dask", "distributed", "zarr",
                                        "transformers")}
FRAMEWORK_OF.update({"fastinit.torch": "torch", "fastinit.jax": "jax", "fastinit.keras": "keras",
                     "fastinit.dask": "dask"})


def needs(module: str):
    """``module`` imported, or the test skipped with how to install the frameworks."""
    return pytest.importorskip(module, reason=f"{module} is not installed: {INSTALL_FRAMEWORKS}")


@pytest.fixture
def restore_runtime():
    """Put thread count and SIMD path back after a test that changes them."""
    threads, path = fastinit.get_num_threads(), fastinit.simd_path()
    yield
    fastinit.set_num_threads(threads)
    fastinit.set_simd_path(path)


@pytest.fixture(params=["plain", "nontemporal"])
def large_stores(request):
    """Each kind of store for outputs of 32 MiB and more, forced for the test (the measured
    choice differs between CPUs, so each is tested on every machine); put back afterwards."""
    fastinit.set_store_kind(request.param)
    yield request.param
    fastinit.set_store_kind(os.environ.get(fastinit.STORES_ENV_VAR, "").strip().lower() or "auto")


def _imported_name(node: ast.stmt) -> list[str]:
    """The modules a top-level statement imports: ``import m``, ``from m import x`` and
    ``x = pytest.importorskip("m")``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.level == 0 and node.module else []
    call = node.value if isinstance(node, (ast.Assign, ast.Expr)) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "importorskip"
            and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        return [call.args[0].value]
    return []


def _frameworks_imported(path: pathlib.Path) -> set[str]:
    """The frameworks that the module at ``path`` imports at its top level."""
    names = {name for node in ast.parse(path.read_bytes(), str(path)).body for name in _imported_name(node)}
    found = set()
    for name in names:
        parts = name.split(".")
        found.update(FRAMEWORK_OF[p] for p in (".".join(parts[:i]) for i in (1, 2)) if p in FRAMEWORK_OF)
    return found


class _MissingFrameworks(pytest.Module):
    """A test module whose frameworks are not installed: skipped whole, saying how to get them."""

    missing: list[str] = []

    def collect(self):
        pytest.skip(f"{', '.join(self.missing)} not installed: {INSTALL_FRAMEWORKS}")


def pytest_pycollect_makemodule(module_path, parent):
    missing = sorted(m for m in _frameworks_imported(module_path) if importlib.util.find_spec(m) is None)
    if not missing:
        return None
    module = _MissingFrameworks.from_parent(parent, path=module_path)
    module.missing = missing
    return module


#: Parameter tables whose cases cost a second or more each: the fast tier runs this many of each,
#: spread evenly over the table (its first and last case among them); the others are marked slow.
SAMPLED_TABLES = {
    "test_readme.py::test_readme_block_runs": 6,
    "test_writer_streams.py::test_closed_or_full_output_never_fails_a_complete_table": 1,
    "test_writer_records.py::test_printed_resume_command_round_trips": 1,
    "test_writer_safety.py::test_symlinks_at_predictable_names_are_never_followed": 1,
    "test_invariance.py::test_large_bits_fill_in_fortran_order": 1,
    "test_invariance.py::test_large_fill_with_unaligned_columns": 2,
    "test_statistics.py::test_truncated_normal_ks": 6,
    "test_accuracy.py::test_truncated_normal_float32_every_level": 4,
    "test_stream_doc.py::test_truncated_normal_from_the_document": 10,
    "test_gather_core.py::test_rows_by_id_equal_the_whole_fill": 30,
    "test_parity_jax.py::test_orthogonal_matches_jax": 3,
    "test_parity_jax.py::test_variance_scaling_matches_jax": 12,
    "test_parity_torch.py::test_orthogonal_matches_torch": 3,
    "test_parity_torch.py::test_init_module_matches_each_modules_reset_parameters": 15,
    "test_parity_keras.py::test_get_resolves_every_keras_name": 12,
    "test_parity_keras.py::test_orthogonal_matches_keras": 4,
    "test_parity_keras.py::test_variance_scaling_matches_keras": 12,
    "test_adapter_jax.py::test_delta_orthogonal_structure": 4,
    "test_adapter_jax.py::test_complex_orthogonal_and_delta_orthogonal": 1,
    "test_adapter_jax.py::test_orthogonal": 2,
    "test_adapter_jax.py::test_complex_variance_scaling": 4,
    "test_layers_flax.py::test_linen_dense_and_conv": 1,
}


def _sample(n: int, keep: int) -> set[int]:
    """``keep`` of the indices 0..n-1, evenly spread, 0 and n-1 among them."""
    if keep >= n:
        return set(range(n))
    return {0} if keep <= 1 else {round(i * (n - 1) / (keep - 1)) for i in range(keep)}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    tables: dict[str, list] = {}
    for item in items:
        key = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
        if key in SAMPLED_TABLES:
            tables.setdefault(key, []).append(item)
    for key, cases in tables.items():
        kept = _sample(len(cases), SAMPLED_TABLES[key])
        for i, item in enumerate(cases):
            if i not in kept:
                item.add_marker(pytest.mark.slow)


def pytest_report_header(config):
    if config.getoption("markexpr") == DEFAULT_TIER:
        return [f'tier: fast (-m "{DEFAULT_TIER}"); the rest: python -m pytest -m "slow or sanitizers or multiprocess"']
    return []


# CI sets FASTINIT_NO_SKIP=1: a test that would skip (a framework or tool missing) fails instead,
# so CI can never pass by skipping. Locally, skips stay skips and say why.
NO_SKIP = os.environ.get("FASTINIT_NO_SKIP", "") not in ("", "0")


def _as_failure(report, what: str) -> None:
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
    report.outcome = "failed"
    report.longrepr = f"{what} skipped, but FASTINIT_NO_SKIP is set (CI): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        _as_failure(report, item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if isinstance(collector, _MissingFrameworks) and report.skipped:  # name the module, not this file
        report.longrepr = (str(collector.path), 1, report.longrepr[-1])
    if NO_SKIP and report.skipped:
        _as_failure(report, collector.nodeid)
