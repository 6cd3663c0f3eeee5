"""The language server's features, one module each (see `swath.lsp.feature`)."""
