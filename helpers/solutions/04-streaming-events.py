"""Solutions to the exercises of chapter 04 (`chapters/04-streaming-events.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: math-results
async def math_results(runnable, question):
    """(name, output) of every math tool run that finished, in the order they finished."""
    results = []
    async for event in runnable.astream_events({"input": question}, version="v2", include_tags=["math"]):
        if event["event"] == "on_tool_end":  # the filter keeps runs; this `if` keeps the moment you want
            results.append((event["name"], event["data"]["output"]))
    return results


# %% exercise: tool-log
async def tool_log(runnable, question):
    """One line per tool run: 'name(input) -> output', or 'name(input) failed: error'."""
    inputs, lines = {}, []
    # No include_* filter: a filtered stream would move the root's input onto the first tool's start event.
    async for event in runnable.astream_events({"input": question}, version="v2"):
        kind, run_id = event["event"], event["run_id"]
        if kind == "on_tool_start":
            inputs[run_id] = event["data"]["input"]
        elif kind == "on_tool_end":
            lines.append(f"{event['name']}({inputs.pop(run_id)}) -> {event['data']['output']}")
        elif kind == "on_tool_error":
            lines.append(f"{event['name']}({inputs.pop(run_id)}) failed: {event['data']['error']}")
    return lines
