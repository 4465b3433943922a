"""The GitHub Actions workflow: valid against GitHub's schema, offline, and running what .ci/run runs.

A typo in a workflow file is only found when GitHub refuses to run it, after the
push. `check-jsonschema` ships GitHub's workflow schema (vendored, so this needs no
network): the real workflow must pass it, and a broken one must not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CI_SCRIPT = ROOT / ".ci" / "run"


def validate(path: Path) -> subprocess.CompletedProcess:
    executable = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or "check-jsonschema"
    return subprocess.run([executable, "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_is_valid_against_githubs_schema():
    result = validate(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("typo", [
    ("runs-on:", "run-on:"),  # a misspelt key
    ("timeout-minutes: 90", "timeout-minutes: ninety"),  # a value of the wrong type
    ("      - uses: actions/checkout@v4", "      - using: actions/checkout@v4"),  # a step that does nothing
])
def test_a_broken_workflow_is_rejected(tmp_path, typo):
    text = WORKFLOW.read_text()
    old, new = typo
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    result = validate(broken)
    assert result.returncode != 0, f"{old!r} -> {new!r} passed the schema"
    assert "Schema validation errors" in result.stdout + result.stderr


def test_the_workflow_runs_ci_run_on_311_and_313_and_uploads_the_screenshots():
    on = workflow()[True]  # YAML 1.1 reads the key `on` as True
    assert {"push", "pull_request"} <= set(on)
    [job] = workflow()["jobs"].values()
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert job["env"]["PYTHON"] == "python${{ matrix.python }}", ".ci/run builds .venv with the matrix Python"
    runs = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert ".ci/run" in runs, "the workflow calls .ci/run, the one script CI runs"
    uploads = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and "build/*.png" in uploads[0]["with"]["path"]
    assert uploads[0].get("if") == "always()", "screenshots are most useful when a check failed"


STUB_MAKE = """#!/bin/sh
echo "$* PYTHON=$PYTHON" >> "$MAKE_LOG"
[ "$1" = "$MAKE_FAILS_ON" ] && exit 3
exit 0
"""


def run_ci(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run .ci/run with a stand-in `make` (it logs its target and PYTHON) and a stand-in `chromium` on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in {"make": STUB_MAKE, "chromium": "#!/bin/sh\nexit 0\n",
                       "python3.42": '#!/bin/sh\necho "Python 3.42.0"\n'}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "make.log"
    log.write_text("")
    environ = {key: value for key, value in os.environ.items() if key != "PYTHON"}
    environ.update(PATH=f"{bin_dir}:{environ['PATH']}", MAKE_LOG=str(log), **env)
    result = subprocess.run(["bash", str(CI_SCRIPT)], capture_output=True, text=True, env=environ, timeout=60)
    return result, log.read_text().splitlines()


def test_ci_run_runs_the_tests_then_the_environment_checks_with_python3_by_default(tmp_path):
    result, makes = run_ci(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert makes == ["test PYTHON=python3", "test-environments PYTHON=python3"]


def test_ci_run_builds_with_the_python_it_is_given(tmp_path):
    result, makes = run_ci(tmp_path, PYTHON="python3.42")
    assert result.returncode == 0, result.stdout + result.stderr
    assert makes == ["test PYTHON=python3.42", "test-environments PYTHON=python3.42"]
    assert "Python 3.42.0" in result.stdout, "the banner names the Python CI runs on"


def test_ci_run_stops_at_the_first_failure(tmp_path):
    result, makes = run_ci(tmp_path, MAKE_FAILS_ON="test")
    assert result.returncode != 0, "a failing `make test` fails CI"
    assert makes == ["test PYTHON=python3"], "nothing runs after a failure"


@pytest.mark.parametrize("python", [None, "/opt/python3.42/bin/python3.42"])
def test_make_builds_the_venv_with_the_python_in_the_environment(tmp_path, python):
    """`PYTHON ?= python3` in the Makefile: what .ci/run exports is the interpreter that builds .venv."""
    environ = {key: value for key, value in os.environ.items() if key not in ("PYTHON", "VENV", "MAKEFLAGS")}
    if python:
        environ["PYTHON"] = python
    venv = tmp_path / "venv"
    dry_run = subprocess.run(["make", "-n", "-C", str(ROOT), f"VENV={venv}", "setup-dev"],
                             capture_output=True, text=True, env=environ, timeout=60)
    assert dry_run.returncode == 0, dry_run.stderr
    builds = [line for line in dry_run.stdout.splitlines() if "tools/setup_venv.py" in line]
    assert builds == [f"{python or 'python3'} tools/setup_venv.py --venv {venv} requirements.txt",
                      f"{python or 'python3'} tools/setup_venv.py --venv {venv} requirements-dev.txt"], dry_run.stdout
