"""One line of a JSONL file read as a JSON object, or the reason it cannot be."""

from __future__ import annotations

import json
import math


class _NotJSON(ValueError):
    """What Python's json reads but JSON is not: NaN, Infinity, a number beyond a float."""


def _no_constant(name: str) -> float:
    raise _NotJSON(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: JSON, but read as inf it would be written back as Infinity
        raise _NotJSON("a number too large to read")
    return value


def parse_object(line: str) -> tuple[dict | None, str | None]:
    """(object, None) for a line holding a JSON object, else (None, a problem fit to show the person)."""
    try:
        value = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    except _NotJSON as exc:
        return None, f"not valid JSON ({exc})"
    except ValueError:  # valid JSON Python will not read: an integer of more than 4,300 digits
        return None, "not valid JSON (a number too long to read)"
    except RecursionError:
        return None, "not valid JSON (nested too deeply to read)"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, None
