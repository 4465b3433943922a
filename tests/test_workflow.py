"""The GitHub Actions workflow: valid against GitHub's schema, offline, and running what .ci/run runs.

A typo in a workflow file is only found when GitHub refuses to run it, after the
push. `check-jsonschema` ships GitHub's workflow schema (vendored, so this needs no
network): the real workflow must pass it, and a broken one must not.
"""

from __future__ import annotations

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


def test_ci_run_builds_with_the_python_it_is_given():
    script = CI_SCRIPT.read_text()
    assert 'export PYTHON="${PYTHON:-python3}"' in script  # make's `PYTHON ?= python3` then takes it
    assert subprocess.run(["bash", "-n", str(CI_SCRIPT)], capture_output=True).returncode == 0
    assert "make test\n" in script and "make test-environments" in script
