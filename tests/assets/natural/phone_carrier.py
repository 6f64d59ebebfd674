"""phone_carrier: a mobile and home-internet customer's account app for checking data usage, adding a
travel pass, reporting a network problem, booking a technician visit, ordering a new phone and adding a
line, six tools, written in the fourteenth session (2026-12-01) with its gold set (phone_carrier.jsonl
beside it) as a held-out catalogue: both were written from the signatures alone, before any router was
trained on it or any data drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/phone_carrier.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class CheckDataUsage(Tool):
    """Show how much mobile data a line on my plan has used."""
    model_config = ConfigDict(json_schema_extra={"examples": ["how much data has Emma used this month"]})
    line: Optional[str] = Field(default=None, description="Whose line, by the person's name; leave out for my own.",
                                examples=["Emma", "Dad"])
    period: Optional[Literal["current_cycle", "last_cycle"]] = Field(
        default=None, description="Which billing cycle; leave out for the current one.")


class AddTravelPass(Tool):
    """Add a roaming pass so my phone works abroad at a daily rate."""
    model_config = ConfigDict(json_schema_extra={"examples": ["add a travel pass for Mexico from 2026-12-20 for 7 days"]})
    country: str = Field(description="Country I am travelling to.", examples=["Mexico", "Japan", "Italy"])
    start_date: Optional[str] = Field(default=None, description="First day of the pass, YYYY-MM-DD; leave out for today.",
                                      json_schema_extra={"format": "date"})
    days: Optional[int] = Field(default=None, ge=1, le=30, description="How many days the pass lasts.")


class ReportNetworkProblem(Tool):
    """Report bad mobile coverage or a home internet outage at a place."""
    model_config = ConfigDict(json_schema_extra={"examples": ["no signal at 14 Birch Lane since 09:00"]})
    problem: Literal["no_signal", "dropped_calls", "slow_data", "home_internet_down", "texts_not_sending"] = Field(
        description="What is going wrong.")
    location: str = Field(description="Address, ZIP code or place where it happens.",
                          examples=["14 Birch Lane", "90210", "the train station"])
    started_at: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$",
                                      description="When it started today, 24-hour HH:MM.")


class BookTechnicianVisit(Tool):
    """Book a technician to come to my home for home internet or TV."""
    reason: Literal["new_install", "router_problem", "no_connection", "cable_tv", "moving_service"] = Field(
        description="Why the technician is coming.")
    date: str = Field(description="Day of the visit, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    arrival_window: Optional[Literal["morning", "afternoon", "evening"]] = Field(
        default=None, description="Part of the day the technician should arrive in.")
    call_ahead: Optional[bool] = Field(default=None, description="Whether the technician should phone me before arriving.")


class OrderNewPhone(Tool):
    """Order a new phone on my account as an upgrade."""
    model_config = ConfigDict(json_schema_extra={"examples": ["upgrade me to a Pixel 9 in Obsidian with 256 GB"]})
    model: str = Field(description="Make and model of the phone.", examples=["iPhone 16 Pro", "Galaxy S25", "Pixel 9"])
    color: Optional[str] = Field(default=None, description="Colour of the phone.", examples=["black", "Desert Titanium"])
    storage_gb: Optional[int] = Field(default=None, ge=64, le=1024, description="Storage size, in GB.")
    trade_in: Optional[bool] = Field(default=None, description="Whether I will trade in my current phone for credit.")


class AddLine(Tool):
    """Add a new line to my plan for another device or person."""
    device: Literal["phone", "tablet", "smartwatch", "hotspot"] = Field(description="What the new line is for.")
    for_name: Optional[str] = Field(default=None, description="Name of the person who will use the line.",
                                    examples=["Liam", "Grandma Rose"])
    keep_number: Optional[bool] = Field(default=None,
                                        description="Whether to bring over an existing number from another carrier.")


CATALOGUE = [CheckDataUsage, AddTravelPass, ReportNetworkProblem, BookTechnicianVisit, OrderNewPhone, AddLine]
