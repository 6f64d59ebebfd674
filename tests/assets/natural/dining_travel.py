"""dining_travel: restaurant and travel bookings, four tools, written to test data made from the schema
alone (no phrasing bank). Gold set: dining_travel.jsonl beside it, written by hand from these
signatures before the schema-driven generator existed; no generator code reads it.

    toolrouter catalogue show tests/assets/natural/dining_travel.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class FindRestaurants(Tool):
    """Search for restaurants in a city."""

    model_config = ConfigDict(json_schema_extra={"examples": ["find me a cheap thai place in Lisbon"]})
    city: str = Field(description="City to search in.")
    cuisine: Literal["italian", "japanese", "mexican", "indian", "chinese", "thai", "french", "vegetarian"] = Field(
        description="Type of food.")
    price_range: Optional[Literal["cheap", "moderate", "expensive"]] = Field(default=None, description="Budget.")


class BookTable(Tool):
    """Reserve a table at a restaurant."""

    restaurant: str = Field(description="Name of the restaurant.", examples=["Chez Marie", "Sakura"])
    party_size: int = Field(ge=1, le=20, description="Number of people.")
    date: str = Field(description="Date of the booking, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Time of the booking, 24-hour HH:MM.")


class BookTaxi(Tool):
    """Order a taxi from one place to another."""

    pickup: str = Field(description="Where to be picked up: an address or place.")
    destination: str = Field(description="Where to go.")
    car_type: Literal["standard", "xl", "luxury"] = Field(default="standard", description="Size or class of the car.")


class CheckFlightStatus(Tool):
    """Check whether a flight is on time."""

    flight_number: str = Field(pattern=r"^[A-Z]{2}\d{2,4}$", description="Airline code and number, e.g. BA284.")


CATALOGUE = [FindRestaurants, BookTable, BookTaxi, CheckFlightStatus]
