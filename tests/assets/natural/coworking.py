"""coworking: a coworking-space member assistant for reserving a desk, booking a phone booth, registering
a visitor, logging a maintenance request, sending a document to a printer and ordering from the café, six
tools, written in the twenty-first session (2026-12-02) with its gold set (coworking.jsonl beside it) as a
held-out catalogue: both were written from the signatures alone, before any router was trained on it or
any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/coworking.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool


class ReserveDesk(Tool):
    """Reserve a desk for a day at one of the coworking locations."""
    model_config = ConfigDict(json_schema_extra={"examples": ["a quiet desk at Canal Street on 2026-12-14 from 09:00"]})
    date: str = Field(description="Day of the reservation, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    branch: Optional[str] = Field(default=None, description="Which location; leave out for my home location.",
                                  examples=["Canal Street", "Downtown"])
    zone: Optional[Literal["quiet", "open", "standing", "window"]] = Field(default=None, description="Area of the floor.")
    start_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="Arrival time, 24-hour HH:MM.")
    hours: Optional[int] = Field(default=None, ge=1, le=12, description="How many hours; leave out for the whole day.")


class BookPhoneBooth(Tool):
    """Book a soundproof phone booth for a call."""
    date: str = Field(description="Day of the call, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    minutes: Optional[int] = Field(default=None, ge=15, le=120, description="Length of the booking in minutes.")
    branch: Optional[str] = Field(default=None, description="Which location the booth is at.")
    video_call: Optional[bool] = Field(default=None, description="Whether I need a booth with a screen and camera.")


class RegisterVisitor(Tool):
    """Register a guest with reception so they can be let in."""
    model_config = ConfigDict(json_schema_extra={"examples": ["Jamie Chen from Acme Corp is visiting me on 2026-12-10 at 10:00"]})
    visitor_name: str = Field(description="The guest's full name.", examples=["Jamie Chen", "Oliver Grant"])
    date: str = Field(description="Day of the visit, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    arrival_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                        description="Expected arrival, 24-hour HH:MM.")
    company: Optional[str] = Field(default=None, description="The company the guest is from.")
    needs_parking: Optional[bool] = Field(default=None, description="Whether the guest needs a parking space.")


class LogMaintenanceRequest(Tool):
    """Tell the community team something in the space is broken, dirty or not working."""
    model_config = ConfigDict(json_schema_extra={"examples": ["the wifi keeps dropping on the 2nd floor"]})
    category: Literal["wifi", "printer", "heating_cooling", "cleaning", "furniture", "kitchen", "lighting"] = Field(
        description="What kind of problem.")
    description: FreeText = Field(description="The problem, in a few words.",
                                  examples=["keeps dropping every few minutes", "paper jam"])
    where: Optional[str] = Field(default=None, description="Where in the building.",
                                 examples=["3rd floor kitchen", "desk 42"])
    urgent: Optional[bool] = Field(default=None, description="Whether it needs fixing right away.")


class PrintDocument(Tool):
    """Send one of my uploaded files to a printer in the space."""
    file_name: str = Field(description="Name of the uploaded file.", examples=["Q3 report.pdf", "pitch_deck_v2.pptx"])
    copies: Optional[int] = Field(default=None, ge=1, le=100, description="Number of copies.")
    color: Optional[bool] = Field(default=None, description="Colour rather than black and white.")
    double_sided: Optional[bool] = Field(default=None, description="Print on both sides of the page.")
    printer: Optional[str] = Field(default=None, description="Which printer, by where it is; leave out for the nearest.")


class OrderFromCafe(Tool):
    """Order a drink or food from the in-house café for pickup."""
    item: str = Field(description="The drink or food, as on the menu.", examples=["flat white", "chicken wrap"])
    quantity: Optional[int] = Field(default=None, ge=1, le=10, description="How many.")
    milk: Optional[Literal["whole", "skim", "oat", "almond", "soy"]] = Field(default=None, description="Milk for a coffee.")
    pickup_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                       description="When I'll pick it up, 24-hour HH:MM; leave out for as soon as possible.")
    note: Optional[str] = Field(default=None, description="A note for the barista.")


CATALOGUE = [ReserveDesk, BookPhoneBooth, RegisterVisitor, LogMaintenanceRequest, PrintDocument, OrderFromCafe]
