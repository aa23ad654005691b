r"""The rule registry: every coded check ``scan`` can raise, as ruff's rules are (docs/rules/index.md).

A :class:`Rule` pairs a kind's property (kinds.toml) with a mechanism (dependence, normalisation, sign,
consistency); it has a code (``DS201``), a name, its guards, a status (``preview`` until its flags have been judged
on development material, then ``default``) and its documentation: what it checks, why it matters, an example (a
flagged display in lecture prose, and the message), the correct form, and when it is not flagged. The judge's own
kinds of flags have codes too (``DS0xx``, status ``default``): every flag a scan raises carries a ``rule``.

:func:`select` turns ``--select`` / ``--ignore`` / ``--preview`` into the codes a scan runs.
"""

from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass

COMMON_GUARDS = (
    "\\propto, \"unnormalised\", \"up to a constant\", \"proportional\" in the display or the sentence before it",
    "a tilde on the name (\\tilde p), energies, scores and logits",
    "improper or flat priors, a density with respect to a stated measure",
    "limits, approximations and asymptotics (\\lim, \\to, \\approx, O(·))",
    "elided cases (\\dots, an 'otherwise' left undefined)",
    "a special case or a constraint set up in the prose before the display ('when $\\theta = 0$', 'such that')",
    "a quantity the document defines only further down (not yet in force)",
    "the document's own definition of a name (it always wins over a standard meaning)",
)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    kind: str  # kinds.toml, or "judge" for the judge's own flags
    property: str
    mechanism: str  # dependence | normalisation | sign | consistency | judge
    check: str = ""  # "module.function" in derivspec.scan.rules (None for the judge's codes)
    status: str = "preview"  # preview | default
    what: str = ""
    why: str = ""
    example: str = ""  # a lecture snippet that is flagged
    message: str = ""  # what scan prints for it
    correct: str = ""  # the fixed snippet, not flagged
    guards: tuple = ()  # the rule's own guards (the common ones hold for every rule)
    family: str = ""
    through: tuple = ()  # common guards the rule sees through: ("normaliser",) -- ∝, 1/Z, "up to a constant"
    reads: str = "definitions"  # definitions (a line defining its left side) | statements (every relational one) |
    #                             sentences (every relational one with the prose of its sentence: DS212)


    @property
    def function(self):
        module, _, name = self.check.rpartition(".")
        return getattr(importlib.import_module(f"derivspec.scan.rules.{module}"), name)

    @property
    def summary(self) -> str:
        """One line: the first sentence of :attr:`what` without its asides (`` -- … -- `` and brackets):
        what ``derivspec rules`` lists."""
        first = self.what.split(". ")[0].strip().rstrip(".")
        first = re.sub(r"\s+--\s.*?\s--(?=[\s:,])", "", first)
        first = re.sub(r"\s+\([^()]*\)", "", first)  # an aside, not an argument list: p(z | x) stays
        if len(first) > 100 and ": " in first:  # a long sentence's statement, without its explanation
            first = first.split(": ")[0]
        return " ".join(first.split()) + "."

    @property
    def not_flagged(self) -> tuple:
        common = COMMON_GUARDS[1:] if "normaliser" in self.through else COMMON_GUARDS  # [0]: ∝, "up to a constant"
        if self.reads == "statements":  # DS211: limits are read; a count and a normaliser disagree whatever N is
            common = tuple(g for g in common if not g.startswith(("limits", "a quantity the document defines only")))
        return tuple(self.guards) + common


def _md(*lines: str) -> str:
    return "\n".join(lines) + "\n"


JUDGE = (
    Rule("DS001", "step-differs", "judge", "a relation's two sides are equal", "judge", status="default",
         family="judge",
         what="Each relation of a statement -- a step of a derivation, an identity -- holds: its sides are equal "
              "(or ordered, for an inequality) under every admissible reading.",
         why="A derivation step that does not follow from the line before carries its error into every later line.",
         example=_md("Expanding the square,", "", "$$(a + b)^2 = a^2 + b^2$$"),
         message="the two sides differ (confirmed at 120 and 240 digits)",
         correct=_md("Expanding the square,", "", "$$(a + b)^2 = a^2 + 2ab + b^2$$"),
         guards=("a definition of a new name", "a condition, constraint or algorithm step",
                 "an equation under a stated condition")),
    Rule("DS002", "standard-result-differs", "judge", "a restated standard result matches its row", "judge",
         status="default", family="judge",
         what="A restated standard result (a KL between Gaussians, a known derivative, a catalogue claim) agrees with "
              "the row of the knowledge tables that recognises it.",
         why="A standard result copied with a slip is the error a reader trusts most.",
         example=_md("The derivative of the logistic function is", "",
                     "$$\\frac{d}{dt}\\sigma(t) = \\sigma(t)(1 + \\sigma(t))$$"),
         message="differs from the standard result fn.sigmoid.derivative_row (sigmoid)",
         correct=_md("The derivative of the logistic function is", "",
                     "$$\\frac{d}{dt}\\sigma(t) = \\sigma(t)(1 - \\sigma(t))$$"),
         guards=("a row whose head the document defines itself (its own \\psi(x) = x)",
                 "a named function the prose does not name")),
    Rule("DS003", "worked-number-differs", "judge", "a worked number is the value of its expression", "judge",
         status="default", family="judge",
         what="A worked number -- an expression evaluated to a decimal or a fraction -- has the value printed, up to "
              "its printed digits.",
         why="A wrong worked example teaches the wrong magnitude even when the formula is right.",
         example=_md("With three heads in four tosses,", "", "$$\\hat p = \\frac{3}{4} = 0.70$$"),
         message="0.75 ≠ 0.70 (the printed digits allow ±0.005)",
         correct=_md("With three heads in four tosses,", "", "$$\\hat p = \\frac{3}{4} = 0.75$$"),
         guards=("a truncated number (0.7...)", "a value rounded to its printed digits")),
    Rule("DS004", "inequality-fails", "judge", "an inequality holds", "judge", status="default", family="judge",
         what="A stated inequality holds at every admissible point.",
         why="A bound in the wrong direction reverses the conclusion drawn from it.",
         example=_md("For every real $u$,", "", "$$u^2 + 1 \\le 2u$$"),
         message="the inequality fails at u = 3",
         correct=_md("For every real $u$,", "", "$$u^2 + 1 \\ge 2u$$"),
         guards=("an inequality under a stated condition",)),
    Rule("DS005", "registered-source-differs", "judge", "a registered source agrees with its claim's derivation",
         "judge", status="default", family="judge",
         what="A line the catalogue registers as a source of a claim (`derivspec list`, `derivspec errata`) agrees "
              "with the claim's derivation from first principles.",
         why="The line was read and registered by hand: a disagreement is a known erratum, proved by the claim.",
         example=_md("In a lecture whose line the catalogue registers as a source of `nll.gaussian`:", "",
                     "$$-\\log p(y) = \\frac{(y - \\mu)^2}{2\\sigma} + \\frac{1}{2}\\log(2\\pi\\sigma^2)$$"),
         message="registered source of nll.gaussian: disagrees with its derivation (an erratum)",
         correct=_md("In a lecture whose line the catalogue registers as a source of `nll.gaussian`:", "",
                     "$$-\\log p(y) = \\frac{(y - \\mu)^2}{2\\sigma^2} + \\frac{1}{2}\\log(2\\pi\\sigma^2)$$"),
         guards=("a line that is not a registered source (the judge's other checks apply)",)),
)

RULES = JUDGE + (
    # --- dependence -----------------------------------------------------------------------------------
    Rule("DS101", "function-lacks-argument", "function_of", "depends_on_arguments", "dependence",
         "dependence.function_lacks_argument", family="dependence",
         what="A function the document defines, f(x) = …, uses its argument on the right side.",
         why="A right side without the argument is almost always a letter copied from another line (f(x) = 3t²).",
         example=_md("The model's response to a dose $x$ is", "", "$$g(x) = 3t^2 + 2t$$"),
         message="the function g(x) of x has a right side without x: it uses only t",
         correct=_md("The model's response to a dose $x$ is", "", "$$g(x) = 3x^2 + 2x$$"),
         guards=("a constant function said so ('constant', 'for some', 'fixed', a bias)",
                 "a right side that is one name (f(x) = c)",
                 "a right side using a name the document defines elsewhere (which may carry the argument)",
                 "a right side summing quantities indexed by its own index (samples along a ray, terms of a "
                 "trajectory) that the document does not call constant: they may carry the argument",
                 "densities, likelihoods and CDFs (a uniform density has no x)")),
    Rule("DS102", "bound-variable-freed", "bound_quantity", "no_variable_freed", "dependence",
         "dependence.variable_freed", family="dependence",
         what="A variable the left side binds -- an expectation's, a sum's or an integral's -- is not free on the "
              "right side.",
         why="A right side that depends on the variable averaged out means an expectation or a sum was dropped.",
         example=_md("For the second moment,", "", "$$\\mathbb{E}_{x \\sim p}[x^2] = x^2 + \\sigma^2$$"),
         message="x is bound on the left (an expectation, sum or integral over it) but free on the right",
         correct=_md("For the second moment,", "", "$$\\mathbb{E}_{x \\sim p}[x^2] = \\mu^2 + \\sigma^2$$"),
         guards=("a variable also free elsewhere on the left", "an expectation whose law names no variable",
                 "a variable bound on the right by an expectation's law, a divergence's laws (KL(q(z) ‖ p(z))) or "
                 "a sum's index set written as an equation (\\sum_{a + b = c})")),
    Rule("DS103", "index-summed-away", "bound_quantity", "index_on_both_sides", "dependence",
         "dependence.index_summed_away", family="dependence",
         what="An index free on the left side (y_i) is not summed over on the right side.",
         why="Summing over the left side's own index makes the right side the same for every i: a wrong index.",
         example=_md("Each output is a weighted sum of the inputs:", "", "$$y_i = \\sum_{i=1}^{n} w_{i} x_{i}$$"),
         message="the index i is free on the left but summed over on the right",
         correct=_md("Each output is a weighted sum of the inputs:", "", "$$y_i = \\sum_{j=1}^{n} w_{ij} x_{j}$$"),
         guards=("an index bound on both sides",
                 "an index only in what the left side is given (a full conditional p(b_k | z_{iv}, π_i), whose "
                 "given stands for all the rest)")),
    Rule("DS104", "cases-without-variable", "pmf", "cases_on_variable", "dependence",
         "dependence.cases_without_variable", family="dependence",
         what="A law written by cases puts its conditions on its variable, not on its parameters.",
         why="Cases conditioned on the parameters (θ = 1, θ = 0) describe nothing about the outcome.",
         example=_md("The coin's pmf is", "",
                     "$$p(y \\mid \\theta) = \\begin{cases} \\theta & \\text{if } \\theta = 1 \\\\ 1 - \\theta & "
                     "\\text{if } \\theta = 0 \\end{cases}$$"),
         message="the cases of p(y | θ) are conditioned on θ, never on its variable y",
         correct=_md("The coin's pmf is", "",
                     "$$p(y \\mid \\theta) = \\begin{cases} \\theta & \\text{if } y = 1 \\\\ 1 - \\theta & "
                     "\\text{if } y = 0 \\end{cases}$$"),
         guards=("a function (not a law) by cases on a parameter", "a single case and 'otherwise'")),
    # --- laws -----------------------------------------------------------------------------------------
    Rule("DS201", "pmf-sums-to-one", "pmf", "normalises", "normalisation", "normalisation.pmf_sums_to_one",
         family="laws",
         what="A probability mass function sums to one over its variable.",
         why="A pmf that does not sum to one is not a law: every probability computed from it is wrong.",
         example=_md("The number of trials $K$ before the first success has pmf", "",
                     "$$p(k) = (1 - \\theta)^{k}, \\quad k = 0, 1, 2, \\dots$$"),
         message="a pmf does not sum to one over k: over k ∈ {0, …, ∞}: Σ = 3 at θ = 1/3",
         correct=_md("The number of trials $K$ before the first success has pmf", "",
                     "$$p(k) = \\theta (1 - \\theta)^{k}, \\quad k = 0, 1, 2, \\dots$$"),
         guards=("a support the document does not state: every usual support is tried, a flag needs all to fail",
                 "parameter draws where the pmf is negative or complex (not admissible)")),
    Rule("DS202", "density-integrates-to-one", "density", "normalises", "normalisation",
         "normalisation.density_integrates_to_one", family="laws",
         what="A probability density integrates to one over its variable.",
         why="A density off by a factor makes every likelihood, posterior and expectation computed from it wrong.",
         example=_md("The waiting time has density", "", "$$f(t) = e^{-\\lambda t}, \\quad t > 0$$"),
         message="a density does not integrate to one over t: over t ∈ (0, ∞): ∫ = 3/2 at λ = 2/3",
         correct=_md("The waiting time has density", "", "$$f(t) = \\lambda e^{-\\lambda t}, \\quad t > 0$$"),
         guards=("a density whose right side does not use its variable (a uniform density)",
                 "a support not stated: ℝ, (0, ∞) and (0, 1) are tried, a flag needs all to fail",
                 "quadrature not converged")),
    Rule("DS203", "conditional-of-given-variable", "conditional_density", "of_left_variable", "dependence",
         "dependence.law_of_given_variable", family="laws",
         what="A conditional density p(z | x) is a density of z, the variable left of the bar.",
         why="Writing p(z | x) = 𝒩(x; μ(z), I) swaps the roles: it is the likelihood p(x | z), not a law of z.",
         example=_md("The decoder's conditional density is", "", "$$p(z \\mid x) = \\mathcal{N}(x; \\mu(z), I)$$"),
         message="p(z | x) is a density of z (left of the bar), but the right side is a density of x",
         correct=_md("The decoder's conditional density is", "", "$$p(x \\mid z) = \\mathcal{N}(x; \\mu(z), I)$$"),
         guards=("a law at a point the left side also names",)),
    Rule("DS204", "conditional-normalises", "conditional_density", "normalises_over_left", "normalisation",
         "normalisation.conditional_normalises", family="laws",
         what="A conditional law p(a | b) sums or integrates to one over a, the variable left of the bar.",
         why="A conditional law that normalises over what it is given (or not at all) is no law of its variable.",
         example=_md("Given the rate $\\lambda$, the count has probabilities", "",
                     "$$p(k \\mid \\lambda) = \\frac{\\lambda^k e^{-\\lambda}}{k}, \\quad k = 1, 2, \\dots$$"),
         message="a conditional law does not normalise over k (left of the bar)",
         correct=_md("Given the rate $\\lambda$, the count has probabilities", "",
                     "$$p(k \\mid \\lambda) = \\frac{\\lambda^k e^{-\\lambda}}{k!}, \\quad k = 0, 1, \\dots$$"),
         guards=("as DS201 and DS202",)),
    Rule("DS205", "density-nonnegative", "density", "nonnegative", "sign", "sign.density_nonnegative",
         family="laws",
         what="A density or a pmf is never negative where its variable lives.",
         why="A negative density gives negative probabilities: usually a sign slipped in an exponent or a factor.",
         example=_md("On the unit interval the density is", "", "$$p(u) = 2u - 3, \\quad u \\in (0, 1)$$"),
         message="a density is never negative, but p(u) = -13/5 at u = 1/5",
         correct=_md("On the unit interval the density is", "", "$$p(u) = 2u, \\quad u \\in (0, 1)$$"),
         guards=("a value negative only at some parameter draws (flag needs every draw)",)),
    Rule("DS206", "probability-in-unit-interval", "probability", "in_unit_interval", "sign",
         "sign.probability_in_unit_interval", family="laws",
         what="A probability lies in [0, 1].",
         why="A probability above one or below zero is a sign or a complement slipped.",
         example=_md("The chance the lifetime exceeds $t$ is", "", "$$\\Pr(T > t) = e^{\\lambda t}$$"),
         message="a probability lies in [0, 1], but Pr(T > t) = 5.29449 at λ = 2/3, t = 5/2",
         correct=_md("The chance the lifetime exceeds $t$ is", "", "$$\\Pr(T > t) = e^{-\\lambda t}$$"),
         guards=("a value outside [0, 1] at some draws only (flag needs every draw)",
                 "a name the words do not call a probability themselves ('the probability that $X = 5$': the "
                 "formula is the event), a random variable, a count or a size")),
    Rule("DS207", "cdf-rises-zero-to-one", "cdf", "rises_from_zero_to_one", "sign", "sign.cdf_limits",
         family="laws",
         what="A cumulative distribution function goes from 0 at the bottom of its support to 1 at the top.",
         why="A CDF that does not reach 1 (or starts above 0) misplaces probability mass.",
         example=_md("The CDF of the lifetime is", "", "$$F(t) = 1 - e^{\\lambda t}$$"),
         message="a CDF rises from 0 to 1, but F(t) does not",
         correct=_md("The CDF of the lifetime is", "", "$$F(t) = 1 - e^{-\\lambda t}$$"),
         guards=("a support not stated: ℝ, (0, ∞) and (0, 1) are tried, a flag needs all to fail",
                 "a CDF the document defines as its own ('Let $F$ be the CDF'): judged as written")),
    Rule("DS208", "cdf-nondecreasing", "cdf", "rises_from_zero_to_one", "sign", "sign.cdf_nondecreasing",
         family="laws",
         what="A cumulative distribution function never decreases.",
         why="A decreasing CDF gives negative probabilities to intervals.",
         example=_md("The CDF of the lifetime is", "", "$$F(t) = e^{-\\lambda t}$$"),
         message="a CDF never decreases, but F(t) falls at t = 1/5",
         correct=_md("The CDF of the lifetime is", "", "$$F(t) = 1 - e^{-\\lambda t}$$"),
         guards=("a decrease at some parameter draws only",)),
    Rule("DS209", "probability-vector-sums-to-one", "probability_vector", "sums_to_one", "normalisation",
         "sign.probability_vector_sums_to_one", family="laws",
         what="A vector of probabilities written out entry by entry sums to one.",
         why="Class probabilities that do not sum to one are not a distribution.",
         example=_md("The class probabilities are", "", "$$\\pi = (0.25, 0.5, 0.35)$$"),
         message="a probability vector sums to one, but the entries of π sum to 11/10",
         correct=_md("The class probabilities are", "", "$$\\pi = (0.25, 0.4, 0.35)$$"),
         guards=("entries rounded to their printed digits", "entries outside [0, 1] (not probabilities)")),
    Rule("DS210", "density-normalisable", "density", "normalisable", "normalisation",
         "normalisable.density_normalisable", family="laws", through=("normaliser",), status="default",
         what="A density -- or a log-density -- written up to its normaliser (∝, 1/Z, \"up to a constant\") can be "
              "normalised: over its variable (left of the bar) it does not grow without bound. The exponent of a "
              "Gaussian written with a + sign has no normaliser under any constant.",
         why="∝ and 1/Z leave a normaliser's value open, never its existence: exp(+‖x − μ‖²/2σ²) is no law, and "
             "every posterior, MAP estimate or loss derived from it has the wrong sign.",
         example=_md("Centring the Gaussian at the data point $\\hat{x}$ and dropping the normalising constant,", "",
                     "$$p(x \\mid \\hat{x}) \\propto \\exp\\left(\\frac{1}{2}\\|\\hat{x} - x\\|^2\\right)$$"),
         message="the density grows without bound in x: its exponent → +∞ as x → ±∞ (leading term 1/2·x^2 at "
                 "\\hat{x} = 1/2); exp(+…), which has no normaliser: ∝ and 1/Z fix a normaliser's value, not its "
                 "existence",
         correct=_md("Centring the Gaussian at the data point $\\hat{x}$ and dropping the normalising constant,", "",
                     "$$p(x \\mid \\hat{x}) \\propto \\exp\\left(-\\frac{1}{2}\\|\\hat{x} - x\\|^2\\right)$$"),
         guards=("energies, scores, logits, losses and negative log-likelihoods (E(x) = ½‖x‖², −log p(x) = ½‖x‖²: "
                 "the kind decides, and −log p is read as minus the log-density)",
                 "a support the document restricts or bounds (x ∈ [0, 1], an indicator, 'truncated', a sphere): a "
                 "tilted form exp(θx) on a bounded set is normalisable",
                 "a coefficient whose sign the document leaves open (every name is drawn with either sign unless the "
                 "document states its range or defines it above: a natural parameter η in exp(ηx²) is not flagged)",
                 "a side of another shape (a sum over data, a mixture, a named law): inconclusive, left alone",
                 "improper or flat priors stated as such, a density with respect to a stated measure")),
    Rule("DS211", "average-weights-sum-to-one", "average", "weights_sum_to_one", "normalisation",
         "averages.average_terms", family="laws", reads="statements", status="default",
         what="An average over a range -- a sample mean, an empirical expectation, a Monte Carlo estimate, the law "
              "of large numbers -- divides by its number of terms: (1/c) Σ_{i=a}^{b} x_i has b − a + 1 terms, so its "
              "weights sum to one only when c = b − a + 1. Read from the line and its lead: an expectation in the "
              "line, an estimate's left side (\\bar x, \\hat\\mu), or the words average, mean, empirical, estimate, "
              "Monte Carlo, law of large numbers. Limits and approximations (→, ≈) are read: N → ∞ does not hide it.",
         why="Σ_{i=0}^{N} with 1/N averages N + 1 values with weight 1/N: an index started at 0 where the sample "
             "starts at 1, copied into every later line of the argument.",
         example=_md("By the law of large numbers the sample mean of draws $Z_i$ of $Z$ converges:", "",
                     "$$\\bar{Z}_N = \\frac{1}{N}\\sum_{i=0}^{N} Z_i \\to \\mathbb{E}[Z]$$"),
         message="the sum over i = 0..N has N + 1 terms but is divided by N: the weights of an average sum to "
                 "(N + 1)/N, not one",
         correct=_md("By the law of large numbers the sample mean of draws $Z_i$ of $Z$ converges:", "",
                     "$$\\bar{Z}_N = \\frac{1}{N}\\sum_{i=1}^{N} Z_i \\to \\mathbb{E}[Z]$$"),
         guards=("a sum the line and its lead do not call an average (no expectation, no estimate, none of the words)",
                 "a deviation from an estimate of the same sample divided by fewer terms: Bessel's "
                 "1/(N − 1) Σ_{i=1}^{N} (x_i − \\bar x)^2, degrees of freedom 1/(N − p) Σ (y_i − \\hat y_i)^2",
                 "weighted sums: explicit weights (Σ w_i x_i / Σ w_i), importance ratios p(x_i)/q(x_i), products of "
                 "samples, a normaliser that is itself a sum",
                 "an index set that is not a range (Σ_{x ∈ X}, Σ_{i ∈ S}) or a sum without limits",
                 "a summand that is not a sample indexed by the index alone: a series (1/i²), a Riemann sum f(i/N), a "
                 "telescoping or lagged sum (x_{i+1} − x_i), the index in the arithmetic (i x_i, γ^i r_i)",
                 "a normaliser larger than the count (1/(n + 1): a shrinkage or deliberately biased estimator), prose "
                 "that speaks of bias or shrinkage",
                 "a normaliser named by another letter than the range (1/n with Σ_{i=1}^{N}), or one the document "
                 "defines as the count (n = N + 1)",
                 "an extra term the document defines (x_0 = 0)",
                 "the common guards below; limits and approximations (→, ≈, 'as N → ∞', 'for large N') are read "
                 "through, and a size defined further down does not matter (the count and the normaliser disagree "
                 "whatever its value)")),
    Rule("DS212", "pmf-in-words-sums-to-one", "pmf", "normalises", "normalisation",
         "normalisation.probabilities_in_words", family="laws", reads="sentences",
         what="The probabilities a sentence gives to distinct values of one variable -- \"$X$ is 1 with probability "
              "$p$ and 0 with probability $1 - p$\", \"$Y = 2$ with probability 0.3, $Y = 5$ with probability 0.7\" "
              "-- sum to at most one, and to one when the values listed are all it takes (the sentence says "
              "\"either\", or the variable is declared with a binary law and the values are 0 and 1).",
         why="A pmf stated in words is still a pmf: a complement forgotten (\"0 with probability 1\") makes the "
             "simulation or the likelihood built on it describe no law.",
         example=_md("If $X \\sim \\text{Ber}(p)$, then $X$ is 1 with probability $p$ and 0 with probability $1$."),
         message="the probabilities the text gives X (1 with probability p, 0 with probability 1) sum to 4/3 at "
                 "p = 1/3: more than one -- a pmf in words sums to one",
         correct=_md("If $X \\sim \\text{Ber}(p)$, then $X$ is 1 with probability $p$ and 0 with probability "
                     "$1 - p$."),
         guards=("items of several variables, repeated values, or a value the sentence does not name as one token",
                 "'otherwise', 'else', 'the rest', 'at least', 'about', conditions ('if', 'given', 'when') in the "
                 "sentence: the list is not the law's whole table",
                 "a sum below one when the sentence does not say the values are all (no 'either', no binary law)",
                 "a probability the reader does not read, or draws where an item lies outside [0, 1]")),
    # --- sign and fixed points --------------------------------------------------------------------------
    Rule("DS301", "divergence-nonnegative", "divergence", "nonnegative", "sign", "sign.divergence_nonnegative",
         family="sign",
         what="A divergence (KL, JS) is never negative.",
         why="A negative KL is a sign or a swapped ratio: every bound built on it (the ELBO) breaks.",
         example=_md("For two Bernoulli laws,", "",
                     "$$\\mathrm{KL}(\\mathrm{Bern}(a) \\| \\mathrm{Bern}(b)) = a \\log\\frac{b}{a} + (1 - a)\\log\\frac{1 - b}{1 - a}$$"),
         message="a divergence is never negative, but KL(…) = -0.0783 at a = 1/3, b = 3/4",
         correct=_md("For two Bernoulli laws,", "",
                     "$$\\mathrm{KL}(\\mathrm{Bern}(a) \\| \\mathrm{Bern}(b)) = a \\log\\frac{a}{b} + (1 - a)\\log\\frac{1 - a}{1 - b}$$"),
         guards=("a value negative at some draws only (flag needs two)",)),
    Rule("DS302", "divergence-zero-at-equal-laws", "divergence", "zero_at_equal_laws", "sign",
         "sign.divergence_zero_at_equal_laws", family="sign",
         what="A divergence between two laws of one family is 0 when their parameters are equal.",
         why="A KL that is not 0 between a law and itself has a stray term.",
         example=_md("Between two normal laws,", "",
                     "$$\\mathrm{KL}(\\mathcal{N}(m_1, s_1^2) \\| \\mathcal{N}(m_2, s_2^2)) = \\log\\frac{s_2}{s_1} + "
                     "\\frac{s_1^2 + (m_1 - m_2)^2}{2 s_2^2}$$"),
         message="a divergence is 0 between a law and itself, but with equal parameters KL = 1/2",
         correct=_md("Between two normal laws,", "",
                     "$$\\mathrm{KL}(\\mathcal{N}(m_1, s_1^2) \\| \\mathcal{N}(m_2, s_2^2)) = \\log\\frac{s_2}{s_1} + "
                     "\\frac{s_1^2 + (m_1 - m_2)^2}{2 s_2^2} - \\frac{1}{2}$$"),
         guards=("laws of two different families", "parameters written as expressions")),
    Rule("DS303", "variance-nonnegative", "variance", "nonnegative", "sign", "sign.variance_nonnegative",
         family="sign",
         what="A variance is never negative.",
         why="E[X]² − E[X²] for the variance is the classic swap; it is −Var(X).",
         example=_md("The variance of $X$ is", "", "$$\\mathrm{Var}(X) = \\mathbb{E}[X]^2 - \\mathbb{E}[X^2]$$"),
         message="a variance is never negative, but Var(X) = -1.57 under a three-atom law of X",
         correct=_md("The variance of $X$ is", "", "$$\\mathrm{Var}(X) = \\mathbb{E}[X^2] - \\mathbb{E}[X]^2$$"),
         guards=("a right side with quantities other than expectations of the left side's variables",)),
    Rule("DS304", "std-nonnegative", "std", "nonnegative", "sign", "sign.std_nonnegative", family="sign",
         what="A standard deviation is never negative.",
         why="A negative standard deviation is a root taken with the wrong sign or a difference reversed.",
         example=_md("The standard deviation of the estimate is", "", "$$\\sigma = a - \\sqrt{a^2 + 2b^2}$$"),
         message="a standard deviation is never negative",
         correct=_md("The standard deviation of the estimate is", "", "$$\\sigma = \\sqrt{a^2 + 2b^2}$$"),
         guards=("a left side that is not σ, sd or std",)),
    Rule("DS305", "covariance-psd", "covariance", "psd", "sign", "sign.covariance_psd", family="sign",
         what="A covariance matrix is symmetric positive semidefinite (its 1×1 case is a variance).",
         why="E[X]E[X]ᵀ − E[XXᵀ] is minus the covariance: negative semidefinite.",
         example=_md("The covariance of the vector $X$ is", "",
                     "$$\\mathrm{Cov}(X) = \\mathbb{E}[X]\\mathbb{E}[X]^\\top - \\mathbb{E}[XX^\\top]$$"),
         message="a covariance matrix is positive semidefinite: its 1×1 case is never negative",
         correct=_md("The covariance of the vector $X$ is", "",
                     "$$\\mathrm{Cov}(X) = \\mathbb{E}[XX^\\top] - \\mathbb{E}[X]\\mathbb{E}[X]^\\top$$"),
         guards=("a conditional covariance", "a cross-covariance of two different variables (judged at Y = X)")),
    Rule("DS306", "norm-nonnegative", "norm", "nonnegative", "sign", "sign.norm_nonnegative", family="sign",
         what="A norm is never negative.",
         why="A norm written as a signed expression has lost a square or an absolute value.",
         example=_md("For a two-dimensional $v$ we write", "", "$$\\|v\\|_1 = v_1 + v_2$$"),
         message="a norm is never negative",
         correct=_md("For a two-dimensional $v$ we write", "", "$$\\|v\\|_1 = |v_1| + |v_2|$$"),
         guards=("names the document restricts to be positive",)),
    Rule("DS307", "discrete-entropy-nonnegative", "entropy_discrete", "nonnegative", "sign",
         "sign.entropy_nonnegative", family="sign",
         what="The entropy of a discrete law is never negative.",
         why="A negative discrete entropy has lost the minus sign of −Σ p log p.",
         example=_md("The binary entropy of a coin with bias $\\theta$ is", "",
                     "$$H(\\theta) = \\theta\\log\\theta + (1 - \\theta)\\log(1 - \\theta)$$"),
         message="the entropy of a discrete law is never negative",
         correct=_md("The binary entropy of a coin with bias $\\theta$ is", "",
                     "$$H(\\theta) = -\\theta\\log\\theta - (1 - \\theta)\\log(1 - \\theta)$$"),
         guards=("a differential entropy (it can be negative)", "a cross-entropy")),
    Rule("DS308", "loss-nonnegative", "loss_nonnegative", "nonnegative", "sign", "sign.loss_nonnegative",
         family="sign",
         what="A loss of a kind that cannot be negative (hinge, margin, squared, absolute, cross-entropy) is never "
              "negative.",
         why="A hinge loss without its max(0, ·) rewards confident correct answers without bound.",
         example=_md("The hinge loss of a margin $m$ is", "", "$$\\ell(m) = 1 - m$$"),
         message="this loss is never negative, but ℓ(m) = -1 at m = 2",
         correct=_md("The hinge loss of a margin $m$ is", "", "$$\\ell(m) = \\max(0, 1 - m)$$"),
         guards=("a loss the prose does not name as one of these kinds", "a regularised objective")),
    # --- consistency ----------------------------------------------------------------------------------
    Rule("DS401", "log-likelihood-agrees", "log_likelihood", "agrees_with_likelihood", "consistency",
         "consistency.log_likelihood_agrees", family="consistency",
         what="A log-likelihood is the log of the likelihood written above it, up to a constant.",
         why="A log-likelihood that is not the log of its likelihood gives the wrong estimator.",
         example=_md("The likelihood of the tosses is", "",
                     "$$L(\\theta) = \\prod_{i=1}^n \\theta^{x_i}(1 - \\theta)^{1 - x_i}$$", "",
                     "and the log-likelihood is", "",
                     "$$\\ell(\\theta) = \\sum_{i=1}^n \\left[x_i \\log\\theta + (1 - x_i)\\log\\theta\\right]$$"),
         message="the log-likelihood is not the log of the likelihood at line 3 (not even up to a constant)",
         correct=_md("The likelihood of the tosses is", "",
                     "$$L(\\theta) = \\prod_{i=1}^n \\theta^{x_i}(1 - \\theta)^{1 - x_i}$$", "",
                     "and the log-likelihood is", "",
                     "$$\\ell(\\theta) = \\sum_{i=1}^n \\left[x_i \\log\\theta + (1 - x_i)\\log(1 - \\theta)\\right]$$"),
         guards=("a difference constant in the parameters (a log-likelihood up to a constant)",)),
    Rule("DS402", "derivative-agrees", "derivative_of", "agrees_with_function_above", "consistency",
         "consistency.derivative_agrees", family="consistency",
         what="A derivative of a function defined above is the derivative of that definition.",
         why="A derivative that disagrees with its function breaks every gradient step built on it.",
         example=_md("Let", "", "$$h(s) = s^3 - 2s$$", "", "Its slope is", "", "$$h'(s) = 3s^2 - 2s$$"),
         message="the derivative differs from the derivative of h as defined at line 3",
         correct=_md("Let", "", "$$h(s) = s^3 - 2s$$", "", "Its slope is", "", "$$h'(s) = 3s^2 - 2$$"),
         guards=("a function defined twice above (which one is in force is not known)",
                 "a definition that uses names defined elsewhere (a chain of definitions)")),
    Rule("DS403", "stationary-point-agrees", "stationary_point", "zero_of_derivative_above", "consistency",
         "consistency.stationary_point_agrees", family="consistency",
         what="A point found by setting the derivative written above to zero makes that derivative zero.",
         why="A solved stationary point that does not solve the equation above it is a slip in the algebra.",
         example=_md("The derivative of the log-likelihood is", "",
                     "$$\\frac{d\\ell}{d\\lambda} = \\frac{n}{\\lambda} - \\sum_{i=1}^n x_i$$", "",
                     "and setting the derivative to zero gives", "",
                     "$$\\hat\\lambda = \\frac{1}{n}\\sum_{i=1}^n x_i$$"),
         message="setting the derivative at line 3 to zero does not give \\hat\\lambda",
         correct=_md("The derivative of the log-likelihood is", "",
                     "$$\\frac{d\\ell}{d\\lambda} = \\frac{n}{\\lambda} - \\sum_{i=1}^n x_i$$", "",
                     "and setting the derivative to zero gives", "",
                     "$$\\hat\\lambda = \\frac{n}{\\sum_{i=1}^n x_i}$$"),
         guards=("a derivative more than 20 lines above", "prose that does not say the derivative is set to zero")),
    Rule("DS404", "update-from-own-state", "update", "from_its_own_state", "consistency",
         "consistency.update_from_own_state", family="consistency",
         what="A running mean's update reproduces the mean of the values seen so far, from its own previous state.",
         why="An update from the new state, or from another running value, drifts away from the mean.",
         example=_md("The running mean is updated as each value arrives:", "",
                     "$$m_t = m_{t-1} + \\frac{1}{t}(x_t - m_t)$$"),
         message="the update does not reproduce the running mean of x",
         correct=_md("The running mean is updated as each value arrives:", "",
                     "$$m_t = m_{t-1} + \\frac{1}{t}(x_t - m_{t-1})$$"),
         guards=("another running value the document defines", "a weighted or exponential moving average")),
    Rule("DS405", "iterate-agrees-with-update", "update", "iterates_agree", "consistency",
         "consistency.iterate_agrees", family="consistency",
         what="A line about the iterates of an update defined above -- its closed or unrolled form, the iterate after "
              "one or two steps written out, the update restated -- is what iterating that update gives.",
         why="An index off by one in an unrolled sum, a power k where k + 1 belongs or a dropped (1 - β) survives "
             "every reading that does not iterate the update.",
         example=_md("Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ with step $\\alpha$ is", "",
                     "$$w^{k+1} = w^k - \\alpha \\nabla f(w^k)$$", "",
                     "With the minimiser $w^\\star = b/\\lambda$, unrolling the update gives", "",
                     "$$w^k - w^\\star = (1 - \\alpha\\lambda)^{k+1} (w^0 - w^\\star)$$"),
         message="this does not follow from the update at line 3: iterating it gives -29/45, the line gives 58/135 "
                 "(at k = 2, \\alpha = 2/3, \\lambda = 5/2, b = 7/4)",
         correct=_md("Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ with step $\\alpha$ is", "",
                     "$$w^{k+1} = w^k - \\alpha \\nabla f(w^k)$$", "",
                     "With the minimiser $w^\\star = b/\\lambda$, unrolling the update gives", "",
                     "$$w^k - w^\\star = (1 - \\alpha\\lambda)^{k} (w^0 - w^\\star)$$"),
         guards=("a name the update and the document's definitions above do not bind (a new step size, a noise term "
                 "nothing defines, an undefined function)",
                 "approximations, bounds and inequalities (≈, 'for large k', 'asymptotically', O(·), ≤)",
                 "a different update of the same state (a new method, or a restatement without 'substituting', "
                 "'that is', …): it and every later line about that state are left alone",
                 "a line that holds from k = 2 on (the first iterates may follow another convention)",
                 "an initial value the document leaves open: the line is flagged only if it fails both with the "
                 "initial iterates drawn and with them at zero")),
)

BY_CODE = {rule.code: rule for rule in RULES}


BY_NAME = {rule.name: rule for rule in RULES}
FAMILIES = (("judge", "The judge's flags"), ("dependence", "Dependence"), ("laws", "Laws"),
            ("sign", "Sign and fixed points"), ("consistency", "Consistency"))  # in code order: DS0, DS1, ... DS4


def rule(code: str) -> Rule:
    """The rule of ``code`` (``DS201``) or of its name (``pmf-sums-to-one``); KeyError naming close codes
    and names when there is none."""
    found = BY_CODE.get(code.upper()) or BY_NAME.get(code.lower().replace("_", "-"))
    if found is None:
        close = difflib.get_close_matches(code.upper(), list(BY_CODE), n=3, cutoff=0.5)
        close += difflib.get_close_matches(code.lower(), list(BY_NAME), n=3, cutoff=0.6)
        raise KeyError(f"no rule {code!r}" + (f" (did you mean {', '.join(close)}?)" if close else
                                               "; `derivspec rules` lists them"))
    return found


def family(name: str) -> list[Rule]:
    """The rules of a family (``laws``); KeyError naming the families when there is none."""
    members = [r for r in RULES if r.family == name.lower()]
    if not members:
        raise KeyError(f"no rule family {name!r}; the families: {', '.join(f for f, _ in FAMILIES)}")
    return members


def is_code(value: str) -> bool:
    """``DS201`` or a prefix of codes (``DS2``, ``DS``)."""
    value = value.upper()
    return value.startswith("DS") and any(code.startswith(value) for code in BY_CODE)


def matching(value: str) -> list[Rule]:
    value = value.upper()
    return [r for r in RULES if r.code.startswith(value)]


def select(select_values=(), ignore_values=(), preview: bool = False) -> frozenset:
    """The codes of the checking rules a scan runs: default ones, preview ones under ``preview``, any selected by a
    code or prefix; less those ignored. The judge's codes are never run here (the judge raises them)."""
    chosen = {r.code for r in RULES if r.mechanism != "judge" and (r.status == "default" or preview)}
    for value in select_values:
        chosen |= {r.code for r in matching(value) if r.mechanism != "judge"}
    for value in ignore_values:
        chosen -= {r.code for r in matching(value)}
    return frozenset(chosen)


def judge_code(kind: str, category: str, relation: str = "") -> str:
    """The code of a judge's flag: a registered source that disagrees with its claim (DS005), a standard result
    (DS002), a worked number (DS003), an inequality (DS004), any other relation whose sides differ (DS001)."""
    if kind == "source":
        return "DS005"
    if kind == "known" or category == "known result":
        return "DS002"
    if kind == "number" or category == "worked number":
        return "DS003"
    if category == "inequality" or relation in ("≤", "≥", "<", ">"):
        return "DS004"
    return "DS001"
