"""The code of README.md and of every page under docs/ runs as written.

Every fenced ```python block runs in a fresh interpreter (this one's ``sys.executable``) and every
```bash block with ``bash -e -o pipefail``, each in its own empty temporary directory, with this
interpreter's ``bin`` directory first on PATH (so ``fastinit`` and ``python`` are the installed
ones). A block fails the test if it exits non-zero.

The conventions (docs/development.md, "How the examples are tested", says the same):

- One way to shrink big sizes, visible in the block: a line ``NAME = VALUE  # ... scaled in
  tests: NEW`` (or ``NAME=VALUE`` in bash) runs here with ``NEW`` in place of ``VALUE``. Nothing
  else in a block is changed.
- A block preceded by the line ``<!-- not run by tests/test_readme.py: REASON -->`` is not run
  (the install commands, which make virtual environments, the full benchmark run and the wheel
  build, which CI runs itself, and the CuPy example, which needs a GPU). Each file has exactly the
  number of them that ``NOT_RUN`` says.
- Output and listings are fenced ```text; any other info string is an error here.
- A torchrun block whose first failing rank was killed by a signal runs once more, with a warning.

A block that needs a framework (torch, Keras and its backend, JAX, Dask, zarr, transformers) is
skipped, with the reason, when that framework is not installed (CI installs them all and fails
on a skip).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# README.md and the documentation site's pages (mkdocs.yml), in a fixed order.
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

RUNNABLE = ("python", "bash")
ALLOWED_INFO = RUNNABLE + ("text",)
NOT_RUN_MARK = "<!-- not run by tests/test_readme.py:"
# The not-run blocks of each file: the install commands (README.md; getting started includes them),
# the full benchmark run (performance), the wheel build (development), the CuPy example (gpu: CuPy
# needs a GPU) and the timm/torchvision example (model-zoos: neither is installed for the tests). A file
# not named has none.
NOT_RUN = {"README.md": 1, "docs/guide/performance.md": 1, "docs/development.md": 1, "docs/guide/gpu.md": 1,
           "docs/guide/model-zoos.md": 1}
MIN_RUNNABLE = 17  # so that a parser that finds nothing fails (the README and docs/ have 17 today)
SLOW_BLOCKS = ("fastinit info",)  # marked slow: times 64 M-value fills against NumPy (~5 s of CPU)
MULTIPROCESS_BLOCKS = ("torchrun",)  # marked multiprocess: a world of 4 gloo ranks (sharded training)
TIMEOUT_S = 600

SCALED = re.compile(r"^(?P<lhs>\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*)(?P<value>\S.*?)"
                    r"(?P<comment>\s+#.*?\bscaled in tests:\s*)(?P<new>\S.*?)\s*$")
FENCE = re.compile(r"^```(?P<info>[^`]*)$")


@dataclasses.dataclass
class Block:
    path: str  # relative to the repository root, e.g. "docs/guide/rows-by-id.md"
    line: int  # 1-based line of the opening fence
    info: str
    code: str
    not_run_reason: str | None

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def id(self) -> str:
        return f"{self.path}:L{self.line}-{self.lang or 'plain'}"


def parse(text: str, path: str = "README.md") -> list[Block]:
    """The fenced blocks of a Markdown text, with the not-run mark of the line before each."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        assert j < len(lines), f"{path}:{start + 1}: code fence never closed"
        prev = next((lines[k].strip() for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        reason = prev[len(NOT_RUN_MARK):].rstrip("->").strip() if prev.startswith(NOT_RUN_MARK) else None
        blocks.append(Block(path, start + 1, m.group("info").strip(), "\n".join(lines[start + 1:j]) + "\n", reason))
        i = j + 1
    return blocks


def scale(code: str) -> str:
    """Apply the one scaling convention: `NAME = VALUE  # ... scaled in tests: NEW`
    runs as `NAME = NEW`. Every other line is left exactly as written."""
    out = []
    for line in code.splitlines():
        if "scaled in tests:" in line:
            m = SCALED.match(line)
            assert m, f"a 'scaled in tests:' comment must follow an assignment NAME = VALUE: {line!r}"
            line = m.group("lhs") + m.group("new")
        out.append(line)
    return "\n".join(out) + "\n"


BLOCKS = [b for f in FILES for b in parse(f.read_text(encoding="utf-8"), f.relative_to(ROOT).as_posix())]
RUN = [b for b in BLOCKS if b.lang in RUNNABLE and b.not_run_reason is None]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _requirements(block: Block) -> list[tuple]:
    """(module, pip hint) pairs the block needs, judged from its text (no framework is imported
    here: Keras picks its backend at import, and the block is the one that chooses it)."""
    code = block.code
    need = []
    if re.search(r"\bimport torch\b|fastinit\.torch\b", code):
        need.append(("torch", 'the CPU build of torch, then pip install "fastinit[frameworks]" (README)'))
    if re.search(r"\bimport keras\b|fastinit\.keras\b", code):
        backend = os.environ.get("KERAS_BACKEND", "torch")
        need.append(("keras", "pip install keras"))
        need.append(({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend),
                     f"Keras backend {backend!r} (KERAS_BACKEND) not installed"))
    if re.search(r"\bimport jax\b|fastinit\.jax\b", code):
        need.append(("jax", 'pip install "jax[cpu]"'))
    if re.search(r"fastinit\.dask\b", code):
        need.append(("dask", 'pip install "fastinit[dask]"'))
    if re.search(r"\.zarr\b|\bto_zarr\b", code):
        need.append(("zarr", 'pip install "fastinit[dask]" (zarr 3, Python >= 3.11)'))
    if re.search(r"\bimport torchrec\b|fastinit\.torchrec\b", code):
        need.append(("torchrec", "fbgemm-gpu-cpu and TorchRec (the pip line in docs/guide/torchrec.md)"))
    if re.search(r"\bimport transformers\b|\btransformers\.", code):
        need.append(("transformers", 'pip install "fastinit[frameworks]" (transformers 5, Python >= 3.11)'))
    return need


def _param(block: Block):
    marks = [pytest.mark.slow] if any(s in block.code for s in SLOW_BLOCKS) else []
    if any(s in block.code for s in MULTIPROCESS_BLOCKS):
        marks.append(pytest.mark.multiprocess)
    return pytest.param(block, id=block.id, marks=marks)


def test_readme_blocks_are_fenced_by_the_convention():
    """Every fence says what it is; exactly the listed blocks are marked not run, and they say
    why; every scaled line follows the one convention; enough blocks run that this test means
    something."""
    assert any(b.path == "README.md" for b in BLOCKS), "no fenced blocks found in README.md"
    for b in BLOCKS:
        assert b.lang in ALLOWED_INFO, (f"{b.where}: fence info {b.info!r}: use ```python or ```bash "
                                        "for code that runs, ```text for output and listings")
        if b.not_run_reason is not None:
            assert b.lang in RUNNABLE and b.not_run_reason, f"{b.where}: a not-run mark needs a reason"
        scale(b.code)  # raises on a malformed 'scaled in tests' line
    not_run: dict[str, int] = {}
    for b in BLOCKS:
        if b.not_run_reason is not None:
            not_run[b.path] = not_run.get(b.path, 0) + 1
    assert not_run == NOT_RUN, [b.id for b in BLOCKS if b.not_run_reason is not None]
    assert len(RUN) >= MIN_RUNNABLE, f"only {len(RUN)} runnable blocks found in README.md and docs/"


def test_scale_replaces_only_the_value():
    code = 'N = 10_000_000  # 40 MB; scaled in tests: 10_000\nx = N  # scaled? no\nROWS=100 # scaled in tests: 7\n'
    assert scale(code) == "N = 10_000\nx = N  # scaled? no\nROWS=7\n"
    with pytest.raises(AssertionError):
        scale("print(1)  # scaled in tests: 2\n")


# torchrun's failure report: the rank that failed first, and its exit code (negative: a signal).
ROOT_CAUSE = re.compile(r"Root Cause \(first observed failure\):.*?exitcode\s*:\s*(-?\d+)", re.S)


def killed_by_signal(out: str) -> bool:
    """True when torchrun's report says the rank that failed first was killed by a signal: torch's
    native teardown crashed now and then in CI after the ranks had done their work (a SIGABRT,
    "terminate called without an active exception"; tests/gloo_ranks.py runs such worlds again)."""
    m = ROOT_CAUSE.search(out)
    return m is not None and int(m.group(1)) < 0


def test_killed_by_signal_reads_torchrun_reports():
    report = ("init_tables.py FAILED\n[1]:\n  rank      : 0 (local_rank: 0)\n  exitcode  : -15 (pid: 12)\n"
              "Root Cause (first observed failure):\n[0]:\n  rank      : 1 (local_rank: 1)\n"
              "  exitcode  : {code} (pid: 13)\n  error_file: <N/A>\n")
    assert killed_by_signal(report.format(code=-6))
    assert not killed_by_signal(report.format(code=1))  # a failed check: never run again
    assert not killed_by_signal("Traceback (most recent call last):\nAssertionError\n")


def _run_block(argv: list[str], work: pathlib.Path, env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.run(argv, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=TIMEOUT_S)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("block", [_param(b) for b in RUN])
def test_readme_block_runs(block: Block, tmp_path):
    """The block exits 0. A torchrun block whose first failing rank was killed by a signal runs
    once more, with a warning (as tests/gloo_ranks.py does for the distributed tests' worlds)."""
    for module, hint in _requirements(block):
        if not _has(module):
            pytest.skip(f"{block.where} needs {module}: {hint}")
    code = scale(block.code)
    env = dict(os.environ)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    if block.lang == "python":
        script = tmp_path / "block.py"
        argv = [sys.executable, str(script)]
    else:
        script = tmp_path / "block.sh"
        argv = ["bash", "-e", "-o", "pipefail", str(script)]
    work = tmp_path / "work"
    work.mkdir()
    script.write_text(code, encoding="utf-8")
    returncode, out = _run_block(argv, work, env)
    if returncode != 0 and "torchrun" in block.code and killed_by_signal(out):
        with warnings.catch_warnings():  # shown in pytest's warnings summary, not an error (filterwarnings)
            warnings.simplefilter("always")
            warnings.warn(f"{block.where}: a rank was killed by a signal; the block ran again:\n{out[-3000:]}",
                          stacklevel=2)
        returncode, out = _run_block(argv, work, env)
    assert returncode == 0, (f"{block.where} ({block.lang}) exited with {returncode}\n"
                             f"--- block as run ---\n{code}--- output (last 4000 chars) ---\n{out[-4000:]}")
