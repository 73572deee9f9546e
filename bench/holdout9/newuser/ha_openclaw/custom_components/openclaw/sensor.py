"""Sensors: one ENUM sensor per session, counters for the whole gateway."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import ATTR_ABORTED, ATTR_RUNTIME, DOMAIN, ICONS, PROCESS_BAD, SESSION_STATES
from .coordinator import OpenClawCoordinator


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    coordinator: OpenClawCoordinator = hass.data[DOMAIN][entry.entry_id]
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        new = [SessionSensor(coordinator, key) for key in coordinator.data.sessions if key not in known]
        known.update(s.session_key for s in new)
        async_add_entities(new)

    async_add_entities([
        CountSensor(coordinator, "finished", "Sessions finished", lambda s: s.get("status") == "done"),
        CountSensor(coordinator, "stopped", "Sessions stopped", lambda s: s.get("status") == "killed"),
        CountSensor(coordinator, "running", "Sessions running", lambda s: s.get("status") == "running"),
        ProcessFailureSensor(coordinator),
    ])
    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class SessionSensor(CoordinatorEntity[OpenClawCoordinator], SensorEntity):
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = SESSION_STATES
    _attr_has_entity_name = True

    def __init__(self, coordinator: OpenClawCoordinator, key: str) -> None:
        super().__init__(coordinator)
        self.session_key = key
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{key}"
        self._attr_name = key.split(":", 2)[-1]

    @property
    def _row(self) -> dict[str, Any] | None:
        return self.coordinator.data.sessions.get(self.session_key)

    @property
    def available(self) -> bool:
        return super().available and self._row is not None

    @property
    def native_value(self) -> str | None:
        row = self._row
        if row is None:
            return None
        status = row.get("status")
        return status if status in SESSION_STATES else "unknown"

    @property
    def icon(self) -> str:
        return ICONS.get(self.native_value or "", "mdi:help-circle")

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        row = self._row or {}
        runtime = row.get("runtimeMs")
        return {
            ATTR_ABORTED: bool(row.get("abortedLastRun")),
            ATTR_RUNTIME: round(runtime / 1000, 1) if runtime else None,
            "model": row.get("model"),
        }


class CountSensor(CoordinatorEntity[OpenClawCoordinator], SensorEntity):
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = "sessions"

    def __init__(self, coordinator: OpenClawCoordinator, slug: str, name: str, test) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_count_{slug}"
        self._attr_name = name
        self._test = test

    @property
    def native_value(self) -> int:
        return sum(1 for s in self.coordinator.data.sessions.values() if self._test(s))


class ProcessFailureSensor(CoordinatorEntity[OpenClawCoordinator], SensorEntity):
    """Background exec sessions that did not complete."""

    _attr_name = "Background processes failed"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: OpenClawCoordinator) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_processes_failed"

    @property
    def native_value(self) -> int:
        return sum(1 for p in self.coordinator.data.processes if p.get("status") in PROCESS_BAD)
