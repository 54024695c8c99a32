"""A polite 'no' for the actor only: raised by any handler, answered by the engine."""


class Refusal(Exception):
    """A polite 'no' for the actor only (not allowed, stale button, bad payload). The transaction still commits."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text
