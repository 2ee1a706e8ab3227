import os
import pathlib

import pytest

import fastinit

DATA = pathlib.Path(__file__).resolve().parent / "data"


@pytest.fixture
def restore_runtime():
    """Put thread count and SIMD path back after a test that changes them."""
    threads, path = fastinit.get_num_threads(), fastinit.simd_path()
    yield
    fastinit.set_num_threads(threads)
    fastinit.set_simd_path(path)


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
    if NO_SKIP and report.skipped:
        _as_failure(report, collector.nodeid)
