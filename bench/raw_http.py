"""A light HTTP/1.1 load generator: keep-alive GETs over asyncio streams (uvloop when installed), bodies
read whole (Content-Length or chunked) but neither parsed nor decompressed, as wrk does.

The benchmarks' httpx client spends about 2.3 ms of CPU per 60 kB page (parsing, gzip, its own model
objects) in one Python process on the same 2 cores as the servers: alone it caps a server at about 400
requests/s whatever the server does. This client costs a fraction of that, so a fast server's number is
the server's, not the client's. The servers see the same requests as from httpx (same headers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

#: What httpx sends, so servers answer the same way (gzip for both).
HEADERS = "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nUser-Agent: bench-raw\r\n"


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """Read one answer whole; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    start = lower.find(b"\r\ncontent-length:")
    if start >= 0:
        end = lower.index(b"\r\n", start + 2)
        await reader.readexactly(int(lower[start + 17 : end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def load(urls: list[str], seconds: float, concurrency: int) -> tuple[list[int], int, float]:
    """Latencies (ns), errors (non-200) and seconds taken, with ``concurrency`` connections cycling
    through ``urls`` (one host) until ``seconds`` have passed."""
    parts = urlsplit(urls[0])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [
        f"GET {urlsplit(u).path}?{urlsplit(u).query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{HEADERS}\r\n".encode()
        for u in urls
    ]
    latencies: list[int] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port, limit=2**24)
        i = k
        try:
            while time.perf_counter() < stop:
                t = time.perf_counter_ns()
                writer.write(requests[i % len(requests)])
                status = await _read_answer(reader)
                latencies.append(time.perf_counter_ns() - t)
                errors += status != 200
                i += concurrency
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return latencies, errors, time.perf_counter() - began


def run(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``main`` on uvloop when it is installed, else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())
