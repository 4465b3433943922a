"""Every chapter's exercises work in both directions (see `helpers/exercises.py`).

For each chapter with `exercise-starter` cells: executed as committed, every check
cell prints its "Not yet" message (and nothing says "Solved"); executed with the
sections of `solutions/<chapter>.py` substituted for the starters, every check
prints "Solved". Both runs use the offline course model at zero delay.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.exercises import NOT_YET, SOLVED

ROOT = Path(__file__).resolve().parent.parent
SECTION = re.compile(r"^# %% exercise: (?P<name>\S+)[ \t]*$", re.M)


def exercise_cells(notebook, tag: str) -> dict[str, nbformat.NotebookNode]:
    """The cells tagged `tag`, by the exercise name in their metadata."""
    return {cell.metadata["exercise"]: cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])}


def chapters_with_exercises() -> list[Path]:
    return [path for path in sorted((ROOT / "chapters").glob("*.ipynb"))
            if exercise_cells(nbformat.read(path, as_version=4), "exercise-starter")]


def solutions_for(chapter: Path) -> dict[str, str]:
    """`solutions/<chapter>.py`, split into its `# %% exercise: <name>` sections."""
    text = (ROOT / "solutions" / f"{chapter.stem}.py").read_text()
    marks = list(SECTION.finditer(text))
    return {mark["name"]: text[mark.end():(marks[i + 1].start() if i + 1 < len(marks) else len(text))].strip()
            for i, mark in enumerate(marks)}


def execute(notebook) -> None:
    """Run `notebook` in a fresh kernel on the course model (the chapters' own folder as cwd)."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY"):
        os.environ.pop(name, None)
    os.environ["COURSE_MODEL_DELAY"] = "0"
    NotebookClient(notebook, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()


def check_outputs(notebook) -> dict[str, str]:
    """What each exercise's check cell printed."""
    return {name: "".join(output.get("text", "") for output in cell.outputs)
            for name, cell in exercise_cells(notebook, "exercise-check").items()}


CHAPTERS = chapters_with_exercises()


def test_some_chapter_has_exercises():
    assert CHAPTERS, "no chapter has cells tagged exercise-starter"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_starter_has_a_check_and_a_solution(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    starters = exercise_cells(notebook, "exercise-starter")
    assert set(exercise_cells(notebook, "exercise-check")) == set(starters)
    assert set(solutions_for(chapter)) == set(starters)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_unsolved_starters_get_their_helpful_message(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    execute(notebook)
    for name, printed in check_outputs(notebook).items():
        assert printed.startswith(f"{NOT_YET}: "), f"exercise {name!r}: the unsolved check printed {printed!r}"
        assert SOLVED not in printed
        assert "starter is not filled in" not in printed, f"exercise {name!r}: say what is missing, specifically"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_solutions_pass_every_check(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    solutions = solutions_for(chapter)
    for name, cell in exercise_cells(notebook, "exercise-starter").items():
        cell.source = solutions[name]
    execute(notebook)
    outputs = check_outputs(notebook)
    assert outputs and all(printed.startswith(f"{SOLVED}: ") for printed in outputs.values()), json.dumps(outputs, indent=1)
