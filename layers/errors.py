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


class ImportFailed(PatchmapError):
    """An import could not be completed; nothing was written."""

    def __init__(self, message: str, detail: str = "", report: object | None = None) -> None:
        super().__init__(message, detail)
        self.report = report


class DatabaseUnavailable(PatchmapError):
    """The database cannot be reached or lacks PostGIS."""
