from app.payments.v1 import payments_v1
from app.payments.v2 import payments


def settle(invoice: dict) -> str:
    if invoice.get("legacy"):
        return payments_v1.charge(invoice["customer"], invoice["cents"])
    return payments.charge(invoice["customer"], invoice["cents"])


def settle_all(invoices: list[dict]) -> list[str]:
    return [payments_v1.charge(i["customer"], i["cents"]) for i in invoices]
