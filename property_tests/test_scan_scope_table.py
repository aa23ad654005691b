r"""Issue 88: what scan assumed, shown (the scope table, ``scan --scope``); declarations; errors and questions.

The five shapes of the issue, three phrasings each in other letters: the right display is no error without a
declaration (a question at most), and its wrong twin is an error once the document declares what it means. Every
document here is written for the test (lecture prose that sets things up around a display, a definition in another
line, cell or table row, words after the display).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derivspec.scan import scan_file
from derivspec.scan.declarations import DeclarationError, in_document, parse
from derivspec.scan.notation import role_letters, table
from derivspec.scan.rules.registry import select

RULES = select(preview=True)


def flags(folder: Path, name: str, text: str) -> list[dict]:
    path = folder / name
    if name.endswith(".ipynb"):
        cells = [{"cell_type": "markdown", "metadata": {}, "source": cell} for cell in text.split("\n---cell---\n")]
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                        encoding="utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    records = scan_file(path, workers=0, rules=RULES, sources=False)
    return [r.to_json() for r in records if r.verdict == "disagrees"]


def errors(found: list[dict]) -> list[dict]:
    return [f for f in found if f["severity"] == "error"]


# (name, right, wrong twin with its declaration): each right one no error without a declaration, each twin an error
SHAPES = {
    # a random variable and its value
    "value-sum": ("Let $U \\sim q_U$ be a discrete random variable. For any function $h$,\n\n"
                  "$$\\mathbb{E}[h(U)] = \\sum_{u} h(u)\\, q_U(u)$$\n",
                  "<!-- derivspec: U: random variable, value u -->\nLet $U \\sim q_U$ be a discrete random variable. "
                  "For any function $h$,\n\n$$\\mathbb{E}[h(U)] = \\sum_{u} h(U)\\, q_U(u)$$\n"),
    "value-spread": ("The count $V \\sim p_V$ has mean $\\mu = \\mathbb{E}[V]$ and spread\n\n"
                     "$$\\mathbb{E}[(V - \\mu)^2] = \\sum_{v} (v - \\mu)^2\\, p_V(v)$$\n",
                     "<!-- derivspec: V: random variable, value v -->\nThe count $V \\sim p_V$ has mean "
                     "$\\mu = \\mathbb{E}[V]$ and spread\n\n$$\\mathbb{E}[(V - \\mu)^2] = \\sum_{v} (V - \\mu)^2\\, p_V(v)$$\n"),
    "value-integral": ("For a continuous $W \\sim f_W$ and a function $g$ of it,\n\n"
                       "$$\\mathbb{E}[g(W)] = \\int g(w)\\, f_W(w)\\, dw$$\n",
                       "<!-- derivspec: W: random variable, value w -->\nFor a continuous $W \\sim f_W$ and a function "
                       "$g$ of it,\n\n$$\\mathbb{E}[g(W)] = \\int g(W)\\, f_W(w)\\, dw$$\n"),
    # a document's own CDF
    "cdf-exponential": ("A standard normal $Z \\sim \\mathcal{N}(0, 1)$ was used above. A lifetime $X$ is exponential "
                        "with rate one; its CDF is\n\n$$F(X) = 1 - e^{-X}$$\n",
                        "<!-- derivspec: X ~ Exponential(1); F: cdf of X -->\nA standard normal $Z \\sim \\mathcal{N}(0, 1)$ "
                        "was used above. A lifetime $X$ is exponential with rate one; its CDF is\n\n$$F(X) = 1 + e^{-X}$$\n"),
    "cdf-rayleigh": ("For the Rayleigh radius $R$ with unit scale, the probability of a radius below $r \\ge 0$ is\n\n"
                     "$$G(r) = 1 - e^{-r^2/2}$$\n",
                     "<!-- derivspec: G: cdf of R -->\nFor the Rayleigh radius $R$ with unit scale, the probability of a "
                     "radius below $r \\ge 0$ is\n\n$$G(r) = e^{-r^2/2}$$\n"),
    "cdf-geometric": ("Write $Y \\sim \\mathcal{N}(\\mu, \\sigma^2)$ for the noise. The number of trials $K$ until the "
                      "first success has distribution function\n\n$$F_K(k) = 1 - (1 - \\theta)^{k}$$\n",
                      "<!-- derivspec: K ~ Geometric(theta); F_K: cdf of K -->\nWrite $Y \\sim \\mathcal{N}(\\mu, "
                      "\\sigma^2)$ for the noise. The number of trials $K$ until the first success has distribution "
                      "function\n\n$$F_K(k) = 1 - (1 - \\theta)^{k - 1}$$\n"),
    # Γ the Gamma function
    "gamma-once": ("Integrating by parts once more,\n\n$$\\Gamma(\\alpha + 1) = \\alpha\\, \\Gamma(\\alpha)$$\n",
                   "<!-- derivspec: Gamma: gamma function -->\nIntegrating by parts once more,\n\n"
                   "$$\\Gamma(\\alpha + 1) = (\\alpha + 1)\\, \\Gamma(\\alpha)$$\n"),
    "gamma-twice": ("Applying the recursion twice,\n\n$$\\Gamma(s + 2) = (s + 1)\\, s\\, \\Gamma(s)$$\n",
                    "% derivspec: Gamma: gamma function\nApplying the recursion twice,\n\n"
                    "$$\\Gamma(s + 2) = (s + 1)\\, \\Gamma(s)$$\n"),
    "gamma-ratio": ("The normaliser of the Dirichlet simplifies because\n\n"
                    "$$\\frac{\\Gamma(b + 1)}{\\Gamma(b)} = b$$\n",
                    "<!-- derivspec: Gamma: gamma function -->\nThe normaliser of the Dirichlet simplifies because\n\n"
                    "$$\\frac{\\Gamma(b + 1)}{\\Gamma(b)} = b + 1$$\n"),
    # q = 1 - p stated in another line, cell or table row
    "complement-table": ("Let $p$ be the probability of heads and write $q = 1 - p$ for tails.\n\n| outcome | probability |\n"
                         "|---|---|\n| $k$ heads in $n$ flips | $P(K = k) = \\binom{n}{k} p^k q^{n-k}$ |\n",
                         "Let $p$ be the probability of heads and write $q = 1 - p$ for tails.\n\n| outcome | probability |\n"
                         "|---|---|\n| $k$ heads in $n$ flips | $P(K = k) = \\binom{n}{k} p^k q^{n-k+1}$ |\n"),
    "complement-after": ("Among $m$ independent draws the number of hits has pmf\n\n$$f(j) = \\binom{m}{j} a^{j} b^{m - j}$$\n\n"
                         "where $b = 1 - a$ is the miss probability.\n",
                         "Among $m$ independent draws the number of hits has pmf\n\n$$f(j) = \\binom{m}{j} a^{j} b^{m}$$\n\n"
                         "where $b = 1 - a$ is the miss probability.\n"),
    "complement-declared": ("<!-- derivspec: q = 1 - p -->\nThe number of heads $K$ in $n$ tosses has pmf\n\n"
                            "$$P(K = k) = \\binom{n}{k} p^k q^{n-k}$$\n",
                            "<!-- derivspec: q = 1 - p -->\nThe number of heads $K$ in $n$ tosses has pmf\n\n"
                            "$$P(K = k) = \\binom{n}{k} p^k q^{n}$$\n"),
    # an n - 2 estimator explained around its display
    "dof-after": ("The residuals are $e_i = y_i - \\hat\\beta_0 - \\hat\\beta_1 x_i$. An unbiased estimate of the noise "
                  "variance is\n\n$$\\hat\\sigma^2 = \\frac{1}{n-2} \\sum_{i=1}^{n} e_i^2$$\n\nwhich has $n - 2$ degrees "
                  "of freedom, since two parameters were estimated.\n",
                  "The residuals are $e_i = y_i - \\hat\\beta_0 - \\hat\\beta_1 x_i$. Their average square is\n\n"
                  "$$\\hat\\sigma^2 = \\frac{1}{n-2} \\sum_{i=1}^{n} e_i^2$$\n"),
    "dof-before": ("Dividing by the degrees of freedom rather than by the count of points,\n\n"
                   "$$s^2 = \\frac{1}{m - 2} \\sum_{j=1}^{m} r_j^2$$\n\nis the usual estimate for a fitted line.\n",
                   "The mean of the squared residuals over the $m$ points is\n\n"
                   "$$s^2 = \\frac{1}{m - 2} \\sum_{j=1}^{m} r_j^2$$\n"),
    "dof-bessel": ("With the sample mean $\\bar z$ of the $N$ draws, the sample variance\n\n"
                   "$$\\hat v = \\frac{1}{N - 1} \\sum_{k=1}^{N} (z_k - \\bar z)^2$$\n\nis unbiased (Bessel's correction).\n",
                   "The average of the $N$ draws $z_1, \\dots, z_N$ is\n\n"
                   "$$\\bar z = \\frac{1}{N} \\sum_{k=0}^{N} z_k$$\n"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_right_is_no_error_and_wrong_twin_is_one(tmp_path, shape):
    right, wrong = SHAPES[shape]
    assert errors(flags(tmp_path, "right.md", right)) == [], shape
    twin = errors(flags(tmp_path, "wrong.md", wrong))
    assert twin, f"{shape}: the wrong twin is not an error"
    assert all(r["provenance"] not in ("guess", "unknown") for f in twin for r in f["rests_on"])


def test_a_definition_in_another_cell_is_in_force(tmp_path):
    cells = ("Each trial succeeds with probability $s$; let $r = 1 - s$ be the chance of failure.\n---cell---\n"
             "The outcome $Y$ has pmf\n\n$$P(Y = y) = s^{y} r^{1 - y}, \\quad y \\in \\{0, 1\\}$$")
    assert errors(flags(tmp_path, "right.ipynb", cells)) == []
    assert errors(flags(tmp_path, "wrong.ipynb", cells.replace("r^{1 - y}", "r^{y}")))


def test_a_guess_is_a_question_naming_its_declaration(tmp_path):
    found = flags(tmp_path, "g.md", SHAPES["gamma-once"][0])
    assert [f["severity"] for f in found] == ["question"]
    assert "Gamma: gamma function" in found[0]["reason"] and "Gamma: any function" in found[0]["reason"]
    assert {"name": "\\Gamma", "provenance": "guess", "line": 3} in found[0]["rests_on"]
    assert found[0]["level"] == "notice"
    # answered: declared an arbitrary function, the same step is an error
    answered = flags(tmp_path, "h.md", "<!-- derivspec: Gamma: any function -->\n" + SHAPES["gamma-once"][0])
    assert [f["severity"] for f in answered] == ["error"]
    assert any(r["provenance"] == "declared" for r in answered[0]["rests_on"])


def test_a_capital_read_as_a_number_is_a_question(tmp_path):
    found = flags(tmp_path, "p.md", "For the projection onto the column space,\n\n$$Q^2 = Q$$\n")
    assert found and all(f["severity"] == "question" for f in found)


@pytest.mark.parametrize("letter", ["\\psi", "\\Gamma"])
def test_a_letter_of_the_documents_own_read_by_a_function_row_is_a_question(tmp_path, letter):
    """A test's rejection rule written with psi (or Gamma) at three points, never called digamma (or the Gamma
    function): the function row that reads the letter as the tables' function rests on a guess -- a question;
    where the words name the function, the same value is an error."""
    text = ("The size of the test is\n\n$$\\mathbb{E}[L(Y)] = \\frac{1}{4}L(0) + \\frac{1}{2}L(1) + \\frac{1}{4}L(2)"
            " = 0.05$$\n\nA cutoff rule gives $L(0)=L(1)=0$ and $$L(2)=1/5$$.\n").replace("L(", letter + "(")
    found = [f for f in flags(tmp_path, "t.md", text) if f["lines"][0] == 5]
    assert found and all(f["severity"] == "question" for f in found)
    assert any(r["provenance"] == "guess" and r["name"] == letter for r in found[0]["rests_on"])
    named = {"\\psi": "the digamma function", "\\Gamma": "the Gamma function"}[letter]
    sure = flags(tmp_path, "n.md", f"Recall {named}.\n\n$${letter}(2)=1/5$$\n")
    assert [f["severity"] for f in sure] == ["error"]


def test_a_plain_identity_stays_an_error(tmp_path):
    found = flags(tmp_path, "s.md", "For numbers $u$ and $w$,\n\n$$(u + w)^2 = u^2 + w^2$$\n\n"
                                     "and the entropy is $H(\\mathcal N(\\mu, \\sigma^2)) = \\log(2\\pi e \\sigma^2)$ nats.\n")
    assert [f["severity"] for f in found] == ["error", "error"]


def test_a_contradicted_declaration_is_reported(tmp_path):
    path = tmp_path / "c.md"
    path.write_text("<!-- derivspec: q = 1 - p -->\nHere $q = p^2$ instead.\n\n$$q + p = p^2 + p$$\n", encoding="utf-8")
    records = [r.to_json() for r in scan_file(path, workers=0, sources=False)]
    said = [r for r in records if r["reason"].startswith("the declaration `q = 1 - p` is contradicted")]
    assert said and said[0]["lines"] == [1, 1] and said[0]["level"] == "notice"


def test_declarations_read_in_the_catalogue_words():
    assert parse("x ~ Poisson(lambda)").latex == r"x \sim \mathrm{Pois}(\lambda)" or "Poisson" in parse(
        "x ~ Poisson(lambda)").latex
    assert parse("W: matrix(d, k)").kind == "matrix(d, k)"
    assert parse("p(x | z): density of x").kind == "density of x"
    assert parse("Gamma: gamma function").name == r"\Gamma"
    assert parse(r"\E: expectation").form == "macro"
    assert parse("line 42: claim kl.gaussian.univariate").at == 42
    with pytest.raises(DeclarationError):
        parse("Gamma: a famous function")
    found = in_document("% derivspec: q = 1 - p\n% derivspec: ignore\nx\n% derivspec: F: cdf of X; X ~ Normal(0, 1)", "tex")
    assert [d.form for d in found] == ["definition", "kind", "law"] and [d.line for d in found] == [1, 4, 4]


def test_declared_macro_and_mathjax_macros_are_expanded(tmp_path):
    text = ("<!-- derivspec: \\Ex: expectation -->\n<script>MathJax = {tex: {macros: {Vr: '\\\\mathrm{Var}'}}}</script>\n"
            "For a number $c$, $$\\Ex[c] = c$$ and $$\\Vr(c) = 0$$\n")
    path = tmp_path / "m.md"
    path.write_text(text, encoding="utf-8")
    from derivspec.app.scan_scope import scope_of

    entries, _ = scope_of(path, "m.md")
    kinds = {e.name: e for e in entries}
    assert kinds["\\mathbb{E}"].provenance == "notation" and kinds["\\mathrm{Var}"].provenance == "notation"


def test_scope_json_lists_every_symbol_with_its_provenance(tmp_path, capsys):
    from derivspec.app import cli

    path = tmp_path / "s.md"
    path.write_text("<!-- derivspec: Gamma: gamma function -->\nLet $X \\sim \\mathrm{Poisson}(\\lambda)$ and "
                    "$q = 1 - p$.\n\n$$\\mathbb{E}[X] + \\Gamma(z) + f(t) + \\sigma(a) = Q$$\n", encoding="utf-8")
    assert cli.main(["scan", "--scope", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {s["name"]: s for s in data["symbols"]}
    assert {"name", "kind", "provenance", "line", "cue"} <= set(rows["X"])
    assert rows["\\Gamma"]["provenance"] == "declared"
    assert rows["X"]["provenance"] == "defined" and rows["X"]["line"] == 2
    assert rows["q"]["provenance"] == "defined"
    assert rows["\\mathbb{E}"]["provenance"] == "notation"
    assert rows["f"]["provenance"] == "unknown" and rows["\\sigma"]["provenance"] == "guess"
    assert rows["Q"]["provenance"] == "guess"
    assert data["summary"]["s.md"]["statements"] >= 1
    assert cli.main(["scan", "--scope", str(path)]) == 0
    assert "guess" in capsys.readouterr().out


def test_course_declarations_in_settings(tmp_path, capsys):
    from derivspec.app import cli

    (tmp_path / "derivspec.toml").write_text('declare = ["Gamma: gamma function"]\n', encoding="utf-8")
    (tmp_path / "g.md").write_text(SHAPES["gamma-once"][0], encoding="utf-8")
    code = cli.main(["scan", "--json", "--no-cache", "--jobs", "1", "--config", str(tmp_path / "derivspec.toml"),
                     str(tmp_path / "g.md")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and [s["verdict"] for s in data["statements"]] == ["proved"]
    (tmp_path / "bad.toml").write_text('declare = ["Gamma: famous"]\n', encoding="utf-8")
    assert cli.main(["scan", "--config", str(tmp_path / "bad.toml"), str(tmp_path / "g.md")]) == 2


def test_the_letter_roles_are_rows_of_the_one_table():
    rows = table()
    assert rows["role"] and all(r["evidence"] for r in rows["role"].values() if r["id"] in ("logit", "label", "loss"))
    assert role_letters("logit") >= {"h", "z"}
    for r in rows["symbol"].values():
        assert r["provenance"] in ("notation", "guess", "unknown")
        if r["provenance"] == "guess" and r["latex"]:
            assert r["evidence"], f"{r['id']}: a guess needs development documents that use it otherwise"


def test_a_line_declared_as_a_claim_is_checked_against_it(tmp_path):
    path = tmp_path / "k.md"
    path.write_text("<!-- derivspec: line 4: claim kl.gaussian.standard; line 6: claim kl.gaussian.standard -->\n"
                    "For the prior,\n\n$$D(m, s) = \\frac{1}{2}\\left(m^2 + s^2 - 1 - \\log s^2\\right)$$\n\n"
                    "and wrongly $$E(m, s) = m^2 + s^2 - 1 - \\log s^2$$\n", encoding="utf-8")
    records = {r.lines[0]: r.to_json() for r in scan_file(path, workers=0, sources=False)}
    assert records[4]["verdict"] != "disagrees" and records[4]["claim"] == "kl.gaussian.standard"
    assert records[6]["verdict"] == "disagrees" and records[6]["severity"] == "error"
    assert records[6]["rests_on"][0]["provenance"] == "declared"


def test_a_declared_value_answers_the_dependence_rule(tmp_path):
    text = ("Let $X$ be discrete with $X \\sim p$. For a function $g$,\n\n"
            "$$\\mathbb{E}[g(X)] = \\sum_{x} g(x)\\, p(X = x)$$\n")
    asked = flags(tmp_path, "a.md", text)
    assert errors(asked) == []
    answered = flags(tmp_path, "b.md", "<!-- derivspec: X: random variable, value x -->\n" + text)
    assert answered == []


def test_a_probability_letter_written_bare_is_a_capital(tmp_path):
    found = flags(tmp_path, "p.md", "Let $P$ project onto the span of the columns. Applying it twice,\n\n$$P^2 = P$$\n\n"
                                     "and $P(A) = 1/2$ is a probability elsewhere.\n")
    assert found and all(f["severity"] == "question" for f in found)


def test_a_letter_applied_elsewhere_is_a_number_where_written_bare(tmp_path):
    text = ("The noise level follows a schedule $\\sigma(t)$ of the time. For the two roots,\n\n"
            "$$(\\sigma_1 + \\sigma_2)^2 = \\sigma_1^2 + \\sigma_2^2$$\n")
    found = flags(tmp_path, "s.md", text)
    assert [f["severity"] for f in found] == ["error"]


def test_a_support_stated_for_another_law_is_a_guess(tmp_path):
    text = ("A coin flip $x \\in \\{0, 1\\}$ lands heads with probability $\\theta$.\n\n"
            "$$p(x \\mid \\theta) = \\theta^x (1 - \\theta)^{1 - x}$$\n\nMuch later, in a section of its own,\n\n"
            "we count failures before the $r$-th success.\n\nThe count has the law\n\n"
            "$$f(x \\mid r, \\theta) = \\binom{x + r - 1}{x} \\theta^r (1 - \\theta)^x$$\n")
    assert errors(flags(tmp_path, "n.md", text)) == []


def test_a_defined_name_rests_on_what_its_definition_uses(tmp_path):
    text = ("The projection onto the columns of $B$ is $$R = B(B^\\top B)^{-1}B^\\top$$ and applying it twice,\n\n"
            "$$R^2 = R \\circ R = R$$\n")
    found = flags(tmp_path, "r.md", text)
    assert errors(found) == []


def test_a_variance_written_in_blackboard_stays_an_error(tmp_path):
    found = flags(tmp_path, "v.md", "Scaling a random variable,\n\n$$\\mathbb{Var}(cY) = c\\,\\mathbb{Var}(Y)$$\n")
    assert [f["severity"] for f in found] == ["error"]


def test_what_a_law_is_given_may_be_a_matrix(tmp_path):
    text = ("With a design matrix $A$ and weights $v$, the targets $t$ of dimension $K$ have likelihood\n\n"
            "$$p(t \\mid A, v) = \\frac{1}{(2 \\pi s^2)^{K/2}} \\exp\\left(-\\frac{1}{2 s^2} (t - Av)^{\\top}(t - Av)\\right)$$\n")
    assert errors(flags(tmp_path, "g.md", text)) == []


def test_a_capital_only_given_to_laws_keeps_an_error(tmp_path):
    text = ("By Bayes' rule for the weights $v$ given data $B$ and targets $t$,\n\n"
            "$$p(v \\mid B, t) = \\frac{p(t \\mid B, v)\\, p(v)}{p(t \\mid B)}$$\n\nso that\n\n"
            "$$-\\frac{d \\log p(v \\mid B, t)}{dv} = \\frac{d \\log p(t \\mid B, v)}{dv} - \\frac{d \\log p(v)}{dv}$$\n")
    found = flags(tmp_path, "b.md", text)
    assert [f["severity"] for f in found] == ["error"]


def test_every_declaration_a_question_proposes_is_one_the_parser_accepts():
    """A question names the declarations that answer it (a row's ``declare``): each must parse, to the row's
    reading for the first ('I: identity matrix' was refused as an unknown kind)."""
    from derivspec.scan.declarations import parse
    from derivspec.scan.notation import table

    for section in ("symbol", "role"):
        for row in table()[section].values():
            for text in row.get("declare", ()):
                assert parse(text).name, text


@pytest.mark.parametrize("letters", [("v", "t", "\\eta", "z"), ("v", "K", "\\eta", "z"),
                                     ("\\gamma_M", "\\psi", "\\nu", "y_M")])
def test_an_unrolled_iterate_in_any_index_letter_is_no_error(tmp_path, letters):
    """x^{s+1} = (1 - a)x^s = (1 - a)^{s+1} x^0: the superscript is the iteration index whatever its letter (a capital
    or a Greek letter, as a renamed copy writes it), never an exponent read silently -- the right chain is no error."""
    name, s, step, curve = letters
    text = (f"Gradient descent on a quadratic with curvature ${curve}$:\n\n$${name}^{{{s}+1}} = {name}^{{{s}}} - {step} "
            f"{curve} {name}^{{{s}}} = (1 - {step} {curve}) {name}^{{{s}}} = (1 - {step} {curve})^{{{s}+1}} {name}^0$$\n")
    assert errors(flags(tmp_path, "iterate.md", text)) == [], text


def test_a_name_defined_bare_and_also_applied_has_a_scope_entry(tmp_path):
    """q = 1/2 above, q(x) beside q below: no definition of q as a function to look up (an internal error once)."""
    path = tmp_path / "q.md"
    path.write_text("Let $q = 1/2$.\n\n$$q(x) q = q^2$$\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "derivspec", "scan", str(path), "--scope"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr
    assert re.search(r"^\s*\d+\s+q\s+defined", done.stdout, re.MULTILINE), done.stdout
