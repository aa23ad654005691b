r"""The f-divergence table: D_f(P‖Q) = E_Q[f(p/q)] with the generators of KL, reverse KL,
Jensen–Shannon, χ² and total variation.

Each claim is derived on a two-point space, P = Bern(p), Q = Bern(q): write E_Q[f(p/q)] as the
sum over the two outcomes and simplify to the named divergence. The same identities for
continuous P, Q (Gaussians, a two-mode mixture) are checked by quadrature in
``reference_models/divergences.py`` (behaviour check at 004 L1575–1579).

Seeds: 004 L1544–1579, L4032–4061, L4156–4162.
"""

from __future__ import annotations

from typing import Callable

import sympy
from sympy import Abs, log

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004

P = Var("p", "p", UNIT_INTERVAL)
Q = Var("q", "q", UNIT_INTERVAL)
p, q = P.symbol, Q.symbol
TWO_POINT = "P = Bern(p) = p_data, Q = Bern(q) = p_model"


def f_divergence(f: Callable[[sympy.Expr], sympy.Expr]) -> sympy.Expr:
    """E_Q[f(P/Q)] = q f(p/q) + (1 − q) f((1 − p)/(1 − q))."""
    return q * f(p / q) + (1 - q) * f((1 - p) / (1 - q))


def kl(a, b) -> sympy.Expr:
    """KL(Bern(a) ‖ Bern(b)) = a log(a/b) + (1−a) log((1−a)/(1−b))."""
    return a * log(a / b) + (1 - a) * log((1 - a) / (1 - b))


def js(a, b) -> sympy.Expr:
    """½ KL(P ‖ M) + ½ KL(Q ‖ M), M = (P + Q)/2."""
    return kl(a, (a + b) / 2) / 2 + kl(b, (a + b) / 2) / 2


def binary_entropy(a) -> sympy.Expr:
    """H(Bern(a)) = −a log a − (1−a) log(1−a)."""
    return -a * log(a) - (1 - a) * log(1 - a)


def named(heads: tuple[str, ...], arguments: str, separators: tuple[str, ...] = (r" \| ", ", ")) -> tuple[str, ...]:
    """The shapes of one divergence under each of its names and separators (JSD(P || Q), JS(P, Q), ...)."""
    return tuple(f"{head}({arguments.replace('SEP', sep)})" for head in heads for sep in separators)


JS_HEADS = (r"\mathrm{JSD}", r"\mathrm{JS}", r"D_{\mathrm{JS}}", r"D_{\mathrm{JSD}}")
BERNOULLI_PAIR = r"\mathrm{Bern}(p)SEP\mathrm{Bern}(q)"


def js_terms() -> dict:
    """The named terms of a lecture's JSD identity, in the two-point model: the KLs between P and Q and to
    the mixture M = (P + Q)/2 (M any letter, or written out), and the entropies. The exact KL(P || Q)
    and KL(Q || P) come first: a mixture letter would also match Q."""
    m = (p + q) / 2
    return {r"\mathrm{KL}(P \| Q)": kl(p, q), r"\mathrm{KL}(Q \| P)": kl(q, p),
            r"\mathrm{KL}(P \| \tfrac12 (P + Q))": kl(p, m), r"\mathrm{KL}(Q \| \tfrac12 (P + Q))": kl(q, m),
            r"\mathrm{KL}(P \| M)": kl(p, m), r"\mathrm{KL}(Q \| M)": kl(q, m),
            r"H(P)": binary_entropy(p), r"H(Q)": binary_entropy(q), r"H(\tfrac12 (P + Q))": binary_entropy(m),
            r"H(M)": binary_entropy(m)}


def table_note(row: str) -> Source:
    return Source(S004, "1575–1579", r"Unifying framework: D_f(p||q) = \mathbb{E}_q[f(dp/dq)]; Examples: KL, reverse KL, Jensen-Shannon, \chi^2, total variation",
                  nothing_to_compare=True,
                  note=f"this claim is the {row} row of the table; the behaviour check of this quote (on divergence.f.kl) "
                       "runs the whole table for continuous P, Q by quadrature")


@claim("divergence.f.kl")
def divergence_f_kl() -> Claim:
    r"""f(t) = t log t: D_f(P‖Q) = KL(P‖Q)."""
    return Claim(
        title="f-divergence with f(t) = t log t is KL(P ‖ Q) (two-point space; continuous P, Q by quadrature)",
        statement=r"D_f(P\|Q) = \mathbb E_Q[f(p/q)],\ f(t) = t\log t,\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_Q[f(p/q)] summed over the two outcomes, f(t) = t\log t",
                 f_divergence(lambda t: t * log(t))),
            Step(r"q\cdot\frac{p}{q} = p: \sum_x p(x)\log\frac{p(x)}{q(x)} = \mathrm{KL}(P\|Q)", kl(p, q)),
        ),
        wrong_variants=(
            WrongVariant("arguments swapped (KL(Q‖P))", kl(q, p)),
            WrongVariant("second outcome dropped", p * log(p / q)),
            WrongVariant("log-ratio upside down", -kl(p, q)),
        ),
        sources=(
            Source(S004, "1553–1555", r"D_{\text{KL}}(p_{\text{data}}\|p_\theta) = \mathbb{E}_{x \sim p_{\text{data}}}[\log p_{\text{data}}(x) - \log p_\theta(x)] \quad (58)",
                   expr=kl(p, q), note=TWO_POINT),
            Source(S004, "4036–4038", r"D_{KL}(p_{\text{data}} \| p_{\text{model}}) = \mathbb{E}_{x \sim p_{\text{data}}} \left[\log \frac{p_{\text{data}}(x)}{p_{\text{model}}(x)} \right] \quad (83)",
                   expr=kl(p, q), note=TWO_POINT),
            Source(S004, "1575–1579", r"Unifying framework: D_f(p||q) = \mathbb{E}_q[f(dp/dq)]; Different f functions \rightarrow different mode-covering/seeking behaviors; Examples: KL, reverse KL, Jensen-Shannon, \chi^2, total variation",
                   behaviour="f_divergence_table", at={"delta": 1.5}),
            Source(S004, "4040–4044", r"**Penalizes:** Missing modes or regions where data exists; **Encourages:** Coverage – don't miss any part of the distribution; **Risk:** Spreading probability mass into unrealistic regions to avoid missing anything; **This is RECALL/COVERAGE**",
                   behaviour="forward_kl_fit_covers", at={"delta": 3.0}),
            Source(S004, "4156–4159", r"Likelihood-based metrics implicitly optimize forward KL, encouraging coverage. This can lead to: Spreading mass over blurry averages to avoid missing modes",
                   behaviour="likelihood_fit_is_the_forward_kl_fit", at={"delta": 3.0, "n": 200_000}),
            Source(S004, "4061", r"**Likelihood vs. perception:** High likelihood does not guarantee perceptually good samples.",
                   nothing_to_compare=True, note="about perception, which no formula captures; 4156–4159 (the forward-KL part) is checked"),
            Source(S004, "1548–1549", r"**Mode-covering:** Spread capacity across all modes? (acknowledge diversity, but outputs averaged/blurry); **Mode-seeking:** Focus capacity on few modes? (sharp outputs, but miss diversity)",
                   note="names the trade-off without a divergence; the forward-KL fit (4040–4044 here) and the reverse-KL fit "
                        "(divergence.f.reverse-kl) carry the checks"),
        ),
    )


@claim("divergence.f.reverse-kl")
def divergence_f_reverse_kl() -> Claim:
    r"""f(t) = −log t: D_f(P‖Q) = KL(Q‖P)."""
    return Claim(
        title="f-divergence with f(t) = −log t is the reverse KL(Q ‖ P) (two-point space; continuous by quadrature)",
        statement=r"D_f(P\|Q),\ f(t) = -\log t,\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_Q[f(p/q)] over the two outcomes, f(t) = -\log t",
                 f_divergence(lambda t: -log(t))),
            Step(r"-\log(p/q) = \log(q/p): \sum_x q(x)\log\frac{q(x)}{p(x)} = \mathrm{KL}(Q\|P)", kl(q, p)),
        ),
        wrong_variants=(
            WrongVariant("forward KL(P‖Q)", kl(p, q)),
            WrongVariant("second outcome dropped", q * log(q / p)),
            WrongVariant("sign flipped", -kl(q, p)),
        ),
        sources=(
            Source(S004, "4046–4048", r"D_{KL}(p_{\text{model}} \| p_{\text{data}}) = \mathbb{E}_{x \sim p_{\text{model}}} \left[\log \frac{p_{\text{model}}(x)}{p_{\text{data}}(x)} \right] \quad (84)",
                   expr=kl(q, p), note=TWO_POINT),
            Source(S004, "4050–4055", r"**Penalizes:** Generating samples where data doesn't exist; **Encourages:** Precision – don't generate unrealistic samples; **Risk:** Mode collapse (safe to focus on one mode and ignore others); **This is PRECISION**",
                   behaviour="reverse_kl_fit_seeks_a_mode", at={"delta": 3.0},
                   note="checked for modes 2δ = 6 apart; for closer modes (δ below about 2.4) the reverse-KL fit of one "
                        "Gaussian is centred and covers both (see kl.forward-reverse)"),
            Source(S004, "4034", r"The central challenge: we cannot minimize both directions of divergence simultaneously (unless p_{\text{model}} = p_{\text{data}}).",
                   behaviour="kl_directions_disagree", at={"delta": 3.0}),
            table_note("reverse-KL"),
        ),
    )


@claim("divergence.f.js")
def divergence_f_js() -> Claim:
    r"""f(t) = ½[t log(2t/(1+t)) + log(2/(1+t))]: D_f(P‖Q) = JSD(P‖Q)."""
    return Claim(
        title="f-divergence with f(t) = ½[t log(2t/(1+t)) + log(2/(1+t))] is Jensen–Shannon (two-point space; continuous by quadrature)",
        # JSD(P || Q) = ½KL(P || M) + ½KL(Q || M) (or H(M) − ½H(P) − ½H(Q)) is checked in the two-point
        # model; with Bernoulli arguments the closed form in p and q
        recognise=tuple(Recognise(shape, interpret=js_terms()) for shape in named(JS_HEADS, "PSEPQ"))
        + named(JS_HEADS, BERNOULLI_PAIR),
        statement=r"D_f(P\|Q),\ f(t) = \tfrac12\left[t\log\frac{2t}{1+t} + \log\frac{2}{1+t}\right],\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_Q[f(p/q)] over the two outcomes",
                 f_divergence(lambda t: (t * log(2 * t / (1 + t)) + log(2 / (1 + t))) / 2)),
            Step(r"q\,f(p/q) = \tfrac12\left[p\log\frac{p}{m} + q\log\frac{q}{m}\right], m = \frac{p+q}{2}: "
                 r"\tfrac12\mathrm{KL}(P\|M) + \tfrac12\mathrm{KL}(Q\|M)", js(p, q)),
        ),
        wrong_variants=(
            WrongVariant("symmetrised KL ½[KL(P‖Q) + KL(Q‖P)]", (kl(p, q) + kl(q, p)) / 2),
            WrongVariant("without the ½ (KL(P‖M) + KL(Q‖M))", 2 * js(p, q)),
            WrongVariant("only ½KL(P‖M)", kl(p, (p + q) / 2) / 2),
        ),
        sources=(table_note("Jensen–Shannon"),),
    )


@claim("divergence.f.chi2")
def divergence_f_chi2() -> Claim:
    r"""f(t) = (t − 1)²: D_f(P‖Q) = Σ (p − q)²/q = (p − q)²/(q(1 − q))."""
    return Claim(
        title="f-divergence with f(t) = (t − 1)² is Pearson's χ²(P ‖ Q) (two-point space; continuous by quadrature)",
        recognise=named((r"D_{\chi^2}",), BERNOULLI_PAIR),
        statement=r"D_f(P\|Q),\ f(t) = (t-1)^2,\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_Q[f(p/q)] over the two outcomes, f(t) = (t-1)^2", f_divergence(lambda t: (t - 1) ** 2)),
            Step(r"q(p/q - 1)^2 = (p-q)^2/q: Pearson's \sum_x (p(x)-q(x))^2/q(x)",
                 (p - q) ** 2 / q + ((1 - p) - (1 - q)) ** 2 / (1 - q)),
            Step(r"common denominator", (p - q) ** 2 / (q * (1 - q))),
        ),
        wrong_variants=(
            WrongVariant("Neyman's χ² (divided by p)", (p - q) ** 2 / (p * (1 - p))),
            WrongVariant("second outcome dropped", (p - q) ** 2 / q),
            WrongVariant("dropped the denominator", (p - q) ** 2),
        ),
        sources=(table_note("χ²"),),
    )


@claim("divergence.f.tv")
def divergence_f_tv() -> Claim:
    r"""f(t) = ½|t − 1|: D_f(P‖Q) = ½Σ|p − q| = |p − q|."""
    return Claim(
        title="f-divergence with f(t) = ½|t − 1| is the total variation distance (two-point space; continuous by quadrature)",
        recognise=named((r"\mathrm{TV}", r"D_{\mathrm{TV}}", r"\delta_{\mathrm{TV}}"), BERNOULLI_PAIR),
        statement=r"D_f(P\|Q),\ f(t) = \tfrac12|t-1|,\ P = \mathrm{Bern}(p),\ Q = \mathrm{Bern}(q)",
        variables=(P, Q),
        derivation=(
            Step(r"definition: \mathbb E_Q[f(p/q)] over the two outcomes, f(t) = \tfrac12|t-1| with t - 1 over a common denominator",
                 f_divergence(lambda t: Abs(sympy.together(t - 1)) / 2)),
            Step(r"q(x) > 0 moves inside: q(x)|p(x)/q(x) - 1| = |p(x) - q(x)|, so \tfrac12\sum_x|p(x) - q(x)|",
                 (Abs(p - q) + Abs((1 - p) - (1 - q))) / 2),
            Step(r"both outcomes differ by the same |p - q|", Abs(p - q)),
        ),
        wrong_variants=(
            WrongVariant("halved twice", Abs(p - q) / 2),
            WrongVariant("squared difference", (p - q) ** 2),
            WrongVariant("without the ½ (Σ|p − q|)", 2 * Abs(p - q)),
        ),
        sources=(table_note("total variation"),),
    )


