"""The residents' offer forms: offer your help, suggest a group, offer a space.

Each is a plain HTML form posting (form-encoded) to the submissions API, so it works without JavaScript
(the API then answers with a small page); ``static/js/patchmap-forms.js`` sends the same fields with fetch
and shows the reference, each problem beside its field, or a polite message when someone has sent too
many. Field names are the API's (``layers/submission_forms.py``); contact fields are ``contact_*``.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.offers.forms import SHARE_CONTACT_TEXT
from layers.taxonomy import GROUP_CATEGORIES, SPACE_KINDS
from mapping.styles import CATEGORY_NAMES

DAYS: tuple[tuple[str, str], ...] = (
    ("mo", "Monday"),
    ("tu", "Tuesday"),
    ("we", "Wednesday"),
    ("th", "Thursday"),
    ("fr", "Friday"),
    ("sa", "Saturday"),
    ("su", "Sunday"),
)


@dataclass(frozen=True)
class Field:
    """One control of a form: its name in the API, its label and how it is entered."""

    name: str
    label: str
    kind: str = "text"  # text, email, tel, url, number, textarea, select, checkbox, checkboxes
    required: bool = False
    hint: str = ""
    autocomplete: str = ""
    options: tuple[tuple[str, str], ...] = ()
    max_length: int = 500


@dataclass(frozen=True)
class OfferForm:
    """A form: where it posts, its heading, what it is for, and its fields."""

    key: str
    action: str
    title: str
    summary: str
    intro: str
    submit: str
    fields: tuple[Field, ...]


CATEGORY_OPTIONS = tuple((key, CATEGORY_NAMES.get(key, label)) for key, label in GROUP_CATEGORIES.items())
DAYS_FIELD = Field("days", "Which days?", "checkboxes", options=DAYS)


def where_hint(postcode: str | None = None) -> str:
    """The hint of a postcode field, with a real postcode of the deployment's district when there is one."""
    if postcode:
        return f"A full postcode like {postcode}, or just its first part like {postcode.split(' ')[0]}."
    return "A full postcode, or just its first part (the letters and numbers before the space)."


WHERE_HINT = where_hint()
CONTACT: tuple[Field, ...] = (
    Field("contact_name", "Your name", required=True, autocomplete="name", max_length=200),
    Field(
        "contact_email",
        "Email address",
        "email",
        hint="Give an email address or a phone number (or both) so we can reply. We never publish them.",
        autocomplete="email",
        max_length=254,
    ),
    Field("contact_phone", "Phone number", "tel", autocomplete="tel", max_length=32),
)
CONSENT = Field(
    "consent",
    "You may contact me about this offer, and keep these details until it is dealt with.",
    "checkbox",
    required=True,
)


def resident_forms(actions: dict[str, str], example_postcode: str | None = None) -> tuple[OfferForm, ...]:
    """The three offer forms, posting to the submission URLs in ``actions`` (keys group, space, help); postcode
    hints use ``example_postcode`` (a real one of the deployment's district) when given."""
    hint = where_hint(example_postcode)
    help_form = OfferForm(
        key="help",
        action=actions["help"],
        title="Offer your help",
        summary="Tell us what you could do and we'll put you in touch with groups near you.",
        intro="You don't need any experience: an hour now and then makes a difference.",
        submit="Send my offer of help",
        fields=(
            Field(
                "offer",
                "What could you help with?",
                "textarea",
                required=True,
                max_length=2000,
                hint="For example: driving, cooking, gardening, a friendly chat, helping at events.",
            ),
            Field(
                "skills",
                "Skills you'd like to use",
                max_length=500,
                hint="Separate them with commas, for example: first aid, Polish, bookkeeping.",
            ),
            Field("categories", "Kind of group you'd like to help", "select", options=CATEGORY_OPTIONS),
            DAYS_FIELD,
            Field("when", "When are you free?", hint="For example: weekday evenings, Saturday mornings."),
            Field(
                "postcode",
                "Your postcode",
                required=True,
                hint=hint,
                autocomplete="postal-code",
                max_length=10,
            ),
            *CONTACT,
            CONSENT,
            Field("share_contact", SHARE_CONTACT_TEXT, "checkbox"),
        ),
    )
    group_form = OfferForm(
        key="group",
        action=actions["group"],
        title="Suggest a group",
        summary="Know a group, club or charity that isn't on the map? Tell us about it.",
        intro="It can be your own group or one you know of.",
        submit="Send the group",
        fields=(
            Field("name", "Name of the group", required=True, max_length=200),
            Field(
                "description",
                "What does the group do, and who is it for?",
                "textarea",
                required=True,
                max_length=2000,
            ),
            Field("categories", "Type of group", "select", required=True, options=CATEGORY_OPTIONS),
            DAYS_FIELD,
            Field("when", "When does it meet?", hint="For example: Tuesdays 10am to 12 noon."),
            Field(
                "venue", "Where does it meet?", hint="A public place such as a hall or library, never a home."
            ),
            Field("postcode", "Postcode where it meets", required=True, hint=hint, max_length=10),
            Field("website", "Website", "url", hint="For example: https://example.org", max_length=300),
            Field("is_organiser", "I help run this group", "checkbox"),
            *CONTACT,
            CONSENT,
        ),
    )
    space_form = OfferForm(
        key="space",
        action=actions["space"],
        title="Offer a space",
        summary="Have a room, hall, empty shop or garden that groups could use? Tell us about it.",
        intro="Free and low-cost spaces are what local groups tell us they need most.",
        submit="Send the space",
        fields=(
            Field(
                "name",
                "Name of the space",
                required=True,
                hint="For example: St Mark's hall, back room.",
                max_length=200,
            ),
            Field(
                "space_kind",
                "What kind of space is it?",
                "select",
                required=True,
                options=tuple(SPACE_KINDS.items()),
            ),
            Field(
                "description",
                "Tell us about it",
                "textarea",
                required=True,
                max_length=2000,
                hint="Its size, what it has (kitchen, toilets, parking) and what it would suit.",
            ),
            Field(
                "price_band",
                "Cost to use it",
                "select",
                options=(("free", "Free"), ("low-cost", "Low cost"), ("market", "Market rate")),
            ),
            Field("capacity", "How many people does it hold?", "number", max_length=5),
            Field(
                "step_free",
                "Step-free access?",
                "select",
                options=(("true", "Yes, step-free"), ("false", "No, there are steps")),
            ),
            DAYS_FIELD,
            Field("when", "When is it free?", hint="For example: weekday evenings."),
            Field("address", "Address"),
            Field("postcode", "Postcode of the space", required=True, hint=hint, max_length=10),
            *CONTACT,
            CONSENT,
        ),
    )
    return (help_form, group_form, space_form)
