"""Scorecards and checklists in chat: answers (clicked or typed) and how they look."""
