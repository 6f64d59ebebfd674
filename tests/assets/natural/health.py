"""health: meals, water, appointments, prescriptions, pharmacies and step goals, six tools, written in the
eighth session (2026-12-01) with its gold set (health.jsonl beside it) in one commit before any router was
trained on it or any data drawn from it, and before the generator changes read off shop's first run: a
catalogue the generator was not tuned on. No generator code reads the gold set.

    toolrouter catalogue show tests/assets/natural/health.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class LogMeal(Tool):
    """Log something I ate in the food diary."""

    model_config = ConfigDict(json_schema_extra={"examples": ["I had a chicken salad for lunch, about 450 calories"]})
    food: str = Field(description="What was eaten.", examples=["chicken salad", "two slices of pizza"])
    calories: Optional[int] = Field(default=None, ge=1, le=5000, description="Calories, if known.")


class LogWater(Tool):
    """Record glasses of water drunk."""

    glasses: int = Field(ge=1, le=20, description="Number of glasses.")


class BookAppointment(Tool):
    """Book a doctor's appointment."""

    specialty: Literal["general", "dentist", "dermatology", "eye", "physio"] = Field(
        description="Kind of doctor.")
    date: str = Field(description="Day of the appointment, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="Preferred time, 24-hour HH:MM.")


class RefillPrescription(Tool):
    """Order a refill of a prescription."""

    medication: str = Field(description="Name of the medicine.", examples=["lisinopril", "Ventolin inhaler"])


class FindPharmacy(Tool):
    """Find a pharmacy near a place."""

    near: str = Field(description="Street, neighbourhood or landmark.", examples=["Main Street"])
    open_now: Optional[bool] = Field(default=None, description="Only pharmacies open right now.")


class SetStepGoal(Tool):
    """Set a daily step goal."""

    steps: int = Field(ge=1000, le=50000, description="Steps per day.")


CATALOGUE = [LogMeal, LogWater, BookAppointment, RefillPrescription, FindPharmacy, SetStepGoal]
