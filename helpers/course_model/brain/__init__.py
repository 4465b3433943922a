"""Deciding what the course model says: planning, conversation, tool choice and use, structured answers,
canned answers, result prose, token counting. Imports `reading`, never `wire`.
"""
