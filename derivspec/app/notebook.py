"""derivspec from Python and in a Jupyter notebook (docs/notebooks.md).

    >>> import derivspec
    >>> result = derivspec.scan_text(r"$$(a+b)^2 = a^2 + 2ab + b^2$$")
    >>> result.summary["proved"]
    1

:func:`scan_text` scans a lecture given as a string, as ``derivspec scan`` scans a file of that
name (``name``'s suffix says how it is read: ``.md``, ``.tex``, ``.ipynb`` for a notebook's JSON),
and returns a :class:`ScanResult`: the records (a list of :class:`derivspec.scan.Record`), shown in
a notebook as the annotated lecture view (:mod:`derivspec.app.annotated`) -- one self-contained
HTML document in an ``<iframe srcdoc>``, its styles kept apart from the notebook's.

The cell magic: ``%load_ext derivspec`` once, then a cell that starts with ``%%derivspec`` (options
``--name lecture.md``, ``--seconds S``) is scanned and its result shown. IPython is imported only by
IPython itself: derivspec does not depend on it.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from derivspec.core.errors import DerivspecError


class ScanResult(list):
    """The records of one scanned text (``derivspec.scan.Record`` each, in line order), with
    ``summary`` (the counts ``scan --json`` prints), ``flags`` (the records that disagree) and
    the annotated view as HTML (:meth:`html`; a notebook shows it through ``_repr_html_``)."""

    def __init__(self, records, name: str, view=None):
        super().__init__(records)
        self.name = name
        self._view = view  # derivspec.app.annotated.Annotated, made while the text was on disk

    @property
    def summary(self) -> dict:
        from derivspec.scan.records import summary

        return summary(list(self))

    @property
    def flags(self) -> list:
        return [r for r in self if r.verdict == "disagrees" and not r.suppressed]

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self]

    def __repr__(self) -> str:
        counts = self.summary
        head = (f"<ScanResult {self.name}: {counts['statements']} statements, {counts['proved']} proved, "
                f"{counts['flagged']} flagged, {counts['unchecked']} unchecked>")
        rows = [f"  {_where(r)}: {r.verdict}: {' '.join(r.text.split())[:100]}"
                + (f" ({r.claim})" if r.claim else "") for r in self.flags]
        return "\n".join([head, *rows])

    def html(self) -> str:
        """The annotated view of the text as one HTML document (styles inline, no link outside it).
        Needs the report extra (latex2mathml, jinja2): exit-2 style DerivspecError without it."""
        from markupsafe import Markup

        from derivspec.app.annotated import render
        from derivspec.app.rendering import Math, environment, require, stylesheet

        require("the annotated view")
        env = environment(Math())
        body = Markup(render(env, self._view, claims=set()))
        return env.get_template("annotated_standalone.html").render(title=self._view.title, body=body,
                                                                  css=Markup(stylesheet()))

    def _repr_html_(self) -> str | None:
        """The annotated view in an ``<iframe srcdoc>`` under a one-line summary; None (the text
        ``repr``) where the report extra is missing."""
        from derivspec.app.rendering import missing_modules

        if self._view is None or missing_modules():
            return None
        counts = self.summary
        rows = len(self._view.lines) + 2 * sum(len(c.source.splitlines()) > 0 for c in self._view.cells or ())
        height = min(900, 220 + 26 * rows + 260 * len(self._view.flags))
        line = (f"derivspec: {html.escape(self.name)}: {counts['statements']} statements, {counts['proved']} proved, "
                f"<strong>{counts['flagged']} flagged</strong>, {counts['unchecked']} unchecked")
        return (f'<div class="derivspec-result"><p>{line}</p><iframe class="derivspec-view" '
                f'title="derivspec annotated view of {html.escape(self.name, quote=True)}" '
                f'srcdoc="{html.escape(self.html(), quote=True)}" '
                f'style="width: 100%; height: {height}px; border: 1px solid #d0d7de; resize: vertical;"></iframe></div>')


def _where(record) -> str:
    first, last = record.lines
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return lines if record.cell is None else f"cell {record.cell}, {lines}"


def _checked_name(name: str) -> str:
    from derivspec.app.inputs import NAMED_SUFFIXES

    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise DerivspecError(f"scan_text: name must be a file name such as 'lecture.md', not {name!r}")
    if Path(name).suffix.lower() not in NAMED_SUFFIXES:
        raise DerivspecError(f"scan_text: {name!r} has a suffix scan does not read ({', '.join(NAMED_SUFFIXES)})")
    return name


def scan_text(source: str, *, name: str = "lecture.md", seconds: float | None = None, known: bool = True,
              sources: bool = False) -> ScanResult:
    """Every statement of ``source`` checked, as ``derivspec scan NAME`` checks a file holding it:
    a :class:`ScanResult`. ``name``: the file name the records carry, its suffix how the text is
    read (``.ipynb``: a notebook's JSON); ``seconds`` per statement (default 8); ``known``
    recognises registered claims; ``sources`` adds the registry's sources for a lecture it cites.
    Bad input (not text, a bad name, a notebook that is not one) is DerivspecError, one line."""
    from derivspec.app.annotated import annotate
    from derivspec.scan import ScanError, scan_file

    if not isinstance(source, str):
        raise DerivspecError(f"scan_text: source must be a str, not {type(source).__name__}")
    name = _checked_name(name)
    with tempfile.TemporaryDirectory(prefix="derivspec-") as folder:
        path = Path(folder) / name
        path.write_text(source if source.endswith("\n") else source + "\n", encoding="utf-8")
        try:
            records = scan_file(path, seconds=seconds, workers=0, known=known, sources=sources, name=name)
            view = annotate(path, records, name)
        except ScanError as error:
            raise DerivspecError(str(error).replace(str(path), name)) from None
    view.path = name
    return ScanResult(records, name, view)


def _magic(line: str, cell: str) -> ScanResult:
    """``%%derivspec [--name lecture.md] [--seconds S]``: the cell's text scanned."""
    import argparse
    import shlex

    from IPython.core.error import UsageError  # only IPython calls this

    parser = argparse.ArgumentParser(prog="%%derivspec", add_help=False, exit_on_error=False)
    parser.add_argument("--name", default="lecture.md")
    parser.add_argument("--seconds", type=float, default=None)
    try:
        options, extra = parser.parse_known_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError) as error:
        raise UsageError(f"%%derivspec: {error}") from None
    if extra:
        raise UsageError(f"%%derivspec: unknown option {' '.join(extra)} (options: --name NAME, --seconds S)")
    try:
        return scan_text(cell, name=options.name, seconds=options.seconds)
    except DerivspecError as error:
        raise UsageError(str(error)) from None


def load_ipython_extension(ipython) -> None:
    """``%load_ext derivspec``: registers the ``%%derivspec`` cell magic."""
    ipython.register_magic_function(_magic, magic_kind="cell", magic_name="derivspec")
