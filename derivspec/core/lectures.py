"""The five lecture notes the registry cites (``../shared/seeds/``): a small catalogue.

Sources cite a lecture by its file name (``S003``) and line range, and JSON output keeps the
file name (``"file": "003_8a5dbeec3922fcb3.txt"``). Text output (``show``, ``errata``,
``verify``'s reasons, the HTML report) names a lecture by its title instead::

    >>> cite(S003, "2143–2147")
    'A Probabilistic View of ML (Batra), lines 2143–2147'

Title, author and date are the ones the document gives on its first lines; 000 and 002 give no
title of their own, so theirs is made from their top-level headings (``titled_from_headings``),
and a document that names no author or date has ``None`` there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

S000 = "000_f22e563363d1e7ff.txt"
S001 = "001_4fedbb81320e18b0.txt"
S002 = "002_433c7158266bc0e9.txt"
S003 = "003_8a5dbeec3922fcb3.txt"
S004 = "004_ac0a1d509ce21c57.txt"


@dataclass(frozen=True)
class Lecture:
    """One seed document: its file, and what its first lines say about it."""

    key: str  # "S003": the constant derivation modules use
    file: str
    title: str
    author: str | None = None
    date: str | None = None
    venue: str | None = None
    titled_from_headings: bool = False  # the document has no title line; this one is made from its headings

    @property
    def number(self) -> str:
        """``003``: the file's prefix (the order of the seeds)."""
        return self.file.split("_", 1)[0]

    @property
    def short(self) -> str:
        """The title with the author's surname: ``A Probabilistic View of ML (Batra)``."""
        if self.author:
            return f"{self.title} ({self.author.split()[-1]})"
        return self.title

    @property
    def slug(self) -> str:
        """An HTML anchor: ``lecture-003``."""
        return f"lecture-{self.number}"

    def to_json(self) -> dict:
        return {"key": self.key, "file": self.file, "title": self.title, "author": self.author,
                "date": self.date, "venue": self.venue}


LECTURES: tuple[Lecture, ...] = (
    Lecture("S000", S000, "Data, Model, Learning, Loss", titled_from_headings=True),
    Lecture("S001", S001, "Module 4: math-first comparison of the main learning objectives"),
    Lecture("S002", S002, "Autoencoders and the Variational Autoencoder", date="2025-12-14",
            titled_from_headings=True),
    Lecture("S003", S003, "A Probabilistic View of ML", author="Prof. Nipun Batra", date="Aug 2026",
            venue="Lecture 0 · ES 667: Deep Learning, IIT Gandhinagar"),
    Lecture("S004", S004, "The Foundations of Generative AI", author="Indrajit Bhattacharya",
            date="December 17, 2025", venue="Tutorial at CODS 2025, IISER Pune"),
)
BY_FILE = {lecture.file: lecture for lecture in LECTURES}


def lecture(file: str) -> Lecture | None:
    """The catalogue entry of a seed file (None for a file outside the catalogue)."""
    return BY_FILE.get(file)


def title_of(file: str) -> str:
    """The lecture's short title, or the file name for a file outside the catalogue."""
    found = BY_FILE.get(file)
    return found.short if found else file


def format_lines(lines: str | tuple[int, int] | list[int]) -> str:
    """``"2143–2147"``, ``(2143, 2147)`` or ``[12, 12]`` as ``lines 2143–2147`` / ``line 12``."""
    if isinstance(lines, str):
        numbers = [int(n) for n in re.split("[–-]", lines)]
    else:
        numbers = [int(n) for n in lines]
    first, last = numbers[0], numbers[-1]
    return f"line {first}" if first == last else f"lines {first}–{last}"


def cite(file: str, lines: str | tuple[int, int] | list[int]) -> str:
    """A source as text output shows it: ``A Probabilistic View of ML (Batra), lines 2143–2147``."""
    return f"{title_of(file)}, {format_lines(lines)}"


def order_key(file: str, lines: str | tuple[int, int] | list[int] = (0, 0)) -> tuple:
    """Sort key by lecture (catalogue order, then unknown files by name) and first line."""
    index = next((i for i, entry in enumerate(LECTURES) if entry.file == file), len(LECTURES))
    if isinstance(lines, str):
        lines = [int(n) for n in re.split("[–-]", lines)]
    return index, file, int(lines[0]), int(lines[-1])
