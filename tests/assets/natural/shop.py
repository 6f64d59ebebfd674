"""shop: an online store's assistant, six tools, written in the eighth session (2026-12-01) with its gold
set (shop.jsonl beside it) in one commit before any router was trained on it or any data drawn from it,
and before the generator changes that follow banking's and media's r10 runs: a catalogue the generator
was not tuned on. No generator code reads the gold set.

    toolrouter catalogue show tests/assets/natural/shop.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class SearchProducts(Tool):
    """Search the store for products."""

    model_config = ConfigDict(json_schema_extra={"examples": ["find running shoes under 80 dollars"]})
    query: str = Field(description="What to look for.", examples=["running shoes", "phone case"])
    max_price: Optional[float] = Field(default=None, gt=0, description="Highest price in dollars.")


class AddToCart(Tool):
    """Add a product to the shopping cart."""

    product: str = Field(description="Name of the product.", examples=["AirPods Pro", "yoga mat"])
    quantity: Optional[int] = Field(default=None, ge=1, le=20, description="How many.")


class TrackOrder(Tool):
    """Find out where an order is."""

    order_id: str = Field(pattern=r"^\d{6}$", description="Six-digit order number.")


class ReturnItem(Tool):
    """Start a return for an order."""

    order_id: str = Field(pattern=r"^\d{6}$", description="Six-digit order number.")
    reason: Optional[Literal["damaged", "wrong_item", "too_small", "too_big", "changed_mind"]] = Field(
        default=None, description="Why it is being returned.")


class ApplyCoupon(Tool):
    """Apply a discount code to the cart."""

    code: str = Field(pattern=r"^[A-Z0-9]{4,12}$", description="The discount code, e.g. SAVE20.")


class ContactSupport(Tool):
    """Ask a human agent for help."""

    model_config = ConfigDict(json_schema_extra={"examples": ["I want to talk to a person about my refund"]})
    topic: Literal["billing", "shipping", "returns", "account", "other"] = Field(description="What the problem is about.")


CATALOGUE = [SearchProducts, AddToCart, TrackOrder, ReturnItem, ApplyCoupon, ContactSupport]
