"""The FIRE (燃) index of the report's chapters 2-3: cities and regions scored on 19 tertiary indicators.

Layer 5 beside analytics: it reads models/, reference/, rules/, tabular/ and errors, never analytics/ or
ingest/. See docs/index.md.
"""
