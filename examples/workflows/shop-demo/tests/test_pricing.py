from app.pricing import Cart, total


def test_total() -> None:
    assert total([1, 2]) == 3


def test_cart_add() -> None:
    cart = Cart()
    cart.add(5)
    assert cart.items == [5]
