"""A new learner's first minute: `git clone`, then `make lab`'s set-up, then the first streamed token.

    python -m benchmarks.first_minute            # uv (as `make lab` does when it can) and plain pip
    python -m benchmarks.first_minute --only uv  # just one installer

Each run clones the committed repository into a temporary folder, runs `make setup`
(exactly what `make lab` runs before it opens JupyterLab) with every download cache
switched off, then streams chapter 01's first question the way its first cells do
and times the first token. It needs PyPI, like a learner's first set-up; it prints a
Markdown table. `make bench` runs it after the streaming benchmark.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUP_TIMEOUT = 900  # seconds: a slow mirror must not hang the benchmark

FIRST_TOKEN = """
import asyncio, time
started = time.monotonic()
from langchain_openai import ChatOpenAI
from helpers.backend import model_settings
settings = model_settings()
llm = ChatOpenAI(model=settings.model, base_url=settings.base_url, api_key=settings.api_key, stream_usage=True)
async def first_token():
    async for chunk in llm.astream("What is NLP?"):
        if chunk.content:
            return time.monotonic() - started
print(asyncio.run(first_token()))
"""


def run_once(installer: str) -> dict[str, float | str]:
    """Clone, set up with `installer` ("uv" or "pip") and no caches, stream the first token; seconds for each."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "VIRTUAL_ENV", "COURSE_MODEL_DELAY"}}
    env.update(PIP_NO_CACHE_DIR="1", UV_NO_CACHE="1")
    if installer == "pip":
        env["COURSE_NO_UV"] = "1"
    with tempfile.TemporaryDirectory(prefix="first-minute-") as folder:
        clone = Path(folder) / "course"
        began = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
        cloned = time.monotonic()
        setup = subprocess.run(["make", "setup", f"PYTHON={sys.executable}"], cwd=clone, env=env,
                               capture_output=True, text=True, timeout=SETUP_TIMEOUT)
        if setup.returncode != 0:
            raise RuntimeError(f"make setup failed with {installer}:\n{setup.stdout[-2000:]}\n{setup.stderr[-2000:]}")
        set_up = time.monotonic()
        token = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", FIRST_TOKEN], cwd=clone / "chapters",
                               env=env, capture_output=True, text=True, timeout=120, check=True)
        first_token = float(token.stdout.strip().splitlines()[-1])
        used = "uv" if "with uv" in setup.stdout and "installing with pip instead" not in setup.stdout else "pip"
    return {"installer": used, "clone": cloned - began, "setup": set_up - cloned, "first_token": first_token,
            "total": set_up - began + first_token}


def report(rows: list[dict[str, float | str]]) -> str:
    lines = ["## The first minute: clone → set-up → first token (no download cache)", "",
             "| Installer | Clone | `make lab`'s set-up | First token (Python start to token) | Total |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row['installer']} | {row['clone']:.1f} s | {row['setup']:.1f} s | "
                     f"{row['first_token']:.1f} s | **{row['total']:.1f} s** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["uv", "pip"], help="measure one installer only")
    args = parser.parse_args(argv)
    rows = [run_once(installer) for installer in ([args.only] if args.only else ["uv", "pip"])]
    text = report(rows)
    print(text)
    out = ROOT / "build" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "first-minute.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
