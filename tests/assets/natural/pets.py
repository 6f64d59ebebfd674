"""pets: vet visits, pet food, walks, dog parks, feeding reminders and adoption, six tools, written in the
ninth session (2026-12-01) with its gold set (pets.jsonl beside it) in one commit before any router was
trained on it, any data drawn from it, or any generator change of that session: a catalogue the generator
was not tuned on. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/pets.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class BookVet(Tool):
    """Book a vet appointment for a pet."""
    model_config = ConfigDict(json_schema_extra={"examples": ["book Bella in at the vet on March 3, 2027"]})
    pet_name: str = Field(description="The pet's name.", examples=["Bella", "Max"])
    date: str = Field(description="Day of the visit, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="Preferred time, 24-hour HH:MM.")
    reason: Optional[Literal["checkup", "vaccination", "injury", "illness"]] = Field(
        default=None, description="Why the pet is going.")


class OrderPetFood(Tool):
    """Order pet food to be delivered."""
    brand: str = Field(description="Brand of food.", examples=["Purina", "Royal Canin"])
    animal: Literal["dog", "cat", "rabbit"] = Field(description="Which animal the food is for.")
    bags: Optional[int] = Field(default=None, ge=1, le=10, description="Number of bags.")


class LogWalk(Tool):
    """Log a dog walk."""
    minutes: int = Field(ge=1, le=300, description="How long the walk took, in minutes.")
    distance_km: Optional[float] = Field(default=None, gt=0, le=50, description="Distance walked in kilometres.")


class FindDogPark(Tool):
    """Find dog parks near a place."""
    near: str = Field(description="Street, neighbourhood or landmark.", examples=["Riverside"])
    off_leash: Optional[bool] = Field(default=None, description="Only parks where dogs may run off the leash.")


class SetFeedingReminder(Tool):
    """Remind me to feed a pet at the same time every day."""
    pet_name: str = Field(description="The pet's name.", examples=["Luna"])
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Time of day, 24-hour HH:MM.")


class SearchAdoptions(Tool):
    """Search for pets that are up for adoption."""
    animal: Literal["dog", "cat", "rabbit", "bird"] = Field(description="Kind of animal.")
    max_age: Optional[int] = Field(default=None, ge=0, le=20, description="Oldest age in years.")


CATALOGUE = [BookVet, OrderPetFood, LogWalk, FindDogPark, SetFeedingReminder, SearchAdoptions]
