"""JupyterLab as a learner uses it: open chapter 01 in a real browser, run every cell, watch the answer stream in.

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


def test_chapter_01_runs_in_jupyterlab_and_the_answer_streams_in(jupyterlab):
    from playwright.sync_api import sync_playwright  # environments/requirements.txt

    assert CHROMIUM.exists(), "install Debian's chromium (.ci/run does)"
    base, token = jupyterlab
    SCREENSHOTS.mkdir(exist_ok=True)
    code_cells = sum(c["cell_type"] == "code" for c in json.loads(CHAPTER.read_text())["cells"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(RUN_TIMEOUT_MS)
        page.goto(f"{base}/lab/tree/{CHAPTER.name}?token={token}")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")

        # Clear the committed outputs, so everything we see next was produced in this browser.
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        assert page.locator(".jp-OutputArea-output").count() == 0
        click_menu(page, "Run", "Run All Cells")

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
        browser.close()
    assert error_text == [], f"cells showed errors or warnings in JupyterLab: {error_text}"
    assert [prompt.strip() for prompt in prompts] == [f"[{n}]:" for n in range(1, code_cells + 1)]
    assert len(lengths) >= 3, f"the answer should arrive in pieces; saw lengths {sorted(lengths)}"
