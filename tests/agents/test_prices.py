"""The price table against the published prices, the long-prompt band, unknown models, and
workspace files that try to lower a price."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from swath.agents.config import load_model_config
from swath.agents.pricing import DEFAULT_PRICES, FALLBACK, PriceTable

M = 1_000_000

# (input, output, 5m cache write, cache read) per MTok as published (docs/models.md names the
# page each row was read from, and the date).
PUBLISHED = {
    "claude-haiku-5-5": (0.10, 0.50, 0.125, 0.01),
    "claude-sonnet-5-5": (2.0, 10.0, 2.50, 0.10),
    "claude-opus-5-5": (4.0, 20.0, 5.0, 0.20),
    "claude-fable-5-2": (8.0, 40.0, 10.0, 0.20),
    "claude-fable-5-1": (10.0, 50.0, 12.50, 0.25),
    "claude-fable-5": (10.0, 50.0, 12.50, 1.0),
    "claude-sonnet-5": (2.0, 10.0, 2.50, 0.20),
    "claude-opus-5": (5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-8": (5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-5": (5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-1": (15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4-6": (3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": (1.0, 5.0, 1.25, 0.10),
}


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_each_row_matches_the_published_price(model: str) -> None:
    assert DEFAULT_PRICES[model].all() == pytest.approx(PUBLISHED[model])


def test_the_small_models_long_prompt_band_prices_every_token_of_the_request() -> None:
    table = PriceTable()
    under = table.cost("claude-haiku-5-5", input_tokens=100_000, output_tokens=1000)
    assert under == pytest.approx((100_000 * 0.10 + 1000 * 0.50) / M)
    # One token more and input, output and both cache classes are all at 5x.
    over = table.cost(
        "claude-haiku-5-5",
        input_tokens=60_000,
        cache_read_tokens=30_000,
        cache_write_tokens=10_001,
        output_tokens=1000,
    )
    assert over == pytest.approx((60_000 * 0.50 + 30_000 * 0.05 + 10_001 * 0.625 + 1000 * 2.50) / M)
    # A model without a band is linear.
    big = table.cost("claude-sonnet-5-5", input_tokens=500_000)
    assert big == pytest.approx(500_000 * 2.0 / M)


def test_an_unknown_model_costs_the_dearest_rates_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = PriceTable()
    with caplog.at_level(logging.WARNING, logger="swath.agents.pricing"):
        price = table.price_for("claude-nonesuch-9")
    assert "claude-nonesuch-9" in caplog.text and "dearest" in caplog.text
    for i in range(4):
        assert price.all()[i] == max(
            max(p.all()[i], p.long_prompt.all()[i] if p.long_prompt else 0)
            for p in DEFAULT_PRICES.values()
        )
    assert price == FALLBACK
    assert table.cost("claude-nonesuch-9", output_tokens=M) >= 75.0


def test_a_workspace_file_cannot_lower_a_price(tmp_path: Path) -> None:
    (tmp_path / ".swath").mkdir()
    (tmp_path / ".swath/config.yaml").write_text(
        "prices:\n"
        "  claude-sonnet-5-5: {input: 0, output: 0, cache_write: 0, cache_read: 0}\n"
        "  claude-haiku-5-5: {input: 0.2, output: 1.0, cache_write: 0.25, cache_read: 0.02}\n"
        "  claude-nonesuch-9: {input: 1, output: 2}\n",
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(
        "[tool.swath.prices.claude-opus-5-5]\ninput = 4.0\noutput = 19.0\n", encoding="utf-8"
    )
    cfg = load_model_config(tmp_path, environ={"HOME": str(tmp_path / "home")})
    # Raising a rate is fine, except where it lowers the band (haiku's band is 0.50 in):
    # a price without a band would price a 200K prompt at 0.2, below the published 0.50.
    assert set(cfg.prices) == set()
    ignored = " ".join(cfg.ignored_settings)
    for model in ("claude-sonnet-5-5", "claude-haiku-5-5", "claude-nonesuch-9", "claude-opus-5-5"):
        assert f"prices.{model}" in ignored
    table = PriceTable(cfg.prices)
    assert table.price_for("claude-sonnet-5-5") is DEFAULT_PRICES["claude-sonnet-5-5"]


def test_a_workspace_may_raise_a_price_and_the_user_may_lower_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config/swath").mkdir(parents=True)
    (home / ".config/swath/config.yaml").write_text(
        "prices:\n  claude-sonnet-5-5: {input: 1, output: 5, cache_write: 1.25, cache_read: 0.1}\n",
        encoding="utf-8",
    )
    ws = tmp_path / "ws"
    (ws / ".swath").mkdir(parents=True)
    (ws / ".swath/config.yaml").write_text(
        "prices:\n"
        "  claude-sonnet-5-5: {input: 1.5, output: 5, cache_write: 1.25, cache_read: 0.1}\n"
        "  claude-opus-5-5: {input: 5, output: 25, cache_write: 6.25, cache_read: 0.5}\n",
        encoding="utf-8",
    )
    cfg = load_model_config(ws, environ={"HOME": str(home)})
    assert cfg.ignored_settings == []
    # The workspace raised the user's own (lower) sonnet price and the built-in opus one.
    assert cfg.prices["claude-sonnet-5-5"].input == 1.5
    assert cfg.prices["claude-opus-5-5"].input == 5
