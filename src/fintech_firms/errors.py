"""Errors that end a run with one clear message instead of a traceback."""


class InputError(Exception):
    """Bad input that stops the run: the CLI prints the message and exits with code 2."""

    exit_code = 2
