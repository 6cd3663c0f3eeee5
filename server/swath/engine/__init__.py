"""The engine: runs workflows. Front ends import from here."""
