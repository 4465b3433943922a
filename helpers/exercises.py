"""Checks for the exercises at the end of a chapter. First used in chapter 06.

An exercise is two cells. The **starter** (tagged `exercise-starter`, with the
exercise's name in the cell metadata under `"exercise"`) is code the learner
completes; the **check** (tagged `exercise-check`, same name) runs it and says what
is wrong, specifically:

    with check("Exercise 1 · rebuild the tool calls") as c:
        calls = await tool_calls_of(agent, "What is 10 + 10?")
        c.expect(calls is not None, "tool_calls_of returned None: did you forget `return calls`?")
        ...

A check never raises on a learner's mistake: it prints `Not yet: <what is wrong>`
(or `Solved: <name>`), so an unsolved notebook still runs top to bottom and its
committed outputs stay stable for nbval. Why a context manager: the check's own
code (often `await`s on the learner's code) stays in plain sight in the cell,
and any exception it raises, a `NotImplementedError` from an untouched starter
included, becomes a "Not yet" line instead of a traceback.

Solutions live outside the chapters, in `helpers/solutions/<chapter>.py`, one section
per exercise, each starting with a line `# %% exercise: <name>`. They ship inside the
package, so `show_solution(name)` prints one from every door: a local clone, Binder,
and Colab, which installs the package from git and has no copy of the repository.
`tests/test_exercises.py` proves every check both ways: the starters as committed and
wrong-but-plausible solutions print their "Not yet" messages, and with the solutions
substituted every check prints "Solved". The checks themselves are in `helpers/checks/`.
"""

from __future__ import annotations

import re
from importlib import resources
from types import TracebackType

SOLVED = "Solved"
NOT_YET = "Not yet"


class NotYet(Exception):
    """A check found something to fix; its message says what."""


class check:
    """`with check(name) as c:` run an exercise's checks; print the first problem, or that it is solved."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> check:
        return self

    def expect(self, condition: object, problem: str) -> None:
        """Stop the check with `problem` as the message unless `condition` holds."""
        if not condition:
            raise NotYet(problem)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        if error is None:
            print(f"{SOLVED}: {self.name}.")
            return False
        if isinstance(error, NotYet):
            print(f"{NOT_YET}: {error}")
        elif isinstance(error, NotImplementedError):
            print(f"{NOT_YET}: the starter is not filled in yet ({error or 'NotImplementedError'}).")
        elif isinstance(error, Exception):
            print(f"{NOT_YET}: your code raised {type(error).__name__}: {error}")
        else:
            return False  # KeyboardInterrupt, cancellation: not a learner's mistake, let it through
        return True  # reported: the notebook goes on


_SECTION = re.compile(r"^# %% exercise: (?P<name>\S+)[ \t]*$", re.M)


def solutions() -> dict[str, str]:
    """Every exercise's official solution, by the exercise's name (unique across the chapters)."""
    found: dict[str, str] = {}
    for path in sorted(resources.files("helpers").joinpath("solutions").iterdir(), key=lambda path: path.name):
        if not path.name.endswith(".py"):
            continue
        text = path.read_text(encoding="utf-8")
        marks = list(_SECTION.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            found[mark["name"]] = text[mark.end():end].strip()
    return found


def show_solution(name: str) -> None:
    """Print the official solution of the exercise `name` (the name its check prints, e.g. "timed-tokens").

    Try the exercise first: the check's message says what to fix, and reading a
    solution teaches less than writing one. An unknown name lists the known ones.
    """
    known = solutions()
    key = name.strip().lower()
    if key not in known:
        print(f"No exercise is called {name!r}. The exercises are: {', '.join(sorted(known))}.")
        return
    print(known[key])
