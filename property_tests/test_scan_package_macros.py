"""Macros a lecture takes from its own local package (``\\usepackage{../pkg}`` and ``pkg.sty``),
optional first arguments and the ``\\ifthenelse``/``\\IfEqCase`` they expand to.

The package and the lectures are written for the test.
"""

from __future__ import annotations

from derivspec.scan.macros import decide_conditionals, document_macros, package_macros_text
from derivspec.scan.runner import scan_path

PACKAGE = r"""\ProvidesPackage{pkg}
\newcommand{\E}[2][]{\ifthenelse{\equal{#1}{}}{\mathbb{E}\left[#2\right]}{\mathbb{E}_{#1}\left[#2\right]}}
\DeclareMathOperator{\Div}{KL}
\newcommand{\KL}[2]{\Div\left(#1\mid\mid #2\right)}
\newcommand{\lb}[2][]{\ifthenelse{\equal{#1}{}}{\log\left(#2\right)}{\log_{#1}\left(#2\right)}}
\newcommand{\form}[2][full]{\IfEqCase{#1}{{full}{a #2 + b}{short}{a #2}}}
\newcommand{\jac}[2]{J_{#1}(#2)}
\newcommand{\absdet}[2]{\left|\det \jac{#1}{#2}\right|}
% \newcommand{\twice}[1]{3 #1}
\newcommand{\twice}[1]{2 #1}
"""


def test_an_optional_first_argument_is_the_bracket_or_the_default():
    macros = document_macros("", PACKAGE)
    assert r"\mathbb{E}_{q}\left[x\right]" in macros.expand(r"\E[q]{x}")
    assert r"\mathbb{E}_{q(z|x)}\left[\log p(x|z)\right]" in macros.expand(r"\E [q(z|x)] {\log p(x|z)}")
    assert r"\mathbb{E}\left[x\right]" in macros.expand(r"\E{x}") and "_" not in macros.expand(r"\E{x}")
    assert r"\log_{2}\left(8\right)" in macros.expand(r"\lb[2]{8}")
    assert r"\operatorname{KL}" in macros.expand(r"\KL{q}{p}") and r"q\mid\mid p" in macros.expand(r"\KL{q}{p}")
    assert macros.expand(r"\form{x}").strip("{} ") == "a x + b"
    assert macros.expand(r"\form[short]{x}").strip("{} ") == "a x"


def test_conditionals_on_equal_texts_are_decided_and_others_left():
    assert decide_conditionals(r"\ifthenelse{\equal{ a }{a}}{yes}{no}") == "yes"
    assert decide_conditionals(r"\ifthenelse{\equal{a}{}}{yes}{no} + 1") == "no + 1"
    assert decide_conditionals(r"\IfEqCase{b}{{a}{1}{b}{2}}") == "2"
    assert decide_conditionals(r"\IfEqCase{c}{{a}{1}}[0] x") == "0 x"
    unknown = r"\ifthenelse{\boolean{b}}{yes}{no}"
    assert decide_conditionals(unknown) == unknown
    assert decide_conditionals(r"\IfEqCase{c}{{a}{1}}") == r"\IfEqCase{c}{{a}{1}}"


def test_a_local_package_is_found_relative_to_the_document_or_by_name_above_it(tmp_path):
    (tmp_path / "pkg.sty").write_text(PACKAGE, encoding="utf-8")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    beside, below, lost = tmp_path / "a.tex", tmp_path / "sub" / "b.tex", tmp_path / "sub" / "deeper" / "c.tex"
    assert r"\newcommand{\E}" in package_macros_text(beside, r"\usepackage{pkg}")
    assert r"\newcommand{\E}" in package_macros_text(below, r"\usepackage[opt]{amsmath, ../pkg}")
    assert r"\newcommand{\E}" in package_macros_text(lost, r"\usepackage{../../elsewhere/pkg}")  # by its name
    assert package_macros_text(beside, r"% \usepackage{pkg}") == ""
    assert package_macros_text(beside, r"\usepackage{nowhere, amsmath}") == ""


def test_the_document_s_own_definition_wins_and_commented_ones_are_not_read(tmp_path):
    (tmp_path / "pkg.sty").write_text(PACKAGE, encoding="utf-8")
    packages = package_macros_text(tmp_path / "a.tex", r"\usepackage{pkg}")
    assert document_macros("", packages).expand(r"\twice{x}") == "{2 x}"
    assert document_macros(r"\renewcommand{\twice}[1]{4 #1}", packages).expand(r"\twice{x}") == "{4 x}"


def test_a_lecture_s_package_macros_are_read_by_the_scan(tmp_path):
    (tmp_path / "pkg.sty").write_text(PACKAGE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    lecture = tmp_path / "sub" / "notes.tex"
    lecture.write_text("\\documentclass{article}\n\\usepackage{amsmath, ../pkg, nowhere}\n\\begin{document}\n"
                       "\\[ \\E[q(z)]{\\log p(x)} = \\log p(x) \\]\n"
                       "\\[ \\lb[2]{8} = 4 \\]\n"
                       "\\[ \\pdv{x}\\twice{x^2} = 4x \\]\n"  # the operator applied to the expansion, as TeX reads it
                       "\\[ \\absdet{f}{x} \\absdet{g}{x} = \\absdet{g}{x} \\absdet{f}{x} \\]\n"  # \det {J_f(x)}
                       "\\[ 1 - \\KL{q(z)}{p(z)} = 1 - \\mathrm{KL}(q(z) \\| p(z)) \\]\n"  # \mid\mid: the bar
                       "\\end{document}\n", encoding="utf-8")
    records = {r.lines[0]: r for r in scan_path(lecture, workers=0, known=False, sources=False)}
    assert records[4].verdict == "proved"
    assert records[5].verdict == "disagrees" and "3" in records[5].reason
    assert records[6].verdict == "proved"
    assert "not read" not in records[7].reason
    assert records[8].verdict == "proved"
