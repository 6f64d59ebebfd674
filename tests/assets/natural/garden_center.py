"""garden_center: a garden centre and plant nursery assistant for checking whether a plant is in stock,
having bagged soil, mulch or gravel delivered, diagnosing a sick plant, booking a landscape design
consultation, joining a gardening workshop and claiming the plant guarantee, six tools, written in the
twenty-first session (2026-12-02) with its gold set (garden_center.jsonl beside it) as a held-out
catalogue: both were written from the signatures alone, before any router was trained on it or any data
drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/garden_center.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import FreeText, Tool


class CheckPlantAvailability(Tool):
    """Check whether a plant is in stock at the garden centre."""
    model_config = ConfigDict(json_schema_extra={"examples": ["do you have any Bloodgood Japanese maples at the Riverside store"]})
    plant: str = Field(description="The plant, by its common name.", examples=["Japanese maple", "lavender"])
    variety: Optional[str] = Field(default=None, description="Colour or named variety of the plant.")
    store: Optional[str] = Field(default=None, description="Which branch to check; leave out for my usual one.",
                                 examples=["Riverside", "Oak Hill"])
    pot_size: Optional[Literal["small", "medium", "large"]] = Field(default=None, description="Size of the pot.")


class ScheduleGardenDelivery(Tool):
    """Have bags of soil, mulch, gravel or similar delivered to my address."""
    model_config = ConfigDict(json_schema_extra={"examples": ["deliver 10 bags of mulch to 14 Birch Lane on 2027-04-03"]})
    material: Literal["topsoil", "compost", "mulch", "gravel", "bark_chips", "sand"] = Field(
        description="What to deliver.")
    bags: int = Field(ge=1, le=200, description="Number of bags.")
    date: str = Field(description="Delivery day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    address: str = Field(description="Street address to deliver to.", examples=["14 Birch Lane", "88 Maple Court, Springfield"])
    time_window: Optional[Literal["morning", "afternoon"]] = Field(default=None, description="Part of the day to deliver.")
    leave_at_side_gate: Optional[bool] = Field(default=None, description="Whether the driver may leave the bags by the side gate.")
    note: Optional[str] = Field(default=None, description="A note for the driver.")


class DiagnosePlantProblem(Tool):
    """Ask the plant doctor what is wrong with a sick plant."""
    plant: str = Field(description="The plant that is unwell.")
    symptoms: FreeText = Field(description="What the plant looks like, in a few words.",
                               examples=["yellow leaves with brown spots", "white powder on the leaves"])
    indoor: Optional[bool] = Field(default=None, description="Whether it is a houseplant kept indoors.")


class BookLandscapeConsultation(Tool):
    """Book a session with a garden designer to plan a landscaping project."""
    project: Literal["new_lawn", "flower_beds", "patio_planting", "hedge", "vegetable_garden", "tree_planting"] = Field(
        description="The kind of project.")
    date: str = Field(description="Day of the consultation, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    designer: Optional[str] = Field(default=None, description="The designer I'd like to see, by name.",
                                    examples=["Maria Lopez", "Tom Becker"])
    at_my_home: Optional[bool] = Field(default=None, description="Whether the designer visits my garden rather than meeting in store.")


class JoinGardeningWorkshop(Tool):
    """Sign up for a hands-on gardening workshop at the garden centre."""
    model_config = ConfigDict(json_schema_extra={"examples": ["two places at the pruning workshop on 2027-02-06"]})
    workshop: Literal["pruning", "composting", "bonsai", "seed_starting", "wreath_making"] = Field(
        description="Which workshop.")
    date: str = Field(description="Date of the session, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    participants: Optional[int] = Field(default=None, ge=1, le=6, description="How many places to book.")
    name: Optional[str] = Field(default=None, description="Name to put the booking under.")


class ClaimPlantGuarantee(Tool):
    """Claim on the one-year guarantee for a plant bought here that died or failed."""
    receipt_number: str = Field(pattern=r"^GC-\d{6}$", description="Receipt number, GC- and six digits.",
                                examples=["GC-481203"])
    plant: str = Field(description="The plant the claim is for.")
    what_happened: FreeText = Field(description="What went wrong with the plant, in a few words.")
    resolution: Optional[Literal["replacement", "store_credit", "refund"]] = Field(
        default=None, description="What I would like instead.")


CATALOGUE = [CheckPlantAvailability, ScheduleGardenDelivery, DiagnosePlantProblem, BookLandscapeConsultation,
             JoinGardeningWorkshop, ClaimPlantGuarantee]
