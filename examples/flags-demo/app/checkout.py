from app.flags import NEW_CHECKOUT, client


def checkout(cart, user):
    if client.get_boolean_value("new_checkout", False):
        total = cart.total_with_discounts()
        return render_new_checkout(cart, total)
    else:
        return render_legacy_checkout(cart)


def checkout_button(user):
    label = "Pay now" if client.get_boolean_value(NEW_CHECKOUT, False) else "Checkout"
    return label


def show_recommendations(user):
    enabled = client.get_boolean_value("recommendations", False)
    if enabled:
        return fetch_recommendations(user)
    return []


def price(cart):
    if not client.get_boolean_value("old_pricing", False):
        return cart.price()
    return cart.legacy_price()


def render_new_checkout(cart, total):
    return f"new {total}"


def render_legacy_checkout(cart):
    return "legacy"


def fetch_recommendations(user):
    return ["a", "b"]
