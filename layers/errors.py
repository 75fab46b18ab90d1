"""Domain errors. ``api.errors`` maps each to an HTTP status; the CLI prints them."""

from __future__ import annotations


class PatchmapError(Exception):
    """Base of every domain error: a short message and what the user can do about it."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(PatchmapError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class InvalidInput(PatchmapError):
    """The caller's input is malformed or out of range."""


class BadParameter(PatchmapError):
    """A query parameter is unknown or malformed where the standard an API follows asks for 400 (OGC API)."""


class ImportFailed(PatchmapError):
    """An import could not be completed; nothing was written."""

    def __init__(self, message: str, detail: str = "", report: object | None = None) -> None:
        super().__init__(message, detail)
        self.report = report


class DatabaseUnavailable(PatchmapError):
    """The database cannot be reached or lacks PostGIS."""


class TooLarge(PatchmapError):
    """The request is larger than Patchmap accepts."""


class UnsupportedMediaType(PatchmapError):
    """The request's body is in a format Patchmap does not read."""


class RateLimited(PatchmapError):
    """The caller has sent too many requests of a kind; they may try again after ``retry_after_s``."""

    def __init__(self, message: str, detail: str = "", retry_after_s: int = 60) -> None:
        super().__init__(message, detail)
        self.retry_after_s = retry_after_s


class Unauthorized(PatchmapError):
    """The caller has not signed in (or their token or session is no longer valid)."""


class Forbidden(PatchmapError):
    """The caller is signed in but may not do this (e.g. another district's record)."""


class Conflict(PatchmapError):
    """The request clashes with the state of things (a time already booked, a booking already decided)."""
