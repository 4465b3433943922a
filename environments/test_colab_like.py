"""Colab-like: Colab's notebook stack, the package installed as the set-up cell does, every chapter executed.

Colab (2026) runs IPython 7.34, ipykernel 6.17 and ipywidgets 7.7.1, and an
editable install is invisible there until a runtime restart, so the set-up cell
installs the package from a git URL. We do the same with a `file://` URL of a
clean clone, then execute copies of the chapters away from the repository, so
`helpers` can only come from that install. Colab's Python 3.13 cannot be had
here: this runs on the machine's Python (see the README).
"""

from __future__ import annotations

import shutil
import tomllib

from conftest import chapter_paths, make_venv, nbval, run

COLAB_STACK = ["ipython==7.34.0", "ipykernel==6.17.1", "ipywidgets==7.7.1"]
TEST_TOOLS = ["nbval==0.11.0", "pytest==9.2.0", "nbclient==0.11.0"]


def test_colab_like_environment_runs_every_chapter(clone, tmp_path):
    python = make_venv(tmp_path / "colab-venv")
    run([str(python), "-m", "pip", "install", "--quiet", *COLAB_STACK, *TEST_TOOLS])
    distribution = tomllib.loads((clone / "pyproject.toml").read_text())["project"]["name"]
    run([str(python), "-m", "pip", "install", "--quiet", f"{distribution} @ git+file://{clone}"])
    versions = run([str(python), "-c", "import IPython, ipykernel, ipywidgets, helpers; "
                    "print(IPython.__version__, ipykernel.__version__, ipywidgets.__version__, helpers.__file__)"],
                   cwd=tmp_path)  # away from the repository, whose helpers/ would shadow the install
    ipython, ipykernel, ipywidgets, helpers_file = versions.stdout.split()
    assert (ipython, ipywidgets) == ("7.34.0", "7.7.1") and ipykernel.startswith("6.17")
    assert "site-packages" in helpers_file, "the package is a regular install, not the working tree"

    chapters = tmp_path / "learner" / "chapters"
    chapters.mkdir(parents=True)
    for path in chapter_paths(clone):
        shutil.copy(path, chapters)
    shutil.copy(clone / "chapters" / "sanitize.cfg", chapters)
    result = nbval(python, chapters, chapters / "sanitize.cfg", cwd=tmp_path / "learner")
    assert " passed" in result.stdout and "failed" not in result.stdout
