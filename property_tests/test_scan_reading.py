"""derivspec scan, step 2: the LaTeX reader's document mode (a lecture's own notation)."""

from __future__ import annotations

import pytest
import sympy

from derivspec.core.errors import FormulaError
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import DocumentNames, bare_names, is_opaque_function, read_document
from derivspec.scan import algebra


def read(text: str, statement: str | None = None, **options):
    names = DocumentNames()
    return read_document(text, names, bare_names(statement or text), **options)


def test_lecture_names_become_symbols_and_fonts_are_kept():
    reading = read(r"\mathbf{x}_0 + x_0 + \bar\alpha_{t-1}")
    assert {s.name for s in reading.expr.free_symbols} == {r"\mathbf{x}_{0}", "x_{0}", r"\bar{\alpha}_{t-1}"}


def test_undefined_functions_are_opaque_applications_with_their_separators():
    expr = read(r"\log p(x \mid z) - \mathrm{KL}(q(z \mid x) \| p(z))").expr
    heads = {a.func.__name__ for a in sympy.preorder_traversal(expr) if is_opaque_function(a)}
    assert heads == {"p[|]", r"\mathrm{KL}[‖]", "q[|]", "p"}


def test_a_bracket_after_a_bare_name_is_a_product():
    p = sympy.Symbol("p", real=True)
    assert sympy.expand(read(r"p(1 - p)", r"p - p^2 = p(1 - p)").expr) == p - p ** 2
    assert is_opaque_function(read(r"p(x)").expr)


def test_sigma_of_z_is_the_sigmoid_and_its_derivative():
    z = sympy.Symbol("z", real=True)
    assert sympy.simplify(read(r"\sigma(z)").expr - 1 / (1 + sympy.exp(-z))) == 0
    assert sympy.simplify(read(r"\sigma'(z)").expr - sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2) == 0


def test_expectations_are_linear_in_the_normal_form():
    left = algebra.normal_form(read(r"\mathbb{E}_q\left[\log \frac{p(z)}{q(z)}\right]").expr)
    right = algebra.normal_form(read(r"\mathbb{E}_q[\log p(z)] - \mathbb{E}_q[\log q(z)]").expr)
    atoms = algebra.Atoms()
    assert sympy.simplify(algebra.atomize(left, atoms) - algebra.atomize(right, atoms)) == 0


def test_derivatives_of_expressions_are_taken():
    theta = sympy.Symbol(r"\theta", real=True)
    expr = read(r"\frac{d}{d\theta} \theta^9(1-\theta)^4").expr
    assert sympy.simplify(expr - sympy.diff(theta ** 9 * (1 - theta) ** 4, theta)) == 0


def test_a_derivative_of_a_named_quantity_stays_opaque():
    expr = read(r"\nabla_{\theta} L").expr
    assert expr.has(sympy.Derivative)


def test_sums_over_symbolic_ranges_bind_their_index():
    expr = read(r"\sum_{i=1}^{n} x_i^2").expr
    assert isinstance(expr, sympy.Sum)
    assert any(is_opaque_function(a) for a in sympy.preorder_traversal(expr.function))


def test_sums_over_numbers_expand():
    expr = read(r"\sum_{i=1}^{3} x_i").expr
    assert {s.name for s in expr.free_symbols} == {"x_{1}", "x_{2}", "x_{3}"}


@pytest.mark.parametrize("x, y, X", [("x", "y", "X"), ("u", "v", "S")])
def test_a_sum_over_numbers_writes_its_index_into_the_events_it_reads(x, y, X):
    """``\\sum_{x=1}^{2} x P(X = x)`` is ``P(X = 1) + 2 P(X = 2)``: the event at each value, not one event
    ``X = x`` counted three times."""
    expr = read(rf"\sum_{{{x}=1}}^{{2}} {x} \mathbb{{P}}({X}={x})").value()
    events = sorted(s.name for s in expr.free_symbols)
    assert events == [f"⟦{X}=1⟧", f"⟦{X}=2⟧"], events


@pytest.mark.parametrize("x, y", [("x", "y"), ("i", "j")])
def test_several_indices_sharing_one_range_are_a_sum_over_each(x, y):
    """``\\sum_{x,y=1}^{n}``: each index over 1..n (a double sum); over numbers, every pair once; ``\\sum_{i, j}``
    with no range keeps its former reading."""
    assert read(rf"\sum_{{{x},{y}=1}}^{{3}} {x} {y}").value() == 36
    nested = read(rf"\sum_{{{x},{y}=1}}^{{n}} a_{x} b_{y}").value()
    assert isinstance(nested, sympy.Sum) and len(nested.limits) == 2
    assert {str(limit[0]) for limit in nested.limits} == {x, y}
    assert read(rf"\sum_{{{x}, {y}}} a_{{{x}{y}}}").value().has(sympy.Sum)


@pytest.mark.parametrize("V, a, b", [("V", "\\pi", "\\gamma"), ("Q", "\\mu", "\\lambda")])
def test_names_separated_by_commas_in_a_superscript_label_the_name(V, a, b):
    """``V^{\\pi,\\gamma}`` is the value of the policy π under discount γ: one name, not a power (a comma is no
    exponent); ``x^{a+b}`` stays a power."""
    expr = read(rf"{V}^{{{a},{b}}} - {V}^{{{a}, {b}}}").value()
    assert expr == 0
    assert read(rf"{V}^{{{a},{b}}}").value().is_Symbol
    assert read("x^{a+b}").value().is_Pow


@pytest.mark.parametrize("p, x", [("p", "x"), ("q", "s")])
def test_a_sum_without_an_index_sums_over_the_one_argument_its_summand_applies(p, x):
    """``-\\sum p(x)\\log p(x)`` is ``-\\sum_x p(x)\\log p(x)``: the summand's functions are applied to one letter
    only; with two such letters (``\\sum p(x) q(y)``) the sum stays not read."""
    assert read(rf"-\sum {p}({x})\log {p}({x})").value() == read(rf"-\sum_{x} {p}({x})\log {p}({x})").value()
    with pytest.raises(FormulaError):
        read(rf"\sum {p}({x}) {p}(y)")


def test_transposes_and_norms_read_as_scalars_with_the_matrix_flag():
    reading = read(r"\|\mathbf{y} - \mathbf{X}\boldsymbol{\theta}\|^2 + \mathbf{w}^\top \mathbf{x}")
    assert "matrix" in reading.flags


def test_identity_matrix_next_to_a_factor():
    assert read(r"\sigma^2 I").expr == sympy.Symbol(r"\sigma", real=True) ** 2
    assert isinstance(read(r"I").expr, sympy.Symbol)  # a lone I is a name (I(y) = -log p)


def test_decimal_literals_keep_their_printed_digits():
    reading = read(r"0.5 \cdot 1.609")
    assert sorted(v[1] for v in reading.literals.values()) == [1, 3]
    assert reading.value() == sympy.Rational(1609, 2000)


def test_log_base_is_a_reading_option():
    assert read(r"\log 8", log_base=2).value() == sympy.log(8, 2)
    assert read(r"\log 8").value() == sympy.log(8)


def test_arg_max_and_ellipses_are_refused_with_a_reason():
    with pytest.raises(FormulaError, match="arg max"):
        read(r"\arg\max_\theta p(x)")
    with pytest.raises(FormulaError, match="elided"):
        read(r"x_1 + \dots + x_n")


def test_clauses_split_at_commas_implications_and_prose():
    clauses = split_clauses(r"\mu = 1, \sigma = 0.5 \Rightarrow \text{KL} = \frac12 \approx 0.82 \quad \text{where } a = b")
    assert [c.relations for c in clauses] == [["="], ["="], ["=", "≈"], ["="]]
    assert clauses[2].before == "⇒"


def test_the_comma_of_an_inner_product_does_not_split_the_statement():
    r"""⟨a, b⟩'s comma parts its two arguments, as a comma in brackets does: the statement is one clause, its
    sides the inner products (it was split at the comma, and '\rangle' then stood alone: 'not read')."""
    for tex in (r"\langle \theta, w \rangle = \langle \tilde{\theta}, w_S \rangle \le \|w_S\|_2",
                r"\left\langle c a , b \right\rangle = c \left\langle a , b \right\rangle"):
        clauses = split_clauses(tex)
        assert len(clauses) == 1 and len(clauses[0].relations) == len(clauses[0].sides) - 1 >= 1, clauses
        assert all(side.count(r"\langle") == side.count(r"\rangle") == 1 for side in clauses[0].sides[:2])
    assert [c.relations for c in split_clauses(r"a = \langle u, v \rangle, b = 2")] == [["="], ["="]]


def test_decorations_are_unwrapped_before_reading():
    from derivspec.scan.reader import unwrap_decorations

    clauses = split_clauses(unwrap_decorations(r"x = \underbrace{a + b}_{\text{Reconstruction Term}} - c"))
    assert len(clauses) == 1 and "Reconstruction" not in clauses[0].sides[1] and "a + b" in clauses[0].sides[1]


@pytest.mark.parametrize("tex", [r"\int_x p(x) \log p(x) \, dx", r"\int_{\mathcal{X}} p(x) \log p(x) \, dx",
                                 r"\int_{\mathbb{R}} p(x) \log p(x) \, dx"])
def test_an_integral_subscripted_by_its_variable_or_its_space_runs_over_the_whole_domain(tex):
    expr = read_document(tex, DocumentNames(), frozenset()).expr
    assert isinstance(expr, sympy.Integral) and len(expr.limits[0]) == 1


def test_an_integral_with_a_real_lower_bound_still_needs_the_upper_one():
    with pytest.raises(FormulaError, match="one bound"):
        read_document(r"\int_0 f(x) \, dx", DocumentNames(), frozenset())


@pytest.mark.parametrize("tex, power_of", [
    (r"\log\sigma^{2}_{i}", r"\sigma_{i}"),  # after a command (VITutorial M3a:478 writes it so)
    (r"\exp \beta^2_k", r"\beta_{k}"),
    (r"\sigma^2_i", r"\sigma_{i}"),
])
def test_a_power_written_before_the_subscript_after_a_command_is_the_subscripted_names_power(tex, power_of):
    value = read_document(tex, DocumentNames()).value()
    squares = [p for p in sympy.preorder_traversal(value) if isinstance(p, sympy.Pow) and p.exp == 2]
    assert [str(p.base) for p in squares] == [power_of], value


def test_a_letter_inside_a_command_name_is_not_read_as_a_subscripted_power():
    r"""\alpha^2_t: the power of \alpha_t, not of a letter inside the command."""
    value = read_document(r"\alpha^2_t", DocumentNames()).value()
    assert str(value) == r"\alpha_{t}**2"


def test_a_factorial_is_read():
    assert read(r"\frac{n!}{k!(n-k)!}").expr == sympy.factorial(sympy.Symbol("n", real=True)) / (
        sympy.factorial(sympy.Symbol("k", real=True)) * sympy.factorial(sympy.Symbol("n", real=True) - sympy.Symbol("k", real=True)))
    assert read(r"\frac{x^2}{2!} + 3!").expr == sympy.Symbol("x", real=True) ** 2 / 2 + 6


def test_a_braced_name_takes_its_scripts_and_a_fraction_keeps_its_own():
    assert str(read(r"{\mathbb{E}}_{p} [ x ]").expr) == str(read(r"\mathbb{E}_{p} [ x ]").expr)
    assert read(r"{x}_i").expr == read("x_i").expr
    with pytest.raises(FormulaError):  # \frac{a}{b}_x: the subscript does not become b's
        read(r"\frac{a}{b}_{x}")


@pytest.mark.parametrize("index", ["x_1", "z_{k}", r"\theta_2"])
def test_a_subscripted_summation_index_binds_the_name_the_summand_uses(index):
    """``\\sum_{x_1} f(x_1)``: the index is x_1 itself (it was x, which left the summand's x_1 free)."""
    expr = read(rf"\sum_{{{index}}} f({index}) g(y)").expr
    assert isinstance(expr, sympy.Sum)
    bound = expr.limits[0][0]
    assert bound.name.replace("{", "").replace("}", "").replace("\\", "") == index.replace("{", "").replace("}", "").replace("\\", "")
    assert {s.name for s in expr.free_symbols if not s.name.startswith("⟦")} == {"y"}  # the index is bound
    assert all(bound in a.free_symbols for a in sympy.preorder_traversal(expr.function)
               if is_opaque_function(a) and a.func.__name__ == "f")


def test_braces_around_the_expectation_only_group_it():
    assert read(r"{\mathbb{E}} \left[ r(x) \right]").expr == read(r"\mathbb{E}\left[ r(x) \right]").expr


@pytest.mark.parametrize("upright", [r"^{\text{T}}", r"^\text{T}", r"^{\mathrm{T}}", r"^\mathsf{T}"])
def test_an_upright_t_superscript_is_a_transpose_never_a_power(upright):
    assert read(rf"x{upright} y").expr == read(r"x^\top y").expr
    assert "T" not in {s.name for s in read(rf"x{upright} y").expr.free_symbols}


def test_a_word_superscript_labels_the_name():
    """``\\hat\\beta^{\\text{OLS}}``, ``\\theta^{\\mathrm{MAP}}``: an estimate's label, not a power of a symbol OLS."""
    expr = read(r"\theta^{\mathrm{MAP}} - \theta^{\text{MLE}}").expr
    assert {s.name for s in expr.free_symbols} == {r"\theta^{MAP}", r"\theta^{MLE}"}


@pytest.mark.parametrize("f, x", [("f", "x"), ("g", "u"), (r"\phi", "t")])
def test_a_gradient_without_a_subscript_differentiates_in_the_one_quantity_it_acts_on(f, x):
    assert read(rf"\nabla {f}({x})").expr == sympy.diff(read(rf"{f}({x})").expr, read(x).expr)
    assert read(r"\nabla 1").expr == 0
    # a name alone, or several quantities: the gradient is an ambiguous node ∇(…), never a guess
    assert read(r"\nabla L").expr.func.__name__ == r"\nabla"
    assert read(rf"\nabla \log p({x} | \theta)").expr.func.__name__ == r"\nabla"
    # a name standing alone may be the function itself: ∇ log f is not d/df log f = 1/f
    assert read(rf"\nabla \log {f}").expr.func.__name__ == r"\nabla"
    assert read(rf"\nabla {f}({x})^2").expr == 2 * read(rf"{f}({x})").expr * read(rf"\nabla {f}({x})").expr
    # an integral's variable is bound: the gradient is in what is left
    inner = read(rf"\nabla \int p({x} | \theta) \, d{x}").expr
    assert inner.has(sympy.Derivative) and not inner.has(sympy.Function(r"\nabla"))


@pytest.mark.parametrize("p", ["p", "q", r"\rho"])
def test_an_unnamed_gradient_of_a_log_of_a_name_is_never_proved_as_a_derivative_in_that_name(tmp_path, p):
    """``\\nabla \\log p = 1/p`` holds only if ∇ is d/dp, which the text does not say (p is most likely a
    density): not proved; with the argument written, the score ``\\nabla \\log p(x) = \\nabla p(x) / p(x)`` is."""
    from scanning import scan_text

    records = scan_text(tmp_path, f"# Scores\n\n$$\\nabla \\log {p} = \\frac{{1}}{{{p}}}$$\n\n"
                                  f"$$\\nabla \\log {p}(x) = \\frac{{\\nabla {p}(x)}}{{{p}(x)}}$$\n")
    guessed, written = (r.to_json() for r in records)
    assert guessed["verdict"] == "unchecked", guessed
    assert written["verdict"] == "proved", written


def test_an_explicit_space_ends_a_function_argument_and_a_following_application_is_ambiguous():
    spaced = read(r"\log p(x|z) \, p(z)")
    joined, other = read(r"\log p(x|z) p(z)"), read(r"\log p(x|z) p(z)", ambiguous="product")
    p_z, p_xz = read("p(z)").expr, read("p(x|z)").expr
    assert spaced.expr == p_z * sympy.log(p_xz) == other.expr
    assert joined.expr == sympy.log(p_xz * p_z) and "ambiguous" in joined.flags
    assert read(r"\log 2 \pi \sigma^2").expr == sympy.log(2 * sympy.pi * read(r"\sigma").expr ** 2)


@pytest.mark.parametrize("f, g, x", [("f", "g", "x"), ("u", "v", "t")])
def test_the_product_rule_with_an_unnamed_gradient_is_flagged_when_planted_wrong(tmp_path, f, g, x):
    from scanning import scan_text

    right = rf"\nabla ({f}({x}) {g}({x})) = {g}({x}) \nabla {f}({x}) + {f}({x}) \nabla {g}({x})"
    wrong = rf"\nabla ({f}({x}) {g}({x})) = \nabla {f}({x}) \nabla {g}({x})"
    records = {r.text.strip(): r for r in scan_text(tmp_path, f"# Rules\n\n$${right}$$\n\n$${wrong}$$\n")}
    assert records[right].verdict == "proved", records[right].reason
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    assert "e^{x}" in flag.reason  # the concrete functions tried are named


@pytest.mark.parametrize("z, i", [("z", "i"), (r"\mathbf{h}", "k")])
def test_a_derivative_by_one_item_of_a_sum_over_items_is_not_taken_term_by_term(z, i):
    # ∂/∂z_n of z_n - Σ_i λ_i z_i is 1 - λ_n, not 1: the sum's z_i is z_n at i = n, so the derivative stays opaque
    expr = read(rf"\nabla_{{{z}_n}} \left[ {z}_n - \sum_{{{i}=1}}^n \lambda_{i} {z}_{i} \right]").expr
    assert isinstance(expr, sympy.Derivative) and expr != 1
    assert read(r"\nabla_{x_1} (x_1^2 + x_2)").expr == 2 * read("x_1").expr


@pytest.mark.parametrize("f, x, i", [("f", "x", "i"), ("g", "t", "k")])
def test_a_function_of_a_family_under_a_sum_is_the_indexed_member(f, x, i):
    # f_i(x) under \sum_i: the i-th function, f_•(i, x) -- the sum binds its index (else f_i is one name and the
    # sum of f_i'(x)/f_i(x) is n times one ratio); f_i'(x) beside f_i(x) is its derivative, never the same function
    expr = read(rf"\sum_{{{i}=1}}^n \frac{{{f}_{i}'({x})}}{{{f}_{i}({x})}}").expr
    assert isinstance(expr, sympy.Sum)
    member = [a for a in sympy.preorder_traversal(expr.function) if is_opaque_function(a)]
    assert member and all(a.func.__name__ == f"{f}_{{•}}" and a.args[0] == expr.limits[0][0] for a in member)
    assert expr.function.has(sympy.Derivative)


@pytest.mark.parametrize("f, x, i, j", [("f", "x", "i", "j"), ("h", "u", "k", "m")])
def test_the_derivative_of_a_product_of_functions_is_checked_with_the_product_written_out(tmp_path, f, x, i, j):
    from scanning import scan_text

    right = (rf"\frac{{d}}{{d{x}}} \prod_{{{i}=1}}^n {f}_{i}({x}) = \sum_{{{i}=1}}^n \frac{{{f}_{i}'({x})}}{{{f}_{i}({x})}}"
             rf" \prod_{{{j}=1}}^n {f}_{j}({x})")
    wrong = rf"\frac{{d}}{{d{x}}} \prod_{{{i}=1}}^n {f}_{i}({x}) = \sum_{{{i}=1}}^n {f}_{i}'({x}) \prod_{{{j}=1}}^n {f}_{j}({x})"
    records = {r.text.strip(): r for r in scan_text(tmp_path, f"# Rules\n\nSome rules.\n\n$${right}$$\n\n$${wrong}$$\n")}
    held = records[right]
    assert held.verdict == "unchecked" and "holds on 4 instances (n = 3, 4, 5, 6" in held.reason, held.reason
    flag = records[wrong]
    assert flag.verdict == "disagrees" and "fails for n = 3" in flag.reason, flag.reason
    assert flag.evidence.startswith("at n = 3: left - right =")


def test_a_bracket_or_a_function_after_an_application_ends_a_log_argument():
    # the application has its own brackets: log q(z) (f - C) is (log q(z)) (f - C); log q(z) log p(x) a product of logs
    q, f = read(r"q(z|\lambda)").expr, read("f(z)").expr
    assert read(r"\log q(z|\lambda) \left( f(z) - C \right)").expr == sympy.log(q) * (f - read("C").expr)
    assert read(r"\log q(z|\lambda) \log f(z)").expr == sympy.log(q) * sympy.log(f)
    with pytest.raises(FormulaError):  # a bare name followed by a bracket stays ambiguous
        read(r"\log x (y+1)", ambiguous="product")


@pytest.mark.parametrize("name, word", [(r"\hat\beta", "MLE"), ("w", "opt"), (r"\theta", "MAP")])
def test_a_bare_word_superscript_labels_the_name_and_a_product_of_letters_stays_a_power(name, word):
    """``\\hat\\beta^{MLE}`` (an acronym) and ``w^{opt}`` (a word of three small letters) label the name; ``x^{ab}`` is
    x to the power ab and ``e^{xyz}`` the exponential, as before."""
    expr = read(f"{name}^{{{word}}} + 1").expr
    assert not expr.atoms(sympy.Pow) and any(word in s.name for s in expr.free_symbols)
    assert read("x^{ab}").expr == sympy.Pow(read("x").expr, read("a b").expr)
    assert read("e^{xyz}").expr.func == sympy.exp


@pytest.mark.parametrize("f, j", [("f", "j"), (r"\psi", "k")])
def test_a_subscript_after_a_bracketed_value_or_an_application_is_its_entry(f, j):
    r"""``f(x; W)_j``, ``(X_S)_i^\top (X_S)_j``: the entry of a value at an index, read (an opaque component, the same
    on both sides of a step); after a name it may be the argument of (``h^{-1}(\epsilon)_j``) it stays unread."""
    expr = read(rf"{f}(x; W)_{{y_i}} - {f}(x; W)_{{y_i}}").expr
    assert expr == 0
    assert "⟦component⟧" in str(read(rf"(X_S)_{j}^{{\top}}(X_S)_i").expr)
    with pytest.raises(FormulaError):
        read(rf"h_{{1}}^{{-1}}(\epsilon)_{{{j}}}")


def test_tuples_in_angle_brackets_marks_after_a_superscript_and_indexed_macros_are_read():
    r"""``\langle s_0, a_0, s_1 \rangle`` (three or more entries) is one value, a tuple; ``\langle a, b \rangle`` stays
    the inner product; ``(df)^\sharp``, ``v^\perp`` an operation the text marks; ``\I_{ij}(\theta)`` a macro of the
    document's indexed and applied; ``1(x > 0)`` the indicator of the event."""
    assert read(r"\langle s_0, a_0, s_1 \rangle").expr.is_Symbol
    assert read(r"\langle a, b \rangle").expr == read("a b").expr
    assert "⟦^\\sharp⟧" in str(read(r"(df)^\sharp").expr) and "⟦^\\perp⟧" in str(read(r"v^\perp").expr)
    assert read(r"\I_{ij}(\theta) - \I_{ij}(\theta)").expr == 0
    indicator = read(r"1(x > 0)").expr
    assert indicator.subs(read("x").expr, 2) == 1 and indicator.subs(read("x").expr, -2) == 0
    assert read("2 + 1(3)").expr == 5
    assert read(r"\mathbb{1}[y_j = 1]").expr.is_Symbol  # an event of equality: a count's indicator, one name


def test_a_divergence_bar_written_twice_is_one_separator_and_norms_side_by_side_stay_norms():
    r"""``D_{KL}(p\|\|q)`` (the bar escaped twice) is the divergence of p from q; ``\|x\|\|y\|`` two norms."""
    assert read(r"D_{KL}(p\|\|q) - D_{KL}(p \| q)").expr == 0
    assert read(r"\|x\|\|y\|").expr == read(r"\|x\| \, \|y\|").expr
