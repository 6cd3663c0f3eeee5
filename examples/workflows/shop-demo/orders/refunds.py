from app.payments import v1


def refund_order(order: dict) -> bool:
    return v1.payments_v1.refund(order["charge_id"])
