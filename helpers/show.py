"""Show a helper's source code in a notebook, instead of pasting a copy of it. Used by every chapter.

Code that later chapters reuse lives once in `helpers`; a chapter displays it with
`show_source(QueueCallbackHandler)`. In JupyterLab and Colab it renders as
highlighted Python; in plain text (and in nbval's comparison) it is the source
itself, so a committed output goes stale, and the test fails, when the helper changes.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any


class Source:
    """Source code that displays as highlighted Python in a notebook."""

    def __init__(self, code: str) -> None:
        self.code = code

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.code}\n```"

    def __repr__(self) -> str:
        return self.code


def show_source(obj: Any) -> Source:
    """The source of a function, class or module, ready to display as a cell's result."""
    return Source(textwrap.dedent(inspect.getsource(obj)).rstrip())
