"""home_services: booking a tradesperson or cleaner, quotes, meter readings, tracking the technician,
rating a visit and recurring cleaning, six tools, written in the eleventh session (2026-12-01) with its
gold set (home_services.jsonl beside it) as a held-out catalogue: both were written from the signatures
alone, before any router was trained on it or any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/home_services.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool

Service = Literal["plumbing", "electrical", "house_cleaning", "pest_control", "hvac_repair", "appliance_repair"]


class BookService(Tool):
    """Book a home service visit: a plumber, an electrician, a cleaner and so on."""
    model_config = ConfigDict(json_schema_extra={"examples": ["get a plumber out on 2027-01-08 at 09:00"]})
    service: Service = Field(description="The kind of service.")
    date: str = Field(description="Day of the visit, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    arrival_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                        description="When the technician should arrive, 24-hour HH:MM.")


class RequestQuote(Tool):
    """Ask for a price estimate for a job before booking it."""
    service: Service = Field(description="The kind of service.")
    job_description: FreeText = Field(description="The job, in a few words.",
                                      examples=["replace the kitchen faucet", "rewire the garage"])
    budget: Optional[float] = Field(default=None, gt=0, le=50000, description="The most I want to spend, in dollars.")


class SubmitMeterReading(Tool):
    """Send a utility meter reading to the supplier."""
    meter: Literal["electricity", "gas", "water"] = Field(description="Which meter.")
    reading: int = Field(ge=0, le=999999, description="The number shown on the meter.")
    reading_date: Optional[str] = Field(default=None, description="Day the reading was taken, YYYY-MM-DD.",
                                        json_schema_extra={"format": "date"})


class TrackTechnician(Tool):
    """Show where the technician for a booking is and when they will arrive."""
    booking_reference: str = Field(description="The booking reference.", examples=["HS-20417", "HS-88310"])
    notify_on_arrival: Optional[bool] = Field(default=None, description="Whether to text me when they are close.")


class RateService(Tool):
    """Rate a finished home service visit."""
    booking_reference: str = Field(description="The booking reference.", examples=["HS-20417", "HS-88310"])
    stars: int = Field(ge=1, le=5, description="Rating from 1 to 5 stars.")
    comment: Optional[FreeText] = Field(default=None, description="What I want to say about the visit.")
    would_book_again: Optional[bool] = Field(default=None, description="Whether I would book them again.")


class ScheduleRecurringCleaning(Tool):
    """Set up a regular house cleaning visit."""
    model_config = ConfigDict(json_schema_extra={"examples": ["have a cleaner come every Friday for 3 hours"]})
    frequency: Literal["weekly", "every_two_weeks", "monthly"] = Field(description="How often the cleaner comes.")
    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        description="Weekday of the visits.")
    hours: float = Field(ge=1, le=8, description="Length of each visit, in hours.")
    start_date: Optional[str] = Field(default=None, description="Day of the first visit, YYYY-MM-DD.",
                                      json_schema_extra={"format": "date"})


CATALOGUE = [BookService, RequestQuote, SubmitMeterReading, TrackTechnician, RateService, ScheduleRecurringCleaning]
