"""Clock times in a question, and the parameters they fit: "Wake me up at 6:45" is hour 6, minute 45.

People write a time of day as "6:45", "7pm", "7:30 am", "14:30", or "at 7"; tools
take it as one string (`time`, `when`, `wake_time`, `bedtime`) or split into
integers (`hour` and `minute`, `hours` and `minutes`). A real model sees at once
that "6:45" fills both halves of a `set_alarm(hour, minute)`. The course model:

- `said_times`: every clock time the question writes, as hour (0-23), minute and
  where it stands ("7pm" is 19:00; "at 7" is 7:00, only after "at" so "7 apples"
  is no time);
- `clock_part`: whether an integer parameter is a clock's hour or minute, by its
  name (`hour`, `hours`, `hh`, `alarm_hour`; `minute`, `min`, `mm`), and not a
  duration (`duration_minutes`, `minutes_long`: "for 20 minutes" measures time,
  it does not tell it);
- `is_time_field`: whether a string parameter wants a time of day (`time`, `when`,
  `bedtime`, `wake_time`, `format: time`).

Choosing a tool counts a clock time as a value the question gives for such a
parameter (`brain/tool_choosing.py`); filling one takes its hour or minute
(`arguments.py`). Work is linear in the question's length. Used by the course
model behind chapter 02 (tools).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .schemas import type_of, words_of

MAX_TEXT = 20_000  # characters of a question searched for clock times
MAX_TIMES = 64  # clock times one question is read for

_CLOCK = re.compile(
    r"(?<![\w:.])(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s?(?P<half>[ap])\.?m\.?(?!\w)"  # 7pm, 7:30 am
    r"|(?<![\w:.])(?P<hour24>\d{1,2}):(?P<minute24>\d{2})(?![\w:])"  # 6:45, 14:30
    r"|\bat\s+(?P<bare>\d{1,2})(?![\w:.,]\d|[\w%°])",  # at 7 (not "at 7.5", "at 7%")
    re.IGNORECASE,
)
_HOUR_WORDS = frozenset({"hour", "hours", "hh", "hr"})
_MINUTE_WORDS = frozenset({"minute", "minutes", "min", "mins", "mm"})
# Words that make a number of hours or minutes a length of time, not a time of day.
_DURATION_WORDS = frozenset({"duration", "long", "length", "lasting", "timeout", "delay", "interval",
                             "elapsed", "total", "spent", "per", "every", "each", "remaining", "left"})
_TIME_FIELD_WORDS = frozenset({"time", "when", "bedtime", "clock", "at", "alarm", "wake", "wakeup", "oclock"})
_TIME_FIELD_ENDINGS = ("time",)  # "bedtime", "waketime", "start_time"
_NOT_A_TIME_OF_DAY = frozenset({"timezone", "timestamp", "times", "timeout", "zone"})


@dataclass(frozen=True)
class ClockTime:
    """A time of day the question writes: 19:05 from "7:05 pm", and where it stands."""

    hour: int
    minute: int
    start: int
    end: int


def said_times(text: str) -> tuple[ClockTime, ...]:
    """Every clock time in `text`, in order: "Bed at 22:30, up at 6:30" → 22:30, 6:30 (at most `MAX_TIMES`)."""
    return _said_times(text[:MAX_TEXT])


@lru_cache(maxsize=16)
def _said_times(text: str) -> tuple[ClockTime, ...]:
    """`said_times`, read once per question however many nested objects ask for a clock's hour."""
    found: list[ClockTime] = []
    for match in _CLOCK.finditer(text):
        if match.group("half"):
            hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if match.group("half").lower() == "p" else 0)
        elif match.group("hour24"):
            hour, minute = int(match.group("hour24")), int(match.group("minute24"))
        else:
            hour, minute = int(match.group("bare")), 0
        if hour > 23 or minute > 59:
            continue
        start = match.start("bare") if match.group("bare") else match.start()
        found.append(ClockTime(hour, minute, start, match.end()))
        if len(found) >= MAX_TIMES:
            break
    return tuple(found)


def clock_part(name: str, schema: dict[str, Any]) -> str | None:
    """"hour" or "minute" when an integer parameter is that part of a time of day, else None."""
    if type_of(schema) not in ("integer", "number"):
        return None
    words = set(words_of(name)) | set(words_of(str(schema.get("description") or "")[:200]))
    if words & _DURATION_WORDS:
        return None
    own = set(words_of(name))
    if own & _HOUR_WORDS:
        return "hour"
    if own & _MINUTE_WORDS:
        return "minute"
    return None


def is_time_field(name: str, schema: dict[str, Any]) -> bool:
    """Whether a string parameter wants a time of day: `time`, `when`, `bedtime`, `wake_time`, format "time"."""
    if type_of(schema) != "string" or "enum" in schema:
        return False
    if schema.get("format") == "time":
        return True
    words = set(words_of(name))
    if words & _NOT_A_TIME_OF_DAY:
        return False
    return bool(words & _TIME_FIELD_WORDS) or any(word.endswith(_TIME_FIELD_ENDINGS) for word in words)


def fits(parameters: list[tuple[str, dict[str, Any]]]) -> int:
    """How many of these parameters a clock time fills: hour and minute count once together, each time field once."""
    parts = {clock_part(name, schema) for name, schema in parameters} - {None}
    fields = sum(1 for name, schema in parameters if is_time_field(name, schema))
    return (1 if "hour" in parts else 0) + fields
