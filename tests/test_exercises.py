"""Every exercise's check tells right from wrong (see `helpers/exercises.py` and `helpers/checks/`).

For each chapter with `exercise-starter` cells, one kernel runs the chapter as
committed and then, after it, each exercise again with other code in place of its
starter, followed by a fresh copy of its check cell:

- the starter as committed: its check prints its own "Not yet" message;
- every wrong-but-plausible solution in `tests/exercise_mistakes/<chapter>.py`:
  its check prints "Not yet", and the message names the mistake (each section
  says which words it must contain);
- the official solution in `helpers/solutions/<chapter>.py`: its check prints "Solved".

Mistake files have one section per wrong solution:

    # %% mistake: <exercise> | <words the Not yet message must contain>
    <the code, in place of the starter>

One kernel per chapter keeps the suite fast: the chapter's own cells run once.
Every run is on the offline course model at zero delay.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.exercises import NOT_YET, SOLVED

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"^# %% exercise: (?P<name>\S+)[ \t]*$", re.M)
MISTAKE = re.compile(r"^# %% mistake: (?P<name>\S+)[ \t]*\|[ \t]*(?P<says>.+?)[ \t]*$", re.M)
MISTAKES_PER_EXERCISE = 2  # at least: the issue asks for two wrong-but-plausible solutions per exercise


def exercise_cells(notebook, tag: str) -> dict[str, nbformat.NotebookNode]:
    """The cells tagged `tag`, by the exercise name in their metadata."""
    return {cell.metadata["exercise"]: cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])}


def chapters_with_exercises() -> list[Path]:
    return [path for path in sorted((ROOT / "chapters").glob("*.ipynb"))
            if exercise_cells(nbformat.read(path, as_version=4), "exercise-starter")]


def sections(path: Path, mark: re.Pattern) -> list[tuple[re.Match, str]]:
    """The sections of `path` that start with a line matching `mark`, each with its code."""
    text = path.read_text() if path.exists() else ""
    marks = list(mark.finditer(text))
    return [(found, text[found.end():(marks[i + 1].start() if i + 1 < len(marks) else len(text))].strip())
            for i, found in enumerate(marks)]


def solutions_for(chapter: Path) -> dict[str, str]:
    """`helpers/solutions/<chapter>.py`, split into its `# %% exercise: <name>` sections."""
    return {found["name"]: code
            for found, code in sections(ROOT / "helpers" / "solutions" / f"{chapter.stem}.py", SOLUTION)}


@dataclass(frozen=True)
class Mistake:
    exercise: str
    says: str  # words the check's "Not yet" message must contain
    code: str


def mistakes_for(chapter: Path) -> list[Mistake]:
    """`tests/exercise_mistakes/<chapter>.py`, split into its `# %% mistake: <name> | <says>` sections."""
    path = Path(__file__).parent / "exercise_mistakes" / f"{chapter.stem}.py"
    return [Mistake(found["name"], found["says"], code) for found, code in sections(path, MISTAKE)]


def printed(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


@dataclass
class Verdicts:
    """What each check printed: for the committed starters, each mistake and each solution."""

    starters: dict[str, str]
    mistakes: list[tuple[Mistake, str]]
    solutions: dict[str, str]


@functools.cache
def verdicts(chapter: Path) -> Verdicts:
    """Run `chapter` as committed, then every mistake and every solution, each followed by its check."""
    notebook = nbformat.read(chapter, as_version=4)
    checks = exercise_cells(notebook, "exercise-check")
    extra: list[tuple[str, object, nbformat.NotebookNode]] = []  # (kind, what, its check cell)
    for mistake in mistakes_for(chapter):
        extra.append(("mistake", mistake, nbformat.v4.new_code_cell(mistake.code)))
    for name, code in solutions_for(chapter).items():
        extra.append(("solution", name, nbformat.v4.new_code_cell(code)))
    appended = []
    for kind, what, code_cell in extra:
        name = what.exercise if kind == "mistake" else what
        check_cell = nbformat.v4.new_code_cell(checks[name].source)
        notebook.cells += [code_cell, check_cell]
        appended.append((kind, what, check_cell))
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY"):
        os.environ.pop(variable, None)
    os.environ["COURSE_MODEL_DELAY"] = "0"
    NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
    return Verdicts(
        starters={name: printed(cell) for name, cell in checks.items()},
        mistakes=[(what, printed(cell)) for kind, what, cell in appended if kind == "mistake"],
        solutions={what: printed(cell) for kind, what, cell in appended if kind == "solution"},
    )


CHAPTERS = chapters_with_exercises()
def chapter_ids(path: Path) -> str:
    return path.stem


def test_some_chapter_has_exercises():
    assert CHAPTERS, "no chapter has cells tagged exercise-starter"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_ids)
def test_every_starter_has_a_check_a_solution_and_mistakes(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    starters = set(exercise_cells(notebook, "exercise-starter"))
    assert set(exercise_cells(notebook, "exercise-check")) == starters
    assert set(solutions_for(chapter)) == starters
    mistakes = [mistake.exercise for mistake in mistakes_for(chapter)]
    assert set(mistakes) <= starters, f"mistakes for exercises the chapter lacks: {set(mistakes) - starters}"
    for name in sorted(starters):
        assert mistakes.count(name) >= MISTAKES_PER_EXERCISE, (
            f"exercise {name!r} has {mistakes.count(name)} wrong solutions in tests/exercise_mistakes/; "
            f"at least {MISTAKES_PER_EXERCISE} are needed")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_ids)
def test_unsolved_starters_get_their_helpful_message(chapter):
    for name, said in verdicts(chapter).starters.items():
        assert said.startswith(f"{NOT_YET}: "), f"exercise {name!r}: the unsolved check printed {said!r}"
        assert SOLVED not in said
        assert "starter is not filled in" not in said, f"exercise {name!r}: say what is missing, specifically"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_ids)
def test_wrong_solutions_are_told_what_is_wrong(chapter):
    results = verdicts(chapter).mistakes
    assert results, f"no wrong solutions for {chapter.stem} in tests/exercise_mistakes/"
    wrong = [f"{mistake.exercise} (expected {mistake.says!r}): {said!r}" for mistake, said in results
             if not (said.startswith(f"{NOT_YET}: ") and mistake.says.lower() in said.lower()
                     and "Traceback" not in said)]
    assert not wrong, "checks that missed a mistake or named it wrongly:\n" + "\n".join(wrong)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_ids)
def test_solutions_pass_every_check(chapter):
    outputs = verdicts(chapter).solutions
    assert outputs and all(said.startswith(f"{SOLVED}: ") for said in outputs.values()), json.dumps(outputs, indent=1)


def test_show_solution_prints_every_official_solution(capsys):
    from helpers.exercises import show_solution

    everywhere = {}
    for chapter in CHAPTERS:
        for name, code in solutions_for(chapter).items():
            assert name not in everywhere, f"two chapters have an exercise called {name!r}; show_solution needs one"
            everywhere[name] = code
    for name, code in everywhere.items():
        show_solution(name)
        assert capsys.readouterr().out.strip() == code
    show_solution("no-such-exercise")
    said = capsys.readouterr().out
    assert "No exercise is called 'no-such-exercise'" in said and all(name in said for name in everywhere)


def test_the_solutions_ship_in_the_package(tmp_path):
    """Colab installs the package from git, with no clone beside it: the wheel must carry the solutions."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(tmp_path), str(ROOT)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("helpers/solutions/")}
    assert shipped == {f"helpers/solutions/{chapter.stem}.py" for chapter in CHAPTERS}
