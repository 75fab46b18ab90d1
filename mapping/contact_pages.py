"""The named council contact's pages: the co-ordinator's form for one district or locality (also shown, one
per area, in the patch page's "Council contacts" section: ``_patch_contact.html``) and the words residents
see beside a searched place. Data comes from ``layers.areas.contacts``; everything is escaped by Jinja."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mapping.booking_pages import _css
from mapping.pages import TEMPLATES

LABELS: Final = {
    "role_name": "Role residents should ask for",
    "email": "Work email address",
    "phone": "Work phone number",
    "office_hours": "Office hours",
}
HINTS: Final = {
    "role_name": "For example, Community Connector for the city centre. A role, not a person's own name.",
    "email": "A work address residents may write to; it is shown to everyone.",
    "phone": "A UK number, shown to everyone, for example 01603 212121.",
    "office_hours": "When someone answers, for example Monday to Friday, 9am to 5pm.",
}
KIND_WORDS: Final = {"district": "District", "locality": "Locality"}


def form_context(limits: Mapping[str, int]) -> dict[str, Any]:
    """What the contact form macro needs besides the area: labels, hints and each field's most characters
    (``layers.areas.contacts.FIELDS``, handed in: mapping opens no database and imports no module that does)."""
    return {"labels": LABELS, "hints": HINTS, "limits": dict(limits), "kind_words": KIND_WORDS}


def contact_edit_page(area: Mapping[str, Any], *, static_url: str, action: str, patch_url: str, csrf_token: str,
                      limits: Mapping[str, int], problems: Iterable[tuple[str, str]] = (),
                      values: Mapping[str, Any] | None = None) -> str:  # fmt: skip
    """The form to set one district's or locality's contact, each problem beside its field."""
    errors = dict(problems)
    current = dict(area.get("contact") or {})
    return TEMPLATES.get_template("contact_edit.html").render(
        title=("Error: " if errors else "") + f"Council contact for {area['name']}: Patchmap",
        area=area,
        values={**current, **(values or {})},
        errors=errors,
        action=action,
        patch_url=patch_url,
        csrf_token=csrf_token,
        css=_css(static_url),
        **form_context(limits),
    )


def patch_section(found: Mapping[str, Any]) -> dict[str, Any]:
    """The patch page's "Council contacts" section: ``layers.areas.contacts.district_contacts`` and the form's
    labels (``_patch_contact.html`` reads it as ``d.contacts``)."""
    return {**found, **form_context(found["fields"])}
