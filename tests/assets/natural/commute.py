"""commute: planning a transit trip, buying passes and topping up a transit card, paying for street
parking, finding EV chargers, renting a shared bike or scooter and checking line alerts, six tools,
written in the twelfth session (2026-12-01) with its gold set (commute.jsonl beside it) as a held-out
catalogue: both were written from the signatures alone, before any router was trained on it or any data
drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/commute.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class PlanTransitTrip(Tool):
    """Plan a public-transit trip from one place to another."""
    model_config = ConfigDict(json_schema_extra={"examples": ["how do I get from Union Station to the airport by train"]})
    origin: str = Field(description="Where the trip starts.", examples=["Union Station", "home"])
    destination: str = Field(description="Where the trip ends.", examples=["the airport", "Pike Place Market"])
    travel_date: Optional[str] = Field(default=None, description="Day of the trip, YYYY-MM-DD.",
                                       json_schema_extra={"format": "date"})
    depart_at: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                     description="Departure time, 24-hour HH:MM.")
    mode: Optional[Literal["bus", "subway", "commuter_rail", "tram", "ferry"]] = Field(
        default=None, description="Preferred kind of transit.")
    step_free: Optional[bool] = Field(default=None, description="Only step-free (wheelchair-accessible) routes.")


class BuyTransitPass(Tool):
    """Buy a transit pass or ticket, or add value to my transit card."""
    model_config = ConfigDict(json_schema_extra={"examples": ["top up my transit card with $20"]})
    pass_type: Literal["single_ride", "day_pass", "weekly", "monthly", "stored_value"] = Field(
        description="What to buy; stored_value adds money to the card.")
    quantity: Optional[int] = Field(default=None, ge=1, le=10, description="How many passes or tickets.")
    amount: Optional[float] = Field(default=None, gt=0, le=200,
                                    description="Dollars to add to the card, for stored_value.")
    fare_category: Optional[Literal["adult", "student", "senior", "youth"]] = Field(
        default=None, description="Fare category of the rider.")


class PayParking(Tool):
    """Pay for street parking in a numbered parking zone."""
    model_config = ConfigDict(json_schema_extra={"examples": ["pay for 2 hours of parking in zone 4021"]})
    zone_code: str = Field(description="Parking zone number shown on the sign.", examples=["4021", "B-118"])
    duration_minutes: int = Field(ge=15, le=600, description="How long to park, in minutes.")
    license_plate: Optional[str] = Field(default=None, description="Plate of the car; leave out for my saved car.",
                                         examples=["7KXB219"])


class FindEvCharger(Tool):
    """Find electric-vehicle charging stations near a place."""
    location: str = Field(description="Place to search near.", examples=["downtown", "Oak Street garage"])
    connector: Optional[Literal["ccs", "chademo", "nacs", "j1772"]] = Field(
        default=None, description="Plug type.")
    min_power_kw: Optional[int] = Field(default=None, ge=7, le=350, description="Least charging power, in kW.")
    available_only: Optional[bool] = Field(default=None, description="Only chargers free right now.")


class RentBike(Tool):
    """Unlock a shared bike or e-scooter at a dock."""
    station: str = Field(description="Dock or station name.", examples=["5th & Pine", "City Hall"])
    vehicle: Optional[Literal["classic_bike", "e_bike", "scooter"]] = Field(default=None, description="What to rent.")
    count: Optional[int] = Field(default=None, ge=1, le=4, description="How many to unlock.")


class CheckServiceAlerts(Tool):
    """Check delays, closures and service alerts on a transit line."""
    line: str = Field(description="The line or route.", examples=["Red Line", "Route 14"])
    date: Optional[str] = Field(default=None, description="Day to check, YYYY-MM-DD.",
                                json_schema_extra={"format": "date"})
    direction: Optional[Literal["inbound", "outbound"]] = Field(default=None, description="Direction of travel.")


CATALOGUE = [PlanTransitTrip, BuyTransitPass, PayParking, FindEvCharger, RentBike, CheckServiceAlerts]
