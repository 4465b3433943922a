"""Stamp the Colab/Binder badges and the set-up cell into every chapter, and the badges into the README.

The repository's `OWNER/REPO` slug lives in one place, `[tool.course] repository`
in pyproject.toml. This script writes everything derived from it:

- a badges cell (tagged `course-badges`) at the top of each chapter, pointing at that chapter;
- the set-up cell (tagged `course-setup`) that installs the package in Colab and names the backend;
- the notebook's `kernelspec`, exactly as JupyterLab writes it for the course's kernel (`KERNELSPEC`),
  so that opening a chapter does not mark it modified;
- the chapter table between `<!-- chapters:start -->` and `<!-- chapters:end -->` in README.md,
  the `git clone` command between `<!-- clone:start -->` and `<!-- clone:end -->`,
  and the CI badge between `<!-- ci:start -->` and `<!-- ci:end -->`.

It is idempotent: running it twice changes nothing. `--check` changes nothing and
exits 1 when a file is out of date (CI runs that).

    python tools/stamp_chapters.py          # stamp
    python tools/stamp_chapters.py --check  # verify only
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BADGES_TAG = "course-badges"
SETUP_TAG = "course-setup"
README_START, README_END = "<!-- chapters:start -->", "<!-- chapters:end -->"
CLONE_START, CLONE_END = "<!-- clone:start -->", "<!-- clone:end -->"
CI_START, CI_END = "<!-- ci:start -->", "<!-- ci:end -->"
# ipykernel's own `python3` kernelspec (`jupyter kernelspec list --json` in .venv). JupyterLab writes
# {name, display_name, language} of the running kernel into every notebook it opens; a chapter that
# says "Python 3" instead of "Python 3 (ipykernel)" is marked modified before the learner types a key.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def project() -> tuple[str, str]:
    """The repository slug and the distribution name, from pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["course"]["repository"], config["project"]["name"]


def colab_url(slug: str, path: str) -> str:
    return f"https://colab.research.google.com/github/{slug}/blob/main/{path}"


def binder_url(slug: str, path: str) -> str:
    return f"https://mybinder.org/v2/gh/{slug}/main?labpath={quote(path, safe='')}"


def badges(slug: str, path: str) -> str:
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(slug, path)}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(slug, path)})"
    )


def setup_source(slug: str, distribution: str) -> str:
    return "\n".join([
        "# Set-up. In Colab this installs the course's `helpers` package from GitHub;",
        "# in Binder and in a local install (`make lab`) it is already there.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        f'    %pip install --quiet "{distribution} @ git+https://github.com/{slug}"',
        "",
        "from helpers.backend import model_settings",
        "",
        "settings = model_settings()  # the course model, OpenAI, or your own server: see the README",
        "print(settings)",
    ])


def _cell(cell_type: str, source: str, tag: str) -> dict:
    cell = {"cell_type": cell_type, "id": tag, "metadata": {"tags": [tag]}, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _tagged(cells: list[dict], tag: str) -> int | None:
    for index, cell in enumerate(cells):
        if tag in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def stamp_notebook(path: Path, slug: str, distribution: str) -> str:
    """The notebook's new JSON text, with badges and set-up cell in place."""
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    relative = path.relative_to(ROOT).as_posix()
    wanted = {BADGES_TAG: ("markdown", badges(slug, relative)), SETUP_TAG: ("code", setup_source(slug, distribution))}
    for position, (tag, (cell_type, source)) in enumerate(wanted.items()):
        index = _tagged(cells, tag)
        if index is None:
            cells.insert(position if tag == BADGES_TAG else _after_intro(cells), _cell(cell_type, source, tag))
        elif "".join(cells[index]["source"]) != source:
            cells[index]["source"] = source
    if notebook.setdefault("metadata", {}).get("kernelspec") != KERNELSPEC:
        notebook["metadata"]["kernelspec"] = dict(KERNELSPEC)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _after_intro(cells: list[dict]) -> int:
    """The set-up cell goes right after the leading markdown cells (badges, title, introduction)."""
    index = 0
    while index < len(cells) and cells[index]["cell_type"] == "markdown":
        index += 1
    return index


def chapter_table(slug: str) -> str:
    rows = ["| Chapter | Open |", "| --- | --- |"]
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        title = _title(notebook) or path.stem
        relative = path.relative_to(ROOT).as_posix()
        rows.append(f"| [{title}]({relative}) | {badges(slug, relative)} |")
    return "\n".join(rows)


def _title(notebook: dict) -> str | None:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", "".join(cell["source"]), re.M)
            if match:
                return match.group(1).strip()
    return None


def clone_block(slug: str) -> str:
    return f"```bash\ngit clone https://github.com/{slug}.git\ncd {slug.split('/')[1]}\nmake lab\n```"


def ci_badge(slug: str) -> str:
    """The GitHub Actions status badge of .github/workflows/ci.yml."""
    actions = f"https://github.com/{slug}/actions/workflows/ci.yml"
    return f"[![CI]({actions}/badge.svg)]({actions})"


def _between(text: str, start: str, end: str, content: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"README.md needs the markers {start} and {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content}\n{end}{tail}"


def stamp_readme(text: str, slug: str) -> str:
    text = _between(text, README_START, README_END, chapter_table(slug))
    text = _between(text, CI_START, CI_END, ci_badge(slug))
    return _between(text, CLONE_START, CLONE_END, clone_block(slug))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    slug, distribution = project()
    targets = {path: stamp_notebook(path, slug, distribution) for path in sorted(CHAPTERS.glob("*.ipynb"))}
    readme = ROOT / "README.md"
    targets[readme] = stamp_readme(readme.read_text(), slug)
    stale = [path for path, text in targets.items() if path.read_text() != text]
    for path in stale:
        name = path.relative_to(ROOT)
        if args.check:
            print(f"out of date: {name} (run: python tools/stamp_chapters.py)")
        else:
            path.write_text(targets[path])
            print(f"stamped {name}")
    if args.check and stale:
        return 1
    if not stale:
        print("badges and set-up cells are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
