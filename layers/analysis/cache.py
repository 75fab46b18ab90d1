"""The overlay's inputs kept between requests, in step with the data through counters in the database.

Reading England's inputs from PostGIS (the per-LSOA indicators pivoted into columns, 100,000 assets) takes
seconds; the data behind them changes rarely (indicators and boundaries at import) or a record at a time
(assets, mapped areas). So each frame of ``OverlayInputs`` is kept in the process, per engine, beside the
change counters of the sources it was read from (``analysis_changes``, migration 0017: ``areas``,
``indicators``, ``assets``, ``mapped``). Every committed write to a source's tables raises its counter, by a
statement-level trigger in the writing transaction, so:

- a kept frame is used only while the counters of its sources are what they were when it was read; after an
  asset is added or edited only the asset frames are read again;
- the counters are read in the database, in the same transaction as the data, so two app workers (or a
  command-line import) invalidate each other's frames: there is no in-process flag to miss;
- frames are kept only when the counters read before and after reading them agree (no commit came between,
  so the data is what the counters say), and never when the reading transaction has itself written to a
  source (its changes are not committed and may yet be rolled back): then everything is read afresh and the
  version is None.

``version`` (``OverlayInputs.version``) names the four counters: it changes whenever any input changes,
mapped areas included, and is the same in every process reading the same committed data.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

#: The sources whose counters analysis_changes keeps (migration 0017 lists their tables).
SOURCES = ("areas", "indicators", "assets", "mapped")
#: How many raises of the assets counter analysis_asset_changes keeps (migration 0017): a frame further behind
#: is read again in full.
ASSET_LOG_KEPT = 1000
#: The asset frame's order: each kind in its table's physical order (analysis_assets.sql).
KIND_ORDER = {"hub": 0, "space": 1, "group": 2}
#: Columns the kept asset frame holds for its order, not handed out.
ORDER_COLUMNS = ["page", "item"]
CHANGED_ASSETS = text(
    "SELECT DISTINCT kind, id FROM analysis_asset_changes WHERE changes > :since AND changes <= :until"
)

#: How many frames each engine keeps (a frame is at most a few MB: England's LSOAs with 22 indicators).
MAX_FRAMES = 64

COUNTERS = text(
    "SELECT source, changes, last_xid = pg_current_xact_id_if_assigned()::text AS mine FROM analysis_changes"
)


@dataclass(frozen=True)
class Counters:
    """The change counters read in one statement, and whether this transaction has written to a source."""

    changes: dict[str, int]
    written_here: bool

    @property
    def version(self) -> str | None:
        """A token naming the committed state of every source, or None while this transaction has written."""
        if self.written_here:
            return None
        return "v1-" + "-".join(f"{s}:{self.changes.get(s, 0)}" for s in SOURCES)

    def of(self, sources: tuple[str, ...]) -> tuple[int, ...]:
        """The counters of some sources, as a key."""
        return tuple(self.changes.get(s, 0) for s in sources)


def read_counters(conn: Connection) -> Counters:
    """The counters as this transaction sees them."""
    rows = conn.execute(COUNTERS).all()
    return Counters({r[0]: int(r[1]) for r in rows}, any(bool(r[2]) for r in rows))


class FrameCache:
    """Frames read from the database, each kept with the counters of the sources it was read from."""

    def __init__(self, size: int = MAX_FRAMES) -> None:
        self._frames: OrderedDict[Hashable, tuple[tuple[Hashable, ...], pd.DataFrame | pd.Series]] = (
            OrderedDict()
        )
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: tuple[Hashable, ...]) -> pd.DataFrame | pd.Series | None:
        """The frame kept under key if it was read at these counters (a shallow copy), else None."""
        with self._lock:
            kept = self._frames.get(key)
            if kept is None or kept[0] != stamp:
                return None
            self._frames.move_to_end(key)
            return kept[1].copy(deep=False)

    def entry(self, key: Hashable) -> tuple[tuple[Hashable, ...], pd.DataFrame] | None:
        """The frame kept under key and the counters it was read at, whatever they are (not a copy: read only)."""
        with self._lock:
            kept = self._frames.get(key)
            if kept is None or not isinstance(kept[1], pd.DataFrame):
                return None
            self._frames.move_to_end(key)
            return kept[0], kept[1]

    def put(self, key: Hashable, stamp: tuple[Hashable, ...], frame: pd.DataFrame | pd.Series) -> None:
        """Keep frame under key, read at these counters (a shallow copy: the caller's later changes stay theirs)."""
        with self._lock:
            self._frames[key] = (stamp, frame.copy(deep=False))
            self._frames.move_to_end(key)
            while len(self._frames) > self._size:
                self._frames.popitem(last=False)

    def clear(self) -> None:
        """Forget every frame."""
        with self._lock:
            self._frames.clear()


# One cache per engine (so per app, or per command), dropped with the engine; made empty at import, filled
# only by overlay_inputs. Not a setting: there is nothing to configure.
_CACHES: weakref.WeakKeyDictionary[Engine, FrameCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def frame_cache(conn: Connection) -> FrameCache:
    """The frame cache of the connection's engine."""
    with _CACHES_LOCK:
        cache = _CACHES.get(conn.engine)
        if cache is None:
            cache = _CACHES[conn.engine] = FrameCache()
        return cache


Frame = pd.DataFrame | pd.Series
F = TypeVar("F", pd.DataFrame, pd.Series)
T = TypeVar("T")


def token_of(version: str | None, sources: tuple[str, ...]) -> str | None:
    """The part of an inputs version that names some sources' counters (None if the version is unknown)."""
    if version is None:
        return None
    parts = dict(p.split(":", 1) for p in version.split("-")[1:])
    return "-".join(f"{s}:{parts[s]}" for s in sources)


def kept_frame(conn: Connection, token: str | None, key: Hashable, compute: Callable[[], F]) -> F:
    """A frame computed from inputs whose sources ``token`` names (``token_of``), kept with the inputs'
    frames: computed again only when those sources change. Not kept when the token is unknown."""
    if token is None:
        return compute()
    cache = frame_cache(conn)
    kept = cache.get(("derived", key), (token,))
    if kept is not None:
        return kept  # type: ignore[return-value]  # the same key is always computed by the same compute
    frame = compute()
    cache.put(("derived", key), (token,), frame)
    return frame


#: How many patchable objects each engine keeps (catchment pairs: about 40 MB each for England).
MAX_PATCHABLE = 3
_PATCHABLE: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, object]] = weakref.WeakKeyDictionary()


def patched(conn: Connection, key: Hashable, make: Callable[[T | None], T]) -> T:
    """``make(last)``, where last is what ``make`` gave under key before (None at first), and keep what it
    gives now. For objects that check their own inputs (``access.pairs_for`` compares the points), so any
    last one is a safe start: not tied to the counters."""
    with _CACHES_LOCK:
        kept = _PATCHABLE.get(conn.engine)
        if kept is None:
            kept = _PATCHABLE[conn.engine] = OrderedDict()
        last = kept.get(key)
    value = make(last)  # type: ignore[arg-type]  # the same key is always made by the same make
    with _CACHES_LOCK:
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > MAX_PATCHABLE:
            kept.popitem(last=False)
    return value


class AnswerCache:
    """Whole answers (the overlay as JSON records, CSV or GeoJSON) by the inputs' version and the question."""

    def __init__(self, size: int = 2) -> None:
        self._answers: OrderedDict[Hashable, object] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def answer(self, key: Hashable, compute: Callable[[], T], still: Callable[[], bool]) -> T:
        """The answer kept under key, else ``compute()``, kept if ``still()`` says nothing changed meanwhile.
        Answers are shared: callers must not change them."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]  # type: ignore[return-value]
        answer = compute()
        if not still():
            return answer
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return answer


_ANSWERS: weakref.WeakKeyDictionary[Engine, AnswerCache] = weakref.WeakKeyDictionary()


def kept_answer(conn: Connection, question: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s answer to question, kept while no input changes (by the counters read now); computed
    afresh, and not kept, inside a transaction that has written to a source."""
    counters = read_counters(conn)
    if counters.version is None:
        return compute()
    with _CACHES_LOCK:
        cache = _ANSWERS.get(conn.engine)
        if cache is None:
            cache = _ANSWERS[conn.engine] = AnswerCache()
    return cache.answer(
        (counters.version, question), compute, lambda: read_counters(conn).changes == counters.changes
    )


def _without_order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=ORDER_COLUMNS)


class Reader:
    """Reads the frames of one ``OverlayInputs``: from the cache when their sources have not changed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache = frame_cache(conn)
        self.before = read_counters(conn)
        self._fresh: list[tuple[Hashable, tuple[int, ...], Frame]] = []

    def frame(self, key: Hashable, sources: tuple[str, ...], read: Callable[[], F]) -> F:
        """The frame under key, from the cache if its sources' counters are unchanged, else ``read()``."""
        stamp = self.before.of(sources)
        if not self.before.written_here:
            kept = self.cache.get(key, stamp)
            if kept is not None:
                return kept  # type: ignore[return-value]  # the same key is always read by the same read
        frame = read()
        self._fresh.append((key, stamp, frame))
        return frame

    def assets(
        self, key: Hashable, read: Callable[[dict[str, list[int] | None]], pd.DataFrame]
    ) -> pd.DataFrame:
        """The asset frame under key: kept; or kept with the assets changed since read again and put back in
        their place (``read({kind: ids})``); or read in full (``read({})``) when areas changed, the log does not
        reach back far enough, or a table was emptied. The kept frame carries ``ORDER_COLUMNS``; the frame
        handed out does not."""
        stamp = self.before.of(("areas", "assets"))
        kept = None if self.before.written_here else self.cache.entry(key)
        if kept is not None and kept[0] == stamp:
            return _without_order(kept[1])
        frame = None
        since = kept[0][1] if kept is not None and kept[0][0] == stamp[0] else None
        if kept is not None and isinstance(since, int) and 0 < stamp[1] - since < ASSET_LOG_KEPT:
            frame = self._patched(kept[1], since, stamp[1], read)
        if frame is None:
            frame = read({})
        self._fresh.append((key, stamp, frame))
        return _without_order(frame)

    def _patched(
        self,
        kept: pd.DataFrame,
        since: int,
        until: int,
        read: Callable[[dict[str, list[int] | None]], pd.DataFrame],
    ) -> pd.DataFrame | None:
        changed = self.conn.execute(CHANGED_ASSETS, {"since": since, "until": until}).all()
        if any(kind not in KIND_ORDER or id_ is None for kind, id_ in changed):
            return None  # a table was emptied, or a change could not be traced to its asset: read everything
        ids: dict[str, list[int] | None] = {kind: [] for kind in KIND_ORDER}
        for kind, id_ in changed:
            ids[kind].append(int(id_))  # type: ignore[union-attr]
        if not changed:
            return kept
        fresh = read(ids)
        gone = pd.MultiIndex.from_tuples([(k, int(i)) for k, i in changed])
        mine = pd.MultiIndex.from_arrays([kept["kind"].astype(str), kept["id"].astype(int)])
        pieces = [kept[~mine.isin(gone)], *([fresh] if len(fresh) else [])]
        patched = pd.concat(pieces, ignore_index=True)
        differ = {c: t for c, t in kept.dtypes.items() if patched[c].dtype != t}
        if differ:  # as a full read would have typed them
            patched = patched.astype(differ)
        rank = patched["kind"].astype(str).map(KIND_ORDER)
        order = np.lexsort((patched["item"].to_numpy(), patched["page"].to_numpy(), rank.to_numpy()))
        return patched.iloc[order].reset_index(drop=True)

    def finish(self) -> str | None:
        """Keep the frames read, if no commit changed a source while they were read; the inputs' version."""
        if self.before.written_here:
            return None
        if self._fresh:
            after = read_counters(self.conn)
            if after.changes != self.before.changes:
                return None
            for key, stamp, frame in self._fresh:
                self.cache.put(key, stamp, frame)
        return self.before.version
