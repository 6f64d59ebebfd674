"""school: grades, assignments, study rooms, professors, courses and tuition, six tools, written in the ninth
session (2026-12-01) with its gold set (school.jsonl beside it) in one commit before any router was trained
on it, any data drawn from it, or any generator change of that session: a catalogue the generator was not
tuned on. It is the held-out one of the two: no miss of its runs was read to change the generator.
No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/school.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class CheckGrade(Tool):
    """Check my current grade in a course."""
    course: str = Field(description="Course name or code.", examples=["Biology 101", "Calculus II"])


class SubmitAssignment(Tool):
    """Submit an assignment for a course."""
    model_config = ConfigDict(json_schema_extra={"examples": ["hand in Lab Report 3 for Chemistry"]})
    course: str = Field(description="Course name or code.", examples=["Chemistry", "ENG 210"])
    assignment: str = Field(description="Title of the assignment.", examples=["Lab Report 3", "Essay on Hamlet"])


class BookStudyRoom(Tool):
    """Reserve a study room in the library."""
    date: str = Field(description="Day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    hours: int = Field(ge=1, le=4, description="How many hours.")
    people: Optional[int] = Field(default=None, ge=1, le=12, description="Number of people.")


class EmailProfessor(Tool):
    """Send an email to a professor."""
    professor: str = Field(description="The professor's last name.", examples=["Nguyen", "Okafor"])
    message: str = Field(description="What to say.")


class FindCourse(Tool):
    """Search the course catalog for classes on a topic."""
    topic: str = Field(description="Subject to look for.", examples=["machine learning", "Spanish"])
    term: Optional[Literal["fall", "spring", "summer"]] = Field(default=None, description="Which term.")
    online_only: Optional[bool] = Field(default=None, description="Only online classes.")


class PayTuition(Tool):
    """Pay tuition or fees."""
    amount: float = Field(gt=0, le=50000, description="Amount in dollars.")
    method: Optional[Literal["card", "bank_transfer"]] = Field(default=None, description="How to pay.")


CATALOGUE = [CheckGrade, SubmitAssignment, BookStudyRoom, EmailProfessor, FindCourse, PayTuition]
