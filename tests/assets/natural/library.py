"""library: searching a public library's catalogue, placing holds, renewing loans, booking study rooms,
paying fines and signing up for library programs, six tools, written in the twelfth session (2026-12-01)
with its gold set (library.jsonl beside it) as a held-out catalogue: both were written from the
signatures alone, before any router was trained on it or any data drawn from it. No generator code reads
the gold set.
    toolrouter catalogue show tests/assets/natural/library.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class SearchCatalog(Tool):
    """Search the library catalogue for books, ebooks, audiobooks, films and magazines."""
    query: str = Field(description="Title, author or subject to look for.",
                       examples=["The Overstory", "Octavia Butler", "sourdough baking"])
    format: Optional[Literal["book", "ebook", "audiobook", "dvd", "magazine"]] = Field(
        default=None, description="Kind of item.")
    branch: Optional[str] = Field(default=None, description="Library branch to search.",
                                  examples=["Central", "Eastside"])
    available_now: Optional[bool] = Field(default=None, description="Only items on the shelf right now.")


class PlaceHold(Tool):
    """Place a hold on a title so a copy is set aside for me."""
    model_config = ConfigDict(json_schema_extra={"examples": ["put a hold on Lessons in Chemistry for pickup at Central"]})
    title: str = Field(description="Title of the item to hold.")
    pickup_branch: Optional[str] = Field(default=None, description="Branch where I pick it up.")
    format: Optional[Literal["print", "large_print", "ebook", "audiobook"]] = Field(
        default=None, description="Edition to hold.")


class RenewLoan(Tool):
    """Renew items I have checked out so I can keep them longer."""
    title: Optional[str] = Field(default=None, description="Title of the item to renew; leave out to renew all my loans.")
    weeks: Optional[int] = Field(default=None, ge=1, le=4, description="How many weeks to extend the loan by.")


class ReserveStudyRoom(Tool):
    """Book a study or group room at a library branch."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book a study room at Eastside on 2027-01-12 at 14:00 for 2 hours"]})
    branch: str = Field(description="Library branch.", examples=["Central", "Westwood"])
    date: str = Field(description="Day of the booking, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    hours: Optional[int] = Field(default=None, ge=1, le=4, description="Length of the booking in hours.")
    people: Optional[int] = Field(default=None, ge=1, le=12, description="Number of people using the room.")
    needs_projector: Optional[bool] = Field(default=None, description="Whether the room needs a projector or screen.")


class PayFine(Tool):
    """Pay overdue fines or other fees on my library account."""
    model_config = ConfigDict(json_schema_extra={"examples": ["pay my $4.50 late fee"]})
    amount: float = Field(gt=0, le=500, description="Amount to pay, in dollars.")
    payment_method: Optional[Literal["card_on_file", "new_card", "paypal"]] = Field(
        default=None, description="How to pay.")


class RegisterForEvent(Tool):
    """Sign up for a library program, class or event."""
    event_name: str = Field(description="Name of the program or event.",
                            examples=["Toddler Storytime", "Intro to Excel"])
    attendees: Optional[int] = Field(default=None, ge=1, le=6, description="How many people to register, me included.")
    event_date: Optional[str] = Field(default=None, description="Date of the session, YYYY-MM-DD.",
                                      json_schema_extra={"format": "date"})
    reminder: Optional[bool] = Field(default=None, description="Whether to send me a reminder before it starts.")


CATALOGUE = [SearchCatalog, PlaceHold, RenewLoan, ReserveStudyRoom, PayFine, RegisterForEvent]
