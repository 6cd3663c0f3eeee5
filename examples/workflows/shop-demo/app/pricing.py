"""Prices, discounts and carts."""


def total(prices: list[int]) -> int:
    return sum(prices)


def discount(cents: int, percent: int) -> int:
    return cents - cents * percent // 100


def _round_cents(value: float) -> int:
    return int(round(value))


class Cart:
    def __init__(self) -> None:
        self.items: list[int] = []

    def add(self, cents: int) -> None:
        self.items.append(cents)

    def remove(self, cents: int) -> None:
        self.items.remove(cents)

    def _audit(self) -> None:
        pass
