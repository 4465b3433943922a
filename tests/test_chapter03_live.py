"""Chapter 03's live view: execute the notebook and check what the live display shows at the end.

The live-view cell redraws one display in place as tokens arrive (`update_display_data`),
so nbval cannot compare it (the cell is tagged `nbval-ignore-output`). Here the whole
chapter runs in a fresh kernel on the unpaced course model; nbclient applies every
update to the cell's display, and the test reads the final state.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

CHAPTER = Path(__file__).resolve().parent.parent / "chapters" / "03-queue-streamed-agent.ipynb"
LIVE_VIEW_TAG = "live-view"
CELL_TIMEOUT = 60  # seconds

# Appended after the chapter, as a learner would use the simple chat widget after Run All:
# type a question, click Send, wait (at most 20 s) until the view shows something and the turn's
# task has ended, then read the view. (Not every task runs a coroutine: LangGraph's streams run
# `__anext__()` awaitables, which have no `__name__`.)
AFTER_RUN_ALL = """
box.value = "What is 10 + 10?"
send.click()
for _ in range(400):
    await asyncio.sleep(0.05)
    running = [task for task in asyncio.all_tasks() if getattr(task.get_coro(), "__name__", "") == "answer"]
    if view.value and not running:
        break
print(view.value)
"""

FINAL_VIEW = "\n".join([
    '- `add` {"x":2,"y":3}',
    '- `add` {"x":4,"y":5}',
    '- `multiply` {"x":5.0,"y":9.0}',
    "",
    "> **Answer:** (2 + 3) × (4 + 5) is 45.",
    "",
    "*3 model calls · tools used: add, multiply*",
])


class CountingClient(NotebookClient):
    """A notebook client that also counts the display updates each cell sends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.updates: Counter[int] = Counter()

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "update_display_data":
            self.updates[cell_index] += 1
        return super().process_message(msg, cell, cell_index)


@pytest.fixture(scope="module")
def executed():
    """The chapter executed top to bottom on the course model, no pacing, no API key: (notebook, client)."""
    with pytest.MonkeyPatch.context() as environment:
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
            environment.delenv(name, raising=False)
        environment.setenv("COURSE_MODEL_DELAY", "0")
        notebook = nbformat.read(CHAPTER, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(AFTER_RUN_ALL))
        client = CountingClient(
            notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
            resources={"metadata": {"path": str(CHAPTER.parent)}},
        )
        client.execute()
    return notebook, client


def live_view_index(notebook) -> int:
    indexes = [i for i, cell in enumerate(notebook.cells) if LIVE_VIEW_TAG in cell.metadata.get("tags", [])]
    assert len(indexes) == 1, f"expected one cell tagged {LIVE_VIEW_TAG!r}, found {len(indexes)}"
    assert "nbval-ignore-output" in notebook.cells[indexes[0]].metadata["tags"]
    return indexes[0]


def test_the_live_view_ends_with_the_tool_steps_and_the_answer(executed):
    notebook, _ = executed
    outputs = notebook.cells[live_view_index(notebook)].outputs
    assert [output.output_type for output in outputs] == ["display_data"], "one display, and nothing else"
    assert outputs[0].data["text/markdown"] == FINAL_VIEW


def test_the_live_view_is_redrawn_as_tokens_arrive(executed):
    notebook, client = executed
    # One redraw per streamed piece of text: tool names, argument fragments, answer words, then the summary.
    assert client.updates[live_view_index(notebook)] > 20


def test_the_simple_chat_widget_still_answers_after_run_all(executed):
    """No later cell breaks the widget's `executor` (chapter 03's fault demonstrations use names of their own)."""
    notebook, _ = executed
    view = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    assert "Answer: 10 + 10 is 20.</pre>" in view, view


def test_the_chapter_runs_without_errors_or_stderr(executed):
    notebook, _ = executed
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index}: {output.ename}: {output.evalue}"
            assert not (output.output_type == "stream" and output.name == "stderr"), f"cell {index}: {output.text}"
