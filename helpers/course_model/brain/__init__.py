"""Deciding what the course model says: planning, conversation, tool choice and use, structured answers,
canned answers, result prose, token counting, and the reasoning summary of a decision. Imports `reading`,
never `wire`.
"""
