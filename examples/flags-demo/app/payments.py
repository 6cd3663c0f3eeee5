from app.flags import client


def charge(order):
    if client.get_boolean_value("payments_kill_switch", False):
        raise RuntimeError("payments are paused")
    return order.charge()
