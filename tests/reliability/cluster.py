"""A throwaway PostgreSQL cluster of the tests' own, which they may stop, start and kill -9.

The suite's shared database must never be crashed, so the reliability tests make their own cluster in a
temporary folder (Unix socket only, as scripts/localdb does, with the same durable settings), load the
demo into it and serve the app on it. As root, PostgreSQL runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.waiting import until

PGBIN = Path(os.environ.get("PATCHMAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
AS_ROOT = os.geteuid() == 0


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = ["runuser", "-u", "postgres", "--", *args] if AS_ROOT else list(args)
    return subprocess.run(command, check=True, capture_output=True, text=True)


class Cluster:
    """One PostgreSQL cluster in its own folder: start, stop (fast), kill -9 and restart."""

    def __init__(self) -> None:
        base = Path(tempfile.mkdtemp(prefix="patchmap-cluster-", dir="/var/tmp"))
        self.base = base
        self.data = base / "data"
        if AS_ROOT:
            shutil.chown(base, "postgres", "postgres")
        base.chmod(0o755)
        _run(str(PGBIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = ''\nunix_socket_directories = '{self.data}'\nmax_connections = 60\n"
                "synchronous_commit = on\nfsync = on\nfull_page_writes = on\njit = off\n"
            )

    def url(self, database: str = "postgres") -> str:
        """A libpq URL of a database in this cluster."""
        return f"postgresql://postgres@/{database}?host={self.data}"

    def start(self) -> float:
        """Start the server and wait until it accepts connections; the seconds that took.

        After a kill -9, the dead postmaster's backends may hold its shared memory for a moment, and the
        new one refuses to start until they have gone: it is tried again until it starts (60 s at most).
        """
        began = time.monotonic()

        def started() -> bool:
            try:
                _run(str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                     "-t", "120", "start")  # fmt: skip
            except subprocess.CalledProcessError:
                return False
            return True

        until(started, "the database server to start (see server.log)", timeout=60)
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are ended, the database is left clean)."""
        _run(str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """kill -9 the postmaster, as a crash would (its backends then die too); waits until it is gone (its
        pidfd becomes readable when it exits: a wait for the event itself)."""
        pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        gone = os.pidfd_open(pid)
        try:
            os.kill(pid, signal.SIGKILL)
            exited, _, _ = select.select([gone], [], [], 30)
            assert exited, f"the postmaster {pid} was still running 30 s after kill -9"
        finally:
            os.close(gone)

    def remove(self) -> None:
        """Stop the server if it runs and delete the folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
