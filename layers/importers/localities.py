"""Import custom localities: named sets of wards or LSOAs (e.g. a neighbourhood area or a target area).

CSV columns: ``locality_code, locality_name, member_code``, one row per member. The locality's boundary
is the union of its members', and lookups find it through its members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from layers.importers.boundaries import rebuild_pieces
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import read_table
from layers.importers.upsert import upsert
from layers.models import LocalityMember, table_of
from layers.sql import sql

COLUMNS = ("locality_code", "locality_name", "member_code")


def import_localities(
    conn: Connection,
    path: Path,
    *,
    allow_rejects: bool = False,
    subdivide_max_vertices: int = 128,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update custom localities from ``path`` in one savepoint; return a report."""
    progress = progress or NoProgress()
    what = "custom localities"
    table = read_table(path, what)  # any encoding or separator, or .xlsx; headers in any case or spacing
    df = table.frame
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise fail(
            what,
            path.name,
            f"missing columns {', '.join(missing)}",
            f"Expected {', '.join(COLUMNS)}; found {', '.join(df.columns)}.",
        )
    report = ImportReport(what=what, source=path.name, rows=len(df), notes=list(table.notes))
    progress.start(f"Checking {len(df)} locality members", len(df))
    codes = {str(c).strip() for c in df["member_code"]}
    known: dict[str, int] = dict(
        conn.execute(
            text("SELECT code, id FROM areas WHERE code = ANY(:c) AND kind IN ('ward', 'lsoa')"),
            {"c": list(codes)},
        ).all()
    )
    taken = set(
        conn.execute(
            text("SELECT code FROM areas WHERE code = ANY(:c) AND kind <> 'locality'"),
            {"c": list({str(c).strip() for c in df["locality_code"]})},
        ).scalars()
    )
    members: dict[str, set[int]] = {}
    names: dict[str, str] = {}
    for i, rec in enumerate(df.itertuples(index=False), start=1):
        code, name, member = (str(getattr(rec, c)).strip() for c in COLUMNS)
        progress.advance()
        if not code or not name:
            report.reject(i, "no locality code or name", code)
        elif code in taken:
            report.reject(i, f"code {code} is already used by an area that is not a locality", code)
        elif member not in known:
            report.reject(i, f"member {member!r} is not a ward or LSOA in the database", code)
        elif names.setdefault(code, name) != name:
            report.reject(i, f"locality {code} has two names ({names[code]!r} and {name!r})", code)
        else:
            members.setdefault(code, set()).add(known[member])
    report.fail_if_rejected(allow_rejects)
    with conn.begin_nested():
        rows: list[dict[str, Any]] = [
            {"code": c, "name": names[c], "kind": "locality", "source": path.name} for c in sorted(members)
        ]
        for r in rows:
            r["member_ids"] = sorted(members[r["code"]])
        results = [conn.execute(text(sql("upsert_locality.sql")), r).one() for r in rows]
        report.loaded = sum(1 for r in results if r.inserted)
        report.updated = sum(1 for r in results if r.changed and not r.inserted)
        report.unchanged = len(results) - report.loaded - report.updated
        ids = [r.id for r in results]
        rebuild_pieces(conn, [r.id for r in results if r.changed], subdivide_max_vertices)
        conn.execute(table_of(LocalityMember).delete().where(LocalityMember.locality_id.in_(ids)))
        upsert(
            conn,
            table_of(LocalityMember),
            [
                {"locality_id": r.id, "member_id": m}
                for r, row in zip(results, rows, strict=True)
                for m in row["member_ids"]
            ],
            ["locality_id", "member_id"],
        )
    return report
