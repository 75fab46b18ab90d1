"""The one set of UK postcode rules: what a postcode and an outward code look like, and their usual form.

Every reader of postcodes (importers, the API's lookups and search, residents' forms) uses these, so a
postcode accepted in one place is accepted in all of them. The pattern is the Royal Mail format: the
outward code (area, district, optional sub-district) then the inward code (sector, unit); inward units
never use C, I, K, M, O or V, and GIR 0AA is the one historical exception.
"""

from __future__ import annotations

import re
from typing import Final

from layers.errors import InvalidInput

OUTWARD: Final = r"[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
INWARD: Final = r"[0-9][ABD-HJLNP-UW-Z]{2}"
COMPACT: Final = re.compile(rf"^(?:(?P<out>{OUTWARD})(?P<in>{INWARD})|(?P<gir>GIR0AA))$")
OUTWARD_ONLY: Final = re.compile(rf"^{OUTWARD}$")
SPACES: Final = re.compile(r"\s+")


def squash(text: str) -> str:
    """``text`` in upper case with all white space removed (the form the patterns match)."""
    return SPACES.sub("", text).upper()


def normalise_postcode(text: str | None) -> str | None:
    """A UK postcode in upper case with one space before the inward code, or None if it is not one."""
    if not text:
        return None
    m = COMPACT.match(squash(str(text)))
    if m is None:
        return None
    return "GIR 0AA" if m.group("gir") else f"{m.group('out')} {m.group('in')}"


def require_postcode(text: str) -> str:
    """``text`` as a postcode in its usual form ('nr21aw' becomes 'NR2 1AW'); InvalidInput if it is not one."""
    code = normalise_postcode(text)
    if code is None:
        raise InvalidInput(
            f"{text.strip()[:16]!r} is not a valid UK postcode",
            "A postcode looks like NR2 1AW: two to four characters, a space, a digit and two letters.",
        )
    return code


def normalise_outward(text: str | None) -> str | None:
    """An outward code alone ('nr2' becomes 'NR2'), or None if ``text`` is not one."""
    if not text:
        return None
    code = squash(text)
    return code if OUTWARD_ONLY.match(code) else None


def outward(postcode: str) -> str | None:
    """The outward code of a postcode (``NR2`` of ``NR2 1AW``), or None if it is not a postcode."""
    norm = normalise_postcode(postcode)
    return norm.split(" ")[0] if norm else None
