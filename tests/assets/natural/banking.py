"""banking: transfers, balances, bills, cards, budget alerts and ATMs, six tools, written in the eighth
session (2026-12-01) with its gold set (banking.jsonl beside it) in one commit before any router was
trained on it or any data drawn from it: a catalogue the generator was not tuned on. No generator code
reads the gold set.

    toolrouter catalogue show tests/assets/natural/banking.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class TransferMoney(Tool):
    """Send money to a person or another account."""

    model_config = ConfigDict(json_schema_extra={"examples": ["send 50 dollars to Anna for pizza"]})
    recipient: str = Field(description="Person or account that receives the money.", examples=["Anna", "savings"])
    amount: float = Field(gt=0, le=10000, description="Amount to send, in dollars.")
    note: Optional[str] = Field(default=None, description="Short note that goes with the payment.",
                                examples=["rent", "concert tickets"])


class CheckBalance(Tool):
    """Check how much money is in an account."""

    account: Optional[Literal["checking", "savings", "credit_card"]] = Field(
        default=None, description="Which account; all accounts if not given.")


class PayBill(Tool):
    """Pay a bill to a company."""

    model_config = ConfigDict(json_schema_extra={"examples": ["pay the electric bill, 84.50 to PG&E"]})
    payee: str = Field(description="Company the bill is from.", examples=["Comcast", "City Water"])
    amount: float = Field(gt=0, description="Amount to pay, in dollars.")
    pay_on: Optional[str] = Field(default=None, description="Day to pay on, YYYY-MM-DD; today if not given.",
                                  json_schema_extra={"format": "date"})


class FreezeCard(Tool):
    """Freeze a card so nobody can use it."""

    card: Literal["debit", "credit"] = Field(description="Which card to freeze.")
    reason: Optional[Literal["lost", "stolen", "suspicious_activity"]] = Field(
        default=None, description="Why the card is frozen.")


class SetBudgetAlert(Tool):
    """Get an alert when monthly spending in a category goes over a limit."""

    category: Literal["groceries", "dining", "shopping", "travel", "entertainment"] = Field(
        description="Spending category to watch.")
    limit: int = Field(ge=10, le=10000, description="Monthly limit in dollars.")


class FindAtm(Tool):
    """Find ATMs near a place."""

    near: str = Field(description="Address, street or neighbourhood to search around.",
                      examples=["Union Square", "5th Avenue"])


CATALOGUE = [TransferMoney, CheckBalance, PayBill, FreezeCard, SetBudgetAlert, FindAtm]
