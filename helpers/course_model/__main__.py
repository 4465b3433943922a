"""Run the course model as a command: `python -m helpers.course_model --port 8765`."""

from __future__ import annotations

import argparse
import sys

from .wire.request import MODEL_NAME
from .wire.server import CourseModelServer, delay_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.course_model",
        description="Serve the offline course model (OpenAI Chat Completions API) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765, 0 picks a free one)")
    parser.add_argument("--delay", type=float, default=None,
                        help="seconds per streamed token (default: $COURSE_MODEL_DELAY or 0.02)")
    args = parser.parse_args(argv)
    try:
        delay = delay_from_env() if args.delay is None else args.delay
        server = CourseModelServer(args.port, delay=delay)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Course model `{MODEL_NAME}` listening on {server.base_url} ({delay * 1000:g} ms per token). "
          "Ctrl+C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
