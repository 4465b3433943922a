"""A streaming chat web app for the course's agents: FastAPI, Server-Sent Events and one HTML page. Chapter 05.

    python -m helpers.web_app --port 8000                    # then open http://127.0.0.1:8000/
    python -m helpers.web_app --port 8000 --agent langchain  # chapter 06's create_agent agent answers

- `app.py`: `create_app()`, the endpoints, and the generator that streams a run;
- `runs.py`: each run in a task of its own that logs its events, so it outlives its connection (chapter 08);
- `event_log.py`: each run's numbered events, replayed after `Last-Event-ID`, kept a while (chapter 08);
- `redis_event_log.py`, `event_log_choice.py`: the same in Redis, shared by app processes (`--events`, chapter 08);
- `agents.py`: the two agents it can serve (chapter 03's executor, chapter 06's `create_agent`
  agent), each a `Conversation` that streams a question as the app's events;
- `events.py`: the events the app sends, and how they are read off each agent's stream;
- `sessions.py`: one conversation (and chat history) per session, bounded per client and by idleness;
- `limits.py`: what one client cannot get around: body size, requests per second;
- `security.py`: the host names the app answers, the requests of other sites' pages it refuses,
  and the page's Content-Security-Policy;
- `server.py`: `BackgroundServer`, to run the app from a notebook or a test;
- `http_protocol.py`: below the app, each request's head bounded in size (431) and in time (408);
- `static/index.html`: the page, plain HTML and JavaScript with no build step.
"""

from .app import create_app, default_model
from .server import BackgroundServer

__all__ = ["BackgroundServer", "create_app", "default_model"]
