"""office_tools: calendar, email, tickets and currency, four tools, written in the sixth session to check
the schema-driven generator on a catalogue it was not tuned on. Gold set: office_tools.jsonl beside it,
written by hand from these signatures before any router was trained on this catalogue; no generator
code reads it.

    toolrouter catalogue show tests/assets/natural/office_tools.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class ScheduleMeeting(Tool):
    """Put a meeting on the calendar."""

    model_config = ConfigDict(json_schema_extra={"examples": ["set up a budget review on 2026-03-02 at 10:00"]})
    title: str = Field(description="What the meeting is about.", examples=["budget review", "1:1 with Sam"])
    date: str = Field(description="Day of the meeting, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    duration_minutes: Optional[int] = Field(default=None, ge=5, le=480, description="Length of the meeting in minutes.")


class SendEmail(Tool):
    """Send an email to someone."""

    to: str = Field(description="Recipient's email address.", json_schema_extra={"format": "email"})
    subject: str = Field(description="Subject line of the email.")


class CreateTicket(Tool):
    """Open a ticket in the issue tracker."""

    summary: str = Field(description="Short description of the problem.", examples=["login page is down"])
    priority: Literal["low", "medium", "high", "urgent"] = Field(default="medium", description="How urgent it is.")


class ConvertCurrency(Tool):
    """Convert an amount of money from one currency to another."""

    amount: float = Field(gt=0, description="How much money.")
    from_currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO code of the currency to convert from, e.g. USD.")
    to_currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO code of the currency to convert to, e.g. EUR.")


CATALOGUE = [ScheduleMeeting, SendEmail, CreateTicket, ConvertCurrency]
