"""Chapter 05's web app as a person uses it: type a question in a real browser, watch tool steps and the answer stream in.

The app runs as a learner would start it (`python -m helpers.web_app`, and with
`--agent langchain` for chapter 06's `create_agent` agent) on a free loopback port,
on the course model paced at 20 ms per token, so the stream can be watched. Debian's Chromium, driven by Playwright, types the question; the test
fails if the page shows an error, and saves a screenshot under build/ for CI.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, DATA_HOME, ROOT, SCREENSHOTS, background_server, course_model_env, free_port

STARTUP_TIMEOUT = 30  # seconds for the app to answer
ANSWER_TIMEOUT_MS = 60_000  # for the whole answer to arrive in the browser
QUESTION = "What is (2 + 3) * (4 + 5)?"


AGENTS = {"executor": "chapter 03's StreamingAgentExecutor", "langchain": "chapter 06's create_agent agent"}


def serve(tmp_path, agent: str = "executor", *options: str):
    """`python -m helpers.web_app --agent AGENT [OPTIONS]` on a free port; yields its URL."""
    port = free_port()
    env = course_model_env()
    env["COURSE_MODEL_DELAY"] = "0.02"  # paced as learners see it
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "helpers.web_app", "--port", str(port), "--agent", agent, *options]
    log = tmp_path / f"web-app-{agent}.log"
    with background_server(command, url, log, env, cwd=ROOT, startup_timeout=STARTUP_TIMEOUT):
        yield url
    serve.log = log.read_text()


@pytest.fixture
def web_app(tmp_path):
    """Chapter 03's executor behind the app; yields its URL."""
    yield from serve(tmp_path)


@pytest.fixture(params=list(AGENTS))
def either_app(request, tmp_path):
    """The app serving each agent in turn; yields (agent, URL)."""
    for url in serve(tmp_path, request.param):
        yield request.param, url


def test_a_question_streams_into_the_page(either_app):
    agent, web_app = either_app
    from playwright.sync_api import sync_playwright  # environments/requirements.txt

    assert CHROMIUM.exists(), "install Debian's chromium (.ci/run does)"
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(web_app)
        answering = page.locator("#answering").inner_text()
        page.fill("#question", QUESTION)
        page.click("#send")

        # The tool steps appear while the model is still writing them.
        page.locator(".step").first.wait_for()
        turn = page.locator(".turn").last
        answer = turn.locator(".answer")

        # The answer streams in: sample its length until the stream is over (the turn stops "streaming").
        lengths = []
        for _ in range(3000):  # bounded: 3000 samples of 10 ms at most
            lengths.append(len(answer.inner_text()))
            if "streaming" not in (turn.get_attribute("class") or ""):
                break
            page.wait_for_timeout(10)
        steps = turn.locator(".step").all_inner_texts()
        final_answer = answer.inner_text()
        meta = turn.locator(".meta").inner_text()
        errors = [text for text in page.locator(".error").all_inner_texts() if text.strip()]
        sent_again = page.locator("#send").is_enabled()
        page.screenshot(path=str(SCREENSHOTS / f"web-app-{agent}.png"))
        browser.close()

    assert answering == f"Answered by {AGENTS[agent]} on course-model", answering
    assert errors == [], f"the page showed an error: {errors}"
    assert [step.split()[0] for step in steps] == ["add", "add", "multiply"], steps
    assert all("→" in step for step in steps), f"every tool step shows its result: {steps}"
    assert final_answer == "(2 + 3) × (4 + 5) is 45."
    assert meta == "Tools used: add, multiply"
    growing = sorted({length for length in lengths if 0 < length < len(final_answer)})
    assert len(growing) >= 3, f"the answer should arrive in pieces; saw lengths {sorted(set(lengths))}"
    assert sent_again, "the form is ready for the next question"


@pytest.fixture(params=list(AGENTS))
def reasoning_app(request, tmp_path):
    """The app with `--reasoning` (a model that reasons aloud), serving each agent in turn; yields its URL."""
    yield from serve(tmp_path, request.param, "--reasoning")


def test_a_reasoning_models_plan_streams_dimmed_before_its_steps_and_folds_once_answered(reasoning_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(reasoning_app)
        page.fill("#question", "What is (2 + 3) * 4?")
        page.click("#send")
        turn = page.locator(".turn").last
        first = turn.locator(".step.thought").first
        first.wait_for()
        # While the model thinks: open, growing, and no tool step yet below it.
        lengths = []
        for _ in range(500):  # bounded: 500 samples of 10 ms
            lengths.append(len(first.locator(".text").inner_text()))
            if turn.locator(".step:not(.thought)").count():
                break
            page.wait_for_timeout(10)
        opened_while_thinking = first.locator("details").evaluate("details => details.open")
        wait_until_answered(page, turn)
        kinds = turn.locator(".step").evaluate_all(
            "steps => steps.map(step => step.classList.contains('thought') ? 'thought' : step.querySelector('.name').textContent)")
        folded = turn.locator(".thought details").evaluate_all("all => all.every(details => !details.open)")
        colour = first.evaluate("step => getComputedStyle(step).color")
        answer = turn.locator(".answer").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "web-app-reasoning.png"))
        browser.close()

    assert kinds == ["thought", "add", "thought", "multiply", "thought"], kinds
    assert opened_while_thinking and folded, "open while it streams, folded once answered"
    assert len({length for length in lengths if length}) >= 3, f"the plan streamed in pieces: {sorted(set(lengths))}"
    assert colour == "rgb(101, 109, 118)", "dimmed like the other steps"
    assert answer == "(2 + 3) × 4 is 20."


def launch(p):
    assert CHROMIUM.exists(), "install Debian's chromium (.ci/run does)"
    return p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)


def wait_until_answered(page, turn) -> None:
    """Wait (bounded) until `turn` stops streaming and the form is ready again."""
    for _ in range(6000):  # 6000 x 10 ms at most
        if "streaming" not in (turn.get_attribute("class") or "") and page.locator("#send").is_enabled():
            return
        page.wait_for_timeout(10)
    raise AssertionError("the answer did not finish within 60 s")


def hidden_under_the_bar(page, locator) -> float:
    """How many pixels of `locator`'s bottom are hidden under the fixed input bar (0 if none), or off screen."""
    box = locator.bounding_box()
    bar = page.locator("#ask").bounding_box()
    return max(0.0, box["y"] + box["height"] - bar["y"])


def test_the_end_of_the_newest_answer_is_never_hidden_under_the_input_bar(web_app):
    """From the fifth question on the page scrolls; the end of each new turn must stay above the fixed bar."""
    from playwright.sync_api import sync_playwright

    hidden = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(web_app)
        for n in range(1, 7):
            page.fill("#question", f"What is ({n} + 1) * ({n} + 2)?")
            page.click("#send")
            turn = page.locator(".turn").nth(n - 1)
            turn.locator(".step").first.wait_for()
            wait_until_answered(page, turn)
            if n >= 5:
                assert page.evaluate("document.documentElement.scrollHeight > innerHeight"), "the page scrolls"
                hidden[f"question {n}, its answer's last line"] = hidden_under_the_bar(page, turn.locator(".answer"))
                hidden[f"question {n}, its 'Tools used' line"] = hidden_under_the_bar(page, turn.locator(".meta"))

        # Stopped by the user: the "Stopped." note is the end of the turn, and must be seen too.
        page.fill("#question", "What is (2 + 3) * (4 + 5)?")
        page.click("#send")
        turn = page.locator(".turn").last
        turn.locator(".step").first.wait_for()
        page.click("#stop")
        turn.locator(".meta", has_text="Stopped.").wait_for()
        wait_until_answered(page, turn)
        hidden["the 'Stopped.' note"] = hidden_under_the_bar(page, turn.locator(".meta"))
        page.screenshot(path=str(SCREENSHOTS / "web-app-long.png"))
        browser.close()
    assert all(pixels == 0 for pixels in hidden.values()), f"hidden under the input bar (pixels): {hidden}"


def test_the_page_works_under_its_content_security_policy_and_cannot_be_framed(web_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        console = []
        page.on("console", lambda message: console.append(message.text))
        response = page.goto(web_app)
        policy = response.headers.get("content-security-policy", "")
        page.fill("#question", "What is 10 + 10?")
        page.click("#send")  # only the page's own script can do what follows
        turn = page.locator(".turn").last
        wait_until_answered(page, turn)
        answer = turn.locator(".answer").inner_text()
        cursor_style = page.evaluate("getComputedStyle(document.querySelector('#send')).backgroundColor")

        # Another page tries to show the app in a frame: the browser must refuse.
        framing = browser.new_page()
        framing_console = []
        framing.on("console", lambda message: framing_console.append(message.text))
        framing.set_content(f'<iframe src="{web_app}" width="600" height="400"></iframe>')
        for _ in range(500):  # up to 5 s for the frame's load to be refused
            if any("frame-ancestors" in text or "X-Frame-Options" in text for text in framing_console):
                break
            framing.wait_for_timeout(10)
        framed = framing.frames[-1]
        framed_question = framed.locator("#question").count() if framed is not framing.main_frame else 0
        browser.close()

    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, policy
    assert answer == "10 + 10 is 20.", "the page's own inline script ran"
    assert cursor_style == "rgb(9, 105, 218)", "the page's own inline style applied"
    assert not [text for text in console if "Content Security Policy" in text], console
    assert framed_question == 0, "the app rendered inside another page's frame"
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in framing_console), framing_console


@pytest.mark.parametrize("question", [
    "What is " + " + ".join(["12"] * 194) + " + 1000?",  # a sum of 983 characters
    "What is " + "9" * 400 + " + 1?",  # a 400-digit number
], ids=["983-character-sum", "400-digit-number"])
def test_a_hostile_question_ends_with_a_readable_answer_or_error(web_app, question):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(web_app)
        page.fill("#question", question)
        page.click("#send")
        turn = page.locator(".turn").last
        page.wait_for_timeout(50)
        wait_until_answered(page, turn)  # bounded: it ends
        answer = turn.locator(".answer").inner_text().strip()
        error = turn.locator(".error").inner_text().strip()
        steps = turn.locator(".step").all_inner_texts()
        hidden = hidden_under_the_bar(page, turn.locator(".answer" if answer else ".error"))
        browser.close()
    assert answer or error, "the turn ended with nothing to read"
    assert not any("validation error for" in text or "pydantic.dev" in text for text in [answer, error, *steps])
    assert hidden == 0


@pytest.mark.parametrize(("status", "detail"), [
    (429, "Too many conversations from your address are still answering: wait for one to finish."),
    (503, "The server has too many conversations open right now: try again in a few minutes."),
])
def test_a_refused_conversation_shows_the_servers_own_message(web_app, status, detail):
    """The app refuses a new session with 429 or 503 and a `detail` (as `SessionStore` words it); the page shows it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        # The app's own refusal, as it sends it; forcing a real one would take a full store or 20 busy sessions.
        page.route("**/api/sessions", lambda route: route.fulfill(
            status=status, content_type="application/json", headers={"Retry-After": "5"},
            body=json.dumps({"detail": detail})))
        page.goto(web_app)
        page.fill("#question", "What is 10 + 10?")
        page.click("#send")
        turn = page.locator(".turn").last
        wait_until_answered(page, turn)
        error = turn.locator(".error").inner_text().strip()
        browser.close()
    assert error == detail, f"the page showed {error!r}"


def test_the_app_says_at_start_up_which_agent_and_model_answer(tmp_path):
    for agent, label in AGENTS.items():
        for url in serve(tmp_path, agent):
            pass
        store = f"{DATA_HOME}/hands-on-langchain-streaming/web-app.sqlite"  # the default store, in the tests' folder
        assert (f"Serving {label} with model 'course-model' (course model): conversations kept in the SQLite file "
                f"{store}, runs' events in memory (this process only): open http://127.0.0.1:") in serve.log, serve.log


class CuttingProxy:
    """A TCP proxy on loopback in front of the app that cuts one stream mid-answer, as a proxy or a network would.

    It passes bytes both ways; in the first response that carries `cut_after` `event: token`
    lines it forwards up to the middle of the last of them (that event's `data:` line never
    arrives), then drops both connections. It records the request lines it passed on.
    """

    def __init__(self, target_port: int, cut_after: int = 3) -> None:
        self.target_port, self.cut_after = target_port, cut_after
        self.port = free_port()
        self.cuts = 0
        self.requests: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> "CuttingProxy":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop)
        self._server = future.result(10)
        return self

    def __exit__(self, *exc_info) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _handle(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def upstream() -> None:
            while data := await client_reader.read(65536):
                self.requests += [line.decode(errors="replace") for line in data.split(b"\r\n")
                                  if line.startswith((b"GET ", b"POST ", b"Last-Event-ID:", b"last-event-id:"))]
                server_writer.write(data)
                await server_writer.drain()

        async def downstream() -> None:
            tokens = 0
            while data := await server_reader.read(65536):
                seen = data.count(b"event: token\n")
                if not self.cuts and tokens + seen >= self.cut_after:
                    at = -1
                    for _ in range(self.cut_after - tokens):
                        at = data.index(b"event: token\n", at + 1)
                    self.cuts += 1
                    client_writer.write(data[:at + len(b"event: token\ndata: {\"te")])  # half an event
                    await client_writer.drain()
                    return
                tokens += seen
                client_writer.write(data)
                await client_writer.drain()

        pipes = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED, timeout=120)
        for pipe in pipes:
            pipe.cancel()
        client_writer.transport.abort()  # a drop, not a polite end
        server_writer.transport.abort()


def test_a_stream_cut_mid_answer_resumes_and_the_page_shows_the_whole_answer_once(tmp_path):
    from playwright.sync_api import sync_playwright

    for url in serve(tmp_path, "executor"):
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        with CuttingProxy(port) as proxy, sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 900, "height": 640})
            page.set_default_timeout(ANSWER_TIMEOUT_MS)
            page.goto(f"http://127.0.0.1:{proxy.port}/")
            # Every text the answer shows, as it changes: a gap or a repeat would show in one of them.
            page.evaluate("""() => {
                window.answerTexts = [];
                new MutationObserver(() => {
                    const answer = document.querySelector(".turn:last-child .answer");
                    if (answer) window.answerTexts.push(answer.textContent);
                }).observe(document.getElementById("log"), { childList: true, characterData: true, subtree: true });
            }""")
            page.fill("#question", QUESTION)
            page.click("#send")
            turn = page.locator(".turn").last
            turn.locator(".step").first.wait_for()
            wait_until_answered(page, turn)
            texts = page.evaluate("window.answerTexts")
            args = turn.locator(".step .args").all_inner_texts()
            errors = [text for text in page.locator(".error").all_inner_texts() if text.strip()]
            meta = turn.locator(".meta").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "web-app-resumed.png"))
            browser.close()

    final = "(2 + 3) × (4 + 5) is 45."
    assert proxy.cuts == 1, "the proxy cut the stream mid-answer"
    resumes = [line for line in proxy.requests if line.startswith("GET /api/runs/")]
    assert len(resumes) == 1 and any(line.lower().startswith("last-event-id:") for line in proxy.requests), \
        proxy.requests
    assert errors == [], f"the page showed an error: {errors}"
    assert texts and texts[-1] == final, texts
    assert all(final.startswith(text) for text in texts), f"a repeat or a gap showed: {texts}"
    assert any(0 < len(text) < len(final) for text in texts), "the answer streamed in before the cut"
    assert [json.loads(arguments) for arguments in args] == [{"x": 2, "y": 3}, {"x": 4, "y": 5}, {"x": 5, "y": 9}], args
    assert meta == "Tools used: add, multiply"
