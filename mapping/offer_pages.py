"""The pages a resident reaches about their own offer: check its status, withdraw it, answer a question.

Built from the views ``layers.offers.residents`` returns; nothing here reads a database. Every page is
autoescaped Jinja in the residents' answer frame (``_answer.html``), works without JavaScript (plain forms),
and carries no secret but the one the resident opened it with (in a hidden field, never in a link).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from mapping.pages import TEMPLATES

LONDON: Final = ZoneInfo("Europe/London")


def day(when: datetime | None) -> str:
    """A moment as its London date: "5 December 2026" ("" for none)."""
    if when is None:
        return ""
    local = when.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def _render(template: str, title: str, **values: Any) -> str:
    return TEMPLATES.get_template(template).render(title=title, map_url="/", day=day, **values)


def status_page(
    *,
    reference: str = "",
    proof: str = "",
    view: dict[str, Any] | None = None,
    problem: tuple[str, str] | None = None,
    link_sent: bool = False,
) -> str:
    """The status form, with the offer's status when found, or the problem (not found, too many tries)."""
    title = f"Your offer {view['reference']}" if view else "Check your offer"
    return _render("offer_status.html", title, reference=reference, proof=proof if view else "", view=view,
                   problem=problem, link_sent=link_sent)  # fmt: skip


def withdraw_page(*, token: str, view: dict[str, Any], done: bool = False) -> str:
    """The withdraw link's page: the offer and one button (or, ``done``, that it is withdrawn)."""
    title = "Your offer is withdrawn" if done else "Withdraw your offer"
    return _render("offer_withdraw.html", title, token=token, view=view, done=done)


def answer_page(
    *, token: str, view: dict[str, Any], done: bool = False, answer: str = "", problem: str = ""
) -> str:
    """The question and a form to answer it (or, ``done``, thanks); ``problem`` beside the answer box."""
    title = "Thank you for your answer" if done else "Answer a question about your offer"
    return _render(
        "offer_answer.html", title, token=token, view=view, done=done, answer=answer, problem=problem
    )


def message_page(*, heading: str, message: str, detail: str = "", reference: str = "") -> str:
    """A plain page saying what is wrong with a link or a request, and what to do."""
    return _render("offer_message.html", heading, heading=heading, message=message, detail=detail,
                   reference=reference)  # fmt: skip
