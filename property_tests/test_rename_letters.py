"""The measurement copies of issues 57 and 58 (benchmarks/rename_letters.py, benchmarks/respace_math.py):
the renaming is a seeded bijection of every single-letter name a document's math uses, p and q moved
off the letters a scanner may know by name, words, commands and notation untouched; the re-spacing
changes spaces and sized brackets only. Every document here is written for the test."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

from hypothesis import given, settings, strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rename_letters = _module("rename_letters")
respace_math = _module("respace_math")

LECTURE = r"""# Two coins

Let $p$ and $q$ be the laws of two coins, with $x \in \{0, 1\}$ and $\theta = p(1)$.

$$
D_{\mathrm{KL}}(p \| q) = \sum_x p(x) \log \frac{p(x)}{q(x)} \ge 0
$$

For a real $r > 0$ and a matrix $W$, $\|W^T y\|^2 = y^T W W^T y$ and
$\mathbb{E}_{x \sim p}[f(x)] = \int f(x)\, p(x)\, dx$ with \(\rho = \pi/4\).

$$
\text{for all } x: \quad \mathrm{softplus}(\alpha\beta) = \log(1 + e^{\alpha\beta}), \quad \mathcal{N}(\mu, \Sigma)
$$
"""
FORBIDDEN = {"p", "q", "P", "Q", r"\pi", r"\rho", "r", r"\varrho", r"\varpi"}


def _names_in_math(text: str) -> list[str]:
    """Every name occurrence the renaming reads, in order (the test's view of the math)."""
    return [name for start, end in rename_letters.math_bodies(text, "md")
            for _, _, name in rename_letters.name_pieces(text[start:end])]


def test_the_renaming_is_a_bijection_that_moves_every_name():
    renamed, mapping = rename_letters.rename(LECTURE)
    used = rename_letters.letters_used(LECTURE, "md")
    assert set(mapping) == set(used.names)  # every name moves ...
    assert {"p", "q", "x", "y", "f", "W", r"\theta", r"\alpha", r"\beta", r"\mu", r"\Sigma"} <= set(mapping)
    assert all(a != b for a, b in mapping.items())  # ... to another letter,
    assert len(set(mapping.values())) == len(mapping)  # no two onto one,
    assert not set(mapping.values()) & (used.occupied - set(mapping))  # never onto a letter that stays
    assert renamed.count("\n") == LECTURE.count("\n")


def test_p_and_q_leave_the_letters_a_scanner_may_know_by_name():
    for seed in range(20):
        _, mapping = rename_letters.rename(LECTURE, seed=seed)
        assert mapping["p"] not in FORBIDDEN and mapping["q"] not in FORBIDDEN, (seed, mapping)
        assert not set(mapping.values()) & FORBIDDEN
        assert r"\pi" not in mapping and r"\rho" in mapping  # \pi is a constant; \rho a name that moves


def test_every_occurrence_is_renamed_alike_and_prose_is_left_alone():
    renamed, mapping = rename_letters.rename(LECTURE)
    before, after = _names_in_math(LECTURE), _names_in_math(renamed)
    assert after == [mapping.get(name, name) for name in before]  # one mapping for the whole document
    prose = lambda text: re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)", "", text, flags=re.DOTALL)  # noqa: E731
    assert prose(renamed) == prose(LECTURE)


def test_words_commands_and_notation_are_untouched():
    renamed, _ = rename_letters.rename(LECTURE)
    for kept in (r"\text{for all }", r"\mathrm{softplus}", r"\mathrm{KL}", r"\mathbb{E}", r"\mathcal{N}",
                 r"\frac", r"\log", r"\sum", r"\int", r"\ge", r"e^{", r"\, d", r"\pi/4"):
        assert renamed.count(kept) == LECTURE.count(kept), kept
    assert "^T" in renamed and renamed.count("^T") == LECTURE.count("^T")  # a transpose, not the name T
    assert re.search(r"D_\{\\mathrm\{KL\}\}", renamed)  # the divergence's D is notation


def test_the_inverse_mapping_gives_the_original_back():
    renamed, mapping = rename_letters.rename(LECTURE, seed=3)
    back, _ = rename_letters.rename(renamed, mapping={b: a for a, b in mapping.items()})
    assert back.replace(" ", "") == LECTURE.replace(" ", "")


def test_a_latin_target_never_joins_a_command_or_a_letter():
    renamed, _ = rename_letters.rename(r"$\alpha\beta + \gamma\cdot\delta x$", mapping={
        r"\alpha": "a", r"\beta": "b", r"\gamma": "c", r"\delta": "k"})
    assert renamed == r"$ab + c\cdot k x$"  # \cdot k, not \cdotk; "ab" two letters, "kx" would be too


def test_english_words_in_a_body_that_holds_sentences_are_not_names():
    text = r"$$x = y \quad \comment{the value of x is close to y} \quad a x$$"
    renamed, mapping = rename_letters.rename(text, mapping={"x": "u", "y": "v", "o": "w", "t": "k", "s": "m",
                                                           "i": "j", "f": "g", "a": "b"})
    assert renamed == r"$$u = v \quad \comment{the value of u is close to v} \quad b u$$"  # of, is, to: words
    plain = "$a x + t o$"  # no sentence: every letter is a name
    assert rename_letters.rename(plain, mapping={"a": "b", "t": "k", "o": "w"})[0] == "$b x + k w$"


def test_the_same_seed_gives_the_same_renaming():
    assert rename_letters.rename(LECTURE, seed=11) == rename_letters.rename(LECTURE, seed=11)
    assert rename_letters.rename(LECTURE, seed=11)[1] != rename_letters.rename(LECTURE, seed=12)[1]


def test_issue_42s_renaming_stays_reachable():
    _, mapping = rename_letters.rename("$p(x|z) = q(z)$", scheme="issue42")
    assert mapping == {"z": "v", "q": "r", "x": "u", "p": r"\pi"}  # p onto \pi: the letter the new one avoids


def test_a_notebook_is_renamed_with_one_mapping_over_its_cells(tmp_path):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["Let $p(x)$ be a density\n", "of $x$.\n"]},
             {"cell_type": "code", "metadata": {}, "source": ["p = 1  # code is not math\n"], "outputs": [],
              "execution_count": None},
             {"cell_type": "markdown", "metadata": {}, "source": "$$\n\\int p(x)\\, dx = 1\n$$"}]
    notebook = tmp_path / "a.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    mapping = rename_letters.rename_path(notebook, tmp_path / "b.ipynb")
    renamed = json.loads((tmp_path / "b.ipynb").read_text())["cells"]
    assert set(mapping) == {"p", "x"}
    first, code, last = ("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in renamed)
    assert code == "p = 1  # code is not math\n"
    p, x = mapping["p"], mapping["x"]
    assert f"({x})" in first and f"({x})" in last and last.count("\n") == 2 and first.count("\n") == 2
    assert first.startswith(f"Let ${p}") and f"\\int {p}" in last.replace(f"\\int{p}", f"\\int {p}")


def test_the_command_line_refuses_a_missing_folder(tmp_path, capsys):
    assert rename_letters.main([str(tmp_path / "none"), str(tmp_path / "out")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert respace_math.main([str(tmp_path / "none"), str(tmp_path / "out")]) == 2


def test_the_command_line_shows_the_names_it_moved(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("$p(x) = q(x)$\n")
    assert rename_letters.main([str(tmp_path / "src"), str(tmp_path / "dst"), "--show"]) == 0
    shown = capsys.readouterr().out
    assert re.search(r"a\.md: .*p->", shown) and "q->" in shown and "x->" in shown


# --- the re-spacing copy --------------------------------------------------------------------------

SPACED = r"""Prose, with: commas <b> and colons.

$$
f\left(x,y\right) = \left[a:b\right], \quad a := b, \quad 0<x<=1, \quad x>0, \quad 1,000 \, x
$$

$\left.\frac{a}{b}\right|_{x=0}$ and $\left( a \middle| b \right)$ and $\text{a,b}$ and $x->y$ and $\left<x\right>$
"""


def test_the_respacing_changes_spaces_and_plain_sized_brackets_only():
    spaced, edits = respace_math.respace(SPACED)
    assert r"f(x, y) = [a: b]" in spaced
    assert "a := b" in spaced and "0 < x <= 1" in spaced and "x > 0" in spaced
    assert "1,000" in spaced and r"\, x" in spaced  # a thousands separator and a thin space are kept
    assert r"\left.\frac{a}{b}\right|_{x=0}" in spaced  # \left. has no plain bracket: both ends kept
    assert r"\left( a \middle| b \right)" in spaced  # a \middle needs its \left and \right
    assert r"\text{a,b}" in spaced and "x->y" in spaced and r"\left<x\right>" in spaced
    assert spaced.splitlines()[0] == SPACED.splitlines()[0]  # prose is left alone
    assert spaced.count("\n") == SPACED.count("\n") and edits == 9  # 4 brackets, 1 comma, 1 colon, 3 relations


def _meaning(text: str) -> str:
    """What the re-spacing may not change: the text without spaces and without \\left/\\right."""
    return re.sub(r"\s+|\\left(?![A-Za-z])|\\right(?![A-Za-z])", "", text)


BODY_PARTS = st.sampled_from(["x", "y", ",", ":", "<", ">", "=", "(", ")", r"\left(", r"\right)", r"\left[",
                              r"\right]", " ", r"\frac{a}{b}", "1", r"\le", "_", "^", r"\text{a, b}"])


@settings(max_examples=200, deadline=None)
@given(st.lists(BODY_PARTS, min_size=1, max_size=20))
def test_the_respacing_keeps_the_math_and_the_lines(parts):
    text = "Words.\n\n$$\n" + "".join(parts) + "\n$$\n\nMore words.\n"
    spaced, _ = respace_math.respace(text)
    assert spaced.count("\n") == text.count("\n")
    assert _meaning(spaced) == _meaning(text)
    assert respace_math.respace(spaced)[0] == spaced  # a second pass changes nothing


def test_a_complement_mark_among_events_is_notation_and_a_power_elsewhere_is_a_name():
    events = "For events,\n$$\n\\mathbb{P}(A) = \\mathbb{P}(A \\cap B) + \\mathbb{P}(A \\cap B^{C})\n$$\n"
    renamed, _ = rename_letters.rename(events)
    assert "^{C}" in renamed and "A" not in renamed.split("$$")[1]  # the mark stays, the events move
    algebra = "With $c$ a constant,\n$$\nx^{c} = y^c\n$$\n"
    renamed, _ = rename_letters.rename(algebra)
    assert "^{c}" not in renamed  # no events here: c is a name and moves


CONVENTIONS = r"""# Conventions

Let $X \sim N(0, 1)$ and $Y \sim t(\nu)$ with $a > 0$ and $b > 0$.

$$
H(X \mid Y) = H(X, Y) - H(Y), \quad \sigma(a) = \frac{1}{1 + e^{-a}}, \quad p(a) q(b) = g
$$
"""


def test_letters_in_their_conventional_roles_are_kept_and_never_targets():
    """An entropy H(X), a sigmoid σ(a), the families N(…) and t(…) after ∼ are the knowledge table's notation:
    renamed, the copy would mean something else (p renamed t made t(s) a Student law: a false flag in the renamed
    development half at 7b65795); and no name becomes H, N or t."""
    for seed in range(20):
        renamed, mapping = rename_letters.rename(CONVENTIONS, seed=seed)
        assert not {"H", r"\sigma", "N", "t"} & set(mapping), (seed, mapping)
        assert not {"H", "N", "t"} & set(mapping.values()), (seed, mapping)
        assert "N(0, 1)" in renamed and "H(" in renamed and r"\sigma(" in renamed
    renamed, mapping = rename_letters.rename("Take $N = 10$ draws at times $t = 1, \\dots, N$ and $H = 2$.\n")
    assert {"N", "t", "H"} <= set(mapping)  # a count, a time, a name: moved as any other letter


def test_a_transpose_mark_before_a_letter_is_kept():
    """``X^TI_n`` is X^{T} I_n (a superscript takes one letter): T is the transpose there, never renamed (the
    renamed development half read ``H^sI_W`` at 7b65795)."""
    renamed, mapping = rename_letters.rename("Then $\\lambda X^TI_n = X^T X$ and $T = 3$.\n", seed=1)
    assert renamed.count("^T") == 2 and "T" in mapping  # the transposes stay; the T of T = 3 is a name


def test_inline_math_in_a_commands_argument_is_renamed_too():
    """A beamer block's title "treat $p(z|x,w)$ as fixed" is no math fragment, but the scanner reads it in the
    prose before the display: left as it was, the renamed copy held another name fixed (two false flags in the
    renamed development half at 7b65795)."""
    tex = ("\\begin{frame}\\begin{block}{Gradient (treat $p(z|x,w)$ as fixed)}\n\\begin{align*}\n"
           "\\frac{d}{dw} \\sum_z p(z|x,w) \\log p(x,z|w)\n\\end{align*}\n\\end{block}\\end{frame}\n")
    renamed, mapping = rename_letters.rename(tex, "tex", seed=1)
    title = renamed[renamed.index("(treat"):renamed.index("as fixed")]
    assert mapping["p"] in title and "p(" not in title


def test_inline_math_beside_a_fragment_is_renamed_once():
    """Two inline formulas on one line of a .tex frame: a $…$ pair that overlaps a fragment the scanner finds is
    not a second body (it duplicated text in the renamed development half at efc3eb6)."""
    tex = "Define model $ p(x,z) = p(x|z)p(z) $ where the likelihood $ p(x|z) $ is given.\n"
    renamed, mapping = rename_letters.rename(tex, "tex", seed=1)
    assert renamed.count("=") == 1 and renamed.count("$") == 4 and len(renamed) < len(tex) + 40
