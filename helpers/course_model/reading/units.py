"""Units after numbers, and what they measure: "21 degrees" is a temperature, so it suits a `celsius` parameter.

People give a measure with its unit ("Make the bedroom 21 degrees", "Put 40
liters in", "80 g"); tools name the parameter after the unit or the quantity
(`celsius`, `litres`, `grams`, `temperature_c`, `distance_km`). A real model
sees at once that degrees are a temperature and that `celsius` wants one. The
course model keeps a small table of common units by what they measure
(temperature, length, weight, volume, duration, speed), and:

- `said_measures`: what the units right after the question's numbers measure
  ("21 degrees" → temperature), for choosing a tool (`brain/tool_choosing.py`);
- `measure_of`: what a number parameter measures, by its name or its
  description (`celsius`, "the temperature in Celsius" → temperature);
- `number_before_unit`: where a number with a unit of that measure stands, so
  `celsius` takes 21 and `minutes` takes 5 in "21 degrees in 5 min";
- `unit_after_number`: the unit itself, for a `unit` field ("2 kg of apples").

Work is linear in the question's length. Used by the course model behind
chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re

from .schemas import words_of

MAX_TEXT = 20_000  # characters of a question searched for units

# Each measure: its own names, then its units (singular and plural spellings, abbreviations).
_MEASURES: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature", "temp", "degree", "degrees", "celsius", "centigrade", "fahrenheit", "kelvin",
                    "°", "°c", "°f", "c", "f"),
    "length": ("length", "distance", "height", "width", "km", "kilometer", "kilometers", "kilometre", "kilometres",
               "mile", "miles", "mi", "meter", "meters", "metre", "metres", "m", "cm", "centimeter",
               "centimeters", "mm", "foot", "feet", "ft", "inch", "inches", "yard", "yards", "yd"),
    "weight": ("weight", "mass", "kg", "kilo", "kilos", "kilogram", "kilograms", "g", "gram", "grams", "lb", "lbs",
               "ounce", "ounces", "oz", "ton", "tons", "tonne", "tonnes"),
    "volume": ("volume", "capacity", "liter", "liters", "litre", "litres", "l", "ml", "milliliter", "milliliters",
               "millilitre", "millilitres", "gallon", "gallons", "gal"),
    "duration": ("duration", "seconds", "second", "sec", "secs", "minute", "minutes", "min", "mins", "hour",
                 "hours", "hr", "hrs", "h", "day", "days", "week", "weeks"),
    "speed": ("speed", "mph", "kph", "kmh"),
}
# One-letter units and the degree sign count only right after a number ("21 c"), never as words of a name.
_ONLY_AFTER_NUMBERS = frozenset(word for units in _MEASURES.values() for word in units if len(word) == 1
                                or word.startswith("°"))
_MEASURE_OF: dict[str, str] = {unit: measure for measure, units in _MEASURES.items() for unit in units}
_NUMBER_UNIT = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(°[cf]?|[a-z]+)(?![a-z])", re.IGNORECASE)
_MAX_DESCRIPTION = 500  # characters of a parameter's description read for its measure


def said_measures(text: str) -> set[str]:
    """What the units right after the question's numbers measure: "Make it 21 degrees" → {"temperature"}."""
    return {measure for _, measure in _units_after_numbers(text)}


def _units_after_numbers(text: str) -> list[tuple[int, str]]:
    """(where the number starts, what its unit measures), in order."""
    found = []
    for match in _NUMBER_UNIT.finditer(text[:MAX_TEXT]):
        measure = _MEASURE_OF.get(match.group(1).lower())
        if measure is not None:
            found.append((match.start(), measure))
    return found


def is_unit(word: str) -> bool:
    """Whether a word is a unit of measure ("kg", "degrees", "liters")."""
    return word.lower() in _MEASURE_OF and word.lower() not in _MEASURES


def measure_of(name: str, description: str = "") -> str | None:
    """What a number parameter measures, by a word of its name, else of its description (None: no unit)."""
    for words in (words_of(name), words_of(description[:_MAX_DESCRIPTION])):
        for word in words:
            if word not in _ONLY_AFTER_NUMBERS and word in _MEASURE_OF:
                return _MEASURE_OF[word]
    return None


def unit_after_number(text: str) -> tuple[str, int, int] | None:
    """The first unit written right after a number, and where it stands: "Add 2 kg of apples" → "kg"."""
    for match in _NUMBER_UNIT.finditer(text[:MAX_TEXT]):
        if match.group(1).lower() in _MEASURE_OF:
            return match.group(1), match.start(1), match.end(1)
    return None


def number_before_unit(text: str, measure: str) -> int | None:
    """Where the first number followed by a unit of `measure` starts ("21 degrees" for a temperature)."""
    return next((start for start, found in _units_after_numbers(text) if found == measure), None)
