"""``patchmap users``: council users and their API tokens; every change goes in the audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Connection

from api.cli.common import audit, fail, in_transaction, option, terminal
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Council users: create, list, disable, API tokens.", no_args_is_help=True)

Email = Annotated[str, typer.Argument(metavar="EMAIL", help="The user's email address (their sign-in).")]


@app.command("create")
def users_create_cmd(
    email: Email,
    role: Annotated[str, option("ROLE", "What they may do: admin, officer or coordinator.")],
    name: Annotated[str, option("NAME", "The name shown in the audit log.")] = "",
    district: Annotated[
        list[str] | None,
        option("CODE", "A co-ordinator's district, by its code (repeat for more)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin instead of asking.")
    ] = False,
) -> None:
    """Add a council user (asks for the password, or reads it from stdin)."""
    import sys

    from layers.access import auth

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )

    def step(conn: Connection) -> int:
        user_id = auth.create_user(
            conn, email=email, name=name, role=role, password=password, districts=district
        )
        audit(conn, "user-create", object_type="user", object_id=user_id,
              detail={"role": role, "districts": sorted(district or [])})  # fmt: skip
        return user_id

    user_id = in_transaction(Settings(), step)
    terminal().print(f"User {user_id} created ({role}).", highlight=False)


@app.command("list")
def users_list_cmd() -> None:
    """List users: email, role, districts, disabled or not, last sign-in."""
    from layers.access import auth

    for r in in_transaction(Settings(), auth.list_users):
        state = "disabled" if r["disabled_at"] else "active"
        seen = r["last_login_at"].strftime("%Y-%m-%d %H:%M") if r["last_login_at"] else "never signed in"
        districts = ", ".join(r["districts"]) or "-"
        print(f"{r['id']}\t{r['email']}\t{r['role']}\t{districts}\t{state}\t{seen}")


@app.command("disable")
def users_disable_cmd(email: Email) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    from layers.access import auth

    def step(conn: Connection) -> None:
        audit(conn, "user-disable", object_type="user", object_id=auth.disable_user(conn, email))

    in_transaction(Settings(), step)
    terminal().print("Disabled; their sessions and tokens no longer work.", highlight=False)


@app.command("revoke")
def users_revoke_cmd(
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="The API token to revoke (pm_...).")],
) -> None:
    """Revoke one API token: it stops working at once."""
    from layers.access import auth

    def step(conn: Connection) -> bool:
        done = auth.revoke_token(conn, token)
        if done:
            audit(conn, "token-revoke", object_type="token")
        return done

    if not in_transaction(Settings(), step):
        fail("no live token like that (already revoked, or mistyped).")
    terminal().print("Revoked.", highlight=False)


@app.command("token")
def users_token_cmd(
    email: Email,
    name: Annotated[str, option("NAME", "What the token is for.")] = "api",
    days: Annotated[int, option("DAYS", "How many days until it expires.")] = 90,
) -> None:
    """Make an API token for a user and print it once (only its digest is kept)."""
    from layers.access import auth

    def step(conn: Connection) -> str:
        token = auth.create_token(conn, email, name=name, days=days)
        audit(conn, "token-create", object_type="user", detail={"name": name, "days": days})
        return token

    token = in_transaction(Settings(), step)
    terminal().print("Token (shown once; send as Authorization: Bearer):", highlight=False)
    print(token)
