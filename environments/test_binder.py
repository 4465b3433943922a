"""Binder: build the environment exactly as repo2docker does, then execute every chapter in it.

repo2docker runs `pip install -r binder/requirements.txt` from the repository
root in a fresh environment; with a `binder/` folder it ignores the root
configuration, so that file must install the course package itself.
"""

from __future__ import annotations

from conftest import chapter_paths, install_test_runner, make_venv, nbval, run


def test_binder_environment_runs_every_chapter(clone, tmp_path):
    python = make_venv(tmp_path / "binder-venv")
    run([str(python), "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"], cwd=clone)
    install_test_runner(python)  # Binder's own environment has no test tools
    runtime = (clone / "binder" / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-3.")
    assert chapter_paths(clone)
    result = nbval(python, clone / "chapters", clone / "tests" / "nbval-sanitize.cfg", cwd=clone)
    assert " passed" in result.stdout and "failed" not in result.stdout
