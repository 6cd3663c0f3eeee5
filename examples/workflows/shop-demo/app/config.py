"""Settings, read once from the environment."""

import os

DATABASE_URL = os.environ["DATABASE_URL"]
SECRET_KEY = os.environ.get("SECRET_KEY")
DEBUG = os.getenv("SHOP_DEBUG", "0") == "1"
SENTRY_DSN = os.getenv("SENTRY_DSN")


def smtp_host() -> str:
    return os.environ.get("SMTP_HOST", "localhost")
