r"""Standard mathematics as rows of data, read by one engine (issue 57): the rows of
``derivspec/data/knowledge/`` judge statements in any letters, and the engine's one merge rule.

Every document is our own text; each has a wrong twin that must be flagged (or, for the merge rule, a
twin that must not be decided).
"""

from __future__ import annotations

import re

import pytest

from derivspec.scan.known import merge, with_general
from derivspec.scan.steps import StepResult
from scanning import scan_text


def verdicts(tmp_path, text: str) -> dict:
    """Line -> (verdict, reason) of each record."""
    return {r.lines[0]: (r.verdict, r.reason) for r in scan_text(tmp_path, text)}


def test_the_gamma_recursion_after_the_gamma_function_is_defined(tmp_path):
    text = ("For $a > 0$ the Gamma function is $\\Gamma(a) = \\int_0^\\infty t^{a-1} e^{-t}\\,dt$, and integrating by "
            "parts,\n\n$$\\Gamma(a+1) = a\\Gamma(a)$$\n\nbut not\n\n$$\\Gamma(a+1) = (a+1)\\Gamma(a)$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved"
    assert found[7][0] == "disagrees"


def test_gamma_is_an_arbitrary_function_where_the_text_does_not_name_the_gamma_function(tmp_path):
    found = verdicts(tmp_path, "Let $\\Gamma$ be a smooth map. Then\n\n$$\\Gamma(a+1) = a\\Gamma(a)$$\n")
    assert found[3][0] != "proved"


@pytest.mark.parametrize("a, b", [("p", "q"), ("a", "b"), ("r", "s"), ("\\theta", "\\phi")])
def test_the_kl_between_two_bernoulli_laws_in_any_letters(tmp_path, a, b):
    right = f"{a}\\log\\frac{{{a}}}{{{b}}} + (1-{a})\\log\\frac{{1-{a}}}{{1-{b}}}"
    slip = f"{a}\\log\\frac{{{a}}}{{{b}}} + (1-{a})\\log\\frac{{{a}}}{{{b}}}"
    left = f"\\mathrm{{KL}}(\\mathrm{{Bern}}({a}) \\| \\mathrm{{Bern}}({b}))"
    found = verdicts(tmp_path, f"Two coins:\n\n$$ {left} = {right} $$\n\nand a slip:\n\n$$ {left} = {slip} $$\n")
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


@pytest.mark.parametrize("law, right, slip", [
    ("w \\sim \\mathcal{N}(m, s^2)", "\\frac{1}{2}\\log(2\\pi e s^2)", "\\frac{1}{2}\\log(2\\pi e s)"),
    ("y \\sim \\mathrm{Bern}(r)", "-r\\log r - (1-r)\\log(1-r)", "-r\\log r - (1-r)\\log r"),
])
def test_entropies_of_named_laws_in_lower_case_letters(tmp_path, law, right, slip):
    name = law.split()[0]
    text = f"Let ${law}$. Then\n\n$$H({name}) = {right}$$\n\nwhile\n\n$$H({name}) = {slip}$$\n"
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


def test_tanh_in_exponentials_is_proved_not_evidence(tmp_path):
    found = verdicts(tmp_path, "$$\\tanh u = \\frac{1 - e^{-2u}}{1 + e^{-2u}}$$\n\n$$\\tanh u = \\frac{1 - e^{-u}}{1 + e^{-u}}$$\n")
    assert found[1][0] == "proved" and "holds at" not in found[1][1]
    assert found[3][0] == "disagrees"


def test_a_restated_softmax_loss_is_judged(tmp_path):
    text = ("For scores $f$ and the true class $c$, the softmax loss is\n\n"
            "$$L = -\\log\\frac{e^{f_c}}{\\sum_j e^{f_j}} = -f_c + \\log\\sum_j e^{f_j}$$\n\n"
            "$$L = -\\log\\frac{e^{f_c}}{\\sum_j e^{f_j}} = f_c - \\log\\sum_j e^{f_j}$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved"
    assert found[5][0] == "disagrees"


_SOFTMAX_LOSS = ("We train with the cross-entropy loss of a softmax classifier. With the vector $f$ of class scores of "
                 "one example and its class $y_i$, that example costs\n\n$$L_i = {value}$$\n\n"
                 "and a multiclass SVM would pay instead\n\n$$L_i = \\sum_{{j\\neq y_i}} \\max(0, f_j - f_{{y_i}} + 1)$$\n")


@pytest.mark.parametrize("value, verdict", [
    ("-\\log\\left(\\frac{e^{f_{y_i}}}{ \\sum_j e^{f_j} }\\right)", "proved"),
    ("-\\log\\left(\\frac{e^{f_{y_i}}}{ \\sum_j f_j }\\right)", "disagrees"),  # exp dropped under the sum
    ("\\log\\frac{e^{f_{y_i}}}{\\sum_j e^{f_j}}", "disagrees"),  # sign
])
def test_a_named_loss_written_once_over_an_indexed_family_is_judged(tmp_path, value, verdict):
    """The cross-entropy named in the prose, its value written once with the scores as a family (f_j under a sum,
    f_{y_i} the member at the class): the row's roles are read from the written value, and a slip is shown at a
    concrete family; the hinge loss beside it is another quantity, not judged by that row."""
    records = {r.lines[0]: r for r in scan_text(tmp_path, _SOFTMAX_LOSS.format(value=value))}
    assert records[3].verdict == verdict
    assert "cross_entropy" in records[3].reason
    if verdict == "disagrees":
        assert records[3].evidence  # at a concrete family where no rule decides (f_j for e^{f_j}), else symbolic
        if "\\sum_j f_j" in value:
            assert "the family (1/2, 1/3, 2)" in records[3].evidence
        assert records[3].correct.endswith("= - f_{y_i} + \\log{\\left(\\sum_{j} e^{f_{j}} \\right)}")
    assert records[7].verdict not in ("proved", "disagrees")


def test_a_named_loss_over_a_family_is_not_judged_where_the_text_names_no_row(tmp_path):
    text = _SOFTMAX_LOSS.replace("the cross-entropy loss of a softmax classifier", "a score of our own")
    records = {r.lines[0]: r for r in scan_text(tmp_path, text.format(
        value="-\\log\\left(\\frac{e^{f_{y_i}}}{ \\sum_j f_j }\\right)"))}
    assert records[3].verdict != "disagrees"


# --- the one merge rule ------------------------------------------------------------------------------

def _step(verdict: str, reason: str, claim: str | None = None) -> StepResult:
    return StepResult("=", "a", "b", verdict, "known", reason, "x = 1" if verdict == "disagrees" else "", claim=claim)


def test_a_rows_unchecked_replaces_nothing():
    assert merge([_step("unchecked", "not comparable", "kl.bernoulli")]) is None
    general = StepResult("=", "a", "b", "proved", "chain", "proved (the sides are identical)")
    assert with_general(general, merge([_step("unchecked", "not comparable", "kl.bernoulli")])) is general


def test_a_recognisers_unchecked_explains_and_guards_but_never_decides():
    """A structure recogniser that reads the step and says why it does not decide it (the text states a condition)
    keeps the verdict unchecked: it is the reason where nothing decides, and a reading under which a row's flag may
    not apply; it never replaces a proof."""
    why = _step("unchecked", "the lead-in states a condition that the random instances do not model")
    assert merge([why], explained=[why]) is why
    flag = _step("disagrees", "differs from the standard result fn.bce.define", None)
    guarded = merge([why, flag], explained=[why])
    assert guarded.verdict == "unchecked" and "may hold" in guarded.reason
    assert merge([flag]).verdict == "disagrees"  # without it the row's flag stands
    general = StepResult("=", "a", "b", "proved", "chain", "proved (the sides are identical)")
    assert with_general(general, merge([why], explained=[why])) is general


def test_two_rows_that_disagree_give_unchecked_naming_both():
    found = merge([_step("proved", "matches the standard result bernoulli.entropy (Bernoulli): proved"),
                   _step("disagrees", "differs", "kl.bernoulli")])
    assert found.verdict == "unchecked"
    assert "bernoulli.entropy" in found.reason and "kl.bernoulli" in found.reason


def test_rows_that_agree_give_their_verdict_and_name_the_others():
    found = merge([_step("proved", "matches kl.bernoulli", "kl.bernoulli"),
                   _step("proved", "matches the standard result bernoulli.kl_bernoulli (Bernoulli): proved")])
    assert found.verdict == "proved" and "also matches bernoulli.kl_bernoulli" in found.reason


def test_a_row_never_blocks_the_general_path():
    proved = StepResult("=", "a", "b", "proved", "chain", "proved (the sides are identical)")
    assert with_general(proved, _step("disagrees", "differs", "kl.bernoulli")) is proved
    holding = StepResult("=", "a", "b", "unchecked", "chain", "holds on 12 instances (random finite distributions)")
    decided = with_general(holding, _step("disagrees", "differs", "kl.bernoulli"))
    assert decided.verdict == "unchecked" and decided.reason.startswith("not decided")
    undecided = StepResult("=", "a", "b", "unchecked", "chain", "the sides use different symbols")
    assert with_general(undecided, _step("disagrees", "differs", "kl.bernoulli")).verdict == "disagrees"


def test_a_flag_under_a_stated_premise_is_not_raised():
    found = merge([_step("disagrees", "differs", "elbo.gap")], lead_in="If $q(z) = p(z | x)$, then")
    assert found.verdict == "unchecked" and "premise" in found.reason


LAPLACE = ("An observation $y \\sim \\mathrm{{Laplace}}(m, s)$ with location $m$ and scale $s$ has "
           "log-likelihood\n\n$$\\log p(y) = -\\log(2s) - \\frac{{{distance}}}{{s}}$$\n")


def test_a_laplace_log_density_in_the_letters_of_a_catalogue_model_is_no_false_alarm(tmp_path):
    """log p(y) in the letters s and m: a catalogue shape (the conjugate model's evidence, elbo.gap) reads it by its
    letters and flagged it; the document's law y ~ Laplace(m, s) makes it the Laplace log-density (a row). Two known
    results that read it differently decide nothing (the merge rule); the wrong twin is flagged by the row."""
    (tmp_path / "right").mkdir(), (tmp_path / "wrong").mkdir()
    right = verdicts(tmp_path / "right", LAPLACE.format(distance="|y - m|"))[3]
    assert right[0] == "unchecked" and "laplace.log_density" in right[1] and "elbo.gap" in right[1], right
    wrong = verdicts(tmp_path / "wrong", LAPLACE.format(distance="(y - m)^2"))[3]
    assert wrong[0] == "disagrees" and "laplace.log_density" in wrong[1], wrong


HINGE = "For a label $y \\in \\{{-1, 1\\}}$ and a score $s$, the {name} is\n\n$$\\ell(y, s) = {value}$$\n"


@pytest.mark.parametrize("name, right, wrong", [
    ("hinge loss", "\\max(0, 1 - y s)", "\\max(0, 1 + y s)"),
    ("logistic loss", "\\log(1 + e^{-y s})", "\\log(1 + e^{y s})"),
])
def test_a_loss_written_with_the_shared_letter_is_the_loss_the_text_names(tmp_path, name, right, wrong):
    """ℓ(y, s) is the hinge loss where the text says "hinge loss", the logistic loss where it says so: a row whose
    head other functions share applies only where the text names its function (no row of another loss
    reads it and leaves it undecided); the wrong twin is flagged with its slip."""
    (tmp_path / "right").mkdir(), (tmp_path / "wrong").mkdir()
    proved = verdicts(tmp_path / "right", HINGE.format(name=name, value=right))[3]
    assert proved[0] == "proved", proved
    flagged = verdicts(tmp_path / "wrong", HINGE.format(name=name, value=wrong))[3]
    assert flagged[0] == "disagrees" and "sign of the margin" in flagged[1], flagged


def test_the_missing_row_report_lists_a_known_operator_of_a_known_law_that_no_row_reads(tmp_path):
    """H(Y) for a binomial Y, and the entropy of a binomial law written out: the tables know the entropy and the
    binomial law but have no row of that pair (no closed form), so the engine reports both; H(X) for a Bernoulli X
    has its row and is not reported."""
    from derivspec.scan import known, scan_file

    path = tmp_path / "notes.md"
    path.write_text("Let $Y \\sim \\mathrm{Bin}(n, r)$ and $X \\sim \\mathrm{Bern}(r)$.\n\n"
                    "$$ H(X) = -r\\log r - (1-r)\\log(1-r) $$\n\n"
                    "$$ H(Y) = n\\,(-r\\log r - (1-r)\\log(1-r)) $$\n\n"
                    "$$ H(\\mathrm{Bin}(n, r)) = n r $$\n", encoding="utf-8")
    report: list = []
    token = known.MISSING_ROWS.set(report)
    try:
        records = scan_file(path, workers=0)
    finally:
        known.MISSING_ROWS.reset(token)
    assert {r.lines[0]: r.verdict for r in records}.get(3) == "proved"
    assert report == [("H", 5, "H(Y)"), ("H", 7, "H(\\mathrm{Bin}(n, r))")], report


# --- a row asks a question, and a law may be said in words -------------------------------------------------

def test_a_row_whose_pattern_the_reader_computes_flags_no_update_or_equation(tmp_path):
    r"""``\nabla_x a^\top x`` reads as ``a``: indexed, that pattern bound any name and flagged updates and
    equations to solve; the general path decides such a side. Its wrong twin is still flagged (by the algebra)."""
    text = ("An update and a transpose:\n\n$$t = t + 1$$\n\n$$S^{-1} = S^T$$\n\n"
            "For the logistic sigmoid we solve\n\n$$\\sigma(t) = t$$\n\nand note that, wrongly,\n\n$$\\sigma(0) = 1$$\n")
    found = verdicts(tmp_path, text)
    assert [found[line][0] for line in (3, 5, 9)] == ["unchecked"] * 3, found
    assert "mat.d_linear" not in found[3][1] + found[5][1]
    assert found[13][0] == "disagrees", found[13]


@pytest.mark.parametrize("lead, right, slip", [
    ("A Gaussian with variance $v$ has differential entropy", "\\frac{1}{2}\\log(2\\pi e v)",
     "\\frac{1}{2}\\log(2\\pi v)"),
    ("A normal variable with standard deviation $s$ has entropy", "\\log(s\\sqrt{2\\pi e})", "\\log(s^2\\sqrt{2\\pi e})"),
    ("A Bernoulli variable with parameter $a$ has entropy", "-a\\log a - (1-a)\\log(1-a)", "-a\\log a - (1-a)\\log a"),
])
def test_a_law_said_in_words_is_the_law_of_the_rows_variable(tmp_path, lead, right, slip):
    text = f"{lead}\n\n$$H(X) = {right}$$\n\n{lead}\n\n$$H(X) = {slip}$$\n"
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


@pytest.mark.parametrize("lead", [
    "For a Gaussian with mean $m$ the entropy is",  # the variance the entropy needs is not said
    "A coin with success probability $a$ has entropy",  # no family named
    "A Gaussian with variance $v$ has this property:",  # the field (entropy) not named
])
def test_a_law_not_said_in_full_decides_nothing(tmp_path, lead):
    found = verdicts(tmp_path, f"{lead}\n\n$$H(X) = \\frac{{1}}{{2}}\\log(2\\pi v) - a\\log a$$\n")
    assert found[3][0] == "unchecked", found[3]


@pytest.mark.parametrize("y, p", [("y", "\\hat{y}"), ("t", "q_n"), ("c", "\\tilde\\rho")])
def test_a_rows_roles_take_any_name_accents_and_indices_included(tmp_path, y, p):
    lead = f"The binary cross-entropy of a label ${y} \\in \\{{0, 1\\}}$ and a prediction ${p}$ is"
    text = (f"{lead}\n\n$$\\ell({y}, {p}) = -{y}\\log {p} - (1 - {y})\\log(1 - {p})$$\n\n{lead}\n\n"
            f"$$\\ell({y}, {p}) = -{y}\\log {p} - (1 - {y})\\log {p}$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


def test_a_rows_accepted_convention_is_never_flagged(tmp_path):
    """The squared loss halved is a convention the row accepts (its ``accepted`` field): with the row's roles taking
    any name, ``L(t, f)`` binds it, and the halved form must not be flagged; a dropped square still is."""
    text = ("Some notes halve the squared error so that its derivative has no factor two:\n\n"
            "$$L(t, f) = \\frac{1}{2}(t - f)^2$$\n\nThe squared loss of a prediction $f$ for a target $t$ is\n\n"
            "$$L(t, f) = (t - f)$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "unchecked", found[3]
    assert found[7][0] == "disagrees" and "square dropped" in found[7][1], found[7]


def test_an_entropy_in_bits_is_the_rows_value_in_the_documents_base(tmp_path):
    """A row in the scope's log base (entropies): written with log_2 it is compared in bits, not flagged for its
    base; its slip in bits is still flagged."""
    text = ("Let $y \\sim \\mathrm{Ber}(\\theta)$. Measured in bits,\n\n"
            "$$H(y) = -\\theta\\log_2\\theta - (1 - \\theta)\\log_2(1 - \\theta)$$\n\nand a slip:\n\n"
            "$$H(y) = -\\theta\\log_2\\theta - (1 - \\theta)\\log_2\\theta$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


def test_a_parameter_named_by_another_reading_is_read_so(tmp_path):
    """Gamma(k, θ) with θ said to be the scale: the rate is 1/θ (the families' said table), so the mean kθ is proved;
    with θ said to be the rate the same line is flagged."""
    text = ("Parametrised by shape $k$ and scale $\\vartheta$, $Y \\sim \\mathrm{Gamma}(k, \\vartheta)$ has\n\n"
            "$$\\mathbb{E}[Y] = k\\vartheta$$\n\n"
            "Parametrised by shape $k$ and rate $\\vartheta$, $Z \\sim \\mathrm{Gamma}(k, \\vartheta)$ has\n\n"
            "$$\\mathbb{E}[Z] = k\\vartheta$$\n")
    found = verdicts(tmp_path, text)
    assert found[3][0] == "proved", found[3]
    assert found[7][0] == "disagrees", found[7]


def test_a_bound_variable_of_a_pattern_binds_any_bound_variable():
    r"""The chain rule's ξ in ``\frac{\partial}{\partial X}\operatorname{tr}(AX)`` read as scalars (a ``Subs`` over a
    dummy): each reading has its own dummy, so the row's pattern binds the document's by place, one to one; the
    roles bind the document's letters."""
    from derivspec.scan.known import bind, canonical_applications, row_shapes
    from derivspec.scan.reader import DocumentNames, read_document

    (shape,) = [rs.shape for rs in row_shapes()["Mul"] if rs.row.id == "mat.d_trace_ax"]
    side = canonical_applications(read_document(r"\frac{\partial}{\partial W}\operatorname{tr}(PW)",
                                                DocumentNames()).value())
    bound = bind(shape, side)
    assert bound is not None and {str(k): str(v) for k, v in bound.items() if k != "_dummies"} == {"A": "P", "X": "W"}
    other = canonical_applications(read_document(r"\frac{\partial}{\partial W}\operatorname{tr}(P)",
                                                 DocumentNames()).value())
    assert bind(shape, other) is None


NOISE = ("The noise is Gaussian, $\\epsilon \\sim \\mathcal{{N}}(0, \\sigma^2)$.\n\nMore about the model here.\n\n"
         "{sentence} That is, $p(\\epsilon) = {density}$.\n")


def _density_record(tmp_path, sentence: str):
    records = scan_text(tmp_path, NOISE.format(sentence=sentence, density="\\frac{1}{2}\\exp(-|\\epsilon|)"))
    (found,) = [r for r in records if r.text.startswith("p(")]
    return found


def test_a_declared_law_gives_way_where_the_text_speaks_of_another_family(tmp_path):
    """A law declared above is not the law of a sentence that assumes another family; where the sentence does not,
    the declared law's density row flags a wrong density."""
    laplace = _density_record(tmp_path, "Assume instead that the noise follows the Laplace distribution.")
    assert laplace.verdict != "disagrees", laplace.reason
    (tmp_path / "twin").mkdir()
    normal = _density_record(tmp_path / "twin", "Its density follows.")
    assert normal.verdict == "disagrees" and "normal.pdf" in normal.reason, normal.reason


def test_a_declared_law_ends_where_the_name_is_defined_anew(tmp_path):
    """x ~ Beta(2, 2) above, then x given as a vector of probabilities: H(x) is no longer the Beta law's entropy."""
    later = verdicts(tmp_path, "Let $x \\sim \\mathrm{Beta}(2, 2)$ be a prior.\n\nLater we take a distribution\n\n"
                               "$$x = (0.5, 0.5)$$\n\nwhose entropy is\n\n$$H(x) = \\log 2$$\n")
    assert later[9][0] != "disagrees", later[9]
    (tmp_path / "twin").mkdir()
    declared = verdicts(tmp_path / "twin", "Let $x \\sim \\mathrm{Beta}(2, 2)$. Its entropy is\n\n$$H(x) = \\log 2$$\n")
    assert declared[3][0] == "disagrees" and "beta.entropy" in declared[3][1], declared[3]


SCORE = ("The score of the isotropic Gaussian $\\mathcal{{N}}(\\mathbf{{y}}; \\mathbf{{m}}, s^2 \\mathbf{{I}})$ is\n\n"
         "$$\\nabla_{{\\mathbf{{y}}}} \\log {f}(\\mathbf{{y}}) = {value}$$\n")


@pytest.mark.parametrize("f", ["p", "q", "r", "\\rho", "g_{\\theta}"])
def test_a_rows_density_takes_the_lecture_density_under_any_name(tmp_path, f):
    """The row's p(x) is the density the lead-in writes the law of, whatever its letter; its sign slip is flagged."""
    right = verdicts(tmp_path, SCORE.format(f=f, value="\\frac{\\mathbf{m} - \\mathbf{y}}{s^2}"))[3]
    assert right[0] == "proved" and "normal.score_x" in right[1], right
    (tmp_path / "twin").mkdir()
    wrong = verdicts(tmp_path / "twin", SCORE.format(f=f, value="\\frac{\\mathbf{y} - \\mathbf{m}}{s^2}"))[3]
    assert wrong[0] == "disagrees" and "normal.score_x" in wrong[1], wrong


def test_a_function_that_is_no_density_is_not_a_rows_density(tmp_path):
    """x ~ N(0, 1) declared, then an identity of any positive f: f is not the law's density (the row would flag
    f'/f against -x), and the general path proves it."""
    found = verdicts(tmp_path, "Let $x \\sim \\mathcal{N}(0, 1)$.\n\nFor any positive differentiable $f$,\n\n"
                               "$$\\nabla_x \\log f(x) = \\frac{f'(x)}{f(x)}$$\n")
    assert found[5][0] == "proved" and "normal" not in found[5][1], found[5]


def test_a_law_declared_for_a_variable_is_not_the_law_of_every_density_of_it(tmp_path):
    """x ~ N(m, s^2) is the data's law; q is a model's density of x (normalised): its score is not the normal row's,
    which would prove the Gaussian score for it (a false proof before the rule)."""
    found = verdicts(tmp_path, "The data follow $x \\sim \\mathcal{N}(m, s^2)$, and a model density $q$ with "
                               "$\\int q(x)\\,dx = 1$ is fitted to them.\n\nIts score is\n\n"
                               "$$\\nabla_x \\log q(x) = -\\frac{x - m}{s^2}$$\n")
    assert found[5][0] != "proved" and "normal.score_x" not in found[5][1], found[5]


BCE = ("The log loss of an outcome $t \\in \\{{0, 1\\}}$ against a forecast $q$ is the binary cross-entropy\n\n"
       "$$\\ell(t, q) = {value}$$\n")


def test_a_word_that_names_two_functions_gives_way_to_one_that_names_one(tmp_path):
    """"log loss" names the logistic loss and the binary cross-entropy alike; "binary cross-entropy" names one: the
    logistic loss's row does not read ℓ(t, q) here (it would flag it, and the two rows would leave it undecided)."""
    right = verdicts(tmp_path, BCE.format(value="-t \\log q - (1 - t)\\log(1 - q)"))[3]
    assert right[0] == "proved" and "logistic" not in right[1], right
    (tmp_path / "twin").mkdir()
    wrong = verdicts(tmp_path / "twin", BCE.format(value="-t \\log q - (1 + t)\\log(1 - q)"))[3]
    assert wrong[0] == "disagrees", wrong


MEAN_HINGE = ("Each example has a label $t_i \\in \\{{-1, +1\\}}$ and a score $g_i$.\n\nOver the training set, the "
              "mean hinge loss is\n\n$$R = \\frac{{1}}{{m}}\\sum_{{i=1}}^{{m}} {item}$$\n")


def test_a_named_quantity_over_items_binds_the_functions_arguments_by_the_declared_labels(tmp_path):
    """R, the mean hinge loss over items: the label role binds the name declared in {-1, +1}, the score the one
    other name; the mean of the row's value is proved, a sign slip flagged at a declared label's value."""
    right = verdicts(tmp_path, MEAN_HINGE.format(item="\\max(0, 1 - t_i g_i)"))[5]
    assert right[0] == "proved" and "hinge" in right[1] and "mean" in right[1], right
    (tmp_path / "twin").mkdir()
    (record,) = [r for r in scan_text(tmp_path / "twin", MEAN_HINGE.format(item="\\max(0, 1 + t_i g_i)"))
                 if r.lines[0] == 5]
    assert record.verdict == "disagrees" and "hinge" in record.reason, record.reason
    assert re.search(r"t_\{i\}=(-1|1)\b", record.evidence), record.evidence  # a label the text allows


def test_a_one_hot_categorical_loss_is_not_read_as_a_binary_cross_entropy(tmp_path):
    """"cross-entropy" names the binary and the categorical loss alike: a one-hot label in {0, 1} does not make
    -Σ_k y_k log ŷ_k a binary cross-entropy over items (it would be flagged as one)."""
    found = verdicts(tmp_path, "With one-hot labels $y_k \\in \\{0, 1\\}$ and predicted probabilities $\\hat{y}_k$, the "
                               "cross-entropy is\n\n$$L = -\\sum_{k=1}^{K} y_k \\log \\hat{y}_k$$\n")
    assert found[3][0] != "disagrees", found[3]


@pytest.mark.parametrize("statement, verdict", [
    ("E\\large[ \\;Z\\; | \\; \\lambda \\;\\large] = \\lambda", "proved"),  # a size switch names nothing
    ("E\\large[ \\;Z\\; | \\; \\lambda \\;\\large] = \\lambda^2", "disagrees"),
    ("E[Z \\mid \\lambda] = \\lambda", "proved"),
    ("E[Z \\mid \\lambda] = 1/\\lambda", "disagrees"),
])
def test_a_variable_given_its_laws_parameters_is_the_variable_under_that_law(tmp_path, statement, verdict):
    r"""``E[Z | \lambda]`` after ``Z \sim \text{Poi}(\lambda)`` (the table's alias Poi, not Pois) is the Poisson mean."""
    found = verdicts(tmp_path, f"The count $Z \\sim \\text{{Poi}}(\\lambda)$ has the rate as its mean:\n\n$${statement}$$\n")
    assert found[3][0] == verdict
    assert "poisson.mean" in found[3][1]


@pytest.mark.parametrize("right, verdict", [("\\frac{1}{\\tau}", "proved"), ("\\tau", "disagrees")])
def test_a_law_written_with_its_precision_gives_the_variance_bare_var_read_as_the_operator(tmp_path, right, verdict):
    found = verdicts(tmp_path, f"With the precision $\\tau$, $X \\sim \\text{{Normal}}(\\mu, 1/\\tau)$ and\n\n"
                               f"$$Var( X | \\mu, \\tau ) = {right}$$\n")
    assert found[3][0] == verdict
    assert "normal.variance" in found[3][1]


def test_a_variable_given_another_variable_is_not_given_its_parameters(tmp_path):
    found = verdicts(tmp_path, "The count $Z \\sim \\text{Poi}(\\lambda)$ and a covariate $Y$:\n\n"
                               "$$E[Z \\mid Y] = \\lambda^2$$\n")
    assert found[3][0] not in ("proved", "disagrees")


def test_equal_answers_a_name_against_another_without_simplifying_and_still_simplifies_the_rest():
    """known._equal (is this declared law's variable the name in question?): a name the other side does not contain
    differs from it -- the common case, answered without sympy.simplify (issue 90: it was half of a seed's scan) --
    while an identity that needs simplifying is still found, whichever side the name is on."""
    import sympy

    from derivspec.scan import known

    x, y = sympy.symbols("x y")
    assert not known._equal(x, y) and not known._equal(x, sympy.Integer(2)) and not known._equal(x, y ** 2 + 1)
    assert known._equal(x, x) and known._equal(sympy.Integer(3), sympy.Integer(3))
    assert known._equal(x, sympy.sin(y) ** 2 + sympy.cos(y) ** 2 + x - 1)
    assert known._equal(sympy.sin(y) ** 2 + sympy.cos(y) ** 2, sympy.Integer(1))
    assert not known._equal(x, 2 * x)
