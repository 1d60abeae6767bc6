"""One line of a JSONL file read as a JSON object, or the reason it cannot be."""

from __future__ import annotations

import json


def parse_object(line: str) -> tuple[dict | None, str | None]:
    """(object, None) for a line holding a JSON object, else (None, a problem fit to show the person)."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    except ValueError:  # valid JSON Python will not read: an integer of more than 4,300 digits
        return None, "not valid JSON (a number too long to read)"
    except RecursionError:
        return None, "not valid JSON (nested too deeply to read)"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, None
