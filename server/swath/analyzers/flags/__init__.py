"""The flag audit's offline analyzers: classification, findings, the deprecation plan and removal rewrites."""
