"""Feature-flag definitions: the parsers, the catalogue and the reference scan behind the `flags` source."""
