"""Understanding the question: arithmetic and expressions, arguments, mentions, lists, currencies, free
text, JSON keys and schemas, plausible values, word helpers. Imports neither `brain` nor `wire`.
"""
