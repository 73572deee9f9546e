"""Config flow: host, port and token, checked with one sessions_list call."""

from __future__ import annotations

from typing import Any

import aiohttp
import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_AGENT, CONF_TOKEN, DEFAULT_PORT, DOMAIN
from .coordinator import OpenClawApi, OpenClawAuthError

SCHEMA = vol.Schema({
    vol.Required(CONF_HOST, default="127.0.0.1"): str,
    vol.Required(CONF_PORT, default=DEFAULT_PORT): int,
    vol.Required(CONF_TOKEN): str,
    vol.Optional(CONF_AGENT): str,
})


class OpenClawConfigFlow(ConfigFlow, domain=DOMAIN):
    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            api = OpenClawApi(
                async_get_clientsession(self.hass), user_input[CONF_HOST], user_input[CONF_PORT],
                user_input[CONF_TOKEN], user_input.get(CONF_AGENT),
            )
            try:
                await api.invoke("sessions_list", {"limit": 1})
            except OpenClawAuthError:
                errors["base"] = "invalid_auth"
            except TimeoutError:
                errors["base"] = "timeout"
            except aiohttp.ClientError:
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(f"{user_input[CONF_HOST]}:{user_input[CONF_PORT]}")
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=f"OpenClaw {user_input[CONF_HOST]}", data=user_input)
        return self.async_show_form(step_id="user", data_schema=SCHEMA, errors=errors)
