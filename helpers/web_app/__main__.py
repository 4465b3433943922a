"""Serve chapter 05's web app with uvicorn: `python -m helpers.web_app --port 8000`.

The page is then at http://127.0.0.1:8000/. The model is chosen as in every
chapter (see `helpers.backend`): the offline course model unless a key or a
server is set in the environment. `--agent langchain` serves chapter 06's
`create_agent` agent instead of chapter 03's executor, with the same events.
`--store` says where conversations are kept (chapter 08): by default a SQLite file
in the user's data folder, so a restart keeps them; `memory` keeps nothing; a
`postgresql://` URL shares them between app processes. `--events redis://...` shares
the runs' event logs too, so a client that reconnects to another process resumes there.
`--reasoning` serves a model that reasons, whose reasoning the page shows as it streams.
The start-up line says which agent, which model, which store and where.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from ..backend import model_settings
from .agents import AGENTS
from .app import HEARTBEAT_SECONDS, create_app, reasoning_model
from .event_log import KEEP_SECONDS
from .event_log_choice import EVENTS_HELP, parse_events
from .event_log_choice import describe as describe_events
from .http_protocol import http_protocol
from .store import STORE_HELP, default_sqlite_path, parse_store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="also accept requests for this host name (127.0.0.1, localhost and --host always are); "
                             "repeat for several")
    parser.add_argument("--forwarded-allow-ips", action="append", default=[], metavar="IP",
                        help="behind a reverse proxy at this address (or network, e.g. 10.0.0.0/8): believe its "
                             "X-Forwarded-For and X-Forwarded-Proto, so the limits count each real client; repeat "
                             "for several. Off by default: nobody's forwarded headers are believed")
    parser.add_argument("--agent", choices=list(AGENTS), default="executor",
                        help="who answers: chapter 03's executor or chapter 06's create_agent agent "
                             "(default: %(default)s); the page and its events are the same")
    parser.add_argument("--heartbeat", type=float, default=HEARTBEAT_SECONDS, metavar="SECONDS",
                        help="send a comment on a stream with nothing to send for this long, so proxies keep it "
                             "open (default: %(default)s)")
    parser.add_argument("--keep-runs", type=float, default=KEEP_SECONDS, metavar="SECONDS",
                        help="keep a finished run's events this long for clients that resume "
                             "(default: %(default)s, within a bound on memory)")
    parser.add_argument("--store", default=None, metavar="STORE",
                        help=f"where conversations are kept: {STORE_HELP} "
                             f"(default: the SQLite file {default_sqlite_path()})")
    parser.add_argument("--reasoning", action="store_true",
                        help="serve a model that reasons (gpt-5-mini on OpenAI, OPENAI_REASONING_MODEL, or the course "
                             "model) through the Responses API; the page shows its reasoning as it streams")
    parser.add_argument("--events", default="memory", metavar="EVENTS",
                        help=f"where runs' events are kept for clients that resume: {EVENTS_HELP}; several app "
                             "processes on one Redis share runs (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.heartbeat <= 0 or args.keep_runs <= 0:
        parser.error("--heartbeat and --keep-runs must be positive")
    try:
        store = parse_store(args.store)
        events = parse_events(args.events)
    except ValueError as error:
        parser.error(str(error))  # a clear message and exit status 2, before anything starts
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:  %(name)s - %(message)s")
    logging.getLogger("helpers").setLevel(logging.INFO)  # the app's own notes: failed and cancelled runs
    # A specific listening address is a name the app is served on; 0.0.0.0 and :: are not names.
    served_on = [args.host] if args.host not in ("0.0.0.0", "::") else []
    reasoning = {"make_model": reasoning_model} if args.reasoning else {}
    app = create_app(agent=args.agent, allowed_hosts=[*served_on, *args.allowed_host],
                     forwarded_allow_ips=args.forwarded_allow_ips, heartbeat_seconds=args.heartbeat,
                     keep_run_seconds=args.keep_runs, store=store, events=events, **reasoning)
    settings = model_settings(reasoning=args.reasoning)  # what the app's model is built from (`default_model`)
    print(f"Serving {AGENTS[args.agent]} with model {settings.model!r} ({settings.backend}): "
          f"conversations kept {store.describe()}, runs' events {describe_events(events)}: "
          f"open http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from loopback; the app does it, for named proxies.
    # http=: uvicorn's httptools protocol with each request's head bounded in size and time (http_protocol.py).
    uvicorn.run(app, host=args.host, port=args.port, timeout_graceful_shutdown=5, proxy_headers=False,
                http=http_protocol())


if __name__ == "__main__":
    main()
