"""How long each exercise check takes, on the starter and on the official solution (target: under 3 s each).

Each chapter runs once in a fresh kernel, as committed, with every official
solution (`helpers.exercises.solutions()`) and a fresh copy of its check cell
appended, as `tests/test_exercises.py` runs them; nbclient records when each cell
started and finished. A check is a test of the learner that runs their code on
input of its own, so it must stay quick enough to run after every attempt.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks.chapters import CELL_TIMEOUT, chapter_paths, course_model_env

TARGET_S = 3.0
LEARNERS_DELAY = "0.02"  # seconds per token: the course model's pace when a learner runs a chapter


@dataclass(frozen=True)
class CheckTime:
    chapter: str
    exercise: str
    starter_s: float
    solution_s: float


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    started, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (started and ended):
        return float("nan")
    return (datetime.fromisoformat(ended.replace("Z", "+00:00"))
            - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()


def time_checks(path: Path) -> list[CheckTime]:
    """The check cells of one chapter, timed on its starters and on its solutions."""
    import nbformat
    from nbclient import NotebookClient

    from helpers.exercises import solutions

    notebook = nbformat.read(path, as_version=4)
    checks = {cell.metadata["exercise"]: cell for cell in notebook.cells
              if "exercise-check" in cell.metadata.get("tags", [])}
    known = solutions()
    solved = {}
    for name, check_cell in checks.items():
        solved[name] = nbformat.v4.new_code_cell(check_cell.source)
        notebook.cells += [nbformat.v4.new_code_cell(known[name]), solved[name]]
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=True, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(stderr=subprocess.DEVNULL)
    return [CheckTime(path.stem, name, _seconds(checks[name]), _seconds(solved[name])) for name in checks]


def time_all(paths: list[Path] | None = None) -> list[CheckTime]:
    """Every chapter's checks, at the pace a learner's course model streams (checks that use it wait for it)."""
    with course_model_env():
        os.environ["COURSE_MODEL_DELAY"] = LEARNERS_DELAY  # course_model_env restores it afterwards
        return [row for path in (chapter_paths() if paths is None else paths) for row in time_checks(path)]


def render(rows: list[CheckTime]) -> str:
    slowest = max((max(row.starter_s, row.solution_s) for row in rows), default=0.0)
    lines = ["## Exercise checks (course model at a learner's pace, 20 ms a token)", "",
             f"Target: every check under {TARGET_S:g} s. Slowest: {slowest:.2f} s "
             f"({'met' if slowest < TARGET_S else 'NOT met'}).", "",
             "| chapter | exercise | on the starter (s) | on the solution (s) |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {row.chapter} | {row.exercise} | {row.starter_s:.2f} | {row.solution_s:.2f} |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(time_all()))
