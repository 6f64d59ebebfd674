"""workplace: time off, expenses, meeting rooms, IT problems, the staff directory and payslips, six tools,
written in the tenth session (2026-12-01) with its gold set (workplace.jsonl beside it) as a held-out
catalogue: both were written from the signatures alone, before any router was trained on it or any data
drawn from it. No generator code reads the gold set.
    toolrouter catalogue show tests/assets/natural/workplace.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class RequestTimeOff(Tool):
    """Request days off work."""
    model_config = ConfigDict(json_schema_extra={"examples": ["take vacation from 2027-03-01 to 2027-03-05"]})
    start_date: str = Field(description="First day off, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    end_date: str = Field(description="Last day off, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    leave_type: Optional[Literal["vacation", "sick", "personal", "parental"]] = Field(
        default=None, description="Kind of leave.")


class SubmitExpense(Tool):
    """Submit a work expense for reimbursement."""
    amount: float = Field(gt=0, le=10000, description="Amount spent, in dollars.")
    category: Literal["travel", "meals", "office_supplies", "software", "training"] = Field(
        description="Expense category.")
    merchant: Optional[str] = Field(default=None, description="Where the money was spent.",
                                    examples=["Staples", "Delta", "Uber"])


class BookMeetingRoom(Tool):
    """Reserve a meeting room in the office."""
    date: str = Field(description="Day of the meeting, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Start time, 24-hour HH:MM.")
    duration_minutes: int = Field(ge=15, le=480, description="Length of the booking in minutes.")
    attendees: Optional[int] = Field(default=None, ge=2, le=30, description="Number of people attending.")


class ReportItIssue(Tool):
    """Report a problem with a work device to IT support."""
    model_config = ConfigDict(json_schema_extra={"examples": ["my monitor keeps flickering"]})
    device: Literal["laptop", "desktop", "monitor", "printer", "phone", "headset", "keyboard", "mouse"] = Field(
        description="The device that has the problem.")
    problem: str = Field(description="What is wrong, in a few words.",
                         examples=["won't turn on", "screen keeps flickering", "battery drains fast"])
    urgent: Optional[bool] = Field(default=None, description="Whether it stops me from working.")


class FindColleague(Tool):
    """Look up a colleague in the company directory."""
    name: str = Field(description="The colleague's name.", examples=["Priya Shah", "Tom Becker"])
    department: Optional[Literal["engineering", "sales", "marketing", "finance", "hr", "legal"]] = Field(
        default=None, description="Department to search in.")


class CheckPayslip(Tool):
    """Show my payslip for a month."""
    month: Literal["january", "february", "march", "april", "may", "june", "july", "august", "september",
                   "october", "november", "december"] = Field(description="Month of the payslip.")
    year: Optional[int] = Field(default=None, ge=2020, le=2030, description="Year of the payslip.")


CATALOGUE = [RequestTimeOff, SubmitExpense, BookMeetingRoom, ReportItIssue, FindColleague, CheckPayslip]
