"""Static checks on every chapter's committed notebook: what nbval does not look at.

nbval re-executes the chapters and compares outputs; these checks make sure the
committed files themselves are what a learner should see: executed in order,
free of errors, warnings and secrets, with badges that open the right chapter
and only `helpers` names that exist.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
from stamp_chapters import binder_url, colab_url, project  # noqa: E402

KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{16,}|lsv2_[A-Za-z0-9_]{16,}|(?i:api[_-]?key)\s*[=:]\s*['\"][^'\"]{12,}['\"]")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def code_cells(path: Path) -> list[dict]:
    return [cell for cell in cells(path) if cell["cell_type"] == "code"]


def test_there_are_chapters():
    assert [path.name[:2] for path in CHAPTERS][:3] == ["01", "02", "03"]


PROSE_WORDS = 2000  # a chapter is read in one sitting: say less, show more


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_prose_stays_short(path):
    """The markdown cells, the badges' cell included, hold fewer than PROSE_WORDS words (split on white space)."""
    words = sum(len("".join(cell["source"]).split()) for cell in cells(path) if cell["cell_type"] == "markdown")
    assert words < PROSE_WORDS, f"{path.name} has {words} words of prose; at most {PROSE_WORDS - 1}"


def test_the_learners_folder_holds_only_chapters():
    """`make lab` opens JupyterLab on chapters/: test configuration belongs in tests/, not beside the notebooks."""
    tracked = subprocess.run(["git", "ls-files", "chapters"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout.split(), "git lists no chapters"
    assert [name for name in tracked.stdout.split() if not name.endswith(".ipynb")] == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_executed_top_to_bottom_in_order(path):
    counts = [cell["execution_count"] for cell in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_errors_or_warnings_in_outputs(path):
    for index, cell in enumerate(code_cells(path)):
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"code cell {index + 1} has an error output"
            assert output.get("name") != "stderr", f"code cell {index + 1} wrote to stderr: {output.get('text')}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_widget_views_without_state(path):
    """A widget's view output names a per-run model that no saved state backs: re-executing would change the
    file every time, and JupyterLab would show "model not found". `make outputs` keeps the text form only."""
    views = [index for index, cell in enumerate(code_cells(path))
             for output in cell.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    assert views == [], f"code cells {views} keep a widget view; run `make outputs`"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_key_like_strings(path):
    assert not KEY_LIKE.search(path.read_text())


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_badges_open_this_chapter(path):
    slug, _ = project()
    relative = path.relative_to(ROOT).as_posix()
    first = "".join(cells(path)[0]["source"])
    assert colab_url(slug, relative) in first
    assert binder_url(slug, relative) in first


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    first = code_cells(path)[0]
    assert "course-setup" in first["metadata"].get("tags", [])
    printed = "".join("".join(output.get("text", "")) for output in first["outputs"])
    assert printed.startswith("Model backend: course model"), "outputs come from the course model"


def helpers_references(source: str) -> set[tuple[str, str | None]]:
    """(module, name) pairs for every `helpers` import and `helpers.x.y` attribute in `source`."""
    source = "\n".join(  # IPython magics are not Python: keep the indentation, drop the command
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )
    found: set[tuple[str, str | None]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
            found |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "helpers"}
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_helpers_name_used_exists(path):
    references = set()
    for cell in code_cells(path):
        references |= helpers_references("".join(cell["source"]))
    assert references, "a chapter uses the helpers package"
    for module_name, name in sorted(references, key=str):
        module = importlib.import_module(module_name)
        if name is not None:
            assert hasattr(module, name) or importlib.util.find_spec(f"{module_name}.{name}"), (
                f"{path.name} imports {name} from {module_name}, which has no such name"
            )


def test_badges_and_setup_cells_are_stamped():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "stamp_chapters.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_chapter_03_carries_its_timeline_figure():
    """The polling-versus-awaiting picture travels inside the notebook (tools/embed_figure.py)."""
    chapter = ROOT / "chapters" / "03-queue-streamed-agent.ipynb"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "embed_figure.py"), str(chapter),
                             "--tag", "polling-timeline", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
