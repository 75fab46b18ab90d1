"""The forms residents send (suggest a group, offer a space, offer help): schemas, parsing and validation.

Each kind has a ``*Details`` schema (what a moderator may later publish) and a form model adding the private
part: where (a postcode, outward code, point or area code), ``contact`` (never published) and consent.
Bodies are JSON or an HTML form's ``application/x-www-form-urlencoded``; every problem is reported in plain
English as (field, what to do), never as a server error.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, get_origin
from urllib.parse import parse_qsl

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from layers.areas.postcodes import normalise_outward, normalise_postcode
from layers.errors import InvalidInput, UnsupportedMediaType
from layers.fields import (
    EMAIL,
    PHONE,
    Categories,
    Code,
    Days,
    Email,
    Long,
    Name,
    Phone,
    PriceBand,
    Short,
    Skills,
    SpaceKind,
    Url,
)

KINDS: Final = ("group", "space", "help")
HONEYPOT: Final = "website_url"
CONSENT_TEXT: Final = "You may contact me about this offer."
CONSENT_PROBLEM: Final = "tick the box to say we may contact you about this offer"
#: An offer of help's second, optional consent: to be introduced to a local group (layers.offers.matching).
SHARE_CONTACT_TEXT: Final = (
    "You may pass my name and contact details to a local group that wants help, and theirs to me."
)


class _Model(BaseModel):
    """Strict about unknown fields; blank strings count as not given (a form sends "" for an empty box)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        """Leave out fields given as blank strings."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class ContactDetails(_Model):
    """How a council officer may reach the resident: private, never published."""

    name: Name = Field(description="your name")
    email: Email | None = Field(default=None, examples=["sam@example.org"])
    phone: Phone | None = Field(default=None, examples=["01603 212121"])

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        """An email address of the usual shape (checked loosely)."""
        if value is not None and not EMAIL.match(value):
            raise ValueError("enter an email address like name@example.org")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """A UK phone number (checked loosely: 0 or +44 and 9 or 10 more digits)."""
        if value is not None and not PHONE.match(re.sub(r"[\s.()\-]", "", value)):
            raise ValueError("enter a UK phone number like 01603 212121 or +44 7700 900123")
        return value

    @model_validator(mode="after")
    def _one_way_to_reply(self) -> ContactDetails:
        """At least one way to reply."""
        if self.email is None and self.phone is None:
            raise ValueError("give an email address or a phone number, so we can reply")
        return self


class Reply(_Model):
    """Where the offer is, who to contact, their consent, and the trap field robots fill."""

    postcode: str | None = Field(default=None, max_length=10, description="a full postcode or its first half")
    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude, EPSG:4326")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude, EPSG:4326")
    area_code: Code | None = Field(
        default=None, description="a ward, district, LSOA or locality code", examples=["E05005882"]
    )
    contact: ContactDetails
    consent: bool = Field(description=CONSENT_TEXT + " Must be true.")
    website_url: str | None = Field(default=None, max_length=2000, description="leave empty")

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        """A full postcode ('NR2 1AW') or an outward code ('NR2'), normalised."""
        if value is None:
            return None
        code = normalise_postcode(value) or normalise_outward(value)
        if code is not None:
            return code
        raise ValueError("is not a UK postcode: give one like NR2 1AW, or its first half like NR2")

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        """Consent must be given."""
        if not value:
            raise ValueError(CONSENT_PROBLEM)
        return value

    @model_validator(mode="after")
    def _one_place(self) -> Reply:
        """Exactly one way of saying where: a postcode, a point (lat and lon) or an area code."""
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon for a point")
        given = [self.postcode is not None, self.lat is not None, self.area_code is not None]
        if not any(given):
            raise ValueError(
                "say where: a postcode (like NR2 1AW, or NR2), a point (lat and lon) or an area code"
            )
        if sum(given) > 1:
            raise ValueError("say where in one way only: a postcode, a point (lat and lon) or an area code")
        return self


class GroupDetails(_Model):
    """The publishable part of a group suggestion."""

    name: Name = Field(description="the group's name")
    description: Long = Field(description="what the group does and who it is for")
    categories: Categories = Field(
        min_length=1, description="one to five of layers.taxonomy.GROUP_CATEGORIES"
    )
    days: Days = Field(default_factory=list, description="days it meets: mo, tu, we, th, fr, sa, su")
    when: Short | None = Field(default=None, description="when it meets, e.g. Tuesdays 10am to noon")
    venue: Short | None = Field(default=None, description="where it meets: a public venue, never a home")
    website: Url | None = Field(default=None, description="its web site, e.g. https://example.org")
    is_organiser: bool = Field(default=False, description="the person suggesting it runs the group")


class SpaceDetails(_Model):
    """The publishable part of an offer of a space."""

    name: Name = Field(description="what the space is called, e.g. St Mark's hall, back room")
    space_kind: SpaceKind = Field(description="one of layers.taxonomy.SPACE_KINDS")
    description: Long = Field(description="what the space is like and what it could be used for")
    address: Short | None = None
    capacity: int | None = Field(default=None, ge=1, le=10000, description="people it holds")
    price_band: PriceBand | None = Field(default=None, description="free, low-cost or market")
    days: Days = Field(default_factory=list, description="days it is free: mo, tu, we, th, fr, sa, su")
    when: Short | None = Field(default=None, description="when it is free, e.g. weekday evenings")
    step_free: bool | None = Field(default=None, description="step-free access")


class HelpDetails(_Model):
    """The publishable part of an offer of help (the helper's name is in the private contact)."""

    offer: Long = Field(description="what you can offer, e.g. an hour a week of shopping for a neighbour")
    skills: Skills = Field(default_factory=list, description="up to ten skills, e.g. driving, gardening")
    categories: Categories = Field(default_factory=list, description="causes you would like to help")
    days: Days = Field(default_factory=list, description="days you are free: mo, tu, we, th, fr, sa, su")
    when: Short | None = Field(default=None, description="when you are free, e.g. Saturday mornings")
    share_contact: bool = Field(default=False, description=SHARE_CONTACT_TEXT + " Optional: default no.")


class GroupSuggestion(Reply, GroupDetails):
    """Suggest a group: a voluntary organisation, club or mutual-aid group (yours or one you know)."""


class SpaceOffer(Reply, SpaceDetails):
    """Offer a space: a room, hall, empty shop, office or somewhere outdoors."""


class HelpOffer(Reply, HelpDetails):
    """Offer your help: what you can offer, your skills and when you are free."""


FORMS: Final[dict[str, type[Reply]]] = {"group": GroupSuggestion, "space": SpaceOffer, "help": HelpOffer}
DETAILS: Final[dict[str, type[_Model]]] = {"group": GroupDetails, "space": SpaceDetails, "help": HelpDetails}


class InvalidSubmission(InvalidInput):
    """A submission with one or more problems, each (field, what to do)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"The form has {count}", "; ".join(f"{w}: {p}" for w, p in problems) + ".")
        self.problems = problems


def parse_payload(kind: str, body: bytes, content_type: str) -> dict[str, Any]:
    """The fields of a JSON or form-encoded (application/x-www-form-urlencoded) body, as a dict."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise InvalidInput("The body is not valid JSON", "Send one JSON object in UTF-8.") from None
        if not isinstance(data, dict):
            raise InvalidInput("The body is not a JSON object", "Send the fields as one JSON object {...}.")
        return data
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=200, errors="strict"
            )
        except (UnicodeDecodeError, ValueError):
            raise InvalidInput(
                "The form could not be read", "Send the form in UTF-8 with fewer fields."
            ) from None
        return form_payload(kind, pairs)
    raise UnsupportedMediaType(
        f"Patchmap does not read {media[:60] or 'a body without a content type'}",
        "Send application/json, or application/x-www-form-urlencoded (an HTML form's usual encoding).",
    )


def form_payload(kind: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A form's fields as the JSON shape: contact_name/_email/_phone go into contact, lists collect.

    Fields the form does not know (a submit button's name, say) are left out; a checkbox left unticked is
    absent, so consent is then missing.
    """
    model = FORMS[kind]
    data: dict[str, Any] = {}
    contact: dict[str, str] = {}
    for key, value in pairs:
        if key.startswith("contact_") and key[8:] in ContactDetails.model_fields:
            contact[key[8:]] = value
        elif key in model.model_fields and key != "contact":
            if get_origin(model.model_fields[key].annotation) is list:
                data.setdefault(key, []).append(value)
            else:
                data[key] = value
    if contact:
        data["contact"] = contact
    return data


def validate(kind: str, payload: dict[str, Any]) -> Reply:
    """The payload as the kind's model; InvalidSubmission listing every problem in plain English."""
    if kind not in FORMS:
        raise InvalidInput(f"Unknown kind of submission {kind[:16]!r}", f"Use one of {', '.join(KINDS)}.")
    try:
        return FORMS[kind].model_validate(payload)
    except ValidationError as exc:
        raise InvalidSubmission([_problem(e) for e in exc.errors(include_url=False)]) from None


def _problem(error: Any) -> tuple[str, str]:
    """One pydantic error as (field, what to do)."""
    loc = [str(p) for p in error.get("loc", ())]
    where = ".".join(loc) or "location"
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if loc[:1] == ["consent"]:
        return where, CONSENT_PROBLEM
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return where, "this is required"
    if kind == "string_too_long":
        return where, f"too long: at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return where, f"too many: at most {ctx.get('max_length')}"
    if kind == "too_short":
        return where, f"choose at least {ctx.get('min_length')}"
    if kind == "value_error":
        return where, str(ctx.get("error", error.get("msg", "")))
    if kind == "string_unicode":
        return where, "is not valid text"
    if kind == "extra_forbidden":
        return where, "is not a field of this form: leave it out"
    return where, str(error.get("msg", "is not valid")).lower()
