"""``patchmap mapped``: where the asset register is complete, so the analysis scores it (list, add, remove)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import audit, database, option, output, terminal
from layers.settings import Settings

app: typer.Typer = typer.Typer(
    help="Where the asset register is complete (the mapped extent): the analysis ranks only areas inside it.",
    no_args_is_help=True,
)


@app.command("list")
def list_cmd() -> None:
    """Every district and locality marked as mapped, with its kinds, who marked it and when."""
    from layers.analysis.mapped import mapped_areas

    with database(Settings()) as engine, engine.connect() as conn:
        found = mapped_areas(conn)
    if not found:
        terminal().print("Nothing is marked as mapped: the analysis scores no area.", highlight=False)
    for m in found:
        kinds = ", ".join(k + "s" for k in m["kinds"])
        output().print(
            f"{m['code']}  {m['name']}: {kinds}; by {m['mapped_by']}, {m['mapped_at']:%-d %b %Y}"
            + (f"; source {m['source']}" if m["source"] else ""),
            highlight=False, markup=False,
        )  # fmt: skip


@app.command("add")
def add_cmd(
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="A district (e.g. E07000148) or locality code.")
    ],
    by: Annotated[str, option("NAME", "Who checked that the register is complete there.")],
    kinds: Annotated[str, option("KINDS", "The kinds complete there: a comma list of group, hub, space.")] = (
        "group,hub,space"
    ),
    source: Annotated[str | None, option("SOURCE", "What it was checked against, e.g. a survey.")] = None,
    note: Annotated[str | None, option("TEXT", "Anything else to know.")] = None,
) -> None:
    """Mark a district or locality as mapped for some kinds (replacing an earlier mark of it)."""
    from layers.analysis.mapped import mark_mapped

    with database(Settings()) as engine, engine.begin() as conn:
        m = mark_mapped(conn, code, kinds.split(","), mapped_by=by, source=source, note=note)
        audit(conn, "mapped-add", detail={"area": code, "kinds": m["kinds"]})
    terminal().print(
        f"{m['name']} ({m['code']}) is mapped for {', '.join(k + 's' for k in m['kinds'])}.", highlight=False
    )


@app.command("remove")
def remove_cmd(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The district or locality.")],
) -> None:
    """Take away a district's or locality's mark: the analysis stops scoring it."""
    from layers.analysis.mapped import unmark_mapped

    with database(Settings()) as engine, engine.begin() as conn:
        gone = unmark_mapped(conn, code)
        if gone:
            audit(conn, "mapped-remove", detail={"area": code})
    terminal().print(
        f"{code}: {'no longer marked as mapped' if gone else 'was not marked as mapped'}.", highlight=False
    )
