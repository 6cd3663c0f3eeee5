"""The shop's web application."""
