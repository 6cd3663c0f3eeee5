"""The current payments client."""


class PaymentsClient:
    def charge(self, customer: str, cents: int, currency: str = "EUR") -> str:
        return f"pi_{customer}_{cents}_{currency}"


payments = PaymentsClient()
