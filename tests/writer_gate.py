"""A ``fastinit init`` run held after its first chunk: the writer's ``FASTINIT_DEBUG_CHUNK_GATE``
(a named pipe it reads one byte from after every chunk). The test waits for events (the writer
opened the pipe: a chunk is written; the record says so), never for a time; the timeouts only
stop a hang."""

import errno
import json
import os
import pathlib
import subprocess
import time

from fastinit.outofcore import sidecar_path
from fastinit.outofcore.writer import DEBUG_GATE_ENV


class HeldRun:
    """``subprocess.Popen(argv)`` with a gate at ``folder/gate``. :meth:`hold` returns once a chunk
    is written and recorded, with the writer waiting; :meth:`release` lets it run to its end."""

    def __init__(self, argv, folder, table, env=None):
        self.gate = pathlib.Path(folder) / "gate"
        os.mkfifo(self.gate)
        self.table = table
        self.fd = None
        env = dict(os.environ if env is None else env, **{DEBUG_GATE_ENV: str(self.gate)})
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def _check_alive(self, what):
        if self.proc.poll() is not None:
            out, err = self.proc.communicate()
            raise AssertionError(f"the run ended ({self.proc.returncode}) before {what}: {out} {err}")

    def hold(self, timeout=120):
        """Wait until the writer has written a chunk and waits at the gate, and its record counts
        the chunk; return that record."""
        deadline = time.monotonic() + timeout
        while self.fd is None:
            try:  # succeeds once the writer opened the pipe for reading: after its first chunk
                self.fd = os.open(self.gate, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                self._check_alive("its first chunk")
                assert time.monotonic() < deadline, "the run wrote no chunk"
                time.sleep(0.01)
        side = pathlib.Path(sidecar_path(self.table))
        while True:  # the record is written by a background thread; the writer waits meanwhile
            try:
                rec = json.loads(side.read_text())
            except (OSError, ValueError):
                rec = {}
            if rec.get("elements_done", 0) > 0:
                return rec
            self._check_alive("its first checkpoint")
            assert time.monotonic() < deadline, "no progress recorded"
            time.sleep(0.01)

    def release(self):
        """Let the writer go on, ungated, to its end (the gate's end of file)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def finish(self, timeout=120):
        """Release the writer and wait for it; ``(returncode, stdout, stderr)``."""
        self.release()
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.release()
        self.proc.communicate()
