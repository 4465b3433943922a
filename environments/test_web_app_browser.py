"""Chapter 05's web app as a person uses it: type a question in a real browser, watch tool steps and the answer stream in.

The app runs as a learner would start it (`python -m helpers.web_app`) on a free
loopback port, on the course model paced at 20 ms per token, so the stream can be
watched. Debian's Chromium, driven by Playwright, types the question; the test
fails if the page shows an error, and saves a screenshot under build/ for CI.
"""

from __future__ import annotations

import sys

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, SCREENSHOTS, background_server, course_model_env, free_port

STARTUP_TIMEOUT = 30  # seconds for the app to answer
ANSWER_TIMEOUT_MS = 60_000  # for the whole answer to arrive in the browser
QUESTION = "What is (2 + 3) * (4 + 5)?"


@pytest.fixture
def web_app(tmp_path):
    """`python -m helpers.web_app` on a free port; yields its URL."""
    port = free_port()
    env = course_model_env()
    env["COURSE_MODEL_DELAY"] = "0.02"  # paced as learners see it
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "helpers.web_app", "--port", str(port)]
    with background_server(command, url, tmp_path / "web-app.log", env, cwd=ROOT, startup_timeout=STARTUP_TIMEOUT):
        yield url


def test_a_question_streams_into_the_page(web_app):
    from playwright.sync_api import sync_playwright  # environments/requirements.txt

    assert CHROMIUM.exists(), "install Debian's chromium (.ci/run does)"
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(web_app)
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
        page.screenshot(path=str(SCREENSHOTS / "web-app.png"))
        browser.close()

    assert errors == [], f"the page showed an error: {errors}"
    assert [step.split()[0] for step in steps] == ["add", "add", "multiply"], steps
    assert all("→" in step for step in steps), f"every tool step shows its result: {steps}"
    assert final_answer == "(2 + 3) × (4 + 5) is 45."
    assert meta == "Tools used: add, multiply"
    growing = sorted({length for length in lengths if 0 < length < len(final_answer)})
    assert len(growing) >= 3, f"the answer should arrive in pieces; saw lengths {sorted(set(lengths))}"
    assert sent_again, "the form is ready for the next question"
