"""The what-if page for a browser without JavaScript (``GET /analysis/what-if``): the form, and the answer of
POST /analysis/scenarios rendered on the server (sentences, then the areas that changed, before and after).
Rendered by the one autoescaped environment (``mapping.pages.TEMPLATES``), so every name is escaped; the
data is handed in by the route, nothing here reads a database. The officers' map shows the same form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mapping import assets
from mapping.pages import TEMPLATES


def whatif_page(
    *,
    static_url: str,
    action: str,
    map_url: str,
    district_code: str,
    district_name: str,
    form: Mapping[str, str],
    answer: Mapping[str, Any] | None = None,
    problem: str | None = None,
) -> str:
    """The what-if page: a problem or the answer (if any), then the form with the values sent."""
    return TEMPLATES.get_template("whatif_page.html").render(
        title=f"What if? {district_name}: Patchmap",
        css=[a.url(static_url) for _, a in (*assets.PATCH_DOCUMENT_CSS, ("officer", assets.OFFICER_CSS))],
        action=action,
        map_url=map_url,
        district_code=district_code,
        district_name=district_name,
        form=form,
        answer=answer,
        problem=problem,
    )
