"""A long, fixed essay about streaming, for "Tell me a long story" and "Write a long essay about streaming".

Benchmarks and the chapters on slow consumers need an answer long enough (well
over 1,000 tokens) for streaming to matter, and always the same one so their
numbers are comparable. It is written as paragraphs of plain sentences.
"""

from __future__ import annotations

_PARAGRAPHS: tuple[tuple[str, ...], ...] = (
    (
        "Imagine asking a question and staring at an empty screen for twenty seconds.",
        "Nothing moves, nothing tells you whether the system is thinking, stuck or broken, and then a "
        "whole page of text appears at once.",
        "That is what using a language model feels like without streaming, and it is the reason almost "
        "every chat application today shows its answer word by word instead.",
        "This essay is about that small change in presentation and the surprisingly large amount of "
        "engineering that sits behind it.",
    ),
    (
        "A language model writes one token at a time.",
        "A token is a short piece of text: a common word, a fragment of a longer word, a space followed by "
        "a word, or a single punctuation mark.",
        "To produce an answer, the model predicts the most suitable next token, appends it to the text so "
        "far, and repeats the process until it decides to stop or reaches a limit.",
        "Each prediction takes a few milliseconds on good hardware, so a long answer of a thousand tokens "
        "can easily take ten or twenty seconds to finish.",
        "The important point is that the early tokens exist long before the late ones.",
        "There is no technical reason to hold them back.",
    ),
    (
        "Streaming simply sends each token, or each small group of tokens, to the client as soon as it "
        "has been generated.",
        "The total time to the last token does not change at all.",
        "What changes is the time to the first token, which drops from many seconds to a fraction of one.",
        "People judge speed by how quickly something starts to happen, so a streamed answer feels fast "
        "even when it is exactly as slow as before.",
        "Readers also start reading immediately, and by the time the model has finished they have often "
        "taken in most of the answer.",
    ),
    (
        "On the wire, the OpenAI Chat Completions API streams with server-sent events.",
        "The client sends an ordinary HTTP request with the stream flag set to true.",
        "The server answers with a response that never seems to end: it is a sequence of lines, each "
        "starting with the word data, followed by a small JSON object called a chunk.",
        "Every chunk carries a delta, which holds only the new piece of the message rather than the whole "
        "text so far.",
        "The first delta usually announces the role of the assistant, the following ones carry content, "
        "and the last one carries a finish reason such as stop, length or tool calls.",
        "Finally the server sends a line that says done, and the client knows the stream is over.",
    ),
    (
        "Tool calls stream too, and they are a little more subtle.",
        "When the model decides to call a function, the deltas contain fragments of the call instead of "
        "text: first the call's identifier and the function's name, then the JSON arguments in small "
        "pieces that are not valid JSON until the last one arrives.",
        "Several calls can be made in parallel, so each fragment also says which call it belongs to.",
        "A client must collect the fragments by index and only parse the arguments once the stream has "
        "finished.",
        "LangChain does this work for you and exposes the pieces as tool call chunks on each message chunk.",
    ),
    (
        "LangChain turns the raw chunks into objects that are pleasant to work with.",
        "Calling stream on a chat model returns an iterator of message chunks, and calling astream returns "
        "the asynchronous version of the same thing.",
        "Chunks can be added together with the plus operator, so summing all of them rebuilds the complete "
        "message, including its tool calls and its usage metadata.",
        "For chains and agents there is also astream events, which reports everything that happens inside "
        "a run: when a model starts, every token it produces, when a tool starts and ends, and when the "
        "whole run finishes.",
        "Older code uses callback handlers for the same purpose, with a method that is called for every "
        "new token.",
    ),
    (
        "Asynchronous code is the natural partner of streaming.",
        "While one answer waits for its next token, a single Python process can serve other requests, "
        "update a user interface or write to a log.",
        "The asyncio event loop makes this possible by switching between tasks whenever one of them is "
        "waiting for the network.",
        "A web server that streams answers to many users at once is, at its heart, a collection of such "
        "tasks, each copying tokens from a model to a browser as fast as they arrive.",
    ),
    (
        "Streaming brings its own problems, and a careful application handles them.",
        "The connection can drop halfway through an answer, leaving the user with half a sentence.",
        "The model can be slower than expected, so timeouts must measure the gap between tokens rather "
        "than the length of the whole answer.",
        "The consumer can be slower than the producer, for example a terminal that prints every token "
        "separately, and then the tokens pile up in memory unless something applies back pressure.",
        "And the user can lose patience and press stop, which should cancel the request instead of letting "
        "the model keep generating tokens that nobody will read.",
    ),
    (
        "There are also questions of presentation.",
        "Printing every token as it arrives can make the text flicker, especially when markdown formatting "
        "changes the layout as new characters appear.",
        "Many interfaces therefore buffer a few tokens, or redraw the whole message a few times per second "
        "instead of once per token.",
        "Structured output is harder still, because half of a JSON object is not valid JSON, so a client "
        "either waits for the end or uses a parser that understands partial documents.",
    ),
    (
        "Measuring a streaming system needs more than one number.",
        "The time to the first token tells you how responsive it feels.",
        "The number of tokens per second tells you how quickly the text flows once it has started.",
        "The total time and the total number of tokens tell you what the answer costs.",
        "A good benchmark records all of them, repeats the measurement several times, and uses a long "
        "enough answer, like this one, for the steady flow of tokens to dominate the start-up time.",
    ),
    (
        "None of this requires a large model to learn.",
        "The course model that is answering you now is not a neural network at all: it is a small, "
        "deterministic program that speaks the same protocol, so every chunk, delta and finish reason "
        "you see here looks exactly like the real thing.",
        "Once the ideas are clear, you can point the same code at OpenAI or at a local server such as "
        "Ollama by setting one environment variable, and everything you have learned about streaming "
        "will still apply.",
        "The tokens will simply be more interesting.",
    ),
)

LONG_ANSWER = "\n\n".join(" ".join(sentences) for sentences in _PARAGRAPHS)
