"""Create (or update) the course's virtual environment, fast when it can be and never silent.

`make lab` and `make test` run this with the Python that should build `.venv`:

    python3 tools/setup_venv.py --venv .venv requirements.txt          # what a learner needs
    python3 tools/setup_venv.py --venv .venv requirements-dev.txt      # plus the test tools

Why not just `pip install`? On a 2-core machine with no download cache, pip takes
about a minute to install JupyterLab and LangChain, all of it silent behind
`--quiet`. uv (https://docs.astral.sh/uv/) installs the same pinned files in a
fraction of that. It is used when it is on PATH or can be fetched from PyPI into
the environment's own `.tools/` folder in a few seconds; if neither works, or uv
fails for any reason (a mirror configured only for pip, say), plain pip does the
work. Either way the result is the same pinned packages, with pip inside the
environment so `%pip install` works in the notebooks, and each step prints what
it is doing and how long it took.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.monotonic()


def done(started: float) -> None:
    print(f"    done in {time.monotonic() - started:.1f} s", flush=True)


def run(command: list[str | Path]) -> bool:
    """Run a command with its output shown; True when it succeeded."""
    return subprocess.run([str(part) for part in command], cwd=ROOT).returncode == 0


def find_uv(venv: Path) -> Path | None:
    """uv from PATH, or fetched from PyPI into `venv/.tools`; None when neither is possible."""
    on_path = shutil.which("uv")
    if on_path:
        return Path(on_path)
    tools = venv / ".tools"
    uv = tools / "bin" / "uv"
    if uv.exists():
        return uv
    started = step("Fetching uv, a fast installer, from PyPI (pip is used if this fails)")
    fetched = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              "--root-user-action", "ignore", "--target", str(tools), "uv"], cwd=ROOT).returncode == 0
    done(started)
    return uv if fetched and uv.exists() else None


def with_uv(uv: Path, venv: Path, requirements: Path) -> bool:
    python = venv / "bin" / "python"
    if not python.exists():  # (`venv` may already hold uv itself, in .tools/)
        started = step(f"Creating {venv} with uv")
        if not run([uv, "venv", "--quiet", "--seed", "--allow-existing", "--python", sys.executable, venv]):
            return False
        done(started)
    started = step(f"Installing {requirements.name} and the course's helpers package with uv")
    if not run([uv, "pip", "install", "--python", python, "-r", requirements, "-e", "."]):
        return False
    done(started)
    return True


def with_pip(venv: Path, requirements: Path) -> bool:
    python = venv / "bin" / "python"
    if not python.exists():
        started = step(f"Creating {venv}")
        if not run([sys.executable, "-m", "venv", venv]):
            return False
        done(started)
    started = step(f"Installing {requirements.name} and the course's helpers package with pip (a minute or two)")
    ok = run([python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on",
              "-r", requirements, "-e", "."])
    done(started)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", type=Path, help="the pinned requirements file to install")
    parser.add_argument("--venv", type=Path, default=Path(".venv"), help="where the environment lives")
    parser.add_argument("--no-uv", action="store_true", help="use pip even if uv is available")
    args = parser.parse_args(argv)
    venv = args.venv if args.venv.is_absolute() else ROOT / args.venv
    requirements = args.requirements if args.requirements.is_absolute() else ROOT / args.requirements
    if not requirements.is_file():
        parser.error(f"no requirements file at {requirements}")
    began = time.monotonic()
    uv = None if args.no_uv or os.environ.get("COURSE_NO_UV") else find_uv(venv)
    if uv is not None and with_uv(uv, venv, requirements):
        ok = True
    else:
        if uv is not None:
            print("    uv did not finish; installing with pip instead", flush=True)
        ok = with_pip(venv, requirements)
    if ok:
        print(f"==> {venv.name} is ready ({time.monotonic() - began:.0f} s in all)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
