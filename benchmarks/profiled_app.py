"""Chapter 05's web app with a profiler that another process switches on and off: used by `web_app_profile`.

    python -m benchmarks.profiled_app --profile-out FILE --port 8000 [the app's own options]

The app runs on asyncio's own loop: uvloop is C, which cProfile cannot see into, so the loop's work
would hide inside whatever called it. The HTTP parser stays httptools, also C: the app bounds each
request's head in uvicorn's httptools protocol (`helpers/web_app/http_protocol.py`), so parsing is
charged to that protocol's Python methods, under the web server. It starts
unprofiled, so its imports stay out of the figures. `SIGUSR1` switches cProfile on, on the CPU clock
(`attribution.cpu_profile`); `SIGUSR2` switches it off and writes FILE, whole (renamed into place).
Python runs signal handlers in the main thread, which here is the event loop's.
"""

from __future__ import annotations

import sys

# A None entry makes `import uvloop` raise ImportError: uvicorn's "auto" loop then falls back to
# asyncio's, as when uvloop is not installed. Before anything imports it.
sys.modules["uvloop"] = None  # type: ignore[assignment]

import argparse  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from helpers.web_app.__main__ import main as serve  # noqa: E402

from .attribution import cpu_profile  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile-out", type=Path, required=True, help="where SIGUSR2 writes the statistics")
    args, app_args = parser.parse_known_args(argv)
    profile = cpu_profile()

    def stop(*_: object) -> None:
        profile.disable()
        written = args.profile_out.with_suffix(".part")
        profile.dump_stats(written)
        written.replace(args.profile_out)

    signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
    signal.signal(signal.SIGUSR2, stop)
    serve(app_args)


if __name__ == "__main__":
    main(sys.argv[1:])
