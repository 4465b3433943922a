"""Colab as it really is: Python 3.13, Colab's own preinstalled packages, the set-up cell, every chapter.

A Colab runtime is not a bare interpreter. Its published package list
(environments/colab/pip-freeze.txt, copied from Colab's own `pip freeze`) already
holds IPython 7.34, ipykernel 6.17, ipywidgets 7.7.1, openai, fastapi, langchain,
langchain-core, langgraph and langsmith, and that is what the chapters' set-up
cell meets. So this check:

1. builds a fresh venv on Python 3.13 (found with pyenv or on PATH; if there is
   none it fails and says how to get one, it never falls back to another Python);
2. installs, pinned to Colab's versions, the packages the course touches and all
   they pull in: the roots are the packages of the course's dependency tree that
   Colab has, the notebook stack, Colab's pip, and nbval/pytest to execute the
   chapters; every package the resolver brings in is pinned by the same list
   (environments/colab/README.md);
3. runs the set-up cell's own `%pip install` line, taken from the stamped cell
   with only the GitHub URL swapped for a `git+file://` URL of a clean clone;
4. reports which preinstalled packages that upgraded (fewer is better) and checks
   `pip check` is clean and the notebook stack was left alone;
5. executes every chapter with nbval, away from the repository, so `helpers` can
   only come from that install.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, SCREENSHOTS, chapter_paths, make_venv, nbval, run

COLAB = ROOT / "environments" / "colab"
FREEZE = COLAB / "pip-freeze.txt"
COLAB_PYTHON = (3, 13)
# The notebook stack the kernel runs on (the set-up cell must not touch it), and what executes the chapters.
NOTEBOOK_STACK = ["ipython", "ipykernel", "ipywidgets", "jupyter-client", "nbformat", "nbclient", "traitlets"]
TEST_TOOLS = ["pytest", "nbval"]
PACKAGING = ["pip"]  # Colab's own pip runs the set-up cell: its resolver decides what gets upgraded
REPORT = SCREENSHOTS / "colab-like-report.txt"
HOW_TO_GET_313 = (
    "The Colab-like check needs Python 3.13, the version Colab runs, and never falls back to another one. "
    "Install it with pyenv (`pyenv install 3.13`, see https://github.com/pyenv/pyenv#installation), or put a "
    "`python3.13` on PATH (on GitHub Actions: actions/setup-python with python-version 3.13), then run again."
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_pins() -> dict[str, str]:
    """Colab's `name==version` lines, by canonical name (URL installs such as torch's wheels are left out)."""
    pins = {}
    for line in FREEZE.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[canonical(match[1])] = match[2]
    return pins


def frozen(python: Path) -> dict[str, str]:
    """What a venv has installed: canonical name -> version (or the URL it came from)."""
    out = run([str(python), "-m", "pip", "freeze", "--all"]).stdout
    versions = {}
    for line in out.splitlines():
        name, sep, version = line.partition("==")
        if not sep:
            name, sep, version = line.partition(" @ ")
        if sep:
            versions[canonical(name.strip())] = version.strip()
    return versions


def find_python_313() -> Path:
    """A Python 3.13: `pyenv prefix 3.13`, then ~/.pyenv/versions/3.13*, then `python3.13` on PATH."""
    candidates: list[Path] = []
    if shutil.which("pyenv"):
        prefix = subprocess.run(["pyenv", "prefix", "3.13"], capture_output=True, text=True, timeout=30)
        if prefix.returncode == 0 and prefix.stdout.strip():
            candidates.append(Path(prefix.stdout.strip().splitlines()[0]) / "bin" / "python3.13")
    versions = Path.home() / ".pyenv" / "versions"
    if versions.is_dir():
        candidates += sorted(versions.glob("3.13*/bin/python3.13"), reverse=True)
    if on_path := shutil.which("python3.13"):
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists():
            probe = subprocess.run([str(candidate), "-c", "import sys; print(*sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30)
            if probe.returncode == 0 and tuple(map(int, probe.stdout.split())) == COLAB_PYTHON:
                return candidate
    pytest.fail(HOW_TO_GET_313 + f"\nLooked at: {[str(c) for c in candidates] or 'pyenv and PATH (nothing found)'}")


def setup_cell_command(clone: Path) -> list[str]:
    """The set-up cell's `%pip install` line, read from chapter 01, with its GitHub URL swapped for the clone's."""
    cells = json.loads(chapter_paths(clone)[0].read_text())["cells"]
    setup = ["".join(c["source"]) for c in cells if "course-setup" in c["metadata"].get("tags", [])]
    assert len(setup) == 1, "chapter 01 has one set-up cell"
    lines = [line.strip() for line in setup[0].splitlines() if line.strip().startswith("%pip install")]
    assert len(lines) == 1, f"the set-up cell should have one %pip install line, found {lines}"
    slug = tomllib.loads((clone / "pyproject.toml").read_text())["tool"]["course"]["repository"]
    github = f"git+https://github.com/{slug}"
    assert github in lines[0], lines[0]
    return shlex.split(lines[0].replace(github, f"git+file://{clone}").removeprefix("%"))


def dependency_tree(python: Path, requirement: str, tmp_path: Path) -> list[str]:
    """Every package `requirement` resolves to on its own (names only), from pip's dry-run report."""
    report = tmp_path / "course-tree.json"
    run([str(python), "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
         "--report", str(report), requirement])
    return sorted(canonical(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"])


def test_find_python_313_never_falls_back(monkeypatch, tmp_path):
    """With no 3.13 anywhere, the check fails with directions instead of using another Python."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no pyenv, no python3.13
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="pyenv install 3.13"):
        find_python_313()


def test_colab_like_environment_runs_every_chapter(clone, tmp_path):
    started = time.monotonic()
    base = find_python_313()
    python = make_venv(tmp_path / "colab-venv", base_python=base)
    pins = colab_pins()
    constraints = tmp_path / "colab-constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))

    # 1. Colab's preinstalled packages that the course touches, at Colab's versions, and all they pull in.
    command = setup_cell_command(clone)
    course = dependency_tree(python, command[-1], tmp_path)
    roots = sorted({name for name in course + NOTEBOOK_STACK + PACKAGING if name in pins}) + TEST_TOOLS
    run([str(python), "-m", "pip", "install", "--quiet", "-c", str(constraints), *roots])
    preinstalled = frozen(python)
    off_colab = {name: v for name, v in preinstalled.items() if name in pins and pins[name] != v}
    assert off_colab == {}, f"not Colab's versions: {off_colab}"

    # 2. The set-up cell's own command, as Colab runs it.
    run([str(python), "-m", *command])
    after = frozen(python)
    upgraded = {name: (v, after[name]) for name, v in preinstalled.items()
                if name in pins and after.get(name) != v}
    added = sorted(set(after) - set(preinstalled))
    check = run([str(python), "-m", "pip", "check"])
    versions = run([str(python), "-c", "import sys, IPython, ipykernel, ipywidgets, helpers; "
                    "print(sys.version.split()[0], IPython.__version__, ipykernel.__version__, "
                    "ipywidgets.__version__, helpers.__file__)"], cwd=tmp_path)  # away from the repository
    python_version, ipython, ipykernel, ipywidgets, helpers_file = versions.stdout.split()

    report = [
        f"Colab-like check: Python {python_version} ({base}), IPython {ipython}, ipykernel {ipykernel}, "
        f"ipywidgets {ipywidgets}",
        f"preinstalled at Colab's versions: {len(preinstalled)} packages from roots {' '.join(roots)}",
        f"set-up cell: pip {' '.join(command[1:])}",
        f"upgraded preinstalled packages ({len(upgraded)}): "
        + (", ".join(f"{name} {old} -> {new}" for name, (old, new) in sorted(upgraded.items())) or "none"),
        f"newly installed ({len(added)}): {', '.join(f'{name} {after[name]}' for name in added)}",
        f"pip check: {check.stdout.strip()}",
    ]
    SCREENSHOTS.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(report) + "\n")  # written now, so it is there even if a chapter fails
    print("\n".join(report))

    assert python_version.startswith("3.13.")
    assert (ipython, ipykernel, ipywidgets) == (pins["ipython"], pins["ipykernel"], pins["ipywidgets"]), (
        "the set-up cell must leave Colab's notebook stack alone")
    assert not {name for name in upgraded if name in NOTEBOOK_STACK}, upgraded
    assert "site-packages" in helpers_file, "the package is a regular install, not the working tree"
    shown = run([str(python), "-c", "from helpers.exercises import show_solution; show_solution('timed-tokens')"],
                cwd=tmp_path)  # Colab has no clone: the solutions must come with the package
    assert "async def timed_tokens" in shown.stdout

    # 3. Every chapter, executed and compared with its committed outputs.
    chapters = tmp_path / "learner" / "chapters"
    chapters.mkdir(parents=True)
    for path in chapter_paths(clone):
        shutil.copy(path, chapters)
    result = nbval(python, chapters, clone / "tests" / "nbval-sanitize.cfg", cwd=tmp_path / "learner")
    report += [f"chapters: {result.stdout.strip().splitlines()[-1]}",
               f"duration: {time.monotonic() - started:.0f} s"]
    REPORT.write_text("\n".join(report) + "\n")
    print("\n".join(report[-2:]))

    assert " passed" in result.stdout and "failed" not in result.stdout
