"""The ``patchmap`` command line: db, import, analyse, demo, serve."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Connection

from api.progress import RichProgress
from layers import migrate
from layers.db import make_engine
from layers.errors import ImportFailed, InvalidInput, PatchmapError
from layers.importers.report import ImportReport, Progress
from layers.settings import Settings

app = typer.Typer(help="Patchmap: community asset mapping for UK councils.", no_args_is_help=True)
db_app = typer.Typer(help="Database: migrations and status.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import data. Each import is one transaction with a summary.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
analyse_app = typer.Typer(help="Asset-versus-needs analysis for officers.", no_args_is_help=True)
app.add_typer(analyse_app, name="analyse")
users_app = typer.Typer(help="Council users: create, list, disable, API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console(stderr=True)

AllowRejects = Annotated[
    bool, typer.Option("--allow-rejects", help="Load the good rows even when some are rejected.")
]


def _print_report(report: ImportReport) -> None:
    for i, line in enumerate(report.summary_lines()):
        console.print(line if i else f"[bold]{line}[/bold]", highlight=False, markup=i == 0)


@contextmanager
def _transaction(settings: Settings) -> Iterator[tuple[Connection, Progress]]:
    """One transaction and a progress bar; on any error the database is left as it was."""
    engine = make_engine(settings.database)
    try:
        with RichProgress(console) as progress, engine.begin() as conn:
            yield conn, progress
    except ImportFailed as exc:
        if exc.report is not None:
            _print_report(exc.report)  # type: ignore[arg-type]
        console.print(f"[red]Import failed:[/red] {exc.message}\n{exc.detail}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def run_import(step: Callable[[Connection, Progress], list[ImportReport] | ImportReport]) -> None:
    """Run one import step in a transaction and print its summary."""
    from layers import audit
    from layers.scope import Actor

    settings = Settings()
    with _transaction(settings) as (conn, progress):
        result = step(conn, progress)
        reports = result if isinstance(result, list) else [result]
        audit.record(conn, Actor(role="admin", name="command line"), "import", detail={
            "what": [r.what for r in reports], "loaded": sum(r.loaded for r in reports),
            "updated": sum(r.updated for r in reports),
        })  # fmt: skip
    for report in result if isinstance(result, list) else [result]:
        _print_report(report)
    console.print("[green]Committed.[/green]")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (creates the PostGIS extension if it is missing)."""
    settings = Settings()
    try:
        migrate.upgrade(settings.database, revision)
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"database at revision {migrate.current(settings.database)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("base")) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    migrate.downgrade(Settings().database, revision)


@db_app.command("status")
def db_status() -> None:
    """Show the migration revision and row counts."""
    from layers.demo import table_counts

    settings = Settings()
    console.print(f"revision: {migrate.current(settings.database)}")
    engine = make_engine(settings.database)
    with engine.connect() as conn:
        for table, n in table_counts(conn).items():
            console.print(f"  {table}: {n}")


@import_app.command("boundaries")
def import_boundaries_cmd(
    path: Path,
    kind: Annotated[str, typer.Option(help="ward, district, lsoa or county")],
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    vintage: str | None = None,
    crs: Annotated[
        str | None, typer.Option(help="the file's CRS when it does not say, e.g. EPSG:27700")
    ] = None,
    layer: str | None = None,
    allow_rejects: AllowRejects = False,
) -> None:
    """Import boundaries from GeoJSON, GeoPackage, zipped Shapefile or CSV with WKT, in any CRS."""
    from layers.importers.boundaries import import_boundaries

    settings = Settings()
    run_import(
        lambda conn, progress: import_boundaries(
            conn,
            path,
            kind=kind,
            code_field=code_field,
            name_field=name_field,
            parent_field=parent_field,
            vintage=vintage,
            crs=crs,
            layer=layer,
            allow_rejects=allow_rejects,
            subdivide_max_vertices=settings.geo.subdivide_max_vertices,
            progress=progress,
        )
    )


@import_app.command("localities")
def import_localities_cmd(path: Path, allow_rejects: AllowRejects = False) -> None:
    """Import custom localities: a CSV of locality_code, locality_name, member_code (a ward or LSOA)."""
    from layers.importers.localities import import_localities

    settings = Settings()
    run_import(
        lambda conn, progress: import_localities(
            conn,
            path,
            allow_rejects=allow_rejects,
            subdivide_max_vertices=settings.geo.subdivide_max_vertices,
            progress=progress,
        )
    )


@import_app.command("iod")
def import_iod_cmd(
    paths: Annotated[list[Path], typer.Argument(help="IoD2019 File 1, 2 and/or 6 (CSV, or .csv.gz)")],
    allow_rejects: AllowRejects = False,
    rollup: Annotated[bool, typer.Option(help="Roll LSOA values up to wards and districts")] = True,
) -> None:
    """Import the English Indices of Deprivation 2019 by LSOA, then roll them up to wards and districts."""
    from layers.importers.iod import import_iod, rollup_indicators

    settings = Settings()

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        reports = [import_iod(conn, paths, allow_rejects=allow_rejects, progress=progress)]
        if rollup:
            reports.append(rollup_indicators(conn, metric_srid=settings.geo.metric_srid, progress=progress))
        return reports

    run_import(step)


@import_app.command("rollup")
def rollup_cmd() -> None:
    """Recompute ward and district indicators from LSOA indicators (population-weighted)."""
    from layers.importers.iod import rollup_indicators

    settings = Settings()
    run_import(
        lambda conn, progress: rollup_indicators(
            conn, metric_srid=settings.geo.metric_srid, progress=progress
        )
    )


@import_app.command("indicators")
def import_indicators_cmd(
    path: Annotated[Path, typer.Argument(help="CSV (or .csv.gz) with area_code, indicator, value, period")],
    source: Annotated[
        str | None,
        typer.Option(help="Source of rows whose source column is blank or absent (default: the file name)"),
    ] = None,
    allow_rejects: AllowRejects = False,
) -> None:
    """Import your own indicators per area (e.g. loneliness, food-bank referrals) to use as a need measure."""
    from layers.importers.indicators import import_indicators

    run_import(
        lambda conn, progress: import_indicators(
            conn, path, source=source, allow_rejects=allow_rejects, progress=progress
        )
    )


@import_app.command("osm")
def import_osm_cmd(
    paths: Annotated[list[Path], typer.Argument(help="GeoJSON exports of OpenStreetMap features")],
    allow_rejects: AllowRejects = False,
    postcodes: Annotated[
        bool, typer.Option(help="Also build approximate postcodes from the features' addr:postcode")
    ] = False,
) -> None:
    """Import hubs and spaces from OpenStreetMap features (by their tags); re-imports update by OSM id."""
    from layers.importers.osm import import_osm
    from layers.importers.postcodes import build_approximate_postcodes

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        reports = [import_osm(conn, paths, allow_rejects=allow_rejects, progress=progress)]
        if postcodes:
            reports.append(build_approximate_postcodes(conn, paths, progress=progress))
        return reports

    run_import(step)


@import_app.command("postcodes")
def import_postcodes_cmd(path: Path, allow_rejects: AllowRejects = False) -> None:
    """Import postcodes from an ONS Postcode Directory-style CSV (pcds, lat, long, ...)."""
    from layers.importers.postcodes import import_postcodes

    run_import(
        lambda conn, progress: import_postcodes(conn, path, allow_rejects=allow_rejects, progress=progress)
    )


@import_app.command("groups")
def import_groups_cmd(
    path: Path,
    serves: Annotated[
        list[str] | None, typer.Option(help="Area code served by groups that name none (repeatable)")
    ] = None,
    source: str | None = None,
    allow_rejects: AllowRejects = False,
) -> None:
    """Import groups from CSV (name and any known fields; a venue point, a postcode or areas served)."""
    from layers.importers.groups import import_groups

    run_import(
        lambda conn, progress: import_groups(
            conn, path, serves=serves, source=source, allow_rejects=allow_rejects, progress=progress
        )
    )


@app.command("demo")
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when data is already loaded.")
    ] = False,
) -> None:
    """Load the Norfolk demo: wards, LSOAs, IoD2019, Norwich OSM hubs and spaces, and 70 groups."""
    from layers.demo import is_loaded, load_demo

    settings = Settings()
    engine = make_engine(settings.database)
    with engine.connect() as conn:
        if if_empty and is_loaded(conn):
            console.print("demo data already loaded; nothing to do")
            return
    run_import(lambda conn, progress: load_demo(conn, settings, progress))


@app.command("serve")
def serve(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve the app with uvicorn and print its addresses."""
    import uvicorn

    settings = Settings()
    host = host or settings.server.host
    port = port or settings.server.port
    base = f"http://{host}:{port}"
    console.print(f"Patchmap is at [bold]{base}/[/bold]  API docs: {base}/docs  health: {base}/health")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.server.workers,
        log_level="info",
        # No access log: request URLs carry postcodes and coordinates, which we don't log.
        access_log=False,
    )


if __name__ == "__main__":
    app()


@analyse_app.command("overlay")
def analyse_overlay_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write: .csv, .geojson or .gpkg")],
    level: Annotated[str, typer.Option(help="ward, district, lsoa or locality")] = "ward",
    within: Annotated[str | None, typer.Option(help="a district code, e.g. E07000148")] = None,
    kinds: Annotated[str, typer.Option(help="comma list of group, hub, space")] = "group,hub,space",
    category: Annotated[str | None, typer.Option(help="a group category, hub or space kind")] = None,
    radius_m: Annotated[float, typer.Option(help="coverage distance, metres")] = 800.0,
    catchment_m: Annotated[float, typer.Option(help="2SFCA catchment, metres")] = 2000.0,
    capacity: Annotated[str, typer.Option(help="one (1 per asset) or rooms")] = "one",
    need: Annotated[str, typer.Option(help="imd, a domain, or an imported indicator key")] = "imd",
    need_lower_is_more: Annotated[
        bool, typer.Option("--need-lower-is-more", help="for an imported indicator: lower means more need")
    ] = False,
    provision: Annotated[str, typer.Option(help="per_1000, coverage or access")] = "per_1000",
) -> None:
    """Compute the overlay (need, provision, gap, explanation per area) and write it to a file."""
    from layers.analysis import export
    from layers.analysis.overlay import OverlayOptions
    from layers.analysis.tables import area_geometries, overlay_table

    if out.suffix.lower() not in (".csv", ".geojson", ".gpkg"):
        console.print(f"[red]Error:[/red] cannot write {out.suffix or 'a file without a suffix'}: use .csv, "
                      ".geojson or .gpkg", highlight=False)  # fmt: skip
        raise typer.Exit(2)
    settings = Settings()
    engine = make_engine(settings.database)
    try:
        with console.status("Computing the overlay"), engine.connect() as conn:
            if capacity not in ("one", "rooms"):
                raise InvalidInput(f"Unknown capacity {capacity!r}", "Use one or rooms.")
            options = OverlayOptions(
                tuple(k.strip() for k in kinds.split(",") if k.strip()), category, radius_m, catchment_m,
                "rooms" if capacity == "rooms" else "one",
            )  # fmt: skip
            result = overlay_table(
                conn, level=level, within=within, options=options, need=need,
                need_higher_is_more=not need_lower_is_more, provision=provision,
            )  # fmt: skip
            shapes = None if out.suffix.lower() == ".csv" else area_geometries(conn, list(result.table.index))
        written = export.write_file(result, shapes, out)
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    ranked = result.table.sort_values("priority").dropna(subset=["priority"])
    console.print(f"{len(result.table)} {level} areas{f' in {result.within_name}' if within else ''}: "
                  f"{written} written to {out}", highlight=False)  # fmt: skip
    for _, row in ranked.head(3).iterrows():
        console.print(f"  {int(row['priority'])}. {row['explanation']}", highlight=False, markup=False)


def _user_step(step: Callable[[Connection], object]) -> object:
    """Run one users step in a transaction; errors are printed, not raised."""
    engine = make_engine(Settings().database)
    try:
        with engine.begin() as conn:
            return step(conn)
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@users_app.command("create")
def users_create_cmd(
    email: str,
    role: Annotated[str, typer.Option(help="admin, officer or coordinator")],
    name: Annotated[str, typer.Option(help="the name shown in the audit log")] = "",
    district: Annotated[
        list[str] | None, typer.Option(help="a co-ordinator's district code (repeat)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Add a council user (asks for the password, or reads it from stdin)."""
    import sys

    from layers import audit, auth
    from layers.scope import Actor

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )

    def step(conn: Connection) -> int:
        user_id = auth.create_user(
            conn, email=email, name=name, role=role, password=password, districts=district
        )
        audit.record(conn, Actor(role="admin", name="command line"), "user-create", object_type="user",
                     object_id=user_id, detail={"role": role, "districts": sorted(district or [])})  # fmt: skip
        return user_id

    user_id = _user_step(step)
    console.print(f"User {user_id} created ({role}).", highlight=False)


@users_app.command("list")
def users_list_cmd() -> None:
    """List users: email, role, districts, disabled or not, last sign-in."""
    from layers import auth

    rows = _user_step(auth.list_users)
    for r in rows if isinstance(rows, list) else []:
        state = "disabled" if r["disabled_at"] else "active"
        seen = r["last_login_at"].strftime("%Y-%m-%d %H:%M") if r["last_login_at"] else "never signed in"
        districts = ", ".join(r["districts"]) or "-"
        print(f"{r['id']}\t{r['email']}\t{r['role']}\t{districts}\t{state}\t{seen}")


@users_app.command("disable")
def users_disable_cmd(email: str) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    from layers import audit, auth
    from layers.scope import Actor

    def step(conn: Connection) -> int:
        user_id = auth.disable_user(conn, email)
        audit.record(
            conn,
            Actor(role="admin", name="command line"),
            "user-disable",
            object_type="user",
            object_id=user_id,
        )
        return user_id

    _user_step(step)
    console.print("Disabled; their sessions and tokens no longer work.", highlight=False)


@users_app.command("revoke")
def users_revoke_cmd(token: Annotated[str, typer.Argument(help="the token to revoke (pm_...)")]) -> None:
    """Revoke one API token: it stops working at once."""
    from layers import audit, auth
    from layers.scope import Actor

    def step(conn: Connection) -> bool:
        done = auth.revoke_token(conn, token)
        if done:
            audit.record(conn, Actor(role="admin", name="command line"), "token-revoke", object_type="token")
        return done

    if not _user_step(step):
        console.print("[red]Error:[/red] no live token like that (already revoked, or mistyped).", highlight=False)
        raise typer.Exit(1)
    console.print("Revoked.", highlight=False)


@users_app.command("token")
def users_token_cmd(
    email: str,
    name: Annotated[str, typer.Option(help="what the token is for")] = "api",
    days: Annotated[int, typer.Option(help="days until it expires")] = 90,
) -> None:
    """Make an API token for a user and print it once (only its digest is kept)."""
    from layers import audit, auth
    from layers.scope import Actor

    def step(conn: Connection) -> str:
        token = auth.create_token(conn, email, name=name, days=days)
        audit.record(conn, Actor(role="admin", name="command line"), "token-create", object_type="user",
                     detail={"name": name, "days": days})  # fmt: skip
        return token

    token = _user_step(step)
    console.print("Token (shown once; send as Authorization: Bearer):", highlight=False)
    print(token)


moderation_app = typer.Typer(help="Moderation of residents' offers.", no_args_is_help=True)
app.add_typer(moderation_app, name="moderation")


@moderation_app.command("erase-expired")
def moderation_erase_expired_cmd(
    days: Annotated[int | None, typer.Option(help="days kept (default PATCHMAP_RETENTION_DAYS)")] = None,
) -> None:
    """Erase the contact and personal details of rejected or withdrawn submissions past retention."""
    from layers import audit, moderation
    from layers.scope import Actor

    retention = days or Settings().access.retention_days

    def step(conn: Connection) -> int:
        count = moderation.erase_expired(conn, retention_days=retention)
        if count:
            audit.record(conn, Actor(role="admin", name="command line"), "submissions-erase",
                         object_type="submission", detail={"count": count, "retention_days": retention})  # fmt: skip
        return count

    count = _user_step(step)
    console.print(f"{count} submissions erased (kept {retention} days).", highlight=False)
