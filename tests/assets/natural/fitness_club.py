"""fitness_club: a gym member's app for booking a group class, a personal-training session or a court,
signing a guest in, pausing the membership and reporting broken equipment, six tools, written in the
fourteenth session (2026-12-01) with its gold set (fitness_club.jsonl beside it) as a held-out catalogue:
both were written from the signatures alone, before any router was trained on it or any data drawn from
it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/fitness_club.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class BookFitnessClass(Tool):
    """Reserve a spot in a group exercise class at the club."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book me into spin on 2026-12-03 at 18:00"]})
    class_type: Literal["yoga", "spin", "pilates", "hiit", "zumba", "boxing", "aqua_aerobics"] = Field(
        description="The kind of class.")
    date: str = Field(description="Day of the class, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                      description="Start time of the class, 24-hour HH:MM; leave out for the first one that day.")
    club: Optional[str] = Field(default=None, description="Club location; leave out for my home club.",
                                examples=["Downtown", "Riverside"])


class BookPersonalTrainer(Tool):
    """Book a one-on-one session with a personal trainer."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book a session with Marcus on 2026-12-05 at 07:00"]})
    date: str = Field(description="Day of the session, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    trainer: Optional[str] = Field(default=None, description="Trainer's name; leave out for whoever is free.",
                                   examples=["Marcus", "Priya Shah"])
    focus: Optional[Literal["strength", "weight_loss", "mobility", "endurance", "injury_rehab"]] = Field(
        default=None, description="What the session should work on.")
    minutes: Optional[int] = Field(default=None, ge=30, le=90, description="Length of the session, in minutes.")


class ReserveCourt(Tool):
    """Reserve a court at the club for a racquet sport or basketball."""
    sport: Literal["squash", "tennis", "badminton", "pickleball", "basketball"] = Field(description="What the court is for.")
    date: str = Field(description="Day of the booking, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    duration_minutes: Optional[int] = Field(default=None, ge=30, le=120, description="How long to hold the court, in minutes.")
    rent_racquets: Optional[bool] = Field(default=None, description="Whether to have rental racquets waiting at the desk.")


class RegisterGuest(Tool):
    """Put a friend on the guest list so they can come in with me on a guest pass."""
    model_config = ConfigDict(json_schema_extra={"examples": ["my friend Dana Ruiz is coming with me tomorrow"]})
    guest_name: str = Field(description="Full name of the guest.", examples=["Dana Ruiz", "Tom"])
    date: Optional[str] = Field(default=None, description="Day of the visit, YYYY-MM-DD; leave out for today.",
                                json_schema_extra={"format": "date"})
    club: Optional[str] = Field(default=None, description="Club location they will visit; leave out for my home club.")


class FreezeMembership(Tool):
    """Put my membership on hold for a while so I am not charged."""
    start_date: str = Field(description="First day of the freeze, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    months: Optional[int] = Field(default=None, ge=1, le=3, description="How many months to freeze for.")
    reason: Optional[Literal["travel", "injury", "medical", "pregnancy", "financial", "other"]] = Field(
        default=None, description="Why the membership is being frozen.")


class ReportBrokenEquipment(Tool):
    """Tell the staff that a machine or piece of equipment at the club is broken."""
    model_config = ConfigDict(json_schema_extra={"examples": ["treadmill 4 stops every few minutes"]})
    equipment: str = Field(description="The machine or item that is broken.",
                           examples=["treadmill 4", "leg press", "rowing machine"])
    area: Optional[Literal["cardio_floor", "weights_room", "locker_room", "pool", "studio"]] = Field(
        default=None, description="Part of the club it is in.")
    unsafe: Optional[bool] = Field(default=None, description="Whether it is dangerous to use and should be closed off now.")


CATALOGUE = [BookFitnessClass, BookPersonalTrainer, ReserveCourt, RegisterGuest, FreezeMembership,
             ReportBrokenEquipment]
