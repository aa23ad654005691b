"""Math written for kramdown/Jekyll (issue 45): ``\\\\\\`` for a row break, ``\\_`` for a subscript,
``\\*`` for a star and ``\\|`` for a bar are undone in a Markdown file before the math is read, so a
one-line ``align`` block scans as the same math written with ``\\\\`` and ``_``; a reading problem
is "not read" with the construct, never an internal error. Every document is generated or written
for the test.
"""

from __future__ import annotations

import random

import pytest

from derivspec.scan import runner
from derivspec.scan.extract import extract, undo_markdown_escapes

from scanning import scan_text


# --- the escapes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("escaped, meant", [
    (r"a &= b \\\ &= c", r"a &= b \\ &= c"),
    (r"a &= b \\\&= c", r"a &= b \\&= c"),
    (r"\mathbb{E}\_{p(x;\theta)}[f(x)]", r"\mathbb{E}_{p(x;\theta)}[f(x)]"),
    (r"x\_1 \* y\_{2}", r"x_1 * y_{2}"),
    (r"p(x \| z) q\_\phi(z \| x)", r"p(x | z) q_\phi(z | x)"),
    (r"\mathbb{E}[X \| Y]", r"\mathbb{E}[X | Y]"),
])
def test_kramdown_escapes_are_undone(escaped, meant):
    assert undo_markdown_escapes(escaped) == meant


@pytest.mark.parametrize("tex", [
    r"\mathrm{KL}(q \| p)",  # a divergence's bar
    r"\|x\|^2",  # a norm
    r"D_{KL}(p(x) \| q(x))",
    r"a \\ b",  # a row break as LaTeX writes it
    r"a \\\\ b",
    r"\\_",  # a row break, then a subscript sign: no escape
    r"a \\\,b",  # a row break and a thin space
])
def test_latex_that_is_no_escape_is_left_alone(tex):
    assert undo_markdown_escapes(tex) == tex


def test_the_divergence_keeps_its_bar_and_the_density_gets_its_own():
    assert undo_markdown_escapes(r"\mathrm{KL}(q(z \| x) \| p(z))") == r"\mathrm{KL}(q(z | x) \| p(z))"


def test_escapes_are_undone_in_markdown_only(tmp_path):
    text = "Notes.\n\n$$x\\_1 + x\\_2 = x\\_2 + x\\_1$$\n"
    (md,) = extract(tmp_path / "a.md", text=text)
    (tex,) = extract(tmp_path / "a.tex", text=text)
    assert md.text == "x_1 + x_2 = x_2 + x_1"
    assert tex.text == "x\\_1 + x\\_2 = x\\_2 + x\\_1"


def test_a_one_line_align_block_splits_into_its_rows(tmp_path):
    text = "Notes.\n\n\\begin{align} (a+b)^2 &= a^2 + 2ab + b^2 \\\\\\ &= b^2 + 2ab + a^2 \\end{align}\n"
    (statement,) = extract(tmp_path / "a.md", text=text)
    assert [row for _, row in statement.rows] == ["(a+b)^2 &= a^2 + 2ab + b^2", "&= b^2 + 2ab + a^2"]


# --- generated one-line align blocks: the escaped file reads as the plain one -------------------------

NAMES = ["a", "b", r"x_1", r"x_{2}", r"\theta_1", r"w_{k}"]


def _expression(rng: random.Random, names: list[str]) -> tuple[str, list[str]]:
    """A polynomial in two names and an equal form (a chain of rows), with a wrong row now and then."""
    u, v = rng.sample(names, 2)
    c = rng.randint(2, 5)
    rows = [f"({u} + {v})^2 + {c}{u}",
            f"{u}^2 + 2{u}{v} + {v}^2 + {c}{u}",
            f"{v}^2 + {u}^2 + 2{v}{u} + {c}{u}"]
    if rng.random() < 0.4:
        rows.append(f"{u}^2 + {v}^2 + {c + 1}{u}{v}")  # a slip
    if rng.random() < 0.3:
        rows.append(r"\mathbb{E}_{p(" + u + r")}[" + v + "]")  # an expectation with a subscript
    return rows[0], rows[1:]


def _documents(seed: int, blocks: int = 6) -> tuple[str, str]:
    """The same lecture twice: as kramdown authors write it, and as LaTeX writes it."""
    rng = random.Random(seed)
    escaped, plain = ["# Generated notes", ""], ["# Generated notes", ""]
    for k in range(blocks):
        first, rest = _expression(rng, NAMES)
        plain_block = r"\begin{align} " + first + " &= " + r" \\ &= ".join(rest) + r" \end{align}"
        escaped_block = plain_block.replace(r" \\ ", r" \\\ ").replace("_", r"\_")
        for out, block in ((escaped, escaped_block), (plain, plain_block)):
            out += [f"Step {k + 1} reads", "", block, ""]
    return "\n".join(escaped), "\n".join(plain)


def _summary(records) -> list[tuple]:
    return [(r.lines, r.text, r.verdict, r.reason) for r in records]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_escaped_blocks_scan_as_the_plain_ones(tmp_path, seed):
    escaped, plain = _documents(seed)
    assert r"\\\ " in escaped and r"\_" in escaped
    escaped_records = scan_text(tmp_path, escaped, name="escaped.md")
    plain_records = scan_text(tmp_path, plain, name="plain.md")
    assert not any("internal error" in r.reason or "not read" in r.reason for r in escaped_records)
    assert len(escaped_records) == 6  # one chain per block: every continuation row stays with its block
    assert not any("\\" in r.text.replace(r"\theta", "").replace(r"\mathbb", "") for r in escaped_records)
    assert _summary(escaped_records) == _summary(plain_records)
    assert {r.verdict for r in escaped_records} >= {"proved", "disagrees"}


def test_a_kramdown_block_with_a_slip_is_flagged_at_the_slip(tmp_path):
    text = ("Notes.\n\n\\begin{align} (a+b)^2 &= a^2 + 2ab + b^2 \\\\\\ &= a^2 + 3ab + b^2 \\end{align}\n")
    (record,) = scan_text(tmp_path, text)
    assert record.verdict == "disagrees"
    assert "internal error" not in record.reason


# --- a reading problem is never an internal error ----------------------------------------------------

def _raise(*args, **kwargs):
    raise AttributeError("'NoneType' object has no attribute 'group'")


@pytest.mark.parametrize("workers", [0, 1])
def test_a_check_that_raises_on_an_unread_side_is_not_read(tmp_path, monkeypatch, workers):
    monkeypatch.delenv("DERIVSPEC_DEBUG", raising=False)
    monkeypatch.setattr(runner, "check_statement", _raise)
    (record,) = scan_text(tmp_path, "Notes.\n\n$$a + b = b + \\arg\\max_a f(a)$$\n", workers=workers)
    assert record.verdict == "unchecked"
    assert record.reason.startswith("the right side is not read:") and "arg max" in record.reason


@pytest.mark.parametrize("workers", [0, 1])
def test_a_check_that_raises_on_readable_sides_names_the_defect(tmp_path, monkeypatch, workers):
    monkeypatch.delenv("DERIVSPEC_DEBUG", raising=False)
    monkeypatch.setattr(runner, "check_statement", _raise)
    (record,) = scan_text(tmp_path, "Notes.\n\n$$a + b = b + a$$\n", workers=workers)
    assert record.verdict == "unchecked"
    assert record.reason.startswith("internal error while checking: AttributeError")
