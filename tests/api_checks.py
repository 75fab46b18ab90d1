"""Checks every API test makes of a response: status, content type and body shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

ERROR_KEYS = {"error", "detail"}


def ok_body(
    response: Any, model: type[BaseModel] | Any, media_type: str = "application/json"
) -> dict[str, Any]:
    """Check a 200 response's status, content type and body against ``model``; return the body."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    adapter = TypeAdapter(model)
    parsed = adapter.validate_json(response.text, strict=True)
    body: dict[str, Any] = response.json()
    no_undeclared_keys(body, adapter.dump_python(parsed, mode="json", by_alias=True))
    return body


def no_undeclared_keys(body: Any, declared: Any, path: str = "") -> None:
    """Fail if the body has a key, at any depth, that the model does not declare.

    Validation ignores extra keys, and some routes write their answer without passing it through the
    response model, so this is what stops an undeclared (perhaps private) field reaching the public.
    """
    if isinstance(body, dict) and isinstance(declared, dict):
        extra = set(body) - set(declared)
        assert not extra, f"undeclared keys at {path or 'top'}: {sorted(extra)}"
        for key in body:
            no_undeclared_keys(body[key], declared[key], f"{path}.{key}")
    elif isinstance(body, list) and isinstance(declared, list):
        for i, (item, model_item) in enumerate(zip(body, declared, strict=True)):
            no_undeclared_keys(item, model_item, f"{path}[{i}]")


def error_body(response: Any, status: int) -> dict[str, Any]:
    """Check an error response: status, JSON, and the standard body {"error", "detail"}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert isinstance(body["error"], str) and body["error"]
    return body
