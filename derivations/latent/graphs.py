r"""Random graph models (004 appendix A.2–A.3): Erdős–Rényi, the stochastic block model and
preferential attachment.

* Erdős–Rényi G(n, p), P(A) = ∏_{i<j} p^{a_ij}(1 − p)^{1 − a_ij} (004 eq. 93): the probability
  that two neighbours of a node are linked is p, the edge density ("no triangles beyond random
  chance"), by Bayes' rule on the three edges of a triangle.
* Stochastic block model, P(A | z) = ∏_{i<j} P(a_ij | z_i, z_j) (004 eq. 94): edges are
  independent given the communities, and dependent once z is summed out — two edges at a node
  have covariance π(1 − π)(m₁ − m₀)², m_k = P(edge | z_1 = k).
* Preferential attachment (Barabási–Albert, m edges per new node, 004 eq. 95): the stationary
  rate equation gives p(k) = p(k − 1)(k − 1)/(k + 2) for k > m and p(m) = 2/(m + 2), hence the
  power law p(k) = 2m(m + 1)/(k(k + 1)(k + 2)) ∝ k⁻³.

Executable specifications: numerics/latent.py enumerates every graph on three or four nodes
(Erdős–Rényi, SBM) and simulates preferential attachment (tail exponent, hubs).

Seeds: 004 L5225–5243, L5266–5283, L5296–5312.
"""

from __future__ import annotations

import sympy
from sympy import Product

from derivspec.core import UNIT_INTERVAL, Claim, Computed, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.lectures import S004

P = Var("p", "p", UNIT_INTERVAL)
p = P.symbol

W = Var("w", r"\pi", UNIT_INTERVAL)  # P(z_i = 1)
B11 = Var("b11", "B_{11}", UNIT_INTERVAL)
B10 = Var("b10", "B_{10}", UNIT_INTERVAL)
B00 = Var("b00", "B_{00}", UNIT_INTERVAL)
w, b11, b10, b00 = W.symbol, B11.symbol, B10.symbol, B00.symbol

M = Var("m", "m", count_between(1, 6))
J = Var("j", "j", count_between(0, 30, minimum=0))  # k = m + j
m, j = M.symbol, J.symbol
i = sympy.Symbol("i", integer=True, positive=True)


@claim("latent.graph.erdos-renyi-clustering")
def latent_graph_erdos_renyi_clustering() -> Claim:
    """G(n, p): P(a_23 = 1 | a_12 = a_13 = 1) = p, the edge density."""
    edge = lambda a: p**a * (1 - p) ** (1 - a)  # noqa: E731  eq. (93), one factor
    two_path = sum(edge(1) * edge(1) * edge(a) for a in (0, 1))
    return Claim(
        title="Erdős–Rényi: two neighbours of a node are linked with probability p, the edge density (no clustering)",
        statement=r"P(a_{23} = 1 \mid a_{12} = 1, a_{13} = 1),\ P(\mathbf A) = \prod_{i<j} p^{a_{ij}}(1-p)^{1-a_{ij}}",
        variables=(P,),
        derivation=(
            Step(r"Bayes' rule with eq. (93): P(a_{12} = a_{13} = a_{23} = 1) / \sum_{a_{23}} P(a_{12} = a_{13} = 1, a_{23}) "
                 r"(the other pairs sum to 1)", edge(1) ** 3 / two_path),
            Step(r"the edge factors cancel: the closing edge is independent of the two-path", p),
        ),
        wrong_variants=(
            WrongVariant("the triangle probability p³ instead of the conditional", p**3),
            WrongVariant("the two-path probability p²", p**2),
            WrongVariant("the probability of no edge", 1 - p),
        ),
        sources=(
            Source(S004, "5241", r"Low clustering (no triangles beyond random chance)", expr=p,
                   note="read as: a triangle closes with the probability of any edge, p (clustering coefficient = edge density)"),
            Source(S004, "5241", r"Low clustering (no triangles beyond random chance)", behaviour="erdos_renyi_clustering_is_density",
                   at={"p": 0.3}, correct=r"P(a_{23} = 1 \mid a_{12} = a_{13} = 1) = p"),
        ),
    )


@claim("latent.graph.sbm-edges")
def latent_graph_sbm_edges() -> Claim:
    """SBM, two communities: Cov(a_12, a_13) = π(1 − π)(m₁ − m₀)² once z is summed out."""
    prior = {1: w, 0: 1 - w}
    block = {(1, 1): b11, (1, 0): b10, (0, 1): b10, (0, 0): b00}
    both = sum(prior[z1] * prior[z2] * prior[z3] * block[z1, z2] * block[z1, z3]
               for z1 in (0, 1) for z2 in (0, 1) for z3 in (0, 1))
    one = sum(prior[z1] * prior[z2] * block[z1, z2] for z1 in (0, 1) for z2 in (0, 1))
    rate = {k: sum(prior[z] * block[k, z] for z in (0, 1)) for k in (0, 1)}  # m_k = P(a_1j = 1 | z_1 = k)
    return Claim(
        title="Stochastic block model: edges are independent given z and correlated once z is summed out "
              "(Cov(a₁₂, a₁₃) = π(1 − π)(m₁ − m₀)²)",
        statement=r"\operatorname{Cov}(a_{12}, a_{13}),\ P(\mathbf A\mid \mathbf z) = \prod_{i<j} B_{z_i z_j}^{a_{ij}}(1-B_{z_i z_j})^{1-a_{ij}},"
                  r"\ z_i \sim \mathrm{Bernoulli}(\pi)",
        variables=(W, B11, B10, B00),
        derivation=(
            Step(r"definition: E[a_{12}a_{13}] - E[a_{12}]E[a_{13}], each expectation a sum over z_1, z_2, z_3 of the prior times "
                 r"eq. (94)'s factors (independent given \mathbf z)", both - one**2),
            Step(r"sum z_2, z_3 given z_1: E[a_{12}a_{13}] = \sum_k \pi_k m_k^2, E[a_{12}] = \sum_k \pi_k m_k with "
                 r"m_k = \sum_l \pi_l B_{kl}", w * rate[1] ** 2 + (1 - w) * rate[0] ** 2 - (w * rate[1] + (1 - w) * rate[0]) ** 2),
            Computed(r"a variance of m_{z_1} over z_1: \pi(1 - \pi)(m_1 - m_0)^2", sympy.factor),
            Step(r"with m_1 = \pi B_{11} + (1-\pi)B_{10}, m_0 = \pi B_{10} + (1-\pi)B_{00}", w * (1 - w) * (rate[1] - rate[0]) ** 2),
        ),
        wrong_variants=(
            WrongVariant("edges independent marginally (covariance 0)", sympy.Integer(0)),
            WrongVariant("the block difference B₁₁ − B₀₀ instead of m₁ − m₀", w * (1 - w) * (b11 - b00) ** 2),
            WrongVariant("the weights π(1 − π) dropped", (rate[1] - rate[0]) ** 2),
        ),
        sources=(
            Source(S004, "5274–5276", r"Edges are *conditionally independent* given community assignments: "
                   r"P(\mathbf{A} | \mathbf{z}) = \prod_{i < j} P(a_{ij} | z_i, z_j) (94)",
                   behaviour="sbm_edges_independent_given_z_dependent_without", at={"w": 0.5, "b11": 0.8, "b10": 0.1, "b00": 0.3},
                   correct=r"P(\mathbf A\mid\mathbf z) factorises over pairs; \operatorname{Cov}(a_{12}, a_{13}) = \pi(1-\pi)(m_1-m_0)^2 > 0 marginally"),
            Source(S004, "5283", r"Edge dependencies (through latent variables)",
                   behaviour="sbm_edges_independent_given_z_dependent_without", at={"w": 0.5, "b11": 0.8, "b10": 0.1, "b00": 0.3},
                   correct=r"\operatorname{Cov}(a_{12}, a_{13}) = \pi(1-\pi)(m_1-m_0)^2 \ne 0 unless m_1 = m_0"),
            Source(S004, "5282", r"Community structure and clustering",
                   behaviour="sbm_clustering_exceeds_density", at={"w": 0.5, "b11": 0.8, "b10": 0.05, "b00": 0.8},
                   correct=r"assortative blocks (B_{kk} > B_{kl}): P(a_{23} = 1 \mid a_{12} = a_{13} = 1) > P(a_{23} = 1)"),
        ),
    )


@claim("latent.graph.preferential-attachment")
def latent_graph_preferential_attachment() -> Claim:
    """Barabási–Albert with m edges per node: p(k) = 2m(m + 1)/(k(k + 1)(k + 2)), k = m + j."""
    k = m + j
    return Claim(
        title="Preferential attachment: the stationary degree distribution p(k) = 2m(m + 1)/(k(k + 1)(k + 2)) ∝ k⁻³",
        statement=r"p(k),\ k = m + j,\ P(\text{attach to } i) \propto \deg(i),\ m \text{ edges per new node}",
        variables=(M, J),
        derivation=(
            Step(r"the stationary rate equation (a new node brings m edges; node i gains one with probability "
                 r"m\,k_i/\sum_l k_l = k_i/(2t)): p(m) = \frac{2}{m+2}, p(k) = \frac{k-1}{k+2}p(k-1) for k > m, "
                 r"unrolled from m to k",
                 2 / (m + 2) * Product((m + i - 1) / (m + i + 2), (i, 1, j))),
            Computed(r"telescoping product: \prod_{i=1}^{j} \frac{m+i-1}{m+i+2} = \frac{m(m+1)(m+2)}{k(k+1)(k+2)}",
                     lambda e: sympy.simplify(sympy.combsimp(e.doit()))),
            Step(r"hence p(k) = \frac{2m(m+1)}{k(k+1)(k+2)} \sim 2m^2 k^{-3}", 2 * m * (m + 1) / (k * (k + 1) * (k + 2))),
        ),
        wrong_variants=(
            WrongVariant("exponent 2: m(m + 1)/(k(k + 1))", m * (m + 1) / (k * (k + 1))),
            WrongVariant("uniform attachment (no preference): geometric degrees (m/(m + 1))^{k−m}/(m + 1)",
                         (m / (m + 1)) ** j / (m + 1)),
            WrongVariant("normaliser m(m + 1) instead of 2m(m + 1)", m * (m + 1) / (k * (k + 1) * (k + 2))),
        ),
        sources=(
            Source(S004, "5308–5312", r"Power-law degree distributions (scale-free networks); Hub structure naturally emerges",
                   behaviour="preferential_attachment_has_power_law_and_hubs", at={"m": 2.0, "nodes": 20000.0},
                   correct=r"p(k) = \frac{2m(m+1)}{k(k+1)(k+2)} \propto k^{-3}, with hubs far above the Poisson maximum"),
        ),
    )
