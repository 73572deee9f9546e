"""What other teams import: a client of the service and a smoke check for their CI."""

from __future__ import annotations

import aiohttp

from .codes import StatusCode, decode

BASE = "http://clawserve.internal:8088"


async def session_status(key: str) -> str | None:
    async with aiohttp.ClientSession(BASE) as http:
        async with http.get(f"/v1/sessions/{key}") as resp:
            resp.raise_for_status()
            row = await resp.json()
    return decode(row["status"])


async def report_end(key: str, ok: bool) -> None:
    """Tell the service how a session this team drove ended."""
    code = StatusCode.DONE if ok else StatusCode.FAILED
    async with aiohttp.ClientSession(BASE) as http:
        async with http.put(f"/v1/sessions/{key}/status", json={"status": int(code)}) as resp:
            resp.raise_for_status()


async def needs_retry(key: str) -> bool:
    status = await session_status(key)
    return status == "failed" or status == "timeout"


async def smoke() -> str:
    """The CI verdict of a smoke check against the service: passed, failed or skipped."""
    try:
        async with aiohttp.ClientSession(BASE, timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.get("/v1/sessions", params={"ended": "1"}) as resp:
                if resp.status != 200:
                    return "failed"
                await resp.json()
    except aiohttp.ClientConnectorError:
        return "skipped"
    except TimeoutError:
        return "failed"
    return "passed"
