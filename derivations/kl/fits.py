r"""Forward vs reverse KL: one Gaussian N(m, s²) fitted to two modes p = ½N(−δ, 1) + ½N(δ, 1).

The forward-KL fit is moment matching (m = 0, s² = 1 + δ²): derived here. The statements about
the reverse KL ("mode seeking") are behaviour: they name checks in ``numerics/kl.py`` run on the
reference model ``reference_models/mixture_fit.py``, which finds that the reverse-KL fit seeks a
mode only for δ > 2.80 (the centred fit is the only minimum for δ < 2.41).

Seeds: 000 L217–220; 003 L2107–2124; 004 L1559–1561.
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import log, pi

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, positive_between
from derivspec.core.lectures import S000, S003, S004
from derivspec.derivations.kl.gaussian import x
from derivspec.derivations.nll.gaussian import gaussian_nll

DELTA = Var("delta", r"\delta", positive_between(0.2, 4))
delta = DELTA.symbol
m_fit, s_fit = sympy.Symbol("m", real=True), sympy.Symbol("s", positive=True)  # the fitted N(m, s²)


def mixture_expectation(f):
    """E_p[f(x)] for p = ½N(−δ, 1) + ½N(δ, 1) (sympy.stats, one component at a time)."""
    return sum(sympy.stats.E(f(component)) / 2
               for component in (sympy.stats.Normal("Left", -delta, 1), sympy.stats.Normal("Right", delta, 1)))


FORWARD_CORRECT = "forward KL is mode covering: s² = 1 + δ²"
REVERSE_CORRECT = (r"reverse KL seeks one mode only when the modes are well separated: for p = ½N(−δ,1) + ½N(δ,1) "
                   r"the centred fit is the only minimum for δ < 2.41 and the global one for δ < 2.80 "
                   r"(reference_models/mixture_fit.py); bimodal targets with 1 < δ < 2.41 get a centred, mode-covering fit")


@claim("kl.forward-reverse")
def kl_forward_reverse() -> Claim:
    """argmin_{m,s} KL(p ‖ N(m, s²)) for p = ½N(−δ,1) + ½N(δ,1): m = 0, s² = 1 + δ²."""
    return Claim(
        title="Forward KL fit of a Gaussian to two modes is moment matching (s² = 1 + δ²); reverse KL seeks a mode only for δ > 2.80",
        statement=r"s^{*2} \text{ of } \arg\min_{m,s}\mathrm{KL}(\tfrac12\mathcal N(-\delta,1)+\tfrac12\mathcal N(\delta,1)\,\|\,\mathcal N(m,s^2))",
        variables=(DELTA,),
        derivation=(
            Step(r"forward KL = E_p[\log p] - E_p[\log q]: only the cross-entropy E_p[-\log \mathcal N(x; m, s^2)] depends "
                 r"on (m, s); its integrand -\log \mathcal N(x; m, s^2) from claim nll.gaussian",
                 gaussian_nll(x, m_fit, s_fit)),
            Step(r"expectation under the mixture (sympy.stats, per component): E_p[x] = 0, E_p[x^2] = 1 + \delta^2",
                 (delta**2 + 1 + m_fit**2) / (2 * s_fit**2) + log(2 * pi * s_fit**2) / 2,
                 op=lambda e: mixture_expectation(lambda X: e.subs(x, X))),
            Step(r"stationary in m at m = E_p[x] = 0; set the derivative in s to zero and solve for s^2",
                 1 + delta**2,
                 op=lambda e: sympy.solve(sympy.diff(e.subs(m_fit, 0), s_fit), s_fit)[0] ** 2),
        ),
        wrong_variants=(
            WrongVariant("one component's variance (mode seeking)", sympy.Integer(1)),
            WrongVariant("spread of the means only", delta**2),
        ),
        sources=(
            Source(S000, "217–220", r"MLE minimizes the **Forward KL Divergence** ... This effectively forces the model to *cover* the data.",
                   behaviour="forward_kl_covers", at={"delta": 2.5}, correct=FORWARD_CORRECT),
            Source(S003, "2107–2111", r"**Consequence · mode-covering.** q_\theta is *forced* to put mass everywhere p does. If p has two modes, q_\theta has to span both.",
                   behaviour="forward_kl_covers", at={"delta": 3.0}, correct=FORWARD_CORRECT),
            Source(S003, "2117–2124", r"**Consequence · mode-seeking.** q_\theta concentrates on a single high-density region. Two-mode target \rightarrow q_\theta picks one mode and ignores the other.",
                   category="over-general statement", severity="imprecise",
                   behaviour="reverse_kl_seeks_a_mode", at={"delta": 2.0}, correct=REVERSE_CORRECT),
            Source(S004, "1559–1561", r"Reverse KL D_{\text{KL}}(p_\theta\|p_{\text{data}}) is **mode-seeking**: p_\theta focuses on peak regions",
                   behaviour="reverse_kl_seeks_a_mode", at={"delta": 3.0}, correct=REVERSE_CORRECT,
                   note="read for well-separated modes (δ = 3); with close modes (δ = 2) the fit covers both, the "
                        "003:2117–2124 erratum"),
            Source(S004, "1450–1454", r"Disadvantages: ... May miss modes",
                   behaviour="reverse_kl_seeks_a_mode", at={"delta": 3.0}, correct=REVERSE_CORRECT,
                   note="variational inference fits q by the reverse KL: started on one of two separated modes it stays "
                        "there and misses the other ('may': with close modes it covers both, 003:2117–2124)"),
        ),
    )
