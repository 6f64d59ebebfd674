"""auto_care: a car owner's service app for booking a service at the garage, getting a repair quote,
finding a gas station, calling roadside assistance, tracking a car in the shop and booking a tire change,
six tools, written in the thirteenth session (2026-12-01) with its gold set (auto_care.jsonl beside it) as
a held-out catalogue: both were written from the signatures alone, before any router was trained on it or
any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/auto_care.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool


class BookCarService(Tool):
    """Book my car in at a garage for routine service or a repair."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book an oil change on 2026-12-09 at 08:00"]})
    service: Literal["oil_change", "brake_service", "battery_replacement", "state_inspection", "full_service",
                     "ac_service"] = Field(description="The kind of service.")
    date: str = Field(description="Day to drop the car off, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    drop_off_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                         description="Drop-off time, 24-hour HH:MM.")
    shop: Optional[str] = Field(default=None, description="Garage or dealer; leave out for my usual one.",
                                examples=["Midas on Elm Street", "Westside Toyota"])
    loaner_car: Optional[bool] = Field(default=None, description="Whether I need a courtesy car while it's in.")


class GetRepairQuote(Tool):
    """Get a price estimate for a repair before I book it."""
    model_config = ConfigDict(json_schema_extra={"examples": ["how much to replace the timing belt on a 2015 Honda Accord"]})
    vehicle: str = Field(description="Year, make and model of the car.", examples=["2015 Honda Accord", "2019 Ford F-150"])
    job: FreeText = Field(description="The repair, in a few words.",
                          examples=["replace the timing belt", "fix a cracked windshield"])
    zip_code: Optional[str] = Field(default=None, pattern=r"^\d{5}$", description="ZIP code to price it in.")


class FindGasStation(Tool):
    """Find gas stations nearby or near a place."""
    location: Optional[str] = Field(default=None, description="Place to search near; leave out for where I am now.",
                                    examples=["the airport", "Exit 42 on I-95"])
    fuel: Optional[Literal["regular", "midgrade", "premium", "diesel"]] = Field(default=None, description="Fuel grade.")
    max_miles: Optional[int] = Field(default=None, ge=1, le=50, description="How far to look, in miles.")
    open_now: Optional[bool] = Field(default=None, description="Only stations that are open right now.")


class RequestRoadsideAssistance(Tool):
    """Send roadside help to my car when it breaks down or I'm stuck."""
    model_config = ConfigDict(json_schema_extra={"examples": ["I have a flat tire on Route 9 near the Shell station"]})
    problem: Literal["flat_tire", "dead_battery", "locked_out", "out_of_fuel", "tow"] = Field(
        description="What help is needed.")
    location: str = Field(description="Where the car is.", examples=["I-90 near exit 12", "the Costco lot on Main Street"])
    passengers: Optional[int] = Field(default=None, ge=1, le=6,
                                      description="People with the car who need a ride if it is towed.")


class TrackRepairStatus(Tool):
    """Check how the repair on my car is going and when it will be ready."""
    work_order: str = Field(description="The work order number from the garage.", examples=["WO-58213", "WO-7730"])
    text_when_ready: Optional[bool] = Field(default=None, description="Whether to text me when the car is ready.")


class ScheduleTireChange(Tool):
    """Book a tire appointment: seasonal swap, rotation, new tires or a puncture repair."""
    service: Literal["winter_swap", "summer_swap", "rotation", "new_tires", "puncture_repair"] = Field(
        description="What to do with the tires.")
    date: str = Field(description="Day of the appointment, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="Appointment time, 24-hour HH:MM.")
    tire_count: Optional[int] = Field(default=None, ge=1, le=4, description="How many tires, for new tires.")
    store_old_set: Optional[bool] = Field(default=None, description="Whether the shop should store the set taken off.")


CATALOGUE = [BookCarService, GetRepairQuote, FindGasStation, RequestRoadsideAssistance, TrackRepairStatus,
             ScheduleTireChange]
