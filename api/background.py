"""The app's background work, started and stopped by ``api.main.create_app``'s lifespan: the sender of the
outbox (every ``mail_interval_s``, when ``PATCHMAP_SMTP_HOST`` is set) and the expiry of booking requests
past their hold (every ``booking_expiry_interval_s``), and the organisers' freshness reminders (every
``freshness_interval_s``, first one interval after start: ``layers.records.freshness``).

Each job runs its blocking work (SQLAlchemy, smtplib) in a worker thread, one round at a time. A database
outage is logged once when it starts and once when it ends; the job keeps its rhythm meanwhile. Shutdown
asks a running send round to stop after its current message, then cancels the jobs and waits for them, so
the engine is disposed only when no round is using it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import anyio.to_thread
import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from layers.messages.sender import send_due
from layers.settings import Settings

log = logging.getLogger("patchmap.background")

#: Errors that mean the database (or the way to it) is away: the job logs it once and goes on.
DATABASE_AWAY: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    ConnectionError,
)
EXPIRY_MODULE = "layers.booking.manage"


@dataclass
class Job:
    """Blocking ``work`` run in a worker thread every ``interval_s`` seconds."""

    name: str
    interval_s: float
    work: Callable[[], object]
    first_after_s: float = 0.0  # wait this long before the first round


async def repeat(job: Job) -> None:
    """Run ``job`` for ever (until cancelled), surviving any error; each kind of trouble is logged once."""
    trouble: str | None = None
    await asyncio.sleep(job.first_after_s)
    while True:
        try:
            await anyio.to_thread.run_sync(job.work)
        except DATABASE_AWAY as exc:
            if trouble != "away":
                log.warning("%s: the database is not reachable (%s); trying again every %g s",
                            job.name, type(exc).__name__, job.interval_s)  # fmt: skip
            trouble = "away"
        except Exception as exc:  # the type only: an exception's message may quote personal data
            if trouble != type(exc).__name__:
                log.error(
                    "%s failed (%s); trying again every %g s", job.name, type(exc).__name__, job.interval_s
                )
            trouble = type(exc).__name__
        else:
            if trouble is not None:
                log.info("%s works again", job.name)
            trouble = None
        await asyncio.sleep(job.interval_s)


class Expiry:
    """Expire booking requests past their hold with ``layers.booking.manage.expire_due``, found lazily."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self.engine = engine
        self.missing_logged = False

    def __call__(self) -> int:
        """One round: expire due requests in one transaction; how many were expired."""
        expire_due = self.find()
        if expire_due is None:
            return 0
        with self.engine().begin() as conn:
            count = expire_due(conn)
        if count:
            log.info("%d booking requests expired", count)
        return count

    def find(self) -> Callable[[Connection], int] | None:
        """``expire_due`` if the booking module has it; else None, said once in the log."""
        try:
            found = getattr(importlib.import_module(EXPIRY_MODULE), "expire_due", None)
        except ModuleNotFoundError as exc:
            if exc.name != EXPIRY_MODULE:
                raise
            found = None
        if found is None and not self.missing_logged:
            log.warning(
                "booking requests do not expire in the background: %s.expire_due is missing", EXPIRY_MODULE
            )
            self.missing_logged = True
        return found


def remind(settings: Settings, engine: Callable[[], Engine]) -> int:
    """One round of freshness reminders (``layers.records.freshness.remind``) in one transaction; how many
    listings it reminded or flagged."""
    from layers.records.freshness import remind as remind_round

    with engine().begin() as conn:
        done = remind_round(
            conn, access=settings.access, people=settings.people, public_url=settings.booking.public_url
        )
    if done.first or done.second or done.flagged:
        log.info(
            "freshness reminders: %d first, %d second, %d flagged", done.first, done.second, done.flagged
        )
    return done.first + done.second + done.flagged


def jobs(settings: Settings, engine: Callable[[], Engine], stop: threading.Event) -> list[Job]:
    """The app's jobs: expiry and freshness reminders always (the first round of reminders one interval after
    the app starts, so a restart never sends a burst), sending only when an SMTP host is set."""
    every = settings.people.freshness_interval_s
    found = [
        Job("booking expiry", settings.booking.booking_expiry_interval_s, Expiry(engine)),
        Job("freshness reminders", every, lambda: remind(settings, engine), first_after_s=every),
    ]
    if settings.mail.smtp_host:
        found.append(
            Job(
                "message sender",
                settings.mail.mail_interval_s,
                lambda: send_due(engine(), settings.mail, stop=stop),
            )
        )
    else:
        log.info("no SMTP host set (PATCHMAP_SMTP_HOST): messages stay in the outbox, unsent")
    return found


@asynccontextmanager
async def running(settings: Settings, engine: Callable[[], Engine]) -> AsyncIterator[asyncio.Task[None]]:
    """Run the background jobs while the block runs (``engine`` is read each round); stop them cleanly after."""
    stop = threading.Event()

    async def run_all() -> None:
        async with asyncio.TaskGroup() as group:
            for job in jobs(settings, engine, stop):
                group.create_task(repeat(job), name=f"patchmap {job.name}")

    task = asyncio.create_task(run_all(), name="patchmap background")
    try:
        yield task
    finally:
        stop.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
