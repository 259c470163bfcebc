"""A small load generator for W1 where ``wrk`` is not installed: a separate process with
``clients`` concurrent HTTP/1.1 connections, each sending a random request of a list
until the time is up, then printing one JSON line of figures.

``python -m bench.load BASE REQUESTS.json CLIENTS SECONDS``; REQUESTS is a list of
``{"method", "path", "headers", "body"}``.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx


async def _client(
    base: str, requests: list[dict[str, Any]], until: float, seed: int, out: dict[str, Any]
) -> None:
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        while time.perf_counter() < until:
            r = requests[rng.randrange(len(requests))]
            start = time.perf_counter()
            try:
                response = await client.request(
                    r["method"], r["path"], headers=r.get("headers"), content=r.get("body")
                )
                if response.status_code >= 400:
                    out["errors"] += 1
            except httpx.HTTPError:
                out["errors"] += 1
            out["latencies"].append(time.perf_counter() - start)


async def _run(base: str, requests: list[dict[str, Any]], clients: int, seconds: float) -> dict:
    out: dict[str, Any] = {"errors": 0, "latencies": []}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_client(base, requests, until, n, out) for n in range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(out["latencies"])
    n = len(latencies)
    return {
        "requests": n,
        "rps": n / elapsed,
        "p50_ms": latencies[n // 2] * 1000 if n else 0.0,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0.0,
        "errors": out["errors"],
    }


if __name__ == "__main__":
    base, path, clients, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    with open(path) as f:
        listed = json.load(f)
    print(json.dumps(asyncio.run(_run(base, listed, clients, seconds))))
