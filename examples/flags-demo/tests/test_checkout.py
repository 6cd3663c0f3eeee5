from unittest import mock

from app import checkout


def test_new_checkout_renders_total():
    with mock.patch.object(checkout.client, "get_boolean_value", side_effect=lambda key, default: key == "new_checkout"):
        cart = mock.Mock()
        cart.total_with_discounts.return_value = 10
        assert checkout.checkout(cart, user=None) == "new 10"
