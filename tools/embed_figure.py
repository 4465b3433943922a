"""Embed a figure into a chapter's markdown cell as an attachment, so it shows everywhere.

A relative image link breaks in Colab (the notebook is opened on its own), but a
cell attachment travels inside the notebook. The cell is found by its tag, its
`![alt](attachment:NAME)` link is kept, and the attachment is replaced. Running
it twice with the same figure changes nothing; `--check` only verifies that the
cell exists and carries the attachment its link names.

    python tools/embed_figure.py build/benchmarks/timeline.png \\
        chapters/03-queue-streamed-agent.ipynb --tag polling-timeline
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from pathlib import Path


def tagged_cell(notebook: dict, tag: str) -> dict:
    cells = [cell for cell in notebook["cells"] if tag in cell.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"expected one cell tagged {tag!r}, found {len(cells)}")
    if cells[0]["cell_type"] != "markdown":
        raise SystemExit(f"the cell tagged {tag!r} must be a markdown cell")
    return cells[0]


def attachment_name(cell: dict) -> str:
    match = re.search(r"\(attachment:([^)\s]+)\)", "".join(cell["source"]))
    if not match:
        raise SystemExit("the cell has no ![alt](attachment:NAME) link")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", type=Path, nargs="?", help="the PNG to embed (not needed with --check)")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--tag", required=True, help="the tag of the markdown cell that shows the figure")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the attachment is missing")
    args = parser.parse_args(argv)

    notebook = json.loads(args.notebook.read_text())
    cell = tagged_cell(notebook, args.tag)
    name = attachment_name(cell)
    if args.check:
        if "image/png" not in cell.get("attachments", {}).get(name, {}):
            print(f"{args.notebook}: the cell tagged {args.tag!r} has no attachment {name!r}")
            return 1
        return 0
    if args.figure is None:
        parser.error("give the figure to embed")
    cell["attachments"] = {name: {"image/png": base64.b64encode(args.figure.read_bytes()).decode("ascii")}}
    args.notebook.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    print(f"embedded {args.figure} as {name} in {args.notebook}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
