"""Shared helpers for the benchmarks: the bench database, percentiles, and BENCHMARKS.md sections."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
BENCHMARKS = ROOT / "BENCHMARKS.md"


def bench_url(base_url: str, name: str = "patchmap_bench", *, fresh: bool = False) -> str:
    """The URL of database ``name`` on the server of ``base_url``, created if missing (or anew if fresh)."""
    with psycopg.connect(base_url, autocommit=True) as admin:
        if fresh:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    return url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://", 1)


def percentiles_ms(samples_ns: list[int] | np.ndarray) -> dict[str, float]:
    """p50, p95, p99 and mean of a list of nanosecond timings, in milliseconds."""
    a = np.asarray(samples_ns, dtype=float) / 1e6
    return {
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "mean": float(a.mean()),
    }


def machine() -> str:
    """One line describing the machine the benchmark ran on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores ({cpu}); "
        f"Python {platform.python_version()}; {pg}"
    )


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section ``name`` of BENCHMARKS.md."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")
