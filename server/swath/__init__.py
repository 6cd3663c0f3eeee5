"""Swath: dynamic workflows in the editor."""

__version__ = "0.1.0"
