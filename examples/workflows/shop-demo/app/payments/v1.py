"""The old payments client; deprecated in favour of app.payments.v2."""


class PaymentsV1Client:
    def charge(self, customer: str, cents: int) -> str:
        return f"ch_{customer}_{cents}"

    def refund(self, charge_id: str) -> bool:
        return charge_id.startswith("ch_")


payments_v1 = PaymentsV1Client()
