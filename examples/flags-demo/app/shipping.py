from app.features import Feature


def shipping_options(mode, order):
    options = ["standard"]
    if Feature.FAST_SHIPPING in mode:
        options.append("express")
    if Feature.GIFT_WRAP in mode:
        options.append("gift-wrap")
    return options
