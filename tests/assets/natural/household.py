"""household: music, heating, shopping, workouts and translation, five tools, written in the seventh
session (2026-11-30) with its gold set (household.jsonl beside it) in one commit before any router was
trained on it or any data drawn from it: a catalogue the generator was not tuned on. No generator code
reads the gold set.

    toolrouter catalogue show tests/assets/natural/household.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool


class PlayMusic(Tool):
    """Play music on the speaker."""

    model_config = ConfigDict(json_schema_extra={"examples": ["play some Miles Davis"]})
    query: str = Field(description="Song, artist or playlist to play.", examples=["Bohemian Rhapsody", "jazz for cooking"])
    volume: Optional[int] = Field(default=None, ge=0, le=100, description="Volume level in percent.")


class SetThermostat(Tool):
    """Set the thermostat to a temperature."""

    temperature: int = Field(ge=10, le=30, description="Target temperature in degrees Celsius.")
    room: Optional[Literal["living_room", "bedroom", "kitchen", "office"]] = Field(
        default=None, description="Which room; the whole house if not given.")


class AddToShoppingList(Tool):
    """Add an item to the shopping list."""

    item: str = Field(description="What to buy.", examples=["milk", "paper towels"])
    quantity: Optional[int] = Field(default=None, ge=1, le=50, description="How many.")


class LogWorkout(Tool):
    """Log a workout in the fitness tracker."""

    activity: Literal["run", "walk", "bike", "swim", "yoga", "weights"] = Field(description="Type of workout.")
    duration_minutes: int = Field(ge=1, le=600, description="How long the workout lasted, in minutes.")
    distance_km: Optional[float] = Field(default=None, gt=0, description="Distance covered in kilometres.")


class TranslateText(Tool):
    """Translate a piece of text into another language."""

    text: FreeText = Field(description="The text to translate.")
    target_language: Literal["english", "spanish", "french", "german", "italian", "japanese"] = Field(
        description="Language to translate into.")


CATALOGUE = [PlayMusic, SetThermostat, AddToShoppingList, LogWorkout, TranslateText]
