"""JupyterLab as a learner uses it: run chapter 01 in a real browser and watch the answer stream in; chat with
chapter 03's widget, Stop included.

JupyterLab runs headless on a free loopback port over a copy of the chapters (so
autosave cannot touch the committed files); Debian's Chromium, driven by
Playwright (its own browser download cannot work here), runs all cells. The test
fails if a cell shows an error, and saves a screenshot under build/ for CI.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, SCREENSHOTS, background_server, course_model_env, free_port

STARTUP_TIMEOUT = 60  # seconds for JupyterLab to answer
RUN_TIMEOUT_MS = 120_000  # for all cells of chapter 01 to finish in the browser
CHAPTER = ROOT / "chapters" / "01-streaming-tokens.ipynb"


@pytest.fixture
def jupyterlab(tmp_path):
    """A headless JupyterLab over a copy of the chapters; yields its URL with the token."""
    workdir = tmp_path / "chapters"
    shutil.copytree(ROOT / "chapters", workdir)
    port, token = free_port(), secrets.token_hex(16)
    env = course_model_env()
    env["COURSE_MODEL_DELAY"] = "0.02"  # paced as learners see it, so the stream can be watched
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
        "--allow-root", f"--LabApp.user_settings_dir={user_settings(tmp_path / 'lab-settings')}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    base = f"http://127.0.0.1:{port}"
    with background_server(command, f"{base}/api/status?token={token}", tmp_path / "jupyterlab.log", env,
                           startup_timeout=STARTUP_TIMEOUT):
        yield base, token


def user_settings(directory: Path) -> Path:
    """JupyterLab settings for a test: render every cell (no windowing) and ask nothing about news."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }
    for name, values in settings.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return directory


def click_menu(page, menu: str, item: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


@contextmanager
def run_all_cells(jupyterlab, chapter: Path):
    """Open `chapter` in Chromium, clear its committed outputs and start Run All; yields the page."""
    from playwright.sync_api import sync_playwright  # environments/requirements.txt

    assert CHROMIUM.exists(), "install Debian's chromium (.ci/run does)"
    base, token = jupyterlab
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(RUN_TIMEOUT_MS)
        page.goto(f"{base}/lab/tree/{chapter.name}?token={token}")
        accept_kernel_dialog(page)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")
        # Clear the committed outputs, so everything we see next was produced in this browser.
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        assert page.locator(".jp-OutputArea-output").count() == 0
        click_menu(page, "Run", "Run All Cells")
        try:
            yield page
        finally:
            browser.close()


def code_cell_count(chapter: Path) -> int:
    return sum(c["cell_type"] == "code" for c in json.loads(chapter.read_text())["cells"])


def test_chapter_01_runs_in_jupyterlab_and_the_answer_streams_in(jupyterlab):
    code_cells = code_cell_count(CHAPTER)
    with run_all_cells(jupyterlab, CHAPTER) as page:
        # The answer to "What is NLP?" streams in: watch its output grow, token by token.
        streamed = page.locator(".jp-OutputArea-output", has_text="Natural| language").first
        streamed.wait_for()
        cell = page.locator(".jp-CodeCell", has=streamed)
        lengths = []
        for _ in range(1000):  # bounded: 1000 samples of 20 ms at most
            lengths.append(len(streamed.inner_text()))
            if "*" not in cell.locator(".jp-InputArea-prompt").inner_text():
                break
            page.wait_for_timeout(20)
        lengths = sorted(set(lengths))
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")

        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        error_text = errors.all_inner_texts()
        page.locator(".jp-OutputArea-output", has_text="Natural| language").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "jupyterlab-chapter01.png"))
    assert error_text == [], f"cells showed errors or warnings in JupyterLab: {error_text}"
    assert [prompt.strip() for prompt in prompts] == [f"[{n}]:" for n in range(1, code_cells + 1)]
    assert len(lengths) >= 3, f"the answer should arrive in pieces; saw lengths {sorted(lengths)}"


CHAT_CHAPTER = ROOT / "chapters" / "03-queue-streamed-agent.ipynb"
LONG_QUESTION = "Write a long essay about streaming"  # the course model's long answer: time to press Stop


def accept_kernel_dialog(page) -> None:
    """JupyterLab sometimes asks which kernel to start for a notebook; take the one it proposes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(timeout=10_000)
    except PlaywrightTimeout:
        return  # no dialog: the kernel started by itself
    select.click()


def wait_until_every_cell_ran(page, code_cells: int) -> None:
    """Wait (bounded) until every code cell shows its execution count, in order."""
    expected = [f"[{n}]:" for n in range(1, code_cells + 1)]
    prompts: list[str] = []
    for _ in range(RUN_TIMEOUT_MS // 250):
        prompts = [prompt.strip() for prompt in page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()]
        if prompts == expected:
            return
        page.wait_for_timeout(250)
    page.screenshot(path=str(SCREENSHOTS / "jupyterlab-chat-widget.png"))
    pytest.fail(f"the cells did not all run: prompts {prompts}")


def test_chapter_03s_chat_widget_streams_an_answer_and_stops_in_jupyterlab(jupyterlab):
    """Type into the chat widget, watch the answer grow in the page, then press Stop on a second question."""
    code_cells = code_cell_count(CHAT_CHAPTER)
    with run_all_cells(jupyterlab, CHAT_CHAPTER) as page:  # cleared first, so the widget we use is this run's
        wait_until_every_cell_ran(page, code_cells)

        chat = page.locator(".course-chat").first  # the ChatWidget (its DOM class), rendered by ipywidgets 8
        chat.scroll_into_view_if_needed()
        transcript = chat.locator(".widget-html-content").first
        send = chat.get_by_role("button", name="Send")
        stop = chat.get_by_role("button", name="Stop")

        # First question: the tool steps form, then the answer grows, word by word.
        chat.locator("input[type='text']").fill("What is (2 + 3) * (4 + 5)?")
        send.click()
        lengths = []
        for _ in range(1500):  # bounded: 1500 samples of 20 ms at most
            text = transcript.inner_text()
            lengths.append(len(text))
            if "tools used" in text:
                break
            page.wait_for_timeout(20)
        first = transcript.inner_text()
        assert "(2 + 3) × (4 + 5) is 45." in first and "tools used: add, multiply" in first, first
        assert len(set(lengths)) >= 5, f"the transcript should grow in pieces; saw lengths {sorted(set(lengths))}"

        # Second question: a long answer; press Stop while it streams.
        chat.locator("input[type='text']").fill(LONG_QUESTION)
        send.click()
        for _ in range(1500):  # bounded: until the second answer has begun to stream
            if len(transcript.inner_text().split("Agent:")) > 2:
                break
            page.wait_for_timeout(20)
        else:
            page.screenshot(path=str(SCREENSHOTS / "jupyterlab-chat-widget.png"))
            pytest.fail(f"the second answer did not start streaming: {transcript.inner_text()[-500:]!r}")
        assert stop.is_enabled(), f"the run ended before Stop: {transcript.inner_text()[-300:]!r}"
        stop.click()
        chat.get_by_text("Stopped.").wait_for()
        stopped_at = transcript.inner_text()
        page.wait_for_timeout(1000)  # a stopped run adds nothing more
        after = transcript.inner_text()
        send_enabled = send.is_enabled()
        page.screenshot(path=str(SCREENSHOTS / "jupyterlab-chat-widget.png"))
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        error_text = errors.all_inner_texts()
    assert after == stopped_at, "the answer kept growing after Stop"
    assert send_enabled, "the widget is ready for the next question"
    assert stopped_at.split("Agent:")[-1].strip(), "the second answer had started when Stop was pressed"
    assert error_text == [], f"cells showed errors or warnings in JupyterLab: {error_text}"
