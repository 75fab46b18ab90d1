"""Field types shared by every form and edit (residents' offers, record edits, partners): plain one-line
text with length limits, e-mail and phone shapes, and the controlled vocabularies of ``layers.taxonomy``.

Each is an ``Annotated`` pydantic type, so a rule (no control characters, one line, a known category) is
written once and the same input is refused in the same words wherever it is sent.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

from layers import taxonomy as tx

EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
PHONE = re.compile(r"^(\+44|0044|0)[1-9][0-9]{8,9}$")  # after spaces, dots, dashes and brackets go
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DAY_NAMES: Final = {
    name: name[:2] for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def plain(value: str) -> str:
    """Refuse control characters and unpaired surrogates (PostgreSQL cannot store them)."""
    if CONTROL.search(value):
        raise ValueError("contains control characters: use plain text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid text") from None
    return value


def _one_line(value: str) -> str:
    """Refuse line breaks in a one-line field."""
    if "\n" in value or "\r" in value:
        raise ValueError("must be on one line")
    return value


WEB_ADDRESS: Final = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)
BARE_DOMAIN: Final = re.compile(r"^[^\s/:@]+\.[^\s:@]+$")


def web_address(value: str) -> str:
    """An http(s) address; a bare 'www.example.org' gets https://. Anything else (javascript:, data:,
    vbscript:, mailto:, a scheme split by white space) is refused: a page links only to web pages."""
    if WEB_ADDRESS.match(value):
        return value
    if BARE_DOMAIN.match(value):
        return "https://" + value
    raise ValueError("give a web address like https://example.org")


def _one_of(values: dict[str, str] | tuple[str, ...], what: str) -> Any:
    """Validators making a string one of a controlled vocabulary (layers.taxonomy), documented as an enum."""
    allowed = list(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value[:32]!r}: use one of {', '.join(allowed)}")
        return value

    return AfterValidator(check), WithJsonSchema({"type": "string", "enum": allowed})


def _split(value: Any) -> Any:
    """A comma-separated string (one form field) becomes a list; a list's items are split the same way."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    parts = [p for item in items for p in (item.split(",") if isinstance(item, str) else [item])]
    return [
        p.strip() if isinstance(p, str) else p for p in parts if not (isinstance(p, str) and not p.strip())
    ]


def _day(value: Any) -> Any:
    """'Monday' or 'mon' becomes 'mo'."""
    if isinstance(value, str):
        key = value.strip().lower()
        return DAY_NAMES.get(key) or (key[:2] if len(key) == 3 and key[:2] in tx.WEEKDAYS else key)
    return value


def _unique(values: list[Any]) -> list[Any]:
    """The list without repeats, in its order."""
    return list(dict.fromkeys(values))


_CATEGORY, _DAY = _one_of(tx.GROUP_CATEGORIES, "category"), _one_of(tx.WEEKDAYS, "day")
_SPACE_KIND, _PRICE_BAND = _one_of(tx.SPACE_KINDS, "space kind"), _one_of(tx.PRICE_BANDS, "price band")
_LOWER = StringConstraints(strip_whitespace=True, to_lower=True)
_PLAIN, _LINE = AfterValidator(plain), AfterValidator(_one_line)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _PLAIN, _LINE]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), _PLAIN]
Long = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _PLAIN]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), _PLAIN, _LINE]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), _PLAIN, _LINE]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), _PLAIN, _LINE]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300), _PLAIN, _LINE, AfterValidator(web_address)
]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), _PLAIN, _LINE]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), _PLAIN]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), _PLAIN, _LINE]
Category = Annotated[str, _LOWER, *_CATEGORY]
SpaceKind = Annotated[str, _LOWER, *_SPACE_KIND]
PriceBand = Annotated[str, _LOWER, *_PRICE_BAND]
Day = Annotated[str, BeforeValidator(_day), _LOWER, *_DAY]
Days = Annotated[list[Day], BeforeValidator(_split), AfterValidator(_unique), Field(max_length=7)]
Categories = Annotated[list[Category], BeforeValidator(_split), AfterValidator(_unique), Field(max_length=5)]
Skills = Annotated[list[Skill], BeforeValidator(_split), AfterValidator(_unique), Field(max_length=10)]


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def checked(kind: Any, value: Any) -> Any:
    """``value`` as the field type ``kind`` (one of the types above) takes it, for code outside pydantic
    models (importers); ValueError saying why not, in the words a form would use."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise ValueError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None
