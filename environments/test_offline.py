"""No network at all: every chapter executes in a network namespace that has only loopback.

This proves that nothing (tracing, token counting, a stray download) reaches out
when there is no key. It needs `unshare -n`, which CI can do as root.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from conftest import ROOT, course_model_env, nbval, run

ISOLATE = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "isolated"]


def isolation_available() -> bool:
    return shutil.which("unshare") is not None and os.geteuid() == 0


@pytest.fixture
def isolated():
    if not isolation_available():
        pytest.fail("this test needs `unshare -n` as root (CI runs as root)")
    return ISOLATE


def test_the_namespace_really_has_no_network(isolated):
    probe = ("import socket\n"
             "try:\n    socket.create_connection(('1.1.1.1', 443), timeout=3)\n    print('reached the internet')\n"
             "except OSError as error:\n    print('no network:', error)\n"
             "s = socket.socket(); s.bind(('127.0.0.1', 0)); print('loopback ok')\n")
    result = run([*isolated, sys.executable, "-c", probe])
    assert "no network" in result.stdout and "loopback ok" in result.stdout


def test_every_chapter_runs_with_no_network(isolated):
    result = nbval(sys.executable, ROOT / "chapters", ROOT / "tests" / "nbval-sanitize.cfg", cwd=ROOT,
                   env=course_model_env(), prefix=isolated)
    assert " passed" in result.stdout and "failed" not in result.stdout
