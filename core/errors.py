"""Errors that carry a message fit to show a user as is (file, row, column, what was expected)."""

from __future__ import annotations


class SizerError(ValueError):
    """A problem with the user's input or data; its message is the whole explanation."""


class BenchmarkFileError(SizerError):
    """A benchmark file that cannot be read at all."""

    def __init__(self, source: str, problem: str) -> None:
        source, problem = (" ".join(str(text).split()) for text in (source, problem))  # always one line
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
