"""The organisers' pages: ask for a sign-in link (``/organisers/sign-in``), the one-button page an emailed link
opens (``/organisers/link``), and the form to update one's own listing (``/organisers/listing``). Built from
data handed in by ``layers.records.organisers``; nothing here reads a database. Autoescaped Jinja; every form
is a plain POST that works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mapping.booking_pages import DOCUMENT_CSS
from mapping.pages import TEMPLATES

KIND_WORDS: Final = {"group": "group", "hub": "community hub", "space": "space"}
SENT: Final = (
    "If that email address is the contact for a listing on Patchmap, we have sent it a link to update the "
    "listing. It works once, within {hours} hours. Check your inbox (and your junk mail)."
)


def _render(name: str, static_url: str, **values: Any) -> str:
    css = [a.url(static_url) for _, a in DOCUMENT_CSS]
    return TEMPLATES.get_template(name).render(css=css, kind_words=KIND_WORDS, **values)


def sign_in_page(*, static_url: str, action: str, kind: str | None, record_id: int | None, email: str = "",
                 sent_hours: int | None = None, problems: Iterable[tuple[str, str]] = ()) -> str:  # fmt: skip
    """The form asking for an organiser's email (and which listing), or the same answer whoever asked."""
    return _render(
        "organiser_sign_in.html", static_url, title="Update your listing: Patchmap", action=action, kind=kind,
        record_id=record_id, email=email, sent=SENT.format(hours=sent_hours) if sent_hours else "",
        errors=dict(problems),
    )  # fmt: skip


def link_page(view: Mapping[str, Any], *, static_url: str, token: str, sign_in_action: str,
              confirm_action: str) -> str:  # fmt: skip
    """The page an emailed link opens: one button that uses the link (nothing happens on opening it)."""
    verb = "Sign in to edit" if view["does"] == "sign-in" else "Confirm"
    return _render(
        "organiser_link.html", static_url, title=f"{verb} {view['name']}: Patchmap", v=view, token=token,
        action=sign_in_action if view["does"] == "sign-in" else confirm_action,
    )  # fmt: skip


def edit_page(view: Mapping[str, Any], *, static_url: str, action: str, sign_out_action: str,
              problems: Iterable[tuple[str, str]] = (), values: Mapping[str, Any] | None = None,
              saved: Mapping[str, list[str]] | None = None, labels: Mapping[str, str]) -> str:  # fmt: skip
    """The organiser's form for their one listing: small fields change at once, others wait for review."""
    fields = dict(view["fields"])
    meets = [m for m in (fields.get("meets") or []) if isinstance(m, dict)]
    rows = [*meets, {"days": [], "start": "", "end": ""}]
    return _render(
        "organiser_edit.html", static_url, title=f"Update {view['name']}: Patchmap", v=view, f=fields,
        meetings=rows, action=action, sign_out_action=sign_out_action, errors=dict(problems),
        form=values or {}, labels=labels,
        saved=None if saved is None else {k: [labels.get(f, f) for f in v] for k, v in saved.items()},
        access_notes=(fields.get("accessibility") or {}).get("notes", "") if isinstance(fields.get("accessibility"), dict) else "",
        availability_notes=(fields.get("availability") or {}).get("notes", "") if isinstance(fields.get("availability"), dict) else "",
    )  # fmt: skip
