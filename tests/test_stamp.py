"""Forking the course: change one line in pyproject.toml, run one command, and every link follows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD = "hands-on-langchain/langchain-streaming-course"


def stamp(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(copy / "tools" / "stamp_chapters.py"), *args],
                          capture_output=True, text=True, timeout=60)


def test_changing_the_repository_line_restamps_everything(tmp_path):
    copy = tmp_path / "fork"
    for name in ("tools", "chapters"):
        shutil.copytree(ROOT / name, copy / name)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    pyproject = copy / "pyproject.toml"
    assert f'repository = "{OLD}"' in pyproject.read_text()
    pyproject.write_text(pyproject.read_text().replace(f'repository = "{OLD}"', 'repository = "someone/my-course"'))

    assert stamp(copy, "--check").returncode == 1  # out of date until stamped
    assert stamp(copy).returncode == 0
    assert stamp(copy, "--check").returncode == 0  # and stamping again changes nothing

    stamped = [copy / "README.md", *sorted((copy / "chapters").glob("*.ipynb"))]
    for path in stamped:
        text = path.read_text()
        assert OLD not in text, f"{path.name} still points at the original repository"
        assert "someone/my-course" in text
    readme = (copy / "README.md").read_text()
    assert "git clone https://github.com/someone/my-course.git\ncd my-course" in readme
    assert "git+https://github.com/someone/my-course" in (copy / "chapters" / "01-streaming-tokens.ipynb").read_text()
