"""Logs without personal data: every log record of the whole test run goes to one file, which is scanned
at the end for personal values (the ones the tests plant, and anything shaped like an e-mail address or a
UK phone number). A hit fails the run, naming the lines.

Records are kept at INFO and above from every library, and at every level from Patchmap's own loggers
(``patchmap.*``), including those of the uvicorn servers the browser tests run in threads.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

#: Values tests plant in private fields, contacts and rejected input; none may reach a log.
PLANTED = (
    "hidden.person@example.org",
    "07700 900461",
    "07700 900123",
    "12 Hidden Lane",
    "Ms Owner Private",
    "jo.home@example.net",
    "Secret Lane",
    "a\\x00b@x.org",
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\b(?:\+44\s?|0)7\d{3}\s?\d{6}\b")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


def start(path: Path) -> logging.Handler:
    """Send every log record of the run to ``path`` (created anew)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    logging.getLogger("patchmap").setLevel(logging.DEBUG)
    # The test client (httpx) logs every URL it asks for at INFO; a booking's manage link carries its secret
    # token in the query string, which no log may hold, so the client's own lines are left out.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler


def personal_lines(path: Path) -> list[str]:
    """The lines of the log holding a planted value, an e-mail address or a UK mobile number."""
    hits = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if any(value in line for value in PLANTED) or EMAIL.search(line) or PHONE.search(line):
            hits.append(line)
    return hits
