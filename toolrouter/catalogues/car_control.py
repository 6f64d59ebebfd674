"""car_control: the 18 in-car functions of the from-scratch nanoGPT function-calling fine-tune,
cleaned into valid schemas. Cabin areas are driver, front-passenger, rear-left and rear-right; an
`area` is an order-free list (a set), optional, and omitted means the whole cabin.

    toolrouter catalogue show car_control --mode compact
"""
from typing import Literal, Optional

from pydantic import Field

from toolrouter import Tool

Area = Literal["driver", "front-passenger", "rear-left", "rear-right"]
AREA = Field(default=None, description="Cabin areas to apply it to, in any order; omitted means the whole cabin.",
             json_schema_extra={"uniqueItems": True})
Increase = Literal["increase", "decrease"]
Level = Literal["low", "medium", "high"]


class SetTemperature(Tool):
    """Set the cabin temperature."""

    temperature: float = Field(ge=1, le=90, description="Target temperature.")
    unit: Literal["celsius", "fahrenheit"] = Field(default="celsius", description="Temperature unit.")
    area: Optional[list[Area]] = AREA


class AdjustTemperature(Tool):
    """Make the cabin warmer or cooler by a step."""

    action: Increase = Field(description="Raise or lower the temperature.")
    area: Optional[list[Area]] = AREA


class SetFanSpeed(Tool):
    """Set the fan to a speed level."""

    speed: Level = Field(description="Fan speed level.")
    area: Optional[list[Area]] = AREA


class AdjustFanSpeed(Tool):
    """Turn the fan up or down by a step."""

    speed: Increase = Field(description="Raise or lower the fan speed.")
    area: Optional[list[Area]] = AREA


class AdjustSeat(Tool):
    """Move or tilt a seat."""

    position: Literal["forward", "backward", "up", "down", "tilt-forward", "tilt-backward"] = Field(
        description="Which way to move the seat.")
    seat_type: Area = Field(default="driver", description="Which seat.")


class ControlWindow(Tool):
    """Open or close a window."""

    window_position: Literal["open", "close"] = Field(description="Open or close.")
    window_location: Optional[Area] = Field(default=None, description="Which window; omitted means all windows.")


class AdjustWiperSpeed(Tool):
    """Make the windscreen wipers faster or slower by a step."""

    speed: Increase = Field(description="Raise or lower the wiper speed.")


class SetWiperSpeed(Tool):
    """Set the windscreen wipers to a speed level."""

    speed: Level = Field(description="Wiper speed level.")


class ActivateDefroster(Tool):
    """Turn on the defroster."""

    defroster_zone: Literal["front", "rear", "all"] = Field(default="all", description="Which windscreen.")
    duration_minutes: int = Field(default=10, ge=1, le=30, description="How long to run it, in minutes.")


class StartEngine(Tool):
    """Start the engine."""

    method: Literal["remote", "keyless", "keyed"] = Field(default="keyless", description="How to start it.")


class LockDoors(Tool):
    """Lock or unlock the doors."""

    lock_state: Literal["lock", "unlock"] = Field(description="Lock or unlock.")


class PlayMusic(Tool):
    """Play music."""

    track: Optional[str] = Field(default=None, description="Song, artist or playlist; omitted resumes playback.")
    volume: int = Field(default=5, ge=1, le=10, description="Volume level.")


class ToggleHeadlights(Tool):
    """Turn the headlights on or off."""

    light_state: Literal["on", "off"] = Field(description="On or off.")


class SetNavigationDestination(Tool):
    """Set the navigation destination."""

    destination: str = Field(description="Where to go: an address or place name.")


class ControlAmbientLighting(Tool):
    """Set the colour and brightness of the ambient lighting."""

    color: Literal["warm", "red", "blue", "dark", "white"] = Field(description="Light colour.")
    intensity: int = Field(default=5, ge=1, le=10, description="Brightness level.")


class SetCruiseControl(Tool):
    """Turn on cruise control at a speed."""

    speed: int = Field(ge=10, le=150, description="Cruise speed.")


class CheckBatteryHealth(Tool):
    """Report the battery's health."""

    include_history: bool = Field(default=False, description="Include the charge history.")


class ToggleSportMode(Tool):
    """Turn sport mode on or off."""

    action: Literal["activate", "deactivate"] = Field(description="Activate or deactivate.")


CATALOGUE = [
    SetTemperature, AdjustTemperature, SetFanSpeed, AdjustFanSpeed, AdjustSeat, ControlWindow,
    AdjustWiperSpeed, SetWiperSpeed, ActivateDefroster, StartEngine, LockDoors, PlayMusic,
    ToggleHeadlights, SetNavigationDestination, ControlAmbientLighting, SetCruiseControl,
    CheckBatteryHealth, ToggleSportMode,
]
