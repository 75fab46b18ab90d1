"""Checks every API test makes of a response: status, content type and body shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

ERROR_KEYS = {"error", "detail"}


def ok_body(response: Any, model: type[BaseModel] | Any, media_type: str = "application/json") -> dict[str, Any]:
    """Check a 200 response's status, content type and body against ``model``; return the body."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    TypeAdapter(model).validate_json(response.text, strict=True)
    body: dict[str, Any] = response.json()
    return body


def error_body(response: Any, status: int) -> dict[str, Any]:
    """Check an error response: status, JSON, and the standard body {"error", "detail"}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert isinstance(body["error"], str) and body["error"]
    return body
