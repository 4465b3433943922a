"""How long the whole chapter suite takes to execute: the issue's budget is 60 s on 2 cores.

Each chapter runs top to bottom in a fresh kernel, on the course model with no
pacing, exactly as `tools/execute_chapters.py` does, but nothing is written
back: this only times them. Chapters are still being written, so any number of
them (none included) is fine, and a chapter that fails is reported, not fatal.
"""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 60  # seconds, as in tools/execute_chapters.py
_CLEARED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")


@dataclass(frozen=True)
class ChapterTime:
    name: str
    seconds: float
    error: str | None = None  # why it failed, if it did


@contextmanager
def course_model_env() -> Iterator[None]:
    """The kernels inherit this environment: the offline course model, unpaced; restored afterwards."""
    with mock.patch.dict(os.environ, COURSE_MODEL_DELAY="0"):
        for name in _CLEARED:
            os.environ.pop(name, None)
        yield


def chapter_paths(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def time_chapter(path: Path) -> ChapterTime:
    """Execute one chapter in a fresh kernel; the time includes starting and stopping the kernel."""
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    try:
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute(
                           stderr=subprocess.DEVNULL)  # the kernel's start-up warnings are not ours to print
        error = None
    except Exception as failure:  # a chapter in progress may fail: report it, keep timing the rest
        error = f"{type(failure).__name__}: {str(failure).strip().splitlines()[-1] if str(failure).strip() else ''}"
    return ChapterTime(path.name, time.perf_counter() - started, error)


def time_suite(paths: list[Path] | None = None) -> list[ChapterTime]:
    """Every chapter, one after another, as a learner's `make outputs` would run them."""
    with course_model_env():
        return [time_chapter(path) for path in (chapter_paths() if paths is None else paths)]
