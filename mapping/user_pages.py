"""The users pages: the list of council users (``/admin/users``: an admin's forms to add one, an officer's
read-only view), one user's page (``/admin/users/{id}``: role, districts, disable or re-enable, send a
set-password link) and the set-password page a new user reaches from the emailed link.

Built from data handed in (``layers.access.users``); nothing here reads a database. Autoescaped Jinja, plain
forms that work without JavaScript, each problem beside its field and listed at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from mapping import assets
from mapping.assets import Asset
from mapping.pages import TEMPLATES
from mapping.patch_pages import Viewer

USERS_CSS: Final = Asset("css/patchmap-users.css")
ROLE_WORDS: Final = {
    "admin": "Administrator",
    "officer": "Council officer",
    "coordinator": "District co-ordinator",
}
LABELS: Final = {
    "name": "Name",
    "email": "Work email address",
    "role": "Role",
    "districts": "Districts (for a district co-ordinator)",
    "password": "New password",
    "again": "The same password again",
}
DONE_WORDS: Final = {
    "created": "Added. They have been sent an email with a link to set their password.",
    "saved": "Saved.",
    "disabled": "Disabled: they are signed out and cannot sign in.",
    "enabled": "Re-enabled. If they have no password yet, send them a set-password link.",
    "link": "Sent: a new set-password link is on its way to them. Any earlier link no longer works.",
}


def _css(static_url: str) -> list[str]:
    return [a.url(static_url) for _, a in (*assets.PATCH_DOCUMENT_CSS, ("users", USERS_CSS))]


def when_words(at: datetime | None) -> str:
    """A moment as "5 Dec 2026, 11:40" (UTC), or "Never"."""
    return at.strftime("%-d %b %Y, %H:%M") if at else "Never"


@dataclass(frozen=True)
class UsersView:
    """What the users pages show: the users, the districts to choose from, the viewer and their rights."""

    static_url: str
    users: Sequence[Mapping[str, Any]]
    districts: Sequence[Mapping[str, str]]
    viewer_name: str
    viewer_role: str
    viewer_id: int | None = None
    csrf_token: str = ""
    can_change: bool = False
    link_hours: int = 24
    done: str | None = None
    problems: Sequence[tuple[str, str]] = ()
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def viewer(self) -> Viewer:
        """Who is looking, for the header."""
        return Viewer(self.viewer_name, self.viewer_role)

    @property
    def district_names(self) -> dict[str, str]:
        """District code → name."""
        return {d["code"]: d["name"] for d in self.districts}

    @property
    def errors(self) -> dict[str, str]:
        """The first problem of each field."""
        found: dict[str, str] = {}
        for name, words in self.problems:
            found.setdefault(name, words)
        return found

    def common(self) -> dict[str, Any]:
        """The template values every users page takes."""
        return {
            "v": self,
            "css": _css(self.static_url),
            "labels": LABELS,
            "role_words": ROLE_WORDS,
            "when": when_words,
            "done_words": DONE_WORDS.get(self.done or ""),
            "errors": self.errors,
            "values": self.values,
            "names": self.district_names,
        }


def users_page(view: UsersView) -> str:
    """The list of users, and (for an admin) the form to add one."""
    title = ("Error: " if view.problems else "") + "Users: Patchmap"
    return TEMPLATES.get_template("users.html").render(title=title, **view.common())


def user_page(view: UsersView, user: Mapping[str, Any]) -> str:
    """One user: their details, and (for an admin) the forms to change them."""
    title = ("Error: " if view.problems else "") + f"{user['name']}: users: Patchmap"
    return TEMPLATES.get_template("users_edit.html").render(title=title, user=user, **view.common())


def set_password_page(
    *,
    static_url: str,
    action: str,
    token: str,
    name: str,
    problems: Sequence[tuple[str, str]] = (),
    min_length: int = 12,
) -> str:
    """The form a user reaches from a set-password link: the token in a hidden field, the password twice."""
    errors: dict[str, str] = {}
    for field_name, words in problems:
        errors.setdefault(field_name, words)
    return TEMPLATES.get_template("set_password.html").render(
        title=("Error: " if errors else "") + "Set your password: Patchmap",
        css=_css(static_url),
        action=action,
        token=token,
        name=name,
        errors=errors,
        labels=LABELS,
        min_length=min_length,
    )


def password_set_page(*, static_url: str, name: str, sign_in_url: str) -> str:
    """The answer once the password is set: sign in now."""
    return TEMPLATES.get_template("set_password.html").render(
        title="Password set: Patchmap", css=_css(static_url), done=True, name=name, sign_in_url=sign_in_url,
        errors={}, labels=LABELS,
    )  # fmt: skip
