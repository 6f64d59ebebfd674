"""hotel_stay: a hotel guest app for ordering room service, asking housekeeping for a clean or fresh towels,
booking the spa, setting a wake-up call, asking for a late check-out and reporting a problem in the room,
six tools, written in the thirteenth session (2026-12-01) with its gold set (hotel_stay.jsonl beside it) as
a held-out catalogue: both were written from the signatures alone, before any router was trained on it or
any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/hotel_stay.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class OrderRoomService(Tool):
    """Order food or drinks from room service, brought up to my room."""
    model_config = ConfigDict(json_schema_extra={"examples": ["send up two club sandwiches at 19:30"]})
    item: str = Field(description="Dish or drink to order.", examples=["club sandwich", "Caesar salad", "pot of coffee"])
    quantity: Optional[int] = Field(default=None, ge=1, le=10, description="How many of the item.")
    deliver_at: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                      description="When to bring it, 24-hour HH:MM; leave out for as soon as possible.")


class RequestHousekeeping(Tool):
    """Ask housekeeping to clean the room or bring something up."""
    model_config = ConfigDict(json_schema_extra={"examples": ["can housekeeping bring fresh towels"]})
    service: Literal["full_clean", "fresh_towels", "turndown", "extra_pillows", "toiletries"] = Field(
        description="What housekeeping should do or bring.")
    at_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                   description="When they should come, 24-hour HH:MM.")


class BookSpaTreatment(Tool):
    """Book a massage, facial or nail treatment at the hotel spa."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book a facial on 2026-12-04 at 15:00"]})
    treatment: Literal["swedish_massage", "deep_tissue_massage", "hot_stone_massage", "facial", "manicure",
                       "pedicure"] = Field(description="The treatment.")
    date: str = Field(description="Day of the treatment, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    duration_minutes: Optional[int] = Field(default=None, ge=30, le=120, description="Length of the treatment, in minutes.")
    guests: Optional[int] = Field(default=None, ge=1, le=2, description="Number of people; 2 for a couples booking.")


class SetWakeUpCall(Tool):
    """Have the front desk ring my room to wake me up."""
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Time of the call, 24-hour HH:MM.",
                      examples=["06:30", "07:00"])
    date: Optional[str] = Field(default=None, description="Day of the call, YYYY-MM-DD; leave out for the next morning.",
                                json_schema_extra={"format": "date"})
    every_day: Optional[bool] = Field(default=None, description="Whether to repeat the call every morning of my stay.")


class RequestLateCheckout(Tool):
    """Ask to leave the room later than the usual check-out time."""
    model_config = ConfigDict(json_schema_extra={"examples": ["can I check out at 14:00 instead"]})
    checkout_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="The later check-out time, 24-hour HH:MM.")
    store_luggage: Optional[bool] = Field(default=None,
                                          description="Whether the front desk should keep my bags after I check out.")


class ReportRoomIssue(Tool):
    """Tell the front desk something in my room is broken or bothering me, so they send someone."""
    model_config = ConfigDict(json_schema_extra={"examples": ["the shower drain in my room is blocked"]})
    problem: Literal["air_conditioning", "heating", "plumbing", "wifi", "tv", "lights", "noise"] = Field(
        description="What the problem is with.")
    urgent: Optional[bool] = Field(default=None, description="Whether someone needs to come right away.")


CATALOGUE = [OrderRoomService, RequestHousekeeping, BookSpaTreatment, SetWakeUpCall, RequestLateCheckout,
             ReportRoomIssue]
