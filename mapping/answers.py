"""The pages that answer a resident's offer form when a browser posts it without JavaScript.

A receipt (``answer_receipt.html``) or a refusal listing what to correct (``answer_problem.html``), both in
the frame ``_answer.html``: self-contained pages with their style inline. Rendered by the one autoescaped
template environment (``mapping.pages.TEMPLATES``), so every word the resident typed is escaped. Built from
plain strings handed in by the route (``api/routes/submissions.py``); nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Iterable

from mapping.pages import TEMPLATES

#: The words for a field of the submissions API (a dotted path, as in a problem) on the problem page.
FIELD_LABELS = {
    "name": "Name",
    "description": "What it does",
    "offer": "What you can offer",
    "categories": "Categories",
    "space_kind": "Kind of space",
    "postcode": "Postcode",
    "area_code": "Area",
    "location": "Where",
    "contact": "How to contact you",
    "contact.name": "Your name",
    "contact.email": "Email address",
    "contact.phone": "Phone number",
    "consent": "Permission to contact you",
}


def field_label(where: str) -> str:
    """The words for a field path such as ``contact.email`` or ``categories.0`` (else the path itself)."""
    return FIELD_LABELS.get(where) or FIELD_LABELS.get(where.split(".")[0], where)


def receipt_page(
    *, reference: str, message: str, sent: str = "", map_url: str = "/", emailed: bool = False
) -> str:
    """The acknowledgement of an offer: the message, what the resident sent (if any) and the reference."""
    return TEMPLATES.get_template("answer_receipt.html").render(
        title="Thank you",
        message=message.removeprefix("Thank you. "),  # the heading says it
        sent=sent,
        reference=reference,
        map_url=map_url,
        emailed=emailed,
    )


def problem_page(
    *, heading: str, detail: str = "", problems: Iterable[tuple[str, str]] = (), map_url: str = "/"
) -> str:
    """A refused offer: the heading, then each (field path, problem) to correct, or else the detail."""
    return TEMPLATES.get_template("answer_problem.html").render(
        title="There is a problem",
        heading=heading,
        detail=detail,
        problems=[(field_label(where), problem) for where, problem in problems],
        map_url=map_url,
    )
