"""Re-execute chapters top to bottom on the course model and write their outputs in place.

The committed outputs are what nbval compares against in `make test`, so they
must come from a clean run on the deterministic course model: no API key, no
pacing delay, a fresh kernel per chapter. Running this twice changes nothing.

    python tools/execute_chapters.py                  # every chapter
    python tools/execute_chapters.py chapters/01-*.ipynb
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from stamp_chapters import KERNELSPEC  # this folder: `python tools/execute_chapters.py` puts it on sys.path

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 60  # seconds; a cell that takes longer is a bug, not a slow machine


def course_model_env() -> None:
    """Make the kernels use the offline course model, unpaced, whatever this shell has set."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        os.environ.pop(name, None)
    os.environ["COURSE_MODEL_DELAY"] = "0"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def check_kernelspec() -> None:
    """Stop if the installed `python3` kernel is not the one `KERNELSPEC` describes (JupyterLab would rewrite it)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(KERNELSPEC["name"])
    installed = {"display_name": spec.display_name, "language": spec.language, "name": KERNELSPEC["name"]}
    if installed != KERNELSPEC:
        raise SystemExit(f"the python3 kernel here is {installed}; update KERNELSPEC in tools/stamp_chapters.py")


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
        coalesce_streams=True,  # `print(..., flush=True)` splits differently each run; merge for stable files
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - started
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            # A widget lives only in its kernel: keep its text form, not a per-run model id that no saved
            # state backs (JupyterLab would show "model not found" for it).
            output.get("data", {}).pop(WIDGET_VIEW, None)
    notebook.metadata.pop("widgets", None)  # widget state is per-session noise
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)  # what JupyterLab writes: opening it changes nothing
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters to execute (default: all)")
    args = parser.parse_args(argv)
    course_model_env()
    check_kernelspec()
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.relative_to(ROOT) if path.is_absolute() else path} ...", end=" ", flush=True)
        print(f"{execute(path):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
