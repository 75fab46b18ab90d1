"""Large kept answers written as JSON, and gzipped, once: not again on every request.

England's ward overlay is 16 MB of JSON. Written with orjson (0.04 s) and gzipped by the app's middleware at level
5 (0.3 s) on every request, the writing cost more than the answer, which ``layers.analysis.cache`` keeps until
the data changes. So the route writes the kept answer here: the JSON bytes and their gzip are kept beside the
answer object (by identity, holding it so the identity stays its own), and the first request after a change
pays one gzip at level 1 (0.1 s; 4.3 MB rather than 3.5 MB at level 5, for a third of the CPU).
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import Any

import orjson
from fastapi.responses import Response

#: How many answers' bytes are kept (England's ward overlay: about 20 MB with its gzip).
KEPT = 2
#: gzip level for these large answers (the middleware's level 5 for the rest).
LEVEL = 1
#: Smaller answers are left to the middleware, which sends those under 1,000 bytes as they are.
MINIMUM = 1000


class _Written:
    def __init__(self, answer: object) -> None:
        self.answer = answer  # held: while this is kept, no other object can take the answer's id
        self.body = orjson.dumps(answer)
        self.packed: bytes | None = None

    def gzipped(self) -> bytes:
        if self.packed is None:
            packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
            self.packed = packer.compress(self.body) + packer.flush()
        return self.packed


_KEPT: OrderedDict[int, _Written] = OrderedDict()
_LOCK = threading.Lock()


def _written(answer: object) -> _Written:
    with _LOCK:
        kept = _KEPT.get(id(answer))
        if kept is not None and kept.answer is answer:
            _KEPT.move_to_end(id(answer))
            return kept
    kept = _Written(answer)
    with _LOCK:
        _KEPT[id(answer)] = kept
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return kept


def encoded(answer: Any, gzip: bool) -> tuple[bytes, bool]:
    """A kept answer's JSON, gzipped when ``gzip`` (the client takes it) and large; and whether it is.
    CPU work: call it in the worker thread that computed the answer, not on the event loop."""
    kept = _written(answer)
    if gzip and len(kept.body) >= MINIMUM:
        return kept.gzipped(), True
    return kept.body, False


def json_response(body: bytes, gzipped: bool) -> Response:
    """The JSON answer of ``encoded``, with the headers the gzip middleware would have set."""
    if gzipped:
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(body, media_type="application/json", headers=headers)
    return Response(body, media_type="application/json", headers={"Vary": "Accept-Encoding"})


def gzip_response(body: bytes, media: str, gzip: bool, headers: dict[str, str] | None = None) -> Response:
    """``body`` gzipped at ``LEVEL`` here when ``gzip`` (the client takes it) and it is large, else as it is.
    For a large answer written per request (an OGC API page): level 1 costs about half of the middleware's
    level 5, for a body a tenth or so larger."""
    sent = {**(headers or {}), "Vary": "Accept-Encoding"}
    if gzip and len(body) >= MINIMUM:
        packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        sent["Content-Encoding"] = "gzip"
        return Response(packer.compress(body) + packer.flush(), media_type=media, headers=sent)
    return Response(body, media_type=media, headers=sent)
