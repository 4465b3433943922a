"""Shared set-up for the environment tests: a clean clone of this repository and fresh virtual environments.

These tests prove that each door into the course opens: Binder, a Colab-like
stack, a machine with no network at all, and JupyterLab in a real browser. They
install packages from PyPI and take minutes, so they run with
`make test-environments` (CI runs it after `make test`), not with `make test`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import venv
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "build"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_TIMEOUT = 900  # seconds for one pip install of the whole stack
CHAPTER_TIMEOUT = 600  # seconds to execute every chapter


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def background_server(command: list[str], ready_url: str, log_path: Path, env: dict, cwd: Path | None = None,
                      startup_timeout: float = 60):
    """Start a server process, wait (bounded) until `ready_url` answers, and stop it afterwards."""
    log = open(log_path, "w")
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"{' '.join(command[:3])} did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def run(command: list[str], cwd: Path | None = None, timeout: float = INSTALL_TIMEOUT, env: dict | None = None):
    """Run a command, failing the test with its output if it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


DATA_HOME = tempfile.mkdtemp(prefix="course-data-")  # see course_model_env


def course_model_env() -> dict[str, str]:
    """The environment for executing chapters: the course model, unpaced, no keys."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "LANGSMITH_API_KEY", "VIRTUAL_ENV"}}
    env["COURSE_MODEL_DELAY"] = "0"
    # `python -m helpers.web_app` keeps conversations in the user's data folder by default: under the
    # tests that is a folder of their own, never the home of whoever runs them.
    env["XDG_DATA_HOME"] = DATA_HOME
    return env


@pytest.fixture(scope="session")
def clone(tmp_path_factory) -> Path:
    """A clean clone of the committed repository (what Binder and Colab see), not the working tree."""
    target = tmp_path_factory.mktemp("clone") / "course"
    run(["git", "clone", "--quiet", str(ROOT), str(target)])
    return target


def make_venv(path: Path, base_python: Path | None = None) -> Path:
    """A fresh virtual environment with an up-to-date pip (on `base_python` if given); returns its python."""
    if base_python is None:
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
    else:
        run([str(base_python), "-m", "venv", "--clear", str(path)])
    python = path / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    return python


def install_test_runner(python: Path) -> None:
    """Put pytest and nbval, at the versions requirements-dev.txt pins, into an environment a learner would have.

    Learners' environments (Binder's, Colab's) do not carry the test tools; the checks add just these two
    to execute the chapters there.
    """
    pins = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.strip().startswith(("pytest==", "nbval=="))]
    assert len(pins) == 2, f"requirements-dev.txt should pin pytest and nbval, found {pins}"
    run([str(python), "-m", "pip", "install", "--quiet", *pins])


def nbval(python: Path, chapters: Path, sanitize: Path, cwd: Path, env: dict | None = None,
          prefix: list[str] | None = None):
    """Execute every chapter with `python`'s own kernel and compare outputs with the committed ones."""
    command = [*(prefix or []), str(python), "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
               "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(sanitize),
               "--nbval-cell-timeout", "120", "-q", str(chapters)]
    return run(command, cwd=cwd, timeout=CHAPTER_TIMEOUT, env=env or course_model_env())


def chapter_paths(root: Path) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


