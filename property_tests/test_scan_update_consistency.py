r"""DS405 (derivspec/scan/rules/iterates.py): a later line about the iterates of an update defined above -- its
closed or unrolled form, the iterate after a step or two written out, the update restated -- is what iterating that
update gives. Each wrong document below is flagged with the code, each correct twin (the k + 1 and k - 1
conventions, an equivalent shifted-index form) is flagged by no rule, and each guard (an approximation, a bound, a
name nothing binds, a different update of the same state) keeps the rule quiet.

The documents are short lecture-like texts written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derivspec.scan.extract import extract
from derivspec.scan.rules import check_document, registry
from derivspec.scan.rules.consistency import instantiate_together
from derivspec.scan.runner import has_relation

ALL = frozenset(r.code for r in registry.RULES if r.mechanism != "judge")
CODE = "DS405"

GD = ("We minimise the quadratic $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ by gradient descent with a fixed step "
      "$\\alpha$:\n\n$$w^{k+1} = w^k - \\alpha \\nabla f(w^k)$$\n\n")
EMA = ("The optimiser keeps an exponential moving average of the gradients $g_t$,\n\n"
       "$$v_t = \\beta v_{t-1} + (1 - \\beta) g_t$$\n\nstarting from $v_0 = 0$. ")
MOMENTUM = ("Heavy-ball momentum on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ keeps a velocity $z$ and updates both "
            "together:\n\n$$z^{k+1} = \\beta z^k + \\nabla f(w^k), \\quad w^{k+1} = w^k - \\alpha z^{k+1}$$\n\n")

# (wrong, right): the wrong one is flagged with DS405, the right one by no rule
PAIRS = {
    "power off by one, superscript k": (
        GD + "With the minimiser $w^\\star = b/\\lambda$, unrolling gives\n\n"
             "$$w^k - w^\\star = (1 - \\alpha\\lambda)^{k+1} (w^0 - w^\\star)$$\n",
        GD + "With the minimiser $w^\\star = b/\\lambda$, unrolling gives\n\n"
             "$$w^k - w^\\star = (1 - \\alpha\\lambda)^{k} (w^0 - w^\\star)$$\n"),
    "dropped (1 - beta), subscript t": (
        EMA + "Unrolling the average,\n\n$$v_t = \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n",
        EMA + "Unrolling the average,\n\n$$v_t = (1 - \\beta) \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n"),
    "sum range off by one": (
        EMA + "Expanding the recursion we obtain\n\n$$v_t = (1 - \\beta) \\sum_{i=0}^{t} \\beta^{t-i} g_i$$\n",
        EMA + "Expanding the recursion we obtain\n\n$$v_t = (1 - \\beta) \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n"),
    "equivalent shifted-index form": (
        EMA + "Shifting the index,\n\n$$v_{t+1} = (1 - \\beta) \\sum_{i=0}^{t} \\beta^{i} g_{i+1}$$\n",
        EMA + "Shifting the index,\n\n$$v_{t+1} = (1 - \\beta) \\sum_{i=0}^{t} \\beta^{t-i} g_{i+1}$$\n"),
    "momentum velocity unrolled, wrong power": (
        MOMENTUM + "Starting from $z^0 = 0$, the velocity is a discounted sum of past gradients,\n\n"
                   "$$z^k = \\sum_{i=0}^{k-1} \\beta^{k-i} \\nabla f(w^i)$$\n",
        MOMENTUM + "Starting from $z^0 = 0$, the velocity is a discounted sum of past gradients,\n\n"
                   "$$z^k = \\sum_{i=0}^{k-1} \\beta^{k-1-i} \\nabla f(w^i)$$\n"),
    "momentum velocity unrolled, wrong state": (
        MOMENTUM + "Starting from $z^0 = 0$, the velocity is a discounted sum of past gradients,\n\n"
                   "$$z^k = \\sum_{i=0}^{k-1} \\beta^{k-1-i} \\nabla f(w^{i+1})$$\n",
        MOMENTUM + "Starting from $z^0 = 0$ the velocity collects the gradients seen so far:\n\n"
                   "$$z^{k} = \\sum_{j=1}^{k} \\beta^{k-j} \\nabla f(w^{j-1})$$\n"),
    "matrix recurrence in theta_t, (I - eta A)": (
        "For the least-squares objective $L(\\theta) = \\frac{1}{2}\\theta^\\top A \\theta - b^\\top \\theta$ the "
        "iteration is\n\n$$\\theta_{t+1} = \\theta_t - \\eta (A\\theta_t - b)$$\n\nand with $\\theta^* = A^{-1} b$ "
        "its error after $t$ steps is\n\n$$\\theta_t - \\theta^* = (I - \\eta A)^{t-1} (\\theta_0 - \\theta^*)$$\n",
        "For the least-squares objective $L(\\theta) = \\frac{1}{2}\\theta^\\top A \\theta - b^\\top \\theta$ the "
        "iteration is\n\n$$\\theta_{t+1} = \\theta_t - \\eta (A\\theta_t - b)$$\n\nand with $\\theta^* = A^{-1} b$ "
        "its error after $t$ steps is\n\n$$\\theta_t - \\theta^* = (I - \\eta A)^{t} (\\theta_0 - \\theta^*)$$\n"),
    "two steps written out, parenthesised superscripts": (
        "Take $g(x) = \\lambda x - b$ and iterate\n\n$$x^{(k+1)} = x^{(k)} - \\alpha g(x^{(k)})$$\n\n"
        "After two steps,\n\n$$x^{(2)} = (1 - \\alpha\\lambda)^2 x^{(0)} + 2\\alpha b$$\n",
        "Take $g(x) = \\lambda x - b$ and iterate\n\n$$x^{(k+1)} = x^{(k)} - \\alpha g(x^{(k)})$$\n\n"
        "After two steps,\n\n$$x^{(2)} = (1 - \\alpha\\lambda)^2 x^{(0)} + \\alpha b (2 - \\alpha\\lambda)$$\n"),
    "first moment after two steps, m_t": (
        "Adam's first moment is\n\n$$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t$$\n\nwith $m_0 = 0$. After two "
        "steps,\n\n$$m_2 = (1 - \\beta_1)(g_1 + \\beta_1 g_2)$$\n",
        "Adam's first moment is\n\n$$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t$$\n\nwith $m_0 = 0$. After two "
        "steps,\n\n$$m_2 = (1 - \\beta_1)(\\beta_1 g_1 + g_2)$$\n"),
    "update restated after substituting the gradient": (
        "Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ iterates\n\n"
        "$$w_{k+1} = w_k - \\alpha \\nabla f(w_k)$$\n\nSubstituting the gradient, the update reads\n\n"
        "$$w_{k+1} = (1 - \\alpha\\lambda) w_k - \\alpha b$$\n",
        "Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ iterates\n\n"
        "$$w_{k+1} = w_k - \\alpha \\nabla f(w_k)$$\n\nSubstituting the gradient, the update reads\n\n"
        "$$w_{k+1} = (1 - \\alpha\\lambda) w_k + \\alpha b$$\n"),
    "restated with the noise term": (
        "Stochastic gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ takes\n\n"
        "$$w_{k+1} = w_k - \\alpha g_k$$\n\nwith the noisy gradient $g_k = \\nabla f(w_k) + \\xi_k$. Substituting "
        "it, the update is\n\n$$w_{k+1} = (1 - \\alpha\\lambda) w_k + \\alpha b + \\alpha \\xi_k$$\n",
        "Stochastic gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ takes\n\n"
        "$$w_{k+1} = w_k - \\alpha g_k$$\n\nwith the noisy gradient $g_k = \\nabla f(w_k) + \\xi_k$. Substituting "
        "it, the update is\n\n$$w_{k+1} = (1 - \\alpha\\lambda) w_k + \\alpha b - \\alpha \\xi_k$$\n"),
    "an aligned chain": (
        "For $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ one step of gradient descent is\n\n$$\n\\begin{aligned}\n"
        "w_{k+1} &= w_k - \\alpha \\nabla f(w_k) \\\\\n&= (1 - \\alpha) \\lambda w_k + \\alpha b\n\\end{aligned}\n$$\n",
        "For $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ one step of gradient descent is\n\n$$\n\\begin{aligned}\n"
        "w_{k+1} &= w_k - \\alpha \\nabla f(w_k) \\\\\n&= (1 - \\alpha\\lambda) w_k + \\alpha b\n\\end{aligned}\n$$\n"),
    "running mean, k - 1 convention": (
        "The running mean of the observations is updated as\n\n"
        "$$\\mu_n = \\mu_{n-1} + \\frac{1}{n}(x_n - \\mu_{n-1})$$\n\nso that after $n$ observations\n\n"
        "$$\\mu_n = \\frac{1}{n} \\sum_{i=0}^{n} x_i$$\n",
        "The running mean of the observations is updated as\n\n"
        "$$\\mu_n = \\mu_{n-1} + \\frac{1}{n}(x_n - \\mu_{n-1})$$\n\nso that after $n$ observations\n\n"
        "$$\\mu_n = \\frac{1}{n} \\sum_{i=1}^{n} x_i$$\n"),
    "k - 1 convention, fixed point not written": (
        "Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ in the form\n\n"
        "$$w_k = w_{k-1} - \\alpha \\nabla f(w_{k-1})$$\n\ncontracts towards the minimiser $w^*$:\n\n"
        "$$w_k - w^* = (1 - \\alpha\\lambda)^{k-1} (w_0 - w^*)$$\n",
        "Gradient descent on $f(w) = \\frac{1}{2}\\lambda w^2 - b w$ in the form\n\n"
        "$$w_k = w_{k-1} - \\alpha \\nabla f(w_{k-1})$$\n\ncontracts towards the minimiser $w^*$:\n\n"
        "$$w_k - w^* = (1 - \\alpha\\lambda)^{k} (w_0 - w^*)$$\n"),
    "inline closed form, other letters": (
        "An exponential average of the rewards, $r_t$, is kept as\n\n"
        "$$s_t = \\gamma s_{t-1} + (1 - \\gamma) r_t, \\qquad s_0 = 0,$$\n\n"
        "which means $s_t = (1 - \\gamma) \\sum_{j=1}^{t} \\gamma^{j} r_j$ for every $t$.\n",
        "An exponential average of the rewards, $r_t$, is kept as\n\n"
        "$$s_t = \\gamma s_{t-1} + (1 - \\gamma) r_t, \\qquad s_0 = 0,$$\n\n"
        "which means $s_t = (1 - \\gamma) \\sum_{j=1}^{t} \\gamma^{t-j} r_j$ for every $t$.\n"),
}

# correct lines with no stated initial value, or a stated one, or with the update defined only in words and symbols
# elsewhere: not flagged
QUIET = {
    "initial value left open (zero start)":
        "The optimiser keeps an exponential moving average of the gradients $g_t$,\n\n"
        "$$v_t = \\beta v_{t-1} + (1 - \\beta) g_t$$\n\nand, initialised at zero, unrolls to\n\n"
        "$$v_t = (1 - \\beta) \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n",
    "initial value kept": EMA.replace("starting from $v_0 = 0$. ", "") + "Unrolling,\n\n"
        "$$v_t = \\beta^t v_0 + (1 - \\beta) \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n",
    "approximation": GD + "With $w^\\star = b/\\lambda$, for large $k$\n\n"
        "$$w^k \\approx w^\\star + (1 - \\alpha\\lambda)^{k+1} (w^0 - w^\\star)$$\n",
    "approximately in words": GD + "With $w^\\star = b/\\lambda$ the error is approximately\n\n"
        "$$w^k - w^\\star = (1 - \\alpha\\lambda)^{k+1} (w^0 - w^\\star)$$\n",
    "asymptotically": EMA + "Asymptotically,\n\n$$v_t = \\sum_{i=1}^{t} \\beta^{t-i} g_i$$\n",
    "bound": GD + "With $w^\\star = b/\\lambda$,\n\n"
        "$$|w^k - w^\\star| \\le (1 - \\alpha\\lambda)^{k+1} |w^0 - w^\\star|$$\n",
    "big O": GD + "With $w^\\star = b/\\lambda$,\n\n$$w^k - w^\\star = O((1 - \\alpha\\lambda)^{k+1})$$\n",
    "a name nothing binds": GD + "With $w^\\star = b/\\lambda$ and a contraction factor,\n\n"
        "$$w^k - w^\\star = \\rho^{k+1} (w^0 - w^\\star)$$\n",
    "an undefined function": "We iterate\n\n$$x_{k+1} = x_k - \\alpha h(x_k)$$\n\nso that\n\n"
        "$$x_2 = x_0 - 2\\alpha h(x_0)$$\n",
    "a different update, said so": GD + "Consider instead a doubled step,\n\n"
        "$$w^{k+1} = w^k - 2\\alpha \\nabla f(w^k)$$\n\nWith $w^\\star = b/\\lambda$ this gives\n\n"
        "$$w^k - w^\\star = (1 - 2\\alpha\\lambda)^{k} (w^0 - w^\\star)$$\n",
    "a different update, not said": GD + "With a larger step the iteration is\n\n"
        "$$w^{k+1} = w^k - 2\\alpha \\nabla f(w^k)$$\n\nand with $w^\\star = b/\\lambda$\n\n"
        "$$w^k - w^\\star = (1 - 2\\alpha\\lambda)^{k} (w^0 - w^\\star)$$\n",
    "a new definition of the state": EMA + "Without averaging one would simply set\n\n$$v_t = g_t$$\n\n"
        "and then\n\n$$v_2 = g_2$$\n",
    "an initialisation at the first step": "The average starts from the first gradient and follows\n\n"
        "$$m_t = \\beta m_{t-1} + (1 - \\beta) g_t$$\n\nWe initialise with\n\n$$m_1 = g_1$$\n",
    "a recurrence relying on unstated initial values": "The sequence satisfies\n\n"
        "$$F_{n+1} = F_n + F_{n-1}$$\n\nand its closed form is\n\n"
        "$$F_n = \\frac{1}{\\sqrt{5}}\\left(\\left(\\frac{1 + \\sqrt{5}}{2}\\right)^n - "
        "\\left(\\frac{1 - \\sqrt{5}}{2}\\right)^n\\right)$$\n",
}


def _flags(tmp_path: Path, text: str, codes=ALL) -> dict:
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    statements = [s for s in extract(path) if has_relation(s)]
    return {statements[i].lines[0]: code for i, (code, _) in check_document(statements, text, codes).items()}


@pytest.mark.parametrize("case", sorted(PAIRS))
def test_wrong_flagged_and_right_not(tmp_path, case):
    wrong, right = PAIRS[case]
    assert CODE in _flags(tmp_path, wrong, frozenset({CODE})).values(), wrong
    assert _flags(tmp_path, right) == {}, right


@pytest.mark.parametrize("case", sorted(QUIET))
def test_guards_and_open_conventions_not_flagged(tmp_path, case):
    assert _flags(tmp_path, QUIET[case], frozenset({CODE})) == {}, QUIET[case]


def test_flag_is_on_the_later_line_with_its_values(tmp_path):
    text = PAIRS["power off by one, superscript k"][0]
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    statements = [s for s in extract(path) if has_relation(s)]
    found = check_document(statements, text, frozenset({CODE}))
    assert [statements[i].lines[0] for i in found] == [7]
    (code, message), = found.values()
    assert code == CODE and message.startswith("DS405 this does not follow from the update at line 3")
    assert "k = 2" in message


def test_registered_in_preview():
    rule = registry.rule(CODE)
    assert rule.status == "preview" and rule.mechanism == "consistency" and rule.family == "consistency"
    assert CODE not in registry.select() and CODE in registry.select(preview=True)


def test_instantiate_together_shares_data():
    import sympy

    theta = sympy.Symbol("\\theta", real=True)
    n, i = sympy.Symbol("n", integer=True), sympy.Symbol("i", integer=True)
    x = sympy.Function("x_{•}")
    likelihood = sympy.Product(theta ** x(i), (i, 1, n))
    log_likelihood = sympy.Sum(x(i) * sympy.log(theta), (i, 1, n))
    like, loglike = instantiate_together(likelihood, log_likelihood)
    gap = (sympy.log(like) - loglike).subs(theta, sympy.Rational(1, 2))
    assert abs(sympy.N(gap, 30)) < 1e-25 and not like.has(sympy.Product) and not loglike.has(sympy.Sum)
    assert instantiate_together(sympy.Function("q")(theta), theta) is None
