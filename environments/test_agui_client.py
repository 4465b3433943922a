"""Chapter 05's AG-UI endpoint as an AG-UI frontend meets it: the official TypeScript client, under Node.

`environments/agui_client/run_agui.mjs` drives `@ag-ui/client`'s `HttpAgent` (from
the npm registry, pinned by package-lock.json) against `POST /api/agui` of the app
started the learner's way (`python -m helpers.web_app`, each agent), on loopback:
a question with tool calls, then a follow-up on the same thread. The client checks
every event itself (`verifyEvents`) and rebuilds the conversation from them; any
protocol error it reports fails the test. Node and npm come from Debian's packages
(.ci/run installs them when missing).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, background_server, course_model_env, free_port

CLIENT = ROOT / "environments" / "agui_client"
NPM_TIMEOUT = 300  # seconds for `npm ci`
RUN_TIMEOUT = 180  # seconds for the client's whole conversation (it stops itself at 120)
QUESTIONS = ["What is (2 + 3) * (4 + 5)?", "Now multiply that by 3"]


@pytest.fixture(scope="module")
def node_client():
    """`npm ci` in environments/agui_client: exactly the versions in its package-lock.json."""
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is missing: install Debian's nodejs and npm (.ci/run does)"
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT, check=True,
                   timeout=NPM_TIMEOUT)
    return CLIENT / "run_agui.mjs"


def run_client(script, url: str, *questions: str) -> tuple[int, dict]:
    done = subprocess.run(["node", str(script), url, *questions], cwd=CLIENT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    lines = done.stdout.strip().splitlines()
    assert lines, f"the client printed nothing; stderr: {done.stderr[-2000:]}"
    return done.returncode, json.loads(lines[-1])


@pytest.fixture(params=["executor", "langchain"])
def agui_url(request, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "helpers.web_app", "--port", str(port), "--agent", request.param]
    with background_server(command, f"http://127.0.0.1:{port}/", tmp_path / "web-app.log", course_model_env(),
                           cwd=ROOT, startup_timeout=30):
        yield f"http://127.0.0.1:{port}/api/agui"


def test_the_official_client_runs_a_conversation_with_tool_calls(node_client, agui_url):
    status, report = run_client(node_client, agui_url, *QUESTIONS)
    assert status == 0, report.get("error")

    first, follow_up = report["runs"]
    for run in (first, follow_up):
        assert run["types"][0] == "RUN_STARTED" and run["types"][-1] == "RUN_FINISHED"
        assert {"STEP_STARTED", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT",
                "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "STEP_FINISHED"} <= set(run["types"])
    assert first["result"]["answer"] == "(2 + 3) × (4 + 5) is 45."
    assert follow_up["result"]["answer"] == "45 × 3 is 135.", "the follow-up remembered the first answer"

    # The conversation as the client rebuilt it from the events: the calls with their arguments and results.
    messages = report["messages"]
    calls = {call["id"]: call["function"] for message in messages if message["role"] == "assistant"
             for call in message.get("toolCalls") or []}
    results = {message["toolCallId"]: message["content"] for message in messages if message["role"] == "tool"}
    assert sorted((calls[call_id]["name"], calls[call_id]["arguments"], content)
                  for call_id, content in results.items()) == [
        ("add", '{"x":2,"y":3}', "5.0"), ("add", '{"x":4,"y":5}', "9.0"),
        ("multiply", '{"x":45,"y":3}', "135.0"), ("multiply", '{"x":5.0,"y":9.0}', "45.0")]
    said = [message["content"] for message in messages if message["role"] == "assistant" and message.get("content")]
    assert said == ["(2 + 3) × (4 + 5) is 45.", "45 × 3 is 135."]
    assert [message["content"] for message in messages if message["role"] == "user"] == QUESTIONS


BROKEN_SERVER = """
import sys
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
import uvicorn

app = FastAPI()
EVENTS = [  # a text message that never ends: the protocol forbids RUN_FINISHED before its TEXT_MESSAGE_END
    '{"type":"RUN_STARTED","threadId":"t","runId":"r"}',
    '{"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}',
    '{"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Hello"}',
    '{"type":"RUN_FINISHED","threadId":"t","runId":"r"}',
]

@app.post("/api/agui")
async def agui():
    return StreamingResponse(iter([f"data: {event}\\n\\n" for event in EVENTS]), media_type="text/event-stream")

@app.get("/")
async def ready():
    return {}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]))
"""


def test_the_client_reports_a_stream_that_breaks_the_protocol(node_client, tmp_path):
    """The check above can fail: a stream that leaves a message open makes the client report an error."""
    port = free_port()
    script = tmp_path / "broken_agui_server.py"
    script.write_text(BROKEN_SERVER)
    with background_server([sys.executable, str(script), str(port)], f"http://127.0.0.1:{port}/",
                           tmp_path / "broken.log", course_model_env(), startup_timeout=30):
        status, report = run_client(node_client, f"http://127.0.0.1:{port}/api/agui", "Hi")
    assert status == 1
    assert "Cannot send 'RUN_FINISHED' while text messages are still active" in report["error"]
