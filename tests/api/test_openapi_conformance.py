"""The OpenAPI document tells the truth: schemathesis sends generated requests to every operation, as an
anonymous caller and as an admin, and checks that no answer is a server error and that every answer's
status, content type and body are the ones the document declares (25 examples an operation and caller).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection

from layers.access import auth
from layers.db import make_engine
from layers.settings import SubmissionSettings
from tests.live_app import demo_database, served

ADMIN = "conformance.admin@example.gov.uk"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)


def _admin(conn: Connection) -> None:
    auth.create_user(
        conn, email=ADMIN, name="Conformance Admin", role="admin", password="correct horse battery"
    )


@pytest.fixture(scope="module")
def live(server_url: str) -> Iterator[dict[str, Any]]:
    """The app on a database of this module's own (generated writes commit), served on a local port."""
    parts = {"submissions": SubmissionSettings(submission_limit=1_000_000)}
    with demo_database(server_url, prefix="patchmap_conformance", setup=_admin, **parts) as settings:
        engine = make_engine(settings.database)
        with engine.begin() as conn:
            token = auth.create_token(conn, ADMIN)
        engine.dispose()
        with served(settings) as url:
            yield {"url": url, "token": token}


def _conformance(url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Run the checks on every operation of the served app's document; (requests sent, failures)."""
    api = schemathesis.openapi.from_url(url + "/openapi.json")
    sent, failures = 0, []
    for found in api.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @EXAMPLES
        def check(case: Any) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(headers=headers, checks=CHECKS, allow_redirects=False)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # failed checks: the operation and each problem
            problems = getattr(exc, "exceptions", None) or [exc]
            for problem in problems:
                first = (str(problem).strip().splitlines() or [""])[0]
                failures.append(f"{operation.label}: {type(problem).__name__}: {first[:200]}")
    return sent, failures


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_answer_is_what_the_document_says(live: dict[str, Any], who: str) -> None:
    """No 5xx, and every status, content type and body as documented, for every operation."""
    headers = {"Authorization": f"Bearer {live['token']}"} if who == "admin" else {}
    sent, failures = _conformance(live["url"], headers)
    print(f"schemathesis, {who}: {sent} requests, {len(failures)} operations failing")
    assert sent > 500
    assert not failures, "\n".join(failures)
