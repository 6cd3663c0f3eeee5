"""Flag keys used from more than one module."""

from openfeature import api

NEW_CHECKOUT = "new_checkout"

client = api.get_client()
