"""home_assistant: a phone/home assistant of five tools, written to test data made from the schema
alone (no phrasing bank). Gold set: home_assistant.jsonl beside it, written by hand from these
signatures before the schema-driven generator existed; no generator code reads it.

    toolrouter catalogue show tests/assets/natural/home_assistant.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool


class GetWeather(Tool):
    """Get the weather forecast for a city."""

    model_config = ConfigDict(json_schema_extra={"examples": ["what's the weather in Paris?",
                                                              "will it rain in Oslo in the next 3 days?"]})
    city: str = Field(description="City name.", examples=["Paris", "Oslo"])
    days: Optional[int] = Field(default=None, ge=1, le=7, description="How many days ahead to forecast.")


class SetAlarm(Tool):
    """Set an alarm on the phone."""

    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Alarm time, 24-hour HH:MM.", examples=["07:00", "06:30"])
    label: Optional[str] = Field(default=None, description="A label shown when the alarm rings.",
                                 examples=["gym", "take pills"])


class SendText(Tool):
    """Send a text message to a contact."""

    model_config = ConfigDict(json_schema_extra={"examples": ["text mom I'm on my way"]})
    to: str = Field(description="Contact name or phone number.", examples=["mom", "Alex"])
    message: FreeText = Field(description="The message to send.")


class StartTimer(Tool):
    """Start a countdown timer."""

    minutes: int = Field(ge=1, le=180, description="Length of the timer in minutes.")
    label: Optional[str] = Field(default=None, description="What the timer is for.", examples=["pasta", "laundry"])


class CreateReminder(Tool):
    """Create a reminder for a date."""

    task: FreeText = Field(description="What to be reminded about.")
    date: str = Field(description="Date of the reminder, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    priority: Literal["low", "normal", "high"] = Field(default="normal", description="How important it is.")


CATALOGUE = [GetWeather, SetAlarm, SendText, StartTimer, CreateReminder]
