"""Benchmark: ``GET /analysis/overlay?level=ward`` for all England, end to end over HTTP, against today's code.

Two uvicorn servers, started here: *ours* (this checkout, migrations to 0017: inputs kept in step by change
counters, asset frame and 2SFCA pairs patched, answers written and gzipped once) and *today's* (a checkout of the commit named
by ``--today``, default 50052cc, e.g. ``git -C ../main worktree add --detach /tmp/today 50052cc``, run with
this checkout's virtualenv and ``PYTHONPATH`` pointing at it), each on its own copy of ``patchmap_bench``
(England's 7,681 wards, 32,844 LSOAs, IoD2019, 100,000 sample assets). Every district is marked mapped in both
(so every ward is scored, ranked and has rank ranges over 40 choices: the heaviest answer).

Each round makes one data change, the same SQL in both databases (committed): add a hub, move a hub, mark a
district mapped again (or take the mark away), set a group dormant (or active again); then times the first
request after it on each server (which one goes first alternates), then ``--warm`` more requests each. The
answers of the two servers are compared parsed after each change, value by value (``compare``: exactly, but for
the two known differences from 50052cc).

    .venv/bin/python bench/overlay_e2e.py --ours-db URL --today-db URL [--today-root /tmp/today] [--rounds 8]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, machine, write_section

PATH = "/analysis/overlay?level=ward"
MARK_ALL = (
    "INSERT INTO mapped_areas (area_id, kinds, mapped_by, source, mapped_at) "
    "SELECT id, ARRAY['group', 'hub', 'space'], 'bench', 'bench/overlay_e2e.py: every district', "
    "'2026-12-01T00:00:00Z' FROM areas WHERE kind = 'district' ON CONFLICT (area_id) DO NOTHING"
)
#: The data changes, one a round (each the same SQL in both databases), with what they are in words.
CHANGES: list[tuple[str, str]] = [
    (
        "a hub added",
        "INSERT INTO hubs (name, kind, geom, source) SELECT 'Bench hub ' || n, 'community_centre', "
        "ST_SetSRID(ST_MakePoint(-1.5491 + 0.002 * n, 53.8008), 4326), 'bench-e2e' "
        "FROM (SELECT count(*) AS n FROM hubs WHERE source = 'bench-e2e') c",
    ),
    (
        "a hub moved",
        "UPDATE hubs SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + 0.003, ST_Y(geom)), 4326) "
        "WHERE id = (SELECT min(id) FROM hubs WHERE kind = 'library')",
    ),
    (
        "a district's mapped mark taken away or given back",
        "WITH gone AS (DELETE FROM mapped_areas WHERE area_id = (SELECT id FROM areas WHERE code = 'E08000035') "
        "RETURNING 1) INSERT INTO mapped_areas (area_id, kinds, mapped_by, source, mapped_at) "
        "SELECT id, ARRAY['group', 'hub', 'space'], 'bench', 'bench', '2026-12-01T00:00:00Z' FROM areas "
        "WHERE code = 'E08000035' AND NOT EXISTS (SELECT 1 FROM gone)",
    ),
    (
        "a group set dormant or active again",
        "UPDATE groups SET status = CASE status WHEN 'active' THEN 'dormant' ELSE 'active' END "
        "WHERE id = (SELECT min(id) FROM groups WHERE geom IS NOT NULL)",
    ),
]


#: 50052cc said "1 groups", "1 hub" where the plural is wrong; ours says "1 group" (one known difference).
SINGULAR = re.compile(r"(?<![\d.,])1 (group|hub|space|potential space)s\b")
#: ours sums the 2SFCA steps in the what-if's split of access.py: per LSOA the same or one unit in the last place,
#: so an area's population-weighted mean may differ by a few units (at most ULPS are taken as this difference).
ULP_COLUMNS = ("access_2sfca", "access_e2sfca")
ULPS = 4


@dataclass
class Compared:
    """How two answers compare: equal but for the known differences, and how many of each there were."""

    equal: bool = True
    wording: int = 0
    ulps: int = 0
    most_ulps: float = 0.0
    largest: float = 0.0
    first_difference: str = ""

    def differ(self, what: str) -> None:
        """Note a difference that is not a known one."""
        if self.equal:
            self.first_difference = what[:300]
        self.equal = False


def _ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def compare(ours: dict[str, Any], today: dict[str, Any]) -> Compared:
    """Every value of the two answers, exactly, except the singular wording and 2SFCA within one ulp."""
    out = Compared()
    if {k: v for k, v in ours.items() if k != "areas"} != {k: v for k, v in today.items() if k != "areas"}:
        out.differ("the summary")
    if len(ours["areas"]) != len(today["areas"]):
        out.differ("the number of areas")
    for mine, theirs in zip(ours["areas"], today["areas"], strict=False):
        for key in mine.keys() | theirs.keys():
            a, b = mine.get(key), theirs.get(key)
            if a == b:
                continue
            if key == "explanation" and isinstance(b, str) and SINGULAR.sub(r"1 \1", b) == a:
                out.wording += 1
            elif key in ULP_COLUMNS and isinstance(a, float) and isinstance(b, float) and _ulps(a, b) <= ULPS:
                out.ulps += 1
                out.most_ulps = max(out.most_ulps, _ulps(a, b))
                out.largest = max(out.largest, abs(a - b))
            else:
                out.differ(f"{mine.get('code')} {key}: {a!r} against {b!r}")
    return out


def start(name: str, cwd: Path, url: str, port: int, pythonpath: Path | None) -> subprocess.Popen[bytes]:
    """A uvicorn serving the app of ``cwd`` on ``url``'s database, one worker; returns once /health answers."""
    env = {**os.environ, "DATABASE_URL": url}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    log = open(f"/tmp/overlay_e2e_{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--port", str(port),
         "--log-level", "warning"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{name} did not start: see /tmp/overlay_e2e_{name}.log")


def timed(client: httpx.Client, port: int) -> tuple[float, Any]:
    """Seconds for one GET of the overlay (status checked), and its parsed body."""
    t = time.perf_counter()
    answer = client.get(f"http://127.0.0.1:{port}{PATH}", timeout=300)
    seconds = time.perf_counter() - t
    answer.raise_for_status()
    return seconds, json.loads(answer.content)


def main() -> None:
    """Run the rounds, print the figures and write the BENCHMARKS.md section."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ours-db", required=True)
    parser.add_argument("--today-db", required=True)
    parser.add_argument("--today-root", type=Path, default=Path("/tmp/today"))
    parser.add_argument("--today", default="50052cc", help="the commit today-root holds (checked)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    head = subprocess.run(["git", "-C", str(args.today_root), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    if not head.startswith(args.today):
        raise SystemExit(f"{args.today_root} holds {head}, not {args.today}")
    dbs = {"ours": args.ours_db, "today": args.today_db}
    for url in dbs.values():
        with psycopg.connect(url) as c:
            c.execute(MARK_ALL)
    servers = {
        "ours": start("ours", ROOT, args.ours_db, 18301, None),
        "today": start("today", args.today_root, args.today_db, 18302, args.today_root),
    }
    ports = {"ours": 18301, "today": 18302}
    first: dict[str, list[float]] = {"ours": [], "today": []}
    warm: dict[str, list[float]] = {"ours": [], "today": []}
    cold: dict[str, float] = {}
    compared: list[Compared] = []
    loads = [os.getloadavg()[0]]
    try:
        with httpx.Client() as client:
            for name in ("ours", "today"):  # the first request after the server starts (nothing kept yet)
                cold[name], _ = timed(client, ports[name])
            for r in range(args.rounds):
                what, statement = CHANGES[r % len(CHANGES)]
                for url in dbs.values():
                    with psycopg.connect(url) as c:
                        c.execute(statement)
                order = ("ours", "today") if r % 2 == 0 else ("today", "ours")
                bodies = {}
                for name in order:
                    seconds, bodies[name] = timed(client, ports[name])
                    first[name].append(seconds)
                for name in order:
                    for _ in range(args.warm):
                        warm[name].append(timed(client, ports[name])[0])
                loads.append(os.getloadavg()[0])
                same = compare(bodies["ours"], bodies["today"])
                if not same.equal:
                    for name, body in bodies.items():
                        Path(f"/tmp/overlay_e2e_{name}_{r + 1}.json").write_text(json.dumps(body))
                compared.append(same)
                print(f"round {r + 1} ({what}): first ours {first['ours'][-1]:.2f} s, today "
                      f"{first['today'][-1]:.2f} s; equal but for the known differences: {same.equal} "
                      f"({same.wording} wordings, {same.ulps} within {ULPS} ulps) {same.first_difference}",
                      file=sys.stderr)  # fmt: skip
    finally:
        for proc in servers.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    report(args, cold, first, warm, compared, loads)


def report(
    args: argparse.Namespace,
    cold: dict[str, float],
    first: dict[str, list[float]],
    warm: dict[str, list[float]],
    compared: list[Compared],
    loads: list[float],
) -> None:
    """Print the table and (unless --no-write) write it to BENCHMARKS.md."""
    med = {k: {"first": statistics.median(first[k]), "warm": statistics.median(warm[k])} for k in first}

    def row(label: str, kind: str, samples: dict[str, list[float]]) -> str:
        ours, today = med["ours"][kind], med["today"][kind]
        return (
            f"| {label} | **{ours:.2f} s** ({min(samples['ours']):.2f}–{max(samples['ours']):.2f}) | "
            f"{today:.2f} s ({min(samples['today']):.2f}–{max(samples['today']):.2f}) | **{today / ours:.1f}×** |"
        )

    goal = med["ours"]["first"] <= 2.0
    by_kind = "; ".join(
        f"{what} {statistics.median(first['ours'][r :: len(CHANGES)]):.2f} s"
        for r, (what, _) in enumerate(CHANGES[: min(len(CHANGES), args.rounds)])
    )
    equal = sum(c.equal for c in compared)
    wording = max((c.wording for c in compared), default=0)
    ulps = max((c.ulps for c in compared), default=0)
    most = max((c.most_ulps for c in compared), default=0.0)
    largest = max((c.largest for c in compared), default=0.0)
    unknown = next((c.first_difference for c in compared if not c.equal), "")
    verdict = (
        f"The goal was 2 s for the first request after a change: {'met' if goal else 'not met'} here (median "
        f"{med['ours']['first']:.2f} s, slowest {max(first['ours']):.2f} s). Not covered by it: an indicator or "
        "boundary import, after which the next request reads every input in full again (as at start, the row above: "
        "mostly the per-LSOA indicator pivot in SQL)."
    )
    body = f"""## Overlay end to end: `GET /analysis/overlay?level=ward`, all England, over HTTP (issue 15)

Command: `.venv/bin/python bench/overlay_e2e.py --ours-db URL --today-db URL --today-root /tmp/today --rounds {args.rounds} --warm {args.warm}`

Machine: {machine()} (shared with other engineers' work: figures are medians; the 1-minute load average
during the run went from {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores).

Data: copies of `patchmap_bench` (7,681 wards, 32,844 LSOAs, IoD2019, 100,000 sample assets) with every
district marked mapped, so every ward is scored and ranked, with rank ranges over 40 choices. Ours: this
branch, migrations to 0017; today: commit {args.today} on its own copy at 0014. One uvicorn worker each, HTTP
(httpx, which asks for gzip as browsers do) from the same process. Each of {args.rounds} rounds makes one committed
change in both databases (a hub added, a hub moved, a district's mapped mark taken away or given back, a group set
dormant or active again), then times the first request after it on each server (which goes first alternates) and
{args.warm} more on each. The answers were compared after each change, parsed, value by value: equal after {equal} of
{len(compared)} changes but for the two known differences from {args.today}: its explanations say "1 groups", "1 hubs"
where ours say "1 group", "1 hub" ({wording:,} of 7,681 rows), and {ulps:,} wards' 2SFCA or E2SFCA values differ by at most
{most:.0f} units in the last place ({largest:.1e}; ours sums the two 2SFCA steps in another order, the what-if's
split of `access.py`, and the per-LSOA values are then weighted to the ward). Ranks, classes and every other value were
identical.{f" First other difference: {unknown}." if unknown else ""}

| request | ours: median (range) | today ({args.today}) | ratio |
|---|---|---|---|
{row("first after a data change", "first", first)}
{row("again, nothing changed", "warm", warm)}
| first after the server starts (inputs read in full) | {cold["ours"]:.2f} s | {cold["today"]:.2f} s | {cold["today"] / cold["ours"]:.1f}× |

First after a change, ours, by change: {by_kind}.

What ours does: the inputs are kept per engine beside the change counters of their sources
(`analysis_changes`, raised by statement triggers; `layers/analysis/cache.py`); after an asset change only
the assets changed are read again (`analysis_asset_changes`) and put back in table order; the 2SFCA catchment
pairs (1.75 million LSOA-asset pairs within 2 km) are kept and patched for the assets added, moved or gone
(`access.pairs_for`: the same pairs in the same order as finding them all again); coverage at the rank ranges'
three radii comes from one nearest-asset search and is kept with the per-LSOA 2SFCA until LSOAs or assets change
(so a mapped mark costs only the scoring); the rank ranges rank each need and provision once for the 40 choices;
the answer's rows and explanations are built a column at a time (each number formatted once per distinct value,
`layers/analysis/explain.py`); a whole answer is kept until any input changes, with its JSON and gzip (level 1)
written once (`api/written.py`: the "again" row); the objects built at start are frozen out of the garbage
collector's full rounds, and asset categories are tuples, which those rounds skip. The arithmetic is unchanged.
The first request after a server starts reads every input in full; it is not in the "first after a change" row.

{verdict}
"""
    print(body)
    if not args.no_write:
        write_section("overlay-e2e", body)


if __name__ == "__main__":
    main()
