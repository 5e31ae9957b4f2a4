"""Errors a user can act on: the CLI prints them as one line and exits non-zero."""


class AudiobookError(Exception):
    """Bad input or an unusable setting, with a message meant for the user."""
