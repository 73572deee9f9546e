"""Binary sensors: a session in trouble, and one a user stopped."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, PROBLEM_STATES
from .coordinator import OpenClawCoordinator


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    coordinator: OpenClawCoordinator = hass.data[DOMAIN][entry.entry_id]
    async_add_entities([AnyProblem(coordinator), UserStopped(coordinator)])


class AnyProblem(CoordinatorEntity[OpenClawCoordinator], BinarySensorEntity):
    """On while any session's last run failed or hit its time limit."""

    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _attr_name = "OpenClaw session problem"

    def __init__(self, coordinator: OpenClawCoordinator) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_problem"

    @property
    def _bad(self) -> list[str]:
        return [k for k, s in self.coordinator.data.sessions.items() if s.get("status") in PROBLEM_STATES]

    @property
    def is_on(self) -> bool:
        return bool(self._bad)

    @property
    def extra_state_attributes(self) -> dict[str, object]:
        rows = self.coordinator.data.sessions
        return {
            "sessions": self._bad,
            "timed_out": [k for k, s in rows.items() if s.get("status") == "timeout"],
        }


class UserStopped(CoordinatorEntity[OpenClawCoordinator], BinarySensorEntity):
    """On while a session's last run was stopped by hand (not by a time limit)."""

    _attr_name = "OpenClaw session stopped by user"

    def __init__(self, coordinator: OpenClawCoordinator) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_user_stopped"

    @property
    def is_on(self) -> bool:
        return any(
            s.get("status") == "killed" and s.get("abortedLastRun")
            for s in self.coordinator.data.sessions.values()
        )
