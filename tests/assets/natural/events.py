"""events: buying tickets, answering invitations, finding events, the calendar, ticket transfers and
price alerts, six tools, written in the eleventh session (2026-12-01) with its gold set (events.jsonl
beside it) as a held-out catalogue: both were written from the signatures alone, before any router was
trained on it or any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/events.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class BuyTickets(Tool):
    """Buy tickets for a concert, show or game."""
    model_config = ConfigDict(json_schema_extra={"examples": ["get me 2 tickets for Hamilton on 2027-02-13"]})
    event_name: str = Field(description="The event, artist or team.",
                            examples=["Taylor Swift", "Hamilton", "Lakers vs Celtics"])
    quantity: int = Field(ge=1, le=10, description="Number of tickets.")
    event_date: Optional[str] = Field(default=None, description="Date of the show, YYYY-MM-DD.",
                                      json_schema_extra={"format": "date"})
    section: Optional[Literal["general_admission", "floor", "lower_bowl", "balcony", "vip_box"]] = Field(
        default=None, description="Seating section.")
    accessible_seating: Optional[bool] = Field(default=None, description="Whether wheelchair-accessible seats are needed.")


class RsvpToInvitation(Tool):
    """Answer an invitation to an event."""
    event_name: str = Field(description="The event I was invited to.",
                            examples=["Maya's birthday party", "the Henderson wedding"])
    response: Literal["attending", "not_attending", "maybe"] = Field(description="My answer.")
    extra_guests: Optional[int] = Field(default=None, ge=0, le=6,
                                        description="How many people I bring besides myself.")


class FindEvents(Tool):
    """Search for events happening in a city."""
    city: str = Field(description="City to search in.", examples=["Chicago", "Austin"])
    category: Optional[Literal["concert", "theater", "comedy", "sports", "festival", "family"]] = Field(
        default=None, description="Kind of event.")
    date: Optional[str] = Field(default=None, description="Day of the event, YYYY-MM-DD.",
                                json_schema_extra={"format": "date"})
    max_price: Optional[float] = Field(default=None, gt=0, le=2000, description="Highest ticket price, in dollars.")


class AddToCalendar(Tool):
    """Add an event to my calendar."""
    model_config = ConfigDict(json_schema_extra={"examples": ["put Jazz Night on 2027-01-15 at 20:00 in my calendar"]})
    title: str = Field(description="Name of the calendar entry.")
    date: str = Field(description="Day of the event, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    reminder_minutes: Optional[int] = Field(default=None, ge=5, le=1440,
                                            description="Minutes before the start to remind me.")


class TransferTicket(Tool):
    """Send tickets from one of my orders to someone else."""
    order_number: str = Field(description="The ticket order number.", examples=["TK-48213", "TK-90577"])
    recipient_email: str = Field(description="Email address of the person receiving the tickets.")
    quantity: Optional[int] = Field(default=None, ge=1, le=10, description="How many tickets of the order to send.")


class SetPriceAlert(Tool):
    """Alert me when tickets for an event drop to a price."""
    model_config = ConfigDict(json_schema_extra={"examples": ["tell me when Adele tickets go under $150"]})
    event_name: str = Field(description="The event, artist or team to watch.")
    target_price: float = Field(gt=0, le=5000, description="Alert when a ticket costs this much or less, in dollars.")
    notify_by: Optional[Literal["email", "sms", "push_notification"]] = Field(
        default=None, description="How to notify me.")


CATALOGUE = [BuyTickets, RsvpToInvitation, FindEvents, AddToCalendar, TransferTicket, SetPriceAlert]
