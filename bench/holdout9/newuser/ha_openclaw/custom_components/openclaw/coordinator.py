"""One poll of the gateway for every entity: sessions and background processes."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import CONF_AGENT, CONF_TOKEN, DOMAIN, SCAN_INTERVAL

_LOGGER = logging.getLogger(__name__)


class OpenClawAuthError(Exception):
    pass


@dataclass
class OpenClawData:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by session key
    processes: list[dict[str, Any]] = field(default_factory=list)


class OpenClawApi:
    def __init__(self, session: aiohttp.ClientSession, host: str, port: int, token: str, agent: str | None) -> None:
        self._session = session
        self._url = f"http://{host}:{port}/tools/invoke"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._agent = agent

    async def invoke(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"tool": tool, "args": args}
        if self._agent:
            body["agentId"] = self._agent
        async with asyncio.timeout(20):
            async with self._session.post(self._url, json=body, headers=self._headers) as resp:
                if resp.status in (401, 403):
                    raise OpenClawAuthError(await resp.text())
                resp.raise_for_status()
                payload = await resp.json()
        result = payload["result"]
        if isinstance(result.get("details"), dict):
            return result["details"]
        return json.loads(result["content"][0]["text"])

    async def sessions(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        args: dict[str, Any] = {"limit": 200}
        while True:
            page = await self.invoke("sessions_list", args)
            rows.extend(page.get("sessions", []))
            if not page.get("hasMore"):
                return rows
            args = {"limit": 200, "offset": page["nextOffset"]}

    async def processes(self) -> list[dict[str, Any]]:
        page = await self.invoke("process", {"action": "list"})
        return page.get("sessions") or page.get("processes") or []


class OpenClawCoordinator(DataUpdateCoordinator[OpenClawData]):
    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        super().__init__(hass, _LOGGER, name=DOMAIN, update_interval=SCAN_INTERVAL)
        self.api = OpenClawApi(
            async_get_clientsession(hass),
            entry.data[CONF_HOST],
            entry.data[CONF_PORT],
            entry.data[CONF_TOKEN],
            entry.data.get(CONF_AGENT),
        )

    async def _async_update_data(self) -> OpenClawData:
        try:
            rows = await self.api.sessions()
            procs = await self.api.processes()
        except OpenClawAuthError as err:
            raise UpdateFailed(f"token refused: {err}") from err
        except TimeoutError as err:
            raise UpdateFailed("gateway did not answer in 20 s") from err
        except aiohttp.ClientError as err:
            raise UpdateFailed(f"gateway unreachable: {err}") from err
        return OpenClawData(sessions={r["key"]: r for r in rows}, processes=procs)
