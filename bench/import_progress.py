"""Benchmark: a 32,844-row import as a person at a terminal sees it (issue 16: "silent for 8 s while reading,
0/? for 18 s while writing, then 90 repaired lines").

On a new empty database: ``patchmap import boundaries`` of England's 32,844 LSOAs (../shared/data), then
``patchmap import iod`` of IoD2019 File 2 (32,844 rows, a table read by ``layers.importers.tabular``; no
roll-up, to time the table alone). Each command runs under a pseudo-terminal, as at a terminal, so rich draws
its progress; every redraw of stderr is time-stamped. Reported per step: how long it was on screen and what its
progress showed (a count against a total, or a spinner and the elapsed time), and how many lines the summary
printed on stdout.

    .venv/bin/python bench/import_progress.py [--no-write]
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, SHARED, bench_url, machine, write_section

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COUNT = re.compile(r"(\d[\d,]*)/(\d[\d,]*)")
STEP = re.compile(
    r"^\W*\s*((?:Opening|Reading|Checking|Writing|Building|Rolling|Apportioning)[^━╸╺─]*?)\s*(?:[━╸╺─]|$)"
)


@dataclass
class Step:
    """One step of an import as seen on stderr: when it was first and last drawn, and the counts it showed."""

    name: str
    first: float
    last: float
    counts: list[tuple[float, int, int]] = field(default_factory=list)


def watch(args: list[str], env: dict[str, str]) -> tuple[float, list[Step], str, str]:
    """Run ``patchmap args`` with stderr on a pseudo-terminal; its wall time, steps, stdout and raw stderr."""
    master, slave = pty.openpty()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(slave)
    chunks: list[tuple[float, str]] = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append((time.perf_counter() - t0, data.decode("utf-8", "replace")))
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait()
    wall = time.perf_counter() - t0
    os.close(master)
    raw = "".join(c for _, c in chunks)
    if proc.returncode:
        sys.exit(f"patchmap {' '.join(args)} failed:\n{out}\n{ANSI.sub('', raw)[-3000:]}")
    steps: dict[str, Step] = {}
    for t, chunk in chunks:
        for line in re.split(r"[\r\n]", ANSI.sub("", chunk)):
            m = STEP.match(line)
            if not m:
                continue
            name = m.group(1).strip()
            step = steps.setdefault(name, Step(name, t, t))
            step.last = t
            count = COUNT.search(line[m.end(1) :])
            if count:
                done, total = (int(g.replace(",", "")) for g in count.groups())
                step.counts.append((t, done, total))
    return wall, sorted(steps.values(), key=lambda s: s.first), out, raw


def last_screen(raw: str, n: int) -> str:
    """The last ``n`` progress lines drawn (the finished steps, one a line)."""
    lines = [line.rstrip() for line in re.split(r"[\r\n]", ANSI.sub("", raw)) if STEP.match(line)]
    return "\n".join(lines[-n:])


def rows(label: str, wall: float, steps: list[Step], out: str) -> list[str]:
    """Table rows for one import: each step's time on screen and what its progress showed."""
    lines = []
    for i, s in enumerate(steps):
        end = steps[i + 1].first if i + 1 < len(steps) else wall
        running = [
            (done, total) for t, done, total in s.counts if t < end
        ]  # not the ✓ drawn as the next began
        if running:
            seen = sorted({done for done, _ in running})
            shown = (
                f"a count against its total, redrawn {len(seen)} times: "
                f"{seen[0]:,}/{running[0][1]:,} … {seen[-1]:,}/{running[-1][1]:,}"
            )
        else:
            shown = "a spinner and the elapsed time (no count: one call that cannot report)"
        lines.append(f"| {label} | {s.name} | {end - s.first:.1f} | {shown} |")
    summary = [line for line in out.splitlines() if line.strip()]
    lines.append(f"| {label} | whole command (wall) | {wall:.1f} | summary on stdout: {len(summary)} lines |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--stderr", type=Path, help="also keep the raw stderr of both imports here")
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url = bench_url(base, "patchmap_bench_import", fresh=True)
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "140", "TERM": "xterm"}
    subprocess.run([sys.executable, "-m", "api.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    lsoas = SHARED / "england" / "lsoa_2011.geojson.gz"
    file2 = SHARED / "imd2019" / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
    runs = {
        "boundaries (LSOAs)": ["import", "boundaries", str(lsoas), "--kind", "lsoa"],
        "IoD2019 File 2": ["import", "iod", str(file2), "--no-rollup"],
    }
    table = [
        "## A 32,844-row import at a terminal: progress while reading and writing (issue 16)",
        "",
        "Command: `.venv/bin/python bench/import_progress.py`. Machine: " + machine() + ".",
        "",
        "A new empty database; `patchmap import boundaries lsoa_2011.geojson.gz --kind lsoa` (England's 32,844 "
        "LSOAs), then `patchmap import iod File_2_-_IoD2019_Domains_of_Deprivation.csv.gz --no-rollup` (32,844 "
        "rows). Each runs under a pseudo-terminal; every redraw of its progress on stderr is time-stamped. "
        "Seconds each step was on screen (until the next began). A step whose only count is 1/1 showed a "
        "spinner and its elapsed time while it ran: the 1/1 is drawn as it ends. Reading a spatial file is "
        "GDAL's opening pass (a spinner: one call; a GeoJSON's features are counted meanwhile), then its features "
        "in batches of 4,096 against that total. Before batches (main at 2c54f2a): one step, Reading "
        "lsoa_2011.geojson.gz, 4.0 s with a spinner only (on a busier machine). The reading function alone, "
        "old and new taking turns on this machine: 3.3-3.4 s before, 2.6-2.7 s now when quiet; 3.6-4.1 s and "
        "2.8-4.4 s under a load of 4-5 on 2 cores (GeoJSON is no longer opened once more to list its layers; "
        "counting its features needs a second core).",
        "",
        "| import | step | s | progress shown |",
        "|---|---|---:|---|",
    ]
    raw_all, screens = [], []
    for label, command in runs.items():
        wall, steps, out, raw = watch(command, env)
        raw_all.append(f"$ patchmap {' '.join(command)}\n{raw}")
        table += rows(label, wall, steps, out)
        print("\n".join(table[-len(steps) - 1 :]))
        screens.append(
            f"$ patchmap {' '.join(Path(a).name if '/' in a else a for a in command)}\n"
            + last_screen(raw, len(steps))
            + "\n"
            + out.rstrip()
        )
    table += [
        "",
        "What stderr showed at the end (the last redraw), then the summary on stdout:",
        "",
        "```",
        *screens,
        "```",
    ]
    if args.stderr:
        args.stderr.write_text("\n".join(raw_all), encoding="utf-8")
    body = "\n".join(table)
    if args.no_write:
        print(body)
    else:
        write_section("import-progress", body)
        print("BENCHMARKS.md: section import-progress written")


if __name__ == "__main__":
    main()
