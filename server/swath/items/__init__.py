"""Typed payloads of work items (`Item.data`): one model per item kind.

A source writes an item's data and an analyzer reads it back; the layering keeps the two
packages apart, so the shape they share lives here, below both, and exists once.
"""
