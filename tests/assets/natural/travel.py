"""travel: hotels, trains, visas, checked bags, directions and things to do, six tools, written in the
tenth session (2026-12-01) with its gold set (travel.jsonl beside it) as a held-out catalogue: both were
written from the signatures alone, before any router was trained on it or any data drawn from it.
No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/travel.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class SearchHotels(Tool):
    """Search for hotels in a city."""
    city: str = Field(description="City to stay in.", examples=["Lisbon", "Kyoto"])
    check_in: str = Field(description="Arrival day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    nights: int = Field(ge=1, le=30, description="Number of nights.")
    guests: Optional[int] = Field(default=None, ge=1, le=8, description="Number of guests.")
    max_price: Optional[float] = Field(default=None, gt=0, le=2000, description="Highest price per night, in dollars.")


class BookTrain(Tool):
    """Book a train ticket between two cities."""
    model_config = ConfigDict(json_schema_extra={"examples": ["train from Milan to Florence on 2027-05-04"]})
    from_city: str = Field(description="City to leave from.", examples=["Milan", "Paris", "Boston"])
    to_city: str = Field(description="City to travel to.", examples=["Florence", "Lyon", "New York"])
    date: str = Field(description="Travel day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    departure_time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                          description="Preferred departure time, 24-hour HH:MM.")
    seat_class: Optional[Literal["standard", "first"]] = Field(default=None, description="Class of seat.")


class CheckVisaRequirements(Tool):
    """Check whether I need a visa to visit a country."""
    destination: str = Field(description="Country to visit.", examples=["Japan", "Brazil"])
    passport: Optional[str] = Field(default=None, description="Country that issued my passport.",
                                    examples=["Canada", "India"])


class AddCheckedBag(Tool):
    """Add checked luggage to a flight booking."""
    booking_reference: str = Field(pattern=r"^[A-Z0-9]{6}$", description="Six-character booking code.",
                                   examples=["QX7T2L", "M4KP9Z"])
    bags: int = Field(ge=1, le=3, description="Number of checked bags to add.")


class GetDirections(Tool):
    """Get directions to a place."""
    model_config = ConfigDict(json_schema_extra={"examples": ["how do I get to the Louvre on foot"]})
    destination: str = Field(description="Where to go.", examples=["the Louvre", "Shinjuku Station"])
    start: Optional[str] = Field(default=None, description="Starting point; my current location if left out.",
                                 examples=["my hotel", "the airport"])
    mode: Optional[Literal["walking", "transit", "driving", "cycling"]] = Field(
        default=None, description="How to travel.")


class FindActivities(Tool):
    """Find things to do in a city."""
    city: str = Field(description="City to explore.", examples=["Barcelona", "Mexico City"])
    category: Optional[Literal["museums", "food", "outdoors", "nightlife", "shopping", "tours"]] = Field(
        default=None, description="Kind of activity.")
    kid_friendly: Optional[bool] = Field(default=None, description="Only activities suited to children.")


CATALOGUE = [SearchHotels, BookTrain, CheckVisaRequirements, AddCheckedBag, GetDirections, FindActivities]
