"""A streaming chat web app for the course's agent: FastAPI, Server-Sent Events and one HTML page. Chapter 05.

    python -m helpers.web_app --port 8000      # then open http://127.0.0.1:8000/

- `app.py`: `create_app()`, the endpoints, and the generator that streams a run;
- `events.py`: the events the app sends, and how they are read off an agent run;
- `sessions.py`: one conversation (and chat history) per session, bounded per client and by idleness;
- `limits.py`: what one client cannot get around: body size, requests per second;
- `security.py`: the host names the app answers, and the page's Content-Security-Policy;
- `server.py`: `BackgroundServer`, to run the app from a notebook or a test;
- `static/index.html`: the page, plain HTML and JavaScript with no build step.
"""

from .app import create_app, default_model
from .server import BackgroundServer

__all__ = ["BackgroundServer", "create_app", "default_model"]
