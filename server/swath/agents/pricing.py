"""The price table: USD per million tokens, per model, and the cost of a usage.

Prices change; every entry can be overridden from config (`prices:` in
`.swath/config.yaml`, `[tool.swath.prices]` in pyproject.toml). A model missing from
the table is priced at `FALLBACK` (the dearest entry) so a budget errs on the safe
side rather than counting an unknown model as free.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from swath.findings.report import Usage

log = logging.getLogger(__name__)

CACHE_WRITE_MULTIPLIER = 1.25  # 5-minute ephemeral cache writes
CACHE_READ_MULTIPLIER = 0.1
BATCH_DISCOUNT = 0.5  # Message Batches API: half price on every token class
PER = 1_000_000


class ModelPrice(BaseModel):
    """USD per million tokens. Cache prices default to the input price times the multipliers."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float | None = Field(default=None, ge=0)
    cache_read: float | None = Field(default=None, ge=0)

    @property
    def cache_write_price(self) -> float:
        return (
            self.cache_write
            if self.cache_write is not None
            else self.input * CACHE_WRITE_MULTIPLIER
        )

    @property
    def cache_read_price(self) -> float:
        return (
            self.cache_read if self.cache_read is not None else self.input * CACHE_READ_MULTIPLIER
        )


# Published list prices for the Claude API (standard tier, prompts under any long-context
# threshold). Check them against the provider's pricing page; override in config.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-haiku-5-5": ModelPrice(input=0.10, output=0.50, cache_read=0.01),
    "claude-sonnet-5-5": ModelPrice(input=2.0, output=10.0, cache_read=0.10),
    "claude-opus-5-5": ModelPrice(input=4.0, output=20.0),
    "claude-sonnet-5": ModelPrice(input=2.0, output=10.0),
    "claude-opus-5": ModelPrice(input=5.0, output=25.0),
    "claude-fable-5-2": ModelPrice(input=10.0, output=50.0),
    "claude-fable-5-1": ModelPrice(input=10.0, output=50.0),
    "claude-fable-5": ModelPrice(input=10.0, output=50.0),
    "claude-opus-4-8": ModelPrice(input=5.0, output=25.0),
    "claude-opus-4-7": ModelPrice(input=5.0, output=25.0),
    "claude-opus-4-6": ModelPrice(input=5.0, output=25.0),
    "claude-opus-4-5": ModelPrice(input=5.0, output=25.0),
    "claude-sonnet-4-6": ModelPrice(input=3.0, output=15.0),
    "claude-sonnet-4-5": ModelPrice(input=3.0, output=15.0),
    "claude-haiku-4-5": ModelPrice(input=1.0, output=5.0),
}
FALLBACK = ModelPrice(input=10.0, output=50.0)


class PriceTable:
    def __init__(
        self, overrides: Mapping[str, ModelPrice | Mapping[str, float]] | None = None
    ) -> None:
        self.prices: dict[str, ModelPrice] = dict(DEFAULT_PRICES)
        for name, price in (overrides or {}).items():
            self.prices[name] = (
                price if isinstance(price, ModelPrice) else ModelPrice.model_validate(price)
            )
        self._warned: set[str] = set()

    def price_for(self, model: str) -> ModelPrice:
        """Exact name, else the longest entry the name starts with (dated snapshots), else FALLBACK."""
        if model in self.prices:
            return self.prices[model]
        best = max((k for k in self.prices if model.startswith(k)), key=len, default=None)
        if best is not None:
            return self.prices[best]
        if model not in self._warned:
            self._warned.add(model)
            log.warning("no price for model %r; using the fallback price %s", model, FALLBACK)
        return FALLBACK

    def cost(
        self,
        model: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_read_tokens: int = 0,
        batch: bool = False,
    ) -> float:
        p = self.price_for(model)
        usd = (
            input_tokens * p.input
            + output_tokens * p.output
            + cache_write_tokens * p.cache_write_price
            + cache_read_tokens * p.cache_read_price
        ) / PER
        if batch:
            usd *= BATCH_DISCOUNT
        return round(usd, 10)

    def usage(
        self,
        model: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_read_tokens: int = 0,
        batch: bool = False,
    ) -> Usage:
        """A priced `Usage` for token counts as the API reported them."""
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_write_tokens=cache_write_tokens,
            cache_read_tokens=cache_read_tokens,
            cost_usd=self.cost(
                model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_write_tokens=cache_write_tokens,
                cache_read_tokens=cache_read_tokens,
                batch=batch,
            ),
        )

    def usage_from_api(self, model: str, api_usage: object, *, batch: bool = False) -> Usage:
        """Convert the SDK's `Usage` (input, output, cache_creation_input_tokens, cache_read_input_tokens)."""
        return self.usage(
            model,
            input_tokens=int(getattr(api_usage, "input_tokens", 0) or 0),
            output_tokens=int(getattr(api_usage, "output_tokens", 0) or 0),
            cache_write_tokens=int(getattr(api_usage, "cache_creation_input_tokens", 0) or 0),
            cache_read_tokens=int(getattr(api_usage, "cache_read_input_tokens", 0) or 0),
            batch=batch,
        )
