"""Portfolio import and export: the column layout, CSV / XLSX / JSON writers, readers and validation.

File formats live here (and in bot/commands), never in conversations/. The layout is a stable contract,
documented field by field in docs/live-operation.md.
"""
