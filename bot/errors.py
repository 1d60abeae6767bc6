"""Snag's errors, each with a code and a message fit for the person who reads it.

SnagError
├── ConfigError        settings or files are wrong; the process stops at start
├── InputError         what a person typed cannot be used as it is
│   └── UsageError     a command or filter was not understood
├── PermissionDenied   the person's role does not allow this
├── NotFound           a report or pattern does not exist (in this tenant)
└── StoreUnavailable   the database cannot be reached right now
"""

from __future__ import annotations

__all__ = [
    "SnagError",
    "ConfigError",
    "InputError",
    "UsageError",
    "PermissionDenied",
    "NotFound",
    "StoreUnavailable",
]


class SnagError(Exception):
    code = "snag_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SnagError):
    code = "config"


class InputError(SnagError):
    code = "input"


class UsageError(InputError):
    code = "usage"


class PermissionDenied(SnagError):
    code = "permission"


class NotFound(SnagError):
    code = "not_found"


class StoreUnavailable(SnagError):
    code = "store_unavailable"
