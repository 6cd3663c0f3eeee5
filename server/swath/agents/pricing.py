"""The price table: USD per million tokens, per model, and the cost of one request.

Source: the Claude API pricing page (https://platform.claude.com/docs/en/about-claude/pricing)
and each model's overview page (https://platform.claude.com/docs/en/models/<model>/overview),
checked row by row on 2026-12-02; docs/models.md lists what each row rests on. Prices change:
the user may override any entry in their own config; a workspace file may only raise a rate
(see `raises_only`), so a cloned repository cannot price a model at zero and defeat a budget.

A request is priced on its own: when its prompt (input + cache reads + cache writes) is over a
model's long-prompt threshold, every token of that request, output included, is billed at the
band's rates. Thinking tokens are output tokens (the API counts them in `output_tokens`). A
model missing from the table is priced at the dearest known rates, with a warning, so a budget
errs on the safe side rather than counting an unknown model as free.
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
PRICES_CHECKED = "2026-12-02"
PRICES_SOURCE = "https://platform.claude.com/docs/en/about-claude/pricing"


class Rates(BaseModel):
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

    def all(self) -> tuple[float, float, float, float]:
        return (self.input, self.output, self.cache_write_price, self.cache_read_price)


class LongPromptBand(Rates):
    """The rates of a request whose prompt is over `above_tokens`."""

    above_tokens: int = Field(gt=0)


class ModelPrice(Rates):
    long_prompt: LongPromptBand | None = None

    def for_prompt(self, prompt_tokens: int) -> Rates:
        band = self.long_prompt
        return band if band is not None and prompt_tokens > band.above_tokens else self

    def raises_only(self, other: ModelPrice) -> bool:
        """True when no rate of `self`, at any prompt size, is below `other`'s. Rates are
        constant between thresholds, so probing just above each one covers every size."""
        probes = {0}
        for band in (self.long_prompt, other.long_prompt):
            if band is not None:
                probes.add(band.above_tokens + 1)
        return all(
            mine >= theirs
            for n in probes
            for mine, theirs in zip(
                self.for_prompt(n).all(), other.for_prompt(n).all(), strict=True
            )
        )


def _band(above: int, input: float, output: float, write: float, read: float) -> LongPromptBand:
    return LongPromptBand(
        above_tokens=above, input=input, output=output, cache_write=write, cache_read=read
    )


def _p(input: float, output: float, write: float, read: float, **kw: object) -> ModelPrice:
    return ModelPrice(input=input, output=output, cache_write=write, cache_read=read, **kw)  # type: ignore[arg-type]


# Standard tier, 5-minute cache writes. Snapshot names (`-20261001`) match their family.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-haiku-5-5": _p(
        0.10, 0.50, 0.125, 0.01, long_prompt=_band(100_000, 0.50, 2.50, 0.625, 0.05)
    ),
    "claude-sonnet-5-5": _p(2.0, 10.0, 2.50, 0.10),
    "claude-opus-5-5": _p(4.0, 20.0, 5.0, 0.20),
    "claude-fable-5-2": _p(8.0, 40.0, 10.0, 0.20),
    "claude-mythos-5-2": _p(8.0, 40.0, 10.0, 0.20),
    "claude-fable-5-1": _p(10.0, 50.0, 12.50, 0.25),
    "claude-mythos-5-1": _p(10.0, 50.0, 12.50, 0.25),
    "claude-fable-5": _p(10.0, 50.0, 12.50, 1.0),
    "claude-mythos-5": _p(10.0, 50.0, 12.50, 1.0),
    "claude-sonnet-5": _p(2.0, 10.0, 2.50, 0.20),
    "claude-opus-5": _p(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-8": _p(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-7": _p(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-6": _p(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-5": _p(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-1": _p(15.0, 75.0, 18.75, 1.50),
    "claude-opus-4": _p(15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4-6": _p(3.0, 15.0, 3.75, 0.30),
    "claude-sonnet-4-5": _p(
        3.0, 15.0, 3.75, 0.30, long_prompt=_band(200_000, 6.0, 22.50, 7.50, 0.60)
    ),
    "claude-sonnet-4": _p(
        3.0, 15.0, 3.75, 0.30, long_prompt=_band(200_000, 6.0, 22.50, 7.50, 0.60)
    ),
    "claude-haiku-4-5": _p(1.0, 5.0, 1.25, 0.10),
}


def dearest(prices: Mapping[str, ModelPrice]) -> ModelPrice:
    """Each rate at its highest across the table (and its bands): what an unknown model costs."""
    rows = [p for p in prices.values()] + [
        p.long_prompt for p in prices.values() if p.long_prompt is not None
    ]
    top = [max(r.all()[i] for r in rows) for i in range(4)]
    return _p(*top)


FALLBACK = dearest(DEFAULT_PRICES)


class PriceTable:
    def __init__(
        self, overrides: Mapping[str, ModelPrice | Mapping[str, object]] | None = None
    ) -> None:
        self.prices: dict[str, ModelPrice] = dict(DEFAULT_PRICES)
        for name, price in (overrides or {}).items():
            self.prices[name] = (
                price if isinstance(price, ModelPrice) else ModelPrice.model_validate(price)
            )
        self.fallback = dearest(self.prices)
        self._warned: set[str] = set()

    def known(self, model: str) -> bool:
        return model in self.prices or any(model.startswith(k) for k in self.prices)

    def price_for(self, model: str, *, warn: bool = True) -> ModelPrice:
        """Exact name, else the longest entry the name starts with (dated snapshots), else the
        dearest rates (warned once per model)."""
        if model in self.prices:
            return self.prices[model]
        best = max((k for k in self.prices if model.startswith(k)), key=len, default=None)
        if best is not None:
            return self.prices[best]
        if warn and model not in self._warned:
            self._warned.add(model)
            log.warning(
                "no price for model %r; pricing it at the dearest known rates (%s in / %s out "
                "per MTok) so the budget errs safe; add it under `prices:` in your config",
                model,
                self.fallback.input,
                self.fallback.output,
            )
        return self.fallback

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
        """The price of ONE request (its prompt size picks the band)."""
        counts = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_write_tokens=cache_write_tokens,
            cache_read_tokens=cache_read_tokens,
        )
        return self.priced(model, counts, batch=batch).cost_usd

    def priced(self, model: str, counts: Usage, *, batch: bool = False) -> Usage:
        """`counts`, the token counts of ONE request (its prompt size picks the band), priced."""
        prompt = counts.input_tokens + counts.cache_write_tokens + counts.cache_read_tokens
        p = self.price_for(model).for_prompt(prompt)
        usd = (
            counts.input_tokens * p.input
            + counts.output_tokens * p.output
            + counts.cache_write_tokens * p.cache_write_price
            + counts.cache_read_tokens * p.cache_read_price
        ) / PER
        if batch:
            usd *= BATCH_DISCOUNT
        return counts.model_copy(update={"cost_usd": round(usd, 10)})

    def usage_from_api(self, model: str, api_usage: object, *, batch: bool = False) -> Usage:
        """Convert the SDK's `Usage` (input, output, cache_creation_input_tokens, cache_read_input_tokens)."""
        counts = Usage(
            input_tokens=int(getattr(api_usage, "input_tokens", 0) or 0),
            output_tokens=int(getattr(api_usage, "output_tokens", 0) or 0),
            cache_write_tokens=int(getattr(api_usage, "cache_creation_input_tokens", 0) or 0),
            cache_read_tokens=int(getattr(api_usage, "cache_read_input_tokens", 0) or 0),
        )
        return self.priced(model, counts, batch=batch)
