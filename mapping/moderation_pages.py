"""The co-ordinator's "Check and approve" page for one resident's offer (``/patch/{district}/offers/{id}``).

What the resident wrote is shown as they wrote it; what approval would publish is shown in editable fields,
prefilled, in a plain form that posts back to the page (no JavaScript needed). A problem is shown beside its
field and listed at the top. Built from data handed in; nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from layers.taxonomy import COST_BANDS, FREQUENCIES, GROUP_CATEGORIES, PRICE_BANDS, SPACE_KINDS
from mapping.booking_pages import DOCUMENT_CSS
from mapping.forms import DAYS
from mapping.pages import TEMPLATES

DAY_NAMES: Final = dict(DAYS)

KIND_WORDS: Final = {"group": "Suggested group", "space": "Offer of a space", "help": "Offer of help"}
LABELS: Final = {
    "name": "Name",
    "description": "Description",
    "categories": "What kind of group",
    "days": "Days it meets",
    "start": "Starts (24-hour, like 14:00)",
    "end": "Ends (24-hour, like 16:00)",
    "frequency": "How often",
    "venue_address": "Where it meets (a public venue, never a home)",
    "place": "On the residents' map",
    "website": "Website",
    "cost": "Cost",
    "step_free": "Step-free access",
    "kind": "What kind of space",
    "address": "Address",
    "capacity": "People it holds",
    "price_band": "Price",
    "weekdays": "Free on weekdays",
    "evenings": "Free in the evenings",
    "weekends": "Free at weekends",
    "notes": "When it is free, in words",
}
#: what the resident wrote, in the order shown, with words for each key of ``details``
WROTE: Final = (
    ("name", "Name"),
    ("description", "Description"),
    ("offer", "What they offer"),
    ("space_kind", "Kind of space"),
    ("categories", "Categories"),
    ("skills", "Skills"),
    ("days", "Days ticked"),
    ("when", "When, in their words"),
    ("venue", "Where it meets"),
    ("address", "Address"),
    ("capacity", "People it holds"),
    ("price_band", "Price"),
    ("step_free", "Step-free access"),
    ("website", "Website"),
    ("is_organiser", "They run it"),
)
COST_WORDS: Final = {"free": "Free", "low-cost": "Low cost", "paid": "Paid"}
PRICE_WORDS: Final = {"free": "Free", "low-cost": "Low cost", "market": "Market rate"}


def _said(key: str, value: Any) -> str:
    """One value the resident gave, in words."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key == "days":
        return ", ".join(DAY_NAMES.get(d, d) for d in value)
    if key == "categories":
        return "; ".join(GROUP_CATEGORIES.get(c, c).split(" (")[0] for c in value)
    if key == "space_kind":
        return str(SPACE_KINDS.get(value, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def offer_check_page(
    view: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    static_url: str,
    action: str,
    patch_url: str,
    csrf_token: str,
    problems: Iterable[tuple[str, str]] = (),
) -> str:
    """The check page: the resident's words, then the record to publish in editable fields, then Approve."""
    sub = view["submission"]
    errors: dict[str, str] = {}
    for field, problem in problems:  # each problem by the form's field (layers.offers.approval.FORM_FIELD)
        errors.setdefault(field, problem)
    wrote = [
        (words, _said(k, sub["details"][k]))
        for k, words in WROTE
        if sub["details"].get(k) not in (None, "", [])
    ]
    kind = sub["kind"]
    return str(
        TEMPLATES.get_template("offer_check.html").render(
            title=("Error: " if errors else "") + f"Check and approve {sub['reference']}: Patchmap",
            sub=sub,
            kind=kind,
            kind_words=KIND_WORDS[kind],
            wrote=wrote,
            values=values,
            errors=errors,
            labels=LABELS,
            located=view["located"],
            categories=GROUP_CATEGORIES,
            space_kinds=SPACE_KINDS,
            days=DAY_NAMES,
            frequencies=[("", "Not said")] + [(f, f.capitalize()) for f in FREQUENCIES],
            costs=[("", "Not known")] + [(c, COST_WORDS.get(c, c)) for c in COST_BANDS],
            prices=[("", "Not known")] + [(p, PRICE_WORDS.get(p, p)) for p in PRICE_BANDS],
            tri=(("", "Not known"), ("yes", "Yes"), ("no", "No")),
            action=action,
            patch_url=patch_url,
            csrf_token=csrf_token,
            css=[a.url(static_url) for _, a in DOCUMENT_CSS],
        )
    )
