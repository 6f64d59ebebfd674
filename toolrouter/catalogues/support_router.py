"""support_router: the customer-support router of the tool-use lesson (3 tools).

    toolrouter catalogue show support_router --mode compact
"""
from pydantic import Field

from toolrouter import FreeText, Tool

ORDER_ID = Field(description="The order ID: ORD- followed by digits, e.g. ORD-48213.", pattern=r"^ORD-\d+$")


class TrackOrder(Tool):
    """Get the status of an order."""

    order_id: str = ORDER_ID


class RequestRefund(Tool):
    """File a refund for an order."""

    order_id: str = ORDER_ID
    reason: FreeText = Field(description="Why the customer wants the refund, in their words.")


class Escalate(Tool):
    """Hand the conversation off to a human agent."""

    reason: FreeText = Field(description="Why a human is needed.")


CATALOGUE = [TrackOrder, RequestRefund, Escalate]
