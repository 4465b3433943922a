"""Chapter 05's web app with a profiler that another process switches on and off: used by `web_app_profile`.

    python -m benchmarks.profiled_app --profile-out FILE --port 8000 [the app's own options]

The app starts unprofiled, so its imports and start-up stay out of the figures.
`SIGUSR1` switches `cProfile` on, on the CPU clock (`attribution.cpu_profile`), in the
thread that runs the event loop (where the app's work happens); `SIGUSR2` switches it
off and writes the statistics to FILE, after which FILE exists. Python runs a signal
handler in the main thread between two bytecodes, which here is the event loop's thread.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from helpers.web_app.__main__ import main as serve

from .attribution import cpu_profile


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile-out", type=Path, required=True, help="where SIGUSR2 writes the statistics")
    args, app_args = parser.parse_known_args(argv)
    profile = cpu_profile()  # CPU time, not the wall clock: see `cpu_profile`

    def start(*_: object) -> None:
        profile.enable()

    def stop(*_: object) -> None:
        profile.disable()
        written = args.profile_out.with_suffix(".part")
        profile.dump_stats(written)
        written.replace(args.profile_out)  # whole, or not there: the reader never sees half a file

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    serve(app_args)


if __name__ == "__main__":
    main(sys.argv[1:])
