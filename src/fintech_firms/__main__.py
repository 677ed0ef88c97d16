"""`python -m fintech_firms …` runs the `firms` command (for scripts that hold a Python path, not a PATH)."""

from .cli import app

app(prog_name="firms")
