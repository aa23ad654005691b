r"""Known results: statements recognised as registered claims and compared with their derivations.

Each claim declares how it is recognised (:class:`derivspec.core.claims.Recognise`): the shape
of the left-hand side as lectures write it. A side of a lecture statement is matched against the
shapes by *unification*:

* every name in a shape is a pattern variable; it matches a name of the lecture with the same
  accent (bar, hat, tilde) and the same subscript, whatever its letter or font -- \mu_1 matches
  m_1 or \boldsymbol\mu_1, x_t matches \mathbf z_t, but x_0 never matches x_{t-1};
* a squared variable in the shape (\sigma^2) matches a lecture square (s^2) or a lone name (v,
  then sigma = sqrt v);
* applications match by head family (KL, D_{KL}, \mathrm{KL}; \mathcal N, N, Normal; Bern,
  Bernoulli, Ber; H, h; E, \mathbb E) with the same number of arguments and kind of separators.

The matched statement's other side is then rewritten in the claim's variables (bound names by
the unification, the claim's other names by their LaTeX spelling, its defined symbols expanded)
and compared with the claim's derived target by the core checker
(:func:`derivspec.core.checker.compare_expressions`): ``proved`` when SymPy proves them equal on
the claim's whole domain, ``disagrees`` with a counterexample confirmed at higher precision and
the correct form, ``unchecked`` otherwise (and whenever the other side uses a name the claim does
not have, or an undefined function the claim does not interpret).
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import re
import dataclasses
from dataclasses import dataclass, field

import sympy

from derivspec.scan import algebra, scope
from derivspec.scan import (change_of_variables, classifier_free_guidance, conjugate_map, ddpm_kernel,
                            ddpm_noise_mean, discrete_information, gan_optimum,
                            gradient_identities, least_squares, likelihood_optimum,
                            mc_average, mixture_em, monte_carlo, multivariate_gaussian, normal_posterior,
                            reparameterised, sizes, softmax_gradient, vae_kl)
from derivspec.core.errors import FormulaError
from derivspec.core.numbers import fmt
from derivspec.core.latex import display_name, name_key, split_sides
from derivspec.core.notation import Structure, pairs_of
from derivspec.scan.names import ACCENTS, ALIASES, FONTS, NameKey, strip_fonts  # noqa: F401 (used by other modules)
from derivspec.scan.reader import DocumentNames, application_name, application_parts, is_opaque_function, read_document
from derivspec.scan.reader import rebuilt, walked
from derivspec.scan.reader import DocumentReading
from derivspec.scan.steps import Context, Side, StepResult
from derivspec.scan.verdicts import evidence_level
from derivspec.scan.notation import role_letters

SECONDS = 4.0
VARIANCE_NAMES = role_letters("variance-name")  # a lone name that may stand for sigma^2 (a guess: notation.toml)
HEAD_FAMILIES = (
    ("KL", re.compile(r"^(?:KL|D_\{?KL\}?|D_\{?kl\}?|D|\\mathbb\{KL\})$")),
    ("N", re.compile(r"^(?:N|Normal|Gaussian|Gauss)$")),
    ("Bern", re.compile(r"^(?:Bern|Bernoulli|Ber|Bernouilli|Bernoull)$")),
    ("H", re.compile(r"^(?:H|h|Ent|Entropy)$")),
    ("E", re.compile(r"^E(?:_.*)?$")),
    ("Var", re.compile(r"^(?:Var|V|Variance)(?:_.*)?$")),
)


def head_family(name: str) -> tuple[str, str, bool]:
    """An opaque head's family, its separators (normalised) and whether it took square brackets."""
    name, seps, bracket = application_parts(name)
    head = strip_fonts(name).replace(" ", "")
    family = head
    for fam, pattern in HEAD_FAMILIES:
        if pattern.match(head):
            family = fam
            break
    if family == "KL" and head == "D" and not seps:
        family = "D"
    seps = seps.replace("‖", "|").replace(",", "|") if family == "KL" else seps.replace("|", ";")
    return family, seps, bracket


# --- shapes -----------------------------------------------------------------------------------

@dataclass
class Shape:
    claim_id: str
    index: int
    recognise: object  # derivspec.core.claims.Recognise
    pattern: sympy.Expr
    variables: dict  # pattern symbol -> claim symbol (for claim variables)
    placeholders: set
    interpret: list  # (pattern expr, claim expr)
    densities: frozenset = frozenset()  # pattern names in a distribution's place (distribution_places)
    strict: frozenset = frozenset()  # of those, the ones the scope must use as densities (H(p, q), not H(X, Y))


def _claim_name_symbols(claim, names: DocumentNames) -> dict:
    """Pattern symbol (as the document mode reads the claim's LaTeX name) -> claim symbol;
    defined symbols map to their expansion."""
    table = {}
    for defined, quantity in [(False, v) for v in claim.variables] + [(True, d) for d in claim.defined]:
        try:
            reading = read_document(quantity.latex, names)
        except Exception:
            continue
        if isinstance(reading.expr, sympy.Symbol):
            table[reading.expr] = claim.expand_defined(quantity.symbol) if defined else quantity.symbol
    return table


def compile_shapes(claim) -> list[Shape]:
    shapes = []
    for index, recognise in enumerate(claim.recognisers()):
        names = DocumentNames()
        table = _claim_name_symbols(claim, names)
        try:
            pattern = read_document(recognise.shape, names).value()
        except Exception as error:
            raise ValueError(f"claim {claim.id}: cannot read its recognition shape {recognise.shape!r}: {error}") from None
        variables = {s: table[s] for s in pattern.free_symbols if s in table}
        placeholders = {s for s in pattern.free_symbols if s not in table}
        pattern = canonical_applications(pattern)
        interpret = []
        for text, expr in recognise.interpret.items():
            if text.endswith("(*)"):  # any application of this head, or the bare name
                key = NameKey.of(strip_fonts(_read_name(text[:-3])))
                interpret.append((("wildcard", key), sympy.sympify(expr)))
                continue
            try:
                interpret.append((canonical_applications(read_document(text, names).value()), sympy.sympify(expr)))
            except Exception as error:
                raise ValueError(f"claim {claim.id}: cannot read the interpreted term {text!r}: {error}") from None
        for pattern_expr, _ in interpret:  # names in the interpreted terms are pattern names too
            if not isinstance(pattern_expr, tuple):
                placeholders |= {s for s in pattern_expr.free_symbols if s not in table}
        terms = [p for p, _ in interpret if not isinstance(p, tuple)]
        shapes.append(Shape(claim.id, index, recognise, pattern, variables, placeholders, interpret,
                            distribution_places(pattern, *terms), distribution_places(pattern, ambiguous_only=True)))
    return shapes


_DISTRIBUTIONS: contextvars.ContextVar = contextvars.ContextVar("distributions", default=frozenset())
_OF_DISTRIBUTIONS = ("KL", "CE", "JS", "JSD")  # heads whose arguments are distributions by their place


def distribution_places(*patterns, ambiguous_only: bool = False, unambiguous_only: bool = False) -> frozenset:
    r"""The pattern names in a distribution's place: an argument of a divergence or a cross-entropy
    (``\mathrm{KL}(p \| q)``, ``\mathrm{JSD}(p \| q)``, ``H(p, q)``), whatever the letter; a lecture name matches
    there with any subscript (``p`` matches ``p_{\text{data}}``). ``ambiguous_only``: the places that do not say by
    themselves that they hold distributions -- an entropy of two, ``H(p, q)`` (a cross-entropy) or ``H(X, Y)`` (the
    joint entropy of random variables): a lecture name matches there only when the scope uses it as a density."""
    found = set()
    for pattern in patterns:
        for node in sympy.preorder_traversal(pattern):
            if is_opaque_function(node) and not isinstance(node, sympy.Symbol):
                family, _, _ = head_family(node.func.__name__)
                head = strip_fonts(re.sub(r"[\[⟮].*$", "", node.func.__name__))
                two_entropy = family == "H" and len(node.args) == 2
                divergence = family in _OF_DISTRIBUTIONS or head in _OF_DISTRIBUTIONS
                if (two_entropy and not unambiguous_only) or (divergence and not ambiguous_only):
                    found |= {a for a in node.args if isinstance(a, sympy.Symbol)}
    return frozenset(found)


# --- unification -------------------------------------------------------------------------------

_EVENT = re.compile(r"^⟦(.+?)(=|<|>|\\(?:leq?|geq?|lt|gt|neq?)(?![A-Za-z]))(.+)⟧$")
_PROBABILITY_HEAD = re.compile(r"^(?:P|Pr|\\Pr|\\mathbb\{P\}|\\mathrm\{P\}|\\operatorname\{P\})$")


def _events(p: sympy.Symbol, e: sympy.Symbol):
    """The sides of two events the reader keeps whole (``⟦X = x⟧`` inside ``P(X = x)``), pairwise, when both write
    one relation and it is the same; else None."""
    found = [_EVENT.match(p.name), _EVENT.match(e.name)]
    if not all(found) or len({re.sub(r"^\\(le|ge|ne)q?$", r"\1", m.group(2)) for m in found}) != 1:
        return None
    try:
        sides = [[read_document(m.group(k), DocumentNames()).expr for k in (1, 3)] for m in found]
    except FormulaError:
        return None
    return list(zip(*sides))


def _read_or_none(text: str) -> set:
    try:
        return read_document(text, DocumentNames()).expr.free_symbols
    except FormulaError:
        return set()


def _same_name(p: sympy.Symbol, e: sympy.Symbol) -> bool:
    kp, ke = NameKey.of(p.name), NameKey.of(e.name)
    return kp is not None and kp == ke


LABELS = frozenset({"1", "2"})  # subscripts that only tell two objects of one kind apart
_LABEL = re.compile(r"^(?:[A-Za-z0-9]{1,8}|\\[A-Za-z]+)$")  # q, p, a, old, \phi -- not t-1, i+1, 0:T


def _symbol_matches(p: sympy.Symbol, e: sympy.Symbol, b: dict, positional: bool = False,
                    distribution: bool = False, strict: bool = False) -> bool:
    r"""A pattern name matches a lecture name with the same accents and subscript (any letter);
    a pattern name in a distribution's place (``distribution``) only a name the document's scope uses as a
    density (any letter: :func:`derivspec.scan.scope.is_density`), with any subscript when it has none.
    A label subscript of the shape (1, 2: the first and the second Gaussian) matches any one-token
    subscript of the lecture -- \mu_q, \sigma_a -- one to one and the same for every name
    (``b["_labels"]``): \mu_1 -> \mu_q forces \sigma_1 -> \sigma_q, and 2 may not become q too.
    ``positional``: the name is an argument of a written law (N(\mu_1, \sigma_1^2) in a KL), whose place fixes
    its role: a labelled name there also matches a name without a subscript (N(a, s^2)), one lecture name for one
    pattern name."""
    kp, ke = NameKey.of(p.name), NameKey.of(e.name)
    if kp is None or ke is None or e.name.startswith(("⟦", "⟨")):
        return False
    if strict and not (scope.is_density(e.name) or e in _DISTRIBUTIONS.get()):
        return False  # H(X, Y) of names nothing uses as distributions: the joint entropy, no cross-entropy
    if kp.accents != ke.accents:
        return False
    if "*" in kp.base and "*" not in ke.base:  # D^* is the optimum: V(G, D) is the value at any D
        return False
    if kp.sub == ke.sub and kp.sub not in LABELS:
        return True
    if distribution and not kp.sub:
        return True
    if positional and kp.sub in LABELS and not ke.sub:
        return not any(v == e for k, v in b.items() if isinstance(k, sympy.Symbol) and k != p)
    if kp.sub not in LABELS or not _LABEL.match(ke.sub):
        return False
    labels = b.get("_labels", {})
    if kp.sub in labels:
        return labels[kp.sub] == ke.sub
    if ke.sub in labels.values():
        return False
    b["_labels"] = {**labels, kp.sub: ke.sub}  # a new dict: a saved copy of b keeps the old one
    return True


_PREMISE = re.compile(r"\b(?:if|when|whenever)\b(?!\s+we\b)|\bsuppos(?:e|ing)\b|\bassum(?:e|es|ing)\b|"
                      r"\bprovided\b|\bin the (?:special |limiting )?case\b", re.IGNORECASE)


def _named_with_parameters(name: sympy.Symbol, expr) -> bool:
    r"""\mathrm{ELBO}(q), \mathrm{ELBO}(\theta, \phi): the shape's lone name applied to the names of its
    parameters (names only, not expressions)."""
    if not (isinstance(expr, sympy.core.function.AppliedUndef) and is_opaque_function(expr)):
        return False
    head = NameKey.of(strip_fonts(re.sub(r"[\[⟮].*$", "", expr.func.__name__)))
    return (head is not None and head == NameKey.of(strip_fonts(name.name))
            and all(isinstance(a, sympy.Symbol) for a in expr.args))


def _optimum_for(pattern: NameKey, lecture: NameKey) -> bool:
    r"""D^*_G(x) is D^*(x), the optimum for the G the subscript names: a starred name of the shape
    without a subscript matches the same starred name with a label subscript (G, \theta, \text{opt})."""
    return ("*" in pattern.base and not pattern.sub and pattern.base == lecture.base
            and pattern.accents == lecture.accents and bool(_LABEL.match(lecture.sub)))


BY_STRUCTURE = (
    softmax_gradient,  # written with a free class index
    change_of_variables,  # p_X(x) = p_Z(h(x)) |det J_h(x)|
    mc_average,  # E_q[f(z)] ≈ 1/S sum_s f(z_s): the normaliser of a Monte Carlo mean
    least_squares,  # (X^T X + c I)^{-1} X^T y: the normal equations, roles by structure
    gradient_identities,  # d/dλ E_q[f] on instances of q, f
    likelihood_optimum,  # \hat\theta after the document's likelihood
    normal_posterior,  # mu_N after mu ~ N(mu_0, sigma_0^2), x_i | mu
    mixture_em,  # gamma(z_nk) = pi_k N_k / sum_j pi_j N_j; the M-step after it
    ddpm_kernel,  # q(x_t | x_{t-1}) = N(c x_{t-1}, v I): variance-preserving
    ddpm_noise_mean,  # \tilde\mu_t = (x_t - beta_t/sqrt(1 - bar alpha_t) eps_t)/sqrt(alpha_t)
    gan_optimum,  # D^*(x) over two densities whose roles the document fixes; the value c + k JSD
    classifier_free_guidance,  # a guided prediction from the conditional and unconditional outputs
    conjugate_map,  # theta_MAP, E[theta | D] after theta ~ Beta(a, b) and Bernoulli data
    monte_carlo,  # Var of a mean of n draws; E_p[f] = E_q[p/q f]
    discrete_information,  # H, I, KL identities and inequalities on random finite joint laws
    multivariate_gaussian,  # KL(N(m1, S1) || N(m2, S2)) and log N(x; m, S) at a symbolic dimension
)
INEQUALITY_STRUCTURE = (discrete_information,)  # the recognisers also asked about ≤ and ≥
"""The recognisers that read a statement by its structure (each module's ``check(left, relation,
right, context)``: a StepResult, or None when the statement is not its kind), every one asked, beside the claims'
shapes and the knowledge rows, and merged with them (:func:`merge`); none hides another."""
BY_DECLARED_LAWS = (reparameterised, vae_kl)  # a sample v = a + Bε, the VAE's KL: against the laws the document
# declares (each module's ``judge(left, relation, right, context)``), merged with the rest


class _Unifier:
    def __init__(self, shape: Shape):
        self.shape = shape
        self.pattern_symbols = set(shape.variables) | shape.placeholders
        self.in_law = 0  # inside a written law's arguments (N(mu_1, sigma_1^2)): roles fixed by place

    def unify(self, p, e, b: dict) -> bool:
        if isinstance(p, sympy.Dummy):  # a bound variable (the ξ of a chain rule's Subs): any bound variable, one to one
            dummies = b.get("_dummies", {})
            if not isinstance(e, sympy.Dummy) or dummies.get(p, e) != e or (p not in dummies and e in dummies.values()):
                return False
            b["_dummies"] = {**dummies, p: e}
            return True
        if isinstance(p, sympy.Symbol) and p.name == r"\mathrm{ELBO}":
            return _elbo_like(e)
        if isinstance(p, sympy.Symbol) and p in self.pattern_symbols:
            if p in b:
                return _equal(b[p], e)
            if isinstance(e, sympy.Symbol) and self.shape.recognise is None:  # a knowledge row's typed role: any
                if e.name.startswith(("⟦", "⟨")) or p in self.shape.strict and not (  # name, any accent or index
                        scope.is_density(e.name) or e in _DISTRIBUTIONS.get()):
                    return False
            elif isinstance(e, sympy.Symbol):
                if not _symbol_matches(p, e, b, self.in_law > 0, p in self.shape.densities, p in self.shape.strict):
                    return False
            elif not (e.is_number and e.is_real):
                return False  # a pattern name binds a name or a number, not an expression
            b[p] = e
            return True
        if isinstance(p, sympy.Symbol):
            if isinstance(e, sympy.Symbol) and (events := _events(p, e)) is not None:  # P(X = x) and P(A = a)
                saved = dict(b)
                if all(self.unify(a, c, b) for a, c in events):
                    return True
                b.clear(), b.update(saved)
                return False
            return isinstance(e, sympy.Symbol) and _same_name(p, e)
        if p.is_Number:
            return e.is_Number and p == e
        if isinstance(p, sympy.Pow):
            if isinstance(e, sympy.Pow):
                saved = dict(b)
                if self.unify(p.base, e.base, b) and self.unify(p.exp, e.exp, b):
                    return True
                b.clear(), b.update(saved)
            written = _variance_written(e, self.in_law and self.shape.recognise is None) \
                if p.exp == 2 and isinstance(p.base, sympy.Symbol) and p.base in self.shape.variables \
                and p.base not in b else None
            if written is None:
                return False
            b[p.base] = sympy.sqrt(e)
            if written == "name":
                b.setdefault("_variance_names", set()).add(e)
            return True
        if is_opaque_function(p) and not isinstance(p, sympy.Symbol):
            if not (is_opaque_function(e) and not isinstance(e, sympy.Symbol)):
                return False
            fp, sp, _ = head_family(p.func.__name__)
            fe, se, _ = head_family(e.func.__name__)
            if fp in ("KL", "N", "Bern", "H", "E", "Var"):
                if fp != fe:
                    return False
            else:
                hp = NameKey.of(strip_fonts(re.sub(r"[\[⟮].*$", "", p.func.__name__)))
                he = NameKey.of(strip_fonts(re.sub(r"[\[⟮].*$", "", e.func.__name__)))
                if hp is None or he is None or (hp != he and not _optimum_for(hp, he) and not _one_family(p, e)
                                                and not self._a_density_role(p, e, b)):
                    return False
            e_args = e.args
            if fp == "N" and len(p.args) == 2 and sp in ("", ",") and len(e.args) == 3 and se in (";,", ";;"):
                # the shape names a distribution, N(mu, sigma^2); the lecture writes it with its variable,
                # N(z | u, s^2) or N(z; u, s^2): the variable is a dummy there
                e_args, se = e.args[1:], sp
            if sp != se or len(p.args) != len(e_args):
                return False
            saved = dict(b)
            self.in_law += fp == "N"
            try:
                if all(self.unify(a, c, b) for a, c in zip(p.args, e_args)):
                    return True
            finally:
                self.in_law -= fp == "N"
            b.clear(), b.update(saved)
            return False
        if type(p) is not type(e) or len(p.args) != len(e.args):
            return False
        if isinstance(p, (sympy.Add, sympy.Mul)) and len(p.args) <= 5:
            for order in itertools.permutations(e.args):
                saved = dict(b)
                if all(self.unify(a, c, b) for a, c in zip(p.args, order)):
                    return True
                b.clear(), b.update(saved)
            return False
        saved = dict(b)
        if all(self.unify(a, c, b) for a, c in zip(p.args, e.args)):
            return True
        b.clear(), b.update(saved)
        return False


    def _a_density_role(self, p, e, b: dict) -> bool:
        r"""A knowledge row's density (its pattern writes ``p(x)``) binds the lecture's density under any name, one
        to one: ``q(\mathbf{y})``, ``r(u)``, ``\rho(u)``. Which function is a density, the scope or the lead-in says
        (:func:`_densities_in_role`); a named function of the tables (σ, Γ, ℓ) is never one."""
        from derivspec.scan import knowledge

        if self.shape.recognise is not None or knowledge.head_of(p) != "density":
            return False
        head = knowledge.head_of(e)
        if head not in ("density", "function") and (head in row_shapes() or not _a_letter(NameKey.of_expression(e))):
            return False
        roles = b.get("_densities", {})
        if roles.get(p.func, e.func) != e.func or (p.func not in roles and e.func in roles.values()):
            return False
        b["_densities"] = {**roles, p.func: e.func}
        return True


def _variance_written(e, in_law: bool) -> str | None:
    r"""How a row's σ² is written where it is not a square: ``"name"``, a variance's name (``v``, ``\nu``); or, inside
    a row's law (``in_law``), ``"precision"``, the inverse of a precision (``1/\tau``, ``\tau^{-1}``,
    ``\frac{1}{2\tau}``: a positive number times a negative power of one name). Else None: a bare name in a law
    (``N(a, s)``) may be a standard deviation (another convention), and nothing fixes which."""
    if len(e.free_symbols) != 1:
        return None
    name = next(iter(e.free_symbols))
    if name.name.startswith(("⟦", "⟨")):
        return None
    if e == name and (NameKey.of(name.name) or NameKey((), "", "")).base in VARIANCE_NAMES:
        return "name"
    coefficient, power = e.as_coeff_Mul()
    if in_law and coefficient.is_positive is True and isinstance(power, sympy.Pow) and power.base == name \
            and power.exp.is_negative is True:
        return "precision"
    return None


def _one_family(p, e) -> bool:
    r"""Two heads that name one family of the families table: ``\mathrm{Pois}`` and ``\text{Poi}``,
    ``\operatorname{Normal}`` and ``\mathcal N`` (the table's names and aliases, not the letters)."""
    from derivspec.scan import knowledge

    try:
        return knowledge.family(knowledge.head_of(p)) is knowledge.family(knowledge.head_of(e))
    except KeyError:
        return False


def _a_letter(key) -> bool:
    """A name that is one letter, Latin or Greek, with any accent or index (a function's name, not a word)."""
    from derivspec.scan.knowledge import GREEK

    return key is not None and (len(key.base) == 1 and key.base.isalpha()
                                or key.base.startswith("\\") and key.base[1:] in GREEK)


def _densities_in_role(bindings: dict) -> bool:
    r"""The lecture's functions a row's density bound under another name (:meth:`_Unifier._a_density_role`) are
    the row's densities here: the lead-in writes the law of the outcome (``_written``: "the score of a Gaussian
    $\mathcal N(\mathbf y; \mathbf m, s^2 I)$ is", :func:`_with_given`); or the row takes no law from the scope (Bayes'
    rule holds for any density) and the scope uses each as a density. A law declared for a variable is not the law of
    every density of it (``x \sim \mathcal N(0, I)``, then a model's ``q_\theta(x)``)."""
    renamed = [e for p, e in bindings.get("_densities", {}).items() if p.__name__ != e.__name__]
    if not renamed or bindings.get("_written", False):
        return True
    return "_written" not in bindings and all(scope.is_density(re.sub(r"[\[⟮].*$", "", e.__name__)) for e in renamed)


def bind(shape: Shape, expr) -> dict | None:
    """The lecture's names and numbers that the shape's pattern names stand for in ``expr`` (a
    side as the document reader reads it), or None when ``expr`` is not the shape's quantity."""
    bindings: dict = {}
    return bindings if _Unifier(shape).unify(shape.pattern, expr, bindings) else None


def roles_of_left_side(claim, latex: str) -> Structure | None:
    r"""The roles the names of a pasted ``LEFT = RIGHT``'s left-hand side play in ``claim``'s result,
    found as scan recognises a known result: the side is read by the document reader and unified
    with the claim's recognition shapes (:func:`bind`). ``D_{KL}(\mathcal N(\mu_q, \sigma_q^2) \|
    \mathcal N(\mu_p, \sigma_p^2))`` binds \mu_q to mu1 and \sigma_p to sigma2 (labels one to one).

    None when no side is one of the claim's quantities, when the shapes bind a claim variable to
    something other than one name (a number, a variance name read as sigma^2), when two shapes
    disagree, or when every name is already the claim's own (nothing to map). ``check`` uses the
    roles as ``--symbols`` (:func:`derivspec.core.checker.check`); any failure here is no structure."""
    try:
        sides = split_sides(latex)[:-1]
        shapes = [shape for shape in compile_shapes(claim) if shape.variables]
    except Exception:
        return None
    found = {}
    for side in sides:
        try:
            expr = canonical_applications(read_document(side, DocumentNames()).value())
        except Exception:
            continue
        for shape in shapes:
            bindings = bind(shape, expr)
            if bindings is None:
                continue
            pairs = _written_pairs(claim, shape, bindings)
            if pairs is None:
                return None  # a role written as an expression: the letters cannot be mapped one to one
            if pairs:
                found.setdefault(pairs, Structure(side.strip(), shape.recognise.shape, pairs))
    return next(iter(found.values())) if len(found) == 1 else None


def _written_pairs(claim, shape: Shape, bindings: dict) -> tuple[tuple[str, str], ...] | None:
    """(the lecture's name, the claim's variable) for each variable the shape binds to another name;
    None when one is bound to anything but a name."""
    if bindings.get("_variance_names"):
        return None
    variables = list(claim.symbols.values())
    own = {name_key(latex): symbol for latex, symbol in claim.latex_names.items()}
    mapping = {}
    for pattern_symbol, claim_symbol in shape.variables.items():
        if pattern_symbol not in bindings or claim_symbol not in variables:
            continue
        written = bindings[pattern_symbol]
        if not isinstance(written, sympy.Symbol):
            return None
        try:
            key = name_key(written.name)
        except FormulaError:
            return None
        if own.get(key) != claim_symbol:  # the claim's own name: nothing to map
            mapping[display_name(key)] = claim_symbol
    in_claim_order = dict(sorted(mapping.items(), key=lambda pair: variables.index(pair[1])))
    return tuple(pairs_of(claim, in_claim_order))


PARAMETER_NAMES = role_letters("parameter")  # a guess: derivspec/data/knowledge/notation.toml
DISTRIBUTION_LETTERS = role_letters("distribution-letter")  # a guess: derivspec/data/knowledge/notation.toml


def canonical_applications(expr):
    r"""p_\theta(x \mid z, \theta) -> p(x \mid z): parameters in a density's subscript or after its
    conditioning bar name the model, not the variables (p(x|\theta), q_\phi(z|x))."""
    def walk(e):
        if not e.args or isinstance(e, sympy.Symbol):
            return e
        args = [walk(a) for a in e.args]
        if is_opaque_function(e) and not isinstance(e, sympy.Symbol):
            head, seps, square = application_parts(e.func.__name__)
            key = NameKey.of(strip_fonts(head))
            if key is not None and not key.accents and key.base in DISTRIBUTION_LETTERS:
                if key.sub and all(part in PARAMETER_NAMES or part.strip("{}") in PARAMETER_NAMES
                                   for part in re.split(r",", key.sub)):
                    head = re.sub(r"_\{[^{}]*\}$", "", head)
                # trailing parameters after the bar: p(x | z, theta) -> p(x | z)
                kept, kept_seps = [args[0]], ""
                bar_seen = False
                for sep, arg in zip(seps, args[1:]):
                    bar_seen = bar_seen or sep in "|;"
                    k = NameKey.of(arg.name) if isinstance(arg, sympy.Symbol) else None
                    if bar_seen and k is not None and k.base in PARAMETER_NAMES and not k.sub:
                        continue
                    kept.append(arg)
                    kept_seps += sep
                return sympy.Function(application_name(head, kept_seps, square))(*kept)
        return rebuilt(e, args)
    return walked(walk, expr)


def _substitute_in_applications(expr, definitions: dict):
    """Named distributions replaced where they are arguments of an application (KL(p || q))."""
    def walk(e):
        if is_opaque_function(e) and not isinstance(e, sympy.Symbol):
            return e.func(*[definitions.get(a, walk(a)) if isinstance(a, sympy.Symbol) else walk(a) for a in e.args])
        if not e.args or isinstance(e, sympy.Symbol):
            return e
        try:
            return e.func(*[walk(a) for a in e.args])
        except Exception:
            return e
    return walk(expr)


def _elbo_like(e) -> bool:
    r"""\mathrm{ELBO}, \text{ELBO}(\theta, \phi), \mathcal L(x; \theta, q): the lecture's ELBO."""
    head = e.name if isinstance(e, sympy.Symbol) else (re.sub(r"[\[⟮].*$", "", e.func.__name__)
                                                       if is_opaque_function(e) else "")
    return bool(head) and strip_fonts(head).split("_")[0] in ("ELBO", "L") and (
        "ELBO" in head or r"\mathcal{L}" in head)


def _equal(a, b) -> bool:
    """a = b identically: the same expression, or a difference that simplifies to 0. A name that the other side
    does not contain differs from it (the other side stays the same as the name varies), without simplifying --
    the common question, asked for every declared law ("is this law's variable the name in question?")."""
    if a == b:
        return True
    if _a_free_name_missing(a, b) or _a_free_name_missing(b, a):
        return False
    try:
        return sympy.simplify(a - b) == 0
    except Exception:
        return False


def _a_free_name_missing(name, other) -> bool:
    return isinstance(name, sympy.Symbol) and name.is_zero is None and isinstance(other, sympy.Basic) \
        and name not in other.free_symbols


# --- the recogniser -----------------------------------------------------------------------------

@functools.cache
def claim_shapes() -> tuple[tuple[Shape, ...], tuple[str, ...]]:
    """The recognisable claims' shapes (:func:`compile_shapes`) and the errors of those that cannot be read."""
    from derivspec.core.catalogue import recognisable_claims

    shapes, errors = [], []
    for claim in recognisable_claims():
        try:
            shapes.extend(compile_shapes(claim))
        except Exception as error:
            errors.append(str(error))
    return tuple(shapes), tuple(errors)


@dataclass
class Recogniser:
    shapes: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @classmethod
    def load(cls) -> "Recogniser":
        """Every claim's shapes (claims with a ``recognise`` field), compiled once per process: they depend on the
        catalogue alone, not on the document (each is read with fresh names), so a folder's documents share them."""
        shapes, errors = claim_shapes()
        errors = list(errors)
        try:
            row_shapes()  # the knowledge tables, loaded and indexed once, before any statement's time limit
        except Exception as error:
            errors.append(str(error))
        return cls(list(shapes), errors)

    def check(self, left: Side, relation: str, right: Side, context: Context,
              written: tuple[str, str] | None = None) -> StepResult | None:
        """Every known result that reads the step -- the structure recognisers, the catalogue's shapes, the
        knowledge tables' rows -- judged, and what they say merged by one rule (:func:`merge`): none is tried
        first and none hides another. ``written``: the sides as the document writes them, where the step's sides
        are rewritten (a prior put in for its name: scope.with_priors)."""
        token = _DISTRIBUTIONS.set(distributions_used(left, right))
        try:
            return self._check(left, relation, right, context, written or (left.text, right.text))
        finally:
            _DISTRIBUTIONS.reset(token)

    def _check(self, left: Side, relation: str, right: Side, context: Context, written: tuple[str, str]) -> \
            StepResult | None:
        declared = [found for module in BY_DECLARED_LAWS
                    if (found := module.judge(written[0], relation, written[1], context)) is not None]
        outcomes = declared
        for module in (INEQUALITY_STRUCTURE if relation in ("≤", "≥") else BY_STRUCTURE):
            found = module.check(left, relation, right, context)
            if found is not None:
                outcomes.append(found)
        recognised = list(outcomes)  # the recognisers read the lead-in themselves
        explained = [o for o in outcomes if o.verdict == "unchecked"]  # a recogniser that reads the step and says
        # why it does not decide it (a condition the text states, a label not declared binary)
        if relation in ("=", "≈") and left.readable and right.readable:
            read = {c for o in recognised if o.verdict != "unchecked" for c in (o.claim, *o.covers) if c}
            outcomes += [o for o in self.shapes_judged(left, relation, right, context) if o.claim not in read]
            # a claim a recogniser decides with the document's roles (the GAN's data and generator densities from
            # its value function, ᾱ_t as the document declares it) is not also read by its shape's letters
            outcomes += rows_judged(left, relation, right, context)
        if relation == "∼" and right.readable:  # the left side may be p | X, which reads as no expression
            agreed = (laws_agree(left, right) if left.readable else None) or posterior_judged(left, right, context) \
                or (transformed_law(left, right, context) if left.readable else None)
            if agreed is not None:
                outcomes.append(agreed)
        return merge(outcomes, context.lead_in, explained, recognised)

    def shapes_judged(self, left: Side, relation: str, right: Side, context: Context) -> list[StepResult]:
        """The catalogue's shapes that the left side unifies with, each compared with its claim's derivation."""
        try:
            expr = left.primary.value()
            if context.definitions:  # KL(p || q) after "p = N(mu_1, sigma_1^2)": the distributions by name
                expr = _substitute_in_applications(expr, context.definitions)
            expr = canonical_applications(expr)
        except Exception:
            return []
        outcomes, by_name = [], []
        for shape in self.shapes:
            if shape.recognise.sizes is not None:  # a result derived for a few items, at the lecture's count
                from derivspec.core import registry

                outcome = sizes.check_sized(shape, registry.get(shape.claim_id), left, relation, right, context)
                if outcome is not None:
                    outcomes.append(outcome)
                continue
            bindings: dict = {}
            if isinstance(shape.pattern, sympy.Symbol):
                # a lone name (\tilde\beta_t, \hat x_0): the same name, any font
                applied = not isinstance(expr, sympy.Symbol) and _named_with_parameters(shape.pattern, expr)
                if not (applied or isinstance(expr, sympy.Symbol) and _same_name(shape.pattern, expr)):
                    continue
                bindings[shape.pattern] = expr
            elif (bindings := bind(shape, expr)) is None:
                continue
            outcome = compare_known(shape, bindings, right, relation, context)
            if outcome is not None:
                outcome.left, outcome.part = left.text, shape.recognise.part or ""
                (by_name if isinstance(shape.pattern, sympy.Symbol) and applied else outcomes).append(outcome)
        return outcomes or by_name  # \mathrm{IS}(x): its own shape IS(G) first, the lone name IS after


def _doc_key_table(claim) -> dict:
    """NameKey of each claim name (variables and defined) -> claim expression."""
    names = DocumentNames()
    table = {}
    for pattern_symbol, claim_expr in _claim_name_symbols(claim, names).items():
        key = NameKey.of(pattern_symbol.name)
        if key is not None:
            table[key] = claim_expr
    return table


def _normal_parts(expr):
    """(mean, variance) of a normal application N(m, v) or N(x; m, v); None otherwise."""
    if not (is_opaque_function(expr) and not isinstance(expr, sympy.Symbol)):
        return None
    family, seps, _ = head_family(expr.func.__name__)
    if family != "N":
        return None
    if len(expr.args) == 2 and seps in ("", ","):
        return expr.args[0], expr.args[1]
    if len(expr.args) == 3 and seps in (";,", ";;"):
        return expr.args[1], expr.args[2]
    return None


def compare_known(shape: Shape, bindings: dict, right: Side, relation: str, context: Context) -> StepResult | None:
    from derivspec.core import registry
    from derivspec.core.checker import compare_expressions

    claim = registry.get(shape.claim_id)
    recognise = shape.recognise

    renamed: list = []  # the lecture's names read as the claim's, shown with a verdict

    def result(verdict, reason, evidence="", correct=""):
        if renamed and verdict in ("proved", "disagrees"):
            reason += f" (reading {', '.join(renamed)})"
        return StepResult(relation, "", right.text, verdict, "known", reason, evidence, claim=claim.id,
                          correct=correct)

    rhs = canonical_applications(right.primary.value())
    if context.bindings:
        rhs = rhs.xreplace(context.bindings)
    # names the other side must use; an accented notation (\bar\alpha_t) may be the document's:
    # a lecture that writes \bar\alpha elsewhere means the one-step alpha_t by alpha_t here
    keys = {NameKey.of(s.name) for s in rhs.free_symbols}
    for name in recognise.requires:
        key = NameKey.of(_read_name(name))
        if key in keys:
            continue
        if key is not None and key.accents and (key.accents[0], key.base) in context.notations:
            continue
        return None
    # the part of the other side the shape is about
    if recognise.part in ("mean", "variance"):
        parts = _normal_parts(rhs)
        if parts is None:
            return None
        rhs = parts[0] if recognise.part == "mean" else parts[1]
    elif recognise.part in ("reparam-mean", "reparam-variance"):
        noise = [s for s in rhs.free_symbols if NameKey.of(s.name) == NameKey.of(_read_name(recognise.noise))]
        if len(noise) != 1:
            return None
        eps = noise[0]
        if sympy.diff(rhs, eps, 2) != 0:
            return None
        if recognise.part == "reparam-mean":
            rhs = rhs.subs(eps, 0)
        else:
            rhs = sympy.diff(rhs, eps) ** 2
    # two placeholders bound to one lecture name (H(P, P)): the claim's model has them distinct
    held = [e for p, e in bindings.items() if p in shape.placeholders]
    if len(held) != len(set(held)):
        return None
    # bound pattern variables -> claim variables
    doc_to_claim: dict = {}
    fixed: dict = {}
    for p, e in bindings.items():
        if p in ("_variance_names", "_labels") or p not in shape.variables:
            continue
        claim_symbol = shape.variables[p]
        if isinstance(e, sympy.Symbol):
            if e in doc_to_claim and doc_to_claim[e] != claim_symbol:
                fixed[claim_symbol] = doc_to_claim[e]  # the same lecture name for two claim variables
            else:
                doc_to_claim[e] = claim_symbol
        elif isinstance(e, sympy.Pow) and e.exp == sympy.Rational(1, 2) and isinstance(e.base, sympy.Symbol):
            doc_to_claim[e.base] = claim_symbol ** 2
        elif e.is_number:
            fixed[claim_symbol] = e
        else:
            return None
    renamed.extend(_renamings(claim, shape, bindings, doc_to_claim, context))
    key_table = _doc_key_table(claim)
    # interpreted opaque terms of the other side
    atoms = [a for a in sympy.preorder_traversal(rhs) if is_opaque_function(a) and not isinstance(a, sympy.Symbol)]
    replacements = {}
    for pattern, value in shape.interpret:  # wildcards: \mathcal L(...), \mathrm{ELBO}
        if isinstance(pattern, tuple) and pattern[0] == "wildcard":
            for a in list(atoms) + sorted(rhs.free_symbols, key=lambda x: x.name):
                head = a.name if isinstance(a, sympy.Symbol) else re.sub(r"[\[⟮].*$", "", a.func.__name__)
                k = NameKey.of(strip_fonts(head))
                if k is not None and pattern[1] is not None and k.base == pattern[1].base and k.accents == pattern[1].accents:
                    replacements[a] = value
    interpreted = dict(bindings)
    for pattern, value in shape.interpret:  # a term that is not one function: \log p(x) on the other side
        if isinstance(pattern, tuple) or is_opaque_function(pattern) or not isinstance(pattern, sympy.Expr):
            continue
        for term in sympy.preorder_traversal(rhs):
            trial = dict(interpreted)
            if type(term) is type(pattern) and term not in replacements and _Unifier(shape).unify(pattern, term, trial):
                replacements[term] = value
                interpreted = trial
    for atom in atoms:
        if atom in replacements or any(atom in r.free_symbols or atom.has(r) for r in replacements if r is not atom):
            continue
        for pattern, value in shape.interpret:
            if isinstance(pattern, tuple):
                continue
            trial = dict(interpreted)
            if _Unifier(shape).unify(pattern, atom, trial):
                replacements[atom] = value
                interpreted = trial  # a name bound in one term keeps its meaning in the next: KL(P||M), KL(Q||M)
                break
    for atom in atoms:
        if atom not in replacements and not any(atom.has(r) or r.has(atom) for r in replacements):
            return result("unchecked", f"recognised as {claim.id}, but the other side uses "
                                       f"{algebra.short(atom)}, which the claim does not interpret")
    if replacements:
        rhs = rhs.xreplace(replacements)
        claim_symbols = {v.symbol for v in claim.variables}
        for value in replacements.values():
            for sym in sympy.sympify(value).free_symbols:
                if sym in claim_symbols:
                    doc_to_claim.setdefault(sym, sym)
    if any(isinstance(a, sympy.Symbol) and a.name.startswith("⟦") for a in rhs.free_symbols):
        if "⟦const⟧" in {s.name for s in rhs.free_symbols} and recognise.const_free_of:
            pass
        else:
            return result("unchecked", f"recognised as {claim.id}, but the other side has terms the claim does not read")
    # every remaining lecture name must be a claim name
    mapping = dict(doc_to_claim)
    unknown = []
    const = None
    for s in rhs.free_symbols:
        if s in mapping:
            continue
        if s.name == "⟦const⟧":
            const = s
            continue
        if s.name.startswith("⟪") or s in [v.symbol for v in claim.variables]:
            continue
        key = NameKey.of(s.name)
        if key in key_table:
            mapping[s] = key_table[key]
        else:
            unknown.append(s)
    if unknown:
        names = ", ".join(sorted(context.names.latex.get(s, s.name) for s in unknown))
        return result("unchecked", f"recognised as {claim.id}, but the other side uses {names}, which the claim "
                                   "does not have (a different setting or notation)")
    candidate = rhs.xreplace(mapping)
    if not (candidate.free_symbols - ({const} if const else set())) and not fixed and not replacements:
        return result("unchecked", f"recognised as {claim.id}, but the other side is a worked value whose data "
                                   "(the distributions' values) are not read")
    target = claim.expand_defined(claim.target)
    if recognise.value is not None:
        target = recognise.value(target)
    target = claim.expand_defined(target)
    if fixed:
        target = target.subs(fixed)
        candidate = candidate.subs(fixed)
    candidate = claim.expand_defined(candidate)
    variables = [v for v in claim.variables if v.symbol not in fixed and v.symbol in (candidate.free_symbols
                                                                                        | target.free_symbols)]
    stray = candidate.free_symbols - {v.symbol for v in claim.variables} - ({const} if const else set())
    if stray:
        return result("unchecked", f"recognised as {claim.id}, but its terms could not all be read in the claim's variables")
    correct = _correct_form(claim, target, bindings, shape, context, mapping, right.text)
    if relation == "≈":
        return result("unchecked", f"recognised as {claim.id}; '≈' between expressions is not checked")
    if const is not None:
        return _compare_up_to_constant(claim, candidate.subs(const, 0), target, recognise, variables, result, correct)
    try:
        outcome = compare_expressions(candidate, target, variables, seconds=SECONDS)
    except Exception as error:
        return result("unchecked", f"recognised as {claim.id}; the comparison failed ({type(error).__name__})")
    if outcome.verdict == "equivalent":
        return result("proved", f"matches {claim.id} ({claim.title}): {outcome.reason}")
    if outcome.verdict == "not_equivalent":
        c = outcome.counterexample
        evidence = (f"at {_point(c.point, doc_to_claim, context, claim)}: as written {c.candidate}, derived {c.expected}"
                    if c else outcome.reason)
        return result("disagrees", f"disagrees with {claim.id} ({claim.title})", evidence, correct)
    return result("unchecked", f"recognised as {claim.id}: {outcome.reason}")


def _renamings(claim, shape: Shape, bindings: dict, doc_to_claim: dict, context: Context) -> list[str]:
    r"""How the lecture's names were read, written once for every path (labels, other letters, a
    variance name, the shape's other names): ``u as \mu``, ``v as \sigma^2``, ``\mu_{a} as \mu_1``;
    a name read as itself (the same letter, accents and subscript in any font) is not listed."""
    claim_latex = {v.symbol: v.latex for v in claim.variables}
    shown = set()
    for e, c in doc_to_claim.items():
        if c in claim_latex:
            if NameKey.of(e.name) != NameKey.of(_read_name(claim_latex[c])):
                shown.add(f"{context.names.latex.get(e, e.name)} as {claim_latex[c]}")
        elif isinstance(c, sympy.Pow) and c.exp == 2 and c.base in claim_latex:  # sigma^2 written as v
            shown.add(f"{context.names.latex.get(e, e.name)} as {claim_latex[c.base]}^2")
    for p, e in bindings.items():  # the shape's own names (P, Q, G, x) bound to other letters
        if isinstance(p, sympy.Symbol) and p in shape.placeholders and isinstance(e, sympy.Symbol) \
                and NameKey.of(e.name) != NameKey.of(p.name):
            shown.add(f"{context.names.latex.get(e, e.name)} as {context.names.latex.get(p, p.name)}")
    return sorted(shown)


def _compare_up_to_constant(claim, candidate, target, recognise, variables, result, correct):
    from derivspec.core import symbolic

    if not recognise.const_free_of:
        return result("unchecked", f"recognised as {claim.id}, but '+ const' is not compared for this claim")
    difference = target - candidate
    free_vars = [v for v in claim.variables if v.name in recognise.const_free_of]
    moved = []
    for var in free_vars:
        derivative = sympy.diff(difference, var.symbol)
        if symbolic.proves_equal(derivative, sympy.Integer(0), variables, seconds=SECONDS):
            continue
        points = symbolic.evaluation_points(variables, 8, 0)
        nonzero = 0
        for point in points:
            value = symbolic.evaluate(derivative, point)
            if value is not None and abs(complex(value)) > 1e-20:
                nonzero += 1
        if nonzero:
            moved.append(var.latex)
        else:
            return result("unchecked", f"recognised as {claim.id}; up to a constant, not decided")
    if moved:
        return result("disagrees", f"disagrees with {claim.id} ({claim.title}) beyond a constant: the difference "
                                   f"depends on {', '.join(moved)}", "", correct)
    return result("proved", f"matches {claim.id} ({claim.title}) up to a term free of "
                            f"{', '.join(v.latex for v in free_vars)}")


def _read_name(latex: str) -> str:
    try:
        reading = read_document(latex, DocumentNames())
        return reading.expr.name if isinstance(reading.expr, sympy.Symbol) else latex
    except Exception:
        return latex


def _point(point: dict, doc_to_claim: dict, context: Context, claim=None) -> str:
    back = {str(v): context.names.latex.get(k, k.name) for k, v in doc_to_claim.items()}
    if claim is not None:
        for v in claim.variables:
            back.setdefault(v.name, v.latex)
    return ", ".join(f"{back.get(name, name)}={value}" for name, value in point.items())


def _correct_form(claim, target, bindings, shape, context, mapping=None, written_text: str = "") -> str:
    """The derived value in the lecture's own names (LaTeX): each claim variable by the lecture's
    name read for it (bound by the shape, or matched by name), the others by their LaTeX names; its
    terms in the order of the lecture's other side ``written_text`` where that shows one
    (derivspec.core.lecture_form)."""
    from derivspec.core.lecture_form import lecture_latex, top_level_terms

    try:
        by_name = {s.name: tex for s, tex in context.names.latex.items()}

        def lecture_name(e) -> str | None:
            """The document's name of ``e``, spelled as the text spells it (s_1 for s_{1})."""
            tex = context.names.latex.get(e) or by_name.get(e.name)
            short = re.sub(r"_\{(\w)\}", r"_\1", tex) if tex else None
            return short if short and short != tex and short in written_text else tex

        rename = {}
        for p, e in bindings.items():
            if p in shape.variables and isinstance(shape.variables[p], sympy.Symbol):
                rename[shape.variables[p]] = e
        for e, c in (mapping or {}).items():  # the lecture's names of the claim's other variables
            if isinstance(e, sympy.Symbol) and isinstance(c, sympy.Symbol) and lecture_name(e):
                rename.setdefault(c, e)
        for v in claim.variables:
            rename.setdefault(v.symbol, sympy.Symbol(v.latex))
        expr = target.xreplace(rename)
        names = {s: lecture_name(s) or s.name for s in expr.free_symbols}
        written = []
        for term in top_level_terms(written_text):
            try:
                written.append(read_document(term.lstrip("+").strip(), _copy(context.names)).value())
            except Exception:
                continue
        return lecture_latex(expr, names, written, written_text)
    except Exception:
        return sympy.latex(target)


def _copy(names: DocumentNames) -> DocumentNames:
    return DocumentNames(dict(names.symbols), dict(names.latex), names.variables, iterated=names.iterated,
                         operators=names.operators, identities=names.identities, value_sets=names.value_sets)


# --- the one engine: every matching row judged, one merge ----------------------------------------
#
# Standard mathematics is data (derivspec/data/knowledge/*.toml, read by derivspec.scan.knowledge) and the
# catalogue's claims carry their recognition shapes; both are matched by the one unifier above (:func:`bind`),
# every binding of every row of the side's head is judged by the general comparator, and one rule merges what
# they say with each other and with the general path (:func:`merge`, :func:`with_general`).

@dataclass(frozen=True)
class RowShape:
    """One pattern of a knowledge row, compiled as a shape: ``shape.variables`` maps each pattern name that is a
    role to the object it is in the row's meaning."""

    row: object  # derivspec.scan.knowledge.Row
    shape: Shape
    head: str


_ROW_SHAPES: list = []


def row_shapes() -> dict:
    """Head -> the knowledge rows' shapes (compiled once per process; {} when the tables cannot be loaded, which
    Recogniser.load reports)."""
    if not _ROW_SHAPES:
        _ROW_SHAPES.append({})
        from derivspec.scan import knowledge

        _ROW_SHAPES[0], functions = knowledge.kept("row-shapes", _compiled_row_shapes)
        _STANDARD_FUNCTIONS.append(functions)
    return _ROW_SHAPES[0]


def _compiled_row_shapes() -> tuple[dict, tuple]:
    from derivspec.scan import knowledge

    index: dict = {}
    for row in knowledge.rows():
        for k, compiled in enumerate(row.compiled):
            pattern = canonical_applications(compiled)
            inside = {name for atom in pattern.free_symbols if (event := _EVENT.match(atom.name))
                      for name in (event.group(1), event.group(3))}  # P(X = k): X and k are roles
            written = pattern.free_symbols | {s for name in inside for s in _read_or_none(name)}
            variables = {s: row.symbols[s.name] for s in written if s.name in row.symbols}
            densities = frozenset(s for s in variables if row.roles.get(_role_name(row, s)) == "density")
            if _computed_by_reader(pattern, variables, row):
                continue  # the reader already computes it (∇_x a^T x reads as a): the general path decides it
            shape = Shape(row.id, k, None, pattern, variables, set(), [], densities, densities)
            head = knowledge.head_of(compiled)
            index.setdefault(head, []).append(RowShape(row, shape, head))
    return index, _functions_table()


def _computed_by_reader(pattern, variables: dict, row) -> bool:
    r"""A pattern that is no question: roles joined by arithmetic alone (a lone role ``a`` binds any name), or the
    row's meaning itself, as the reader computes derivatives and unfolds functions it knows (``\nabla_x a^\top x``
    reads as ``a``, ``\sigma(x)`` as ``1/(1 + e^{-x})``). Indexed, such a pattern would bind any side and judge the other side
    against it, flagging updates and assignments (``t = t + 1``); the general path already compares it."""
    if all(isinstance(node, (sympy.Add, sympy.Mul, sympy.Pow, sympy.Number)) or node in variables
           for node in sympy.preorder_traversal(pattern)):
        return True  # roles joined by arithmetic alone (AB from (AB)^T read as scalars, x^2 from ||x||^2): no shape
    if row.relation != "=":
        return False
    try:
        return sympy.simplify(pattern.xreplace(variables) - row.meaning) == 0
    except Exception:  # a density role put in for a name, matrices against scalars: a question the row can ask
        return False


_STANDARD_FUNCTIONS: list = []


def standard_functions() -> tuple:
    r"""(LaTeX spellings, prose cues, arguments, value) of each function of the knowledge tables whose spelling is
    a plain name (``\Gamma``): what the scope gives such a head when the prose names the function."""
    if not _STANDARD_FUNCTIONS:
        row_shapes()
    return _STANDARD_FUNCTIONS[0] if _STANDARD_FUNCTIONS else ()


def _functions_table() -> tuple:
    from derivspec.scan import knowledge
    from derivspec.scan.reader import DocumentNames, read_document

    found = []
    for entry in knowledge.functions().values():
        spellings = []
        for spelling in entry.latex:
            try:
                read = read_document(spelling, DocumentNames()).expr
            except Exception:
                continue
            if isinstance(read, sympy.Symbol):  # a plain name the reader would take for the document's own function
                spellings.append(read.name)
        arguments = tuple(entry.symbols[name] for name in entry.args if name in entry.symbols)
        special = isinstance(entry.definition, sympy.Function) and \
            type(entry.definition).__module__.startswith("sympy.functions.special")
        if special and spellings and entry.cues and len(arguments) == entry.arity:  # Γ, B, ψ: not a loss's ℓ
            found.append((tuple(spellings), tuple(entry.cues), arguments, entry.definition))
    return tuple(found)


def distributions_used(left: Side, right: Side) -> frozenset:
    """The names the statement uses as distributions, any letter: the arguments of its divergences (KL, JS, CE)."""
    found = set()
    for side in (left, right):
        if side.readable:
            found |= distribution_places(side.primary.expr, unambiguous_only=True)
    return frozenset(found)


def _role_name(row, symbol) -> str | None:
    """The row's role a pattern name stands for (roles are keyed by the row's own identifiers)."""
    target = row.symbols.get(symbol.name)
    return next((name for name, obj in ((n, row.symbols.get(n)) for n in row.roles) if obj is target), None) \
        if target is not None else None


def _given_shape(row, side) -> Shape:
    pattern = canonical_applications(side)
    variables = {s: row.symbols[s.name] for s in pattern.free_symbols if s.name in row.symbols}
    densities = frozenset(s for s in variables if row.roles.get(_role_name(row, s)) == "density")
    return Shape(row.id, -1, None, pattern, variables, set(), [], densities, densities)


def _law_of(name, context: Context, named_around: bool = True):
    """The law the document declares for ``name`` above this statement (``X \\sim \\mathrm{Bern}(p)``), read, while it
    is in force (:func:`_law_in_force`; ``named_around``: and the prose around names no other family only); None."""
    for line, written, law in reversed(context.laws):
        try:
            if _equal(read_document(written, context.names).expr, name):
                found = canonical_applications(read_document(law, context.names).value())
                return found if _law_in_force(name, line, found, context, named_around) else None
        except Exception:
            continue
    return None


def _law_in_force(name, line: int, law, context: Context, named_around: bool = True) -> bool:
    r"""A law declared on ``line`` still gives ``name`` its law here: the document has not defined the name anew
    since (``p \sim \mathrm{Beta}(a, b)``, later ``p = (0.5, 0.25, 0.25)``), and the statement's prose does not speak
    of another family without this one ("assume the noise follows the exponential distribution" under a Gaussian
    ε declared above)."""
    from derivspec.scan import knowledge

    if context.in_force is not None and isinstance(name, sympy.Symbol):
        reading = context.in_force.latest(name.name, context)
        if reading is not None and reading.definition.line > line:
            return False
    if not named_around:
        return True
    try:
        declared = knowledge.family(knowledge.head_of(law))
    except KeyError:
        return True
    prose = scope.words_only(_sentence_before(context))
    named = [f for f in knowledge.families().values() if scope.names_one_of([a for a in f.aliases if len(a) > 3], prose)]
    return not named or declared in named


def _law_written(name, context: Context):
    r"""The law the lead-in writes with ``name`` as its variable, when it writes exactly one: "the score of a
    Gaussian $\mathcal N(x; \mu, \sigma^2 I)$ is" gives ``x`` the law \mathcal N(\mu, \sigma^2) (the reader
    drops an identity factor: every coordinate alike). None otherwise."""
    found = set()
    for math in scope.inline_math(context.lead_in):
        try:
            expr = canonical_applications(read_document(math, context.names).value())
        except Exception:
            continue
        for node in sympy.preorder_traversal(expr):
            if not (_a_family(node) and len(node.args) > 1 and _equal(node.args[0], name)):
                continue
            family, seps, _ = head_family(node.func.__name__)
            if seps[:1] in (";", "|"):  # N(x; m, s) or N(x | m, s): the variable, then the parameters
                head = re.sub(r"\[[^\]]*\]|⟮⟯", "", node.func.__name__)
                rest = seps[1:]
                found.add(sympy.Function(head + (f"[{rest}]" if rest else ""))(*node.args[1:]))
    return found.pop() if len(found) == 1 else None


def _sentence_before(context: Context) -> str:
    """The lead-in and the sentence of the prose just before it: what the text says where the statement stands (a
    paragraph or a list may speak of other things)."""
    lead, prose = (context.lead_in or "").strip(), _prose_before(context)
    at = prose.rfind(lead) if lead else -1
    if at < 0:
        return lead
    sentences = re.split(r"(?<=[.?!:])\s+", prose[:at].strip())
    return " ".join((sentences[-1] if sentences else "", lead))


def _with_given(row, bindings: dict, context: Context) -> dict | None:
    """The bindings extended by the row's facts of the scope (``X \\sim \\mathrm{Bern}(p)``: the law the document
    gives the bound X, unified with the fact's law); None when a fact the bound names need is not in the scope."""
    for fact in row.given_compiled:
        if len(fact) != 2:
            continue
        named, law = fact
        if not isinstance(named, sympy.Symbol) or named not in bindings:
            continue  # the pattern writes the law itself (H(\mathrm{Bern}(p))): nothing to look up
        variables = [v for k, v in bindings.items() if isinstance(k, sympy.Symbol) and k != named
                     and row.roles.get(k.name) == "random variable"]  # P(A = a) where A ~ Pois(μ): A's law
        found = next((law for law in (_law_of(v, context) for v in [bindings[named], *variables]) if law is not None),
                     None)
        bindings = {**bindings, "_written": False}  # a law from the scope: written in the lead-in, or declared
        if found is None:
            found = _law_written(bindings[named], context)
            bindings["_written"] = found is not None
        if found is None:
            found = _law_said(row, law, context)
        if found is None:
            return None
        extended = dict(bindings)
        if not _Unifier(_given_shape(row, law)).unify(canonical_applications(law), found, extended):
            return None
        bindings = {k: v for k, v in extended.items() if not getattr(v, "has", lambda _: False)(_UNSAID)}
        bindings = _as_said(row, bindings, context)
    return bindings


def _as_said(row, bindings: dict, context: Context) -> dict:
    r"""The bindings with a parameter the text names by another reading put in that reading: ``Y \sim
    \mathrm{Gamma}(k, \vartheta)`` "parametrised by shape $k$ and scale $\vartheta$" binds the rate β to 1/ϑ (the
    families' ``said`` table: scale = 1/beta)."""
    from derivspec.scan import knowledge

    if row.table != "families" or not row.source:
        return bindings
    text = " ".join((context.lead_in or "", context.prose or ""))
    out = dict(bindings)
    for expr, formula in _said_formulas(knowledge.family(row.source[0]), text, distinct=True):
        if len(expr.free_symbols) != 1 or isinstance(expr, sympy.Symbol):
            continue  # a word that names the parameter itself (rate, mean of a normal) changes nothing
        param = next(iter(expr.free_symbols))
        key = next((k for k in out if isinstance(k, sympy.Symbol) and k.name == knowledge.latex_name(param.name)), None)
        try:
            said = read_document(formula, context.names).value()
        except Exception:
            continue
        if key is None or not _equal(out[key], said):
            continue
        solved = sympy.solve(sympy.Eq(expr, said), param)
        if len(solved) == 1:
            out[key] = solved[0]
    return out


_UNSAID = sympy.Symbol("unsaid†")  # a parameter the text does not say
_SAID = r"\b{word}\s*(?:of\s*)?\$([^$]+)\$"


def _said_formulas(family, text: str, distinct: bool = False):
    """(parameter expression, formula) for each word of the family's ``said`` table that ``text`` follows with one
    formula ("variance $v$": sigma**2, "v"); ``distinct``: the same formula said twice counts once."""
    for word, expr in family.said.items():
        found = re.findall(_SAID.replace("{word}", re.escape(word)), text, re.IGNORECASE)
        if len(set(found) if distinct else found) == 1:
            yield expr, found[0]


def _law_said(row, law, context: Context):
    r"""The law of a family row's variable said in words in the lead-in when the document declares none: "a Gaussian
    with variance $s$ has differential entropy" -> \mathcal N(⟨unsaid⟩, s). The lead-in must name the family (an
    alias of two letters or more) and the row's field (its last name: "entropy"), and say at least one parameter by a
    word of the family's ``said`` table; a parameter it does not say stays unbound, so a row whose meaning needs it
    does not apply."""
    from derivspec.scan import knowledge

    if row.table != "families" or not row.source or not law.args:
        return None
    family = knowledge.family(row.source[0])
    lead = context.lead_in or ""
    if not family.said or not scope.names_one_of([a for a in family.aliases if len(a) > 1], lead) \
            or not scope.names_one_of(row.names[-1:], lead):
        return None
    values: dict = {}
    for expr, formula in _said_formulas(family, lead):
        try:
            value = read_document(formula, context.names).value()
        except Exception:
            return None
        param = next(iter(expr.free_symbols))
        positive = {a: sympy.Dummy(a.name, positive=True) for a in value.free_symbols} if param.is_positive else {}
        solved = [v.xreplace({d: a for a, d in positive.items()}) for v in
                  sympy.solve(sympy.Eq(expr, value.xreplace(positive)), param) if v.is_positive is not False]
        if len(expr.free_symbols) != 1 or len(solved) != 1 or values.get(param, solved[0]) != solved[0]:
            return None
        values[param] = solved[0]
    if not values:
        return None
    generic = canonical_applications(law)  # the row's law in its parameters' reader names
    by_name = {knowledge.latex_name(p.ident): p.symbol for p in family.params}
    replace = {s: values.get(by_name[s.name], _UNSAID) for s in generic.free_symbols if s.name in by_name}
    return generic.xreplace(replace)


def _bound_meaning(row, shape: Shape, bindings: dict):
    """The row's meaning in the lecture's names, or None when a role it uses is not bound."""
    replace = {}
    for symbol, bound in bindings.items():
        if isinstance(symbol, sympy.Symbol) and symbol.name in row.symbols:
            replace[row.symbols[symbol.name]] = bound
    meaning = row.meaning
    if not isinstance(meaning, sympy.Expr) or any(s not in replace for s in meaning.free_symbols):
        return None, replace
    meaning = meaning.xreplace(replace)
    for density, lecture in bindings.get("_densities", {}).items():  # the row's p(x) under the lecture's name
        meaning = meaning.replace(density, lecture)
    return meaning, replace


_DOMAINS = {"probability": (0, 1)}  # the box of exact points is already positive (steps.compare)


_LABEL_VALUES = {"binary": (0, 1), "sign": (-1, 1)}


def _declared_labels(roles: dict, bound: dict, context: Context) -> dict:
    """symbol -> its values, for each label role of a row (binary, sign) bound to a name the text declares in that
    set above the statement (``t \\in \\{0, 1\\}``: scope.declared_labels)."""
    declared = context.labels
    found = {}
    for name, kind in roles.items():
        symbol = bound.get(name)
        if kind in _LABEL_VALUES and isinstance(symbol, sympy.Symbol) and _declared_as(symbol, declared) == kind:
            found[symbol] = _LABEL_VALUES[kind]
    return found


def _declared_as(symbol, declared: dict) -> str | None:
    """The label set the text declares ``symbol`` in (``y_n`` declared, ``y_i`` an item of another sum: by its
    letter), or None."""
    key = scope.normal(symbol.name)
    return declared.get(key) or ("_" in key and declared.get(key.partition("_")[0] + "_•")) or None


def judge_on_labels(known: Side, relation: str, other: Side, context: Context, labels: dict,
                    counts: tuple = ()) -> StepResult:
    r"""The general comparator (:func:`derivspec.scan.steps.check_symbolic`), and where the text declares a label's
    values (``labels``: symbol -> values, t ∈ {0, 1}) the step on those values: ``-\log(q^t (1 - q)^{1 - t})`` is the
    binary cross-entropy on the labels, and a difference is shown at a label's value (the other names at exact
    points; ``counts``, names that count items, at 3), never at a value the text rules out."""
    from derivspec.scan.steps import check_symbolic

    judged = check_symbolic(known, relation, other, context, False)
    if not labels or judged.verdict == "proved" or relation != "=":
        return judged
    difference = known.primary.value() - other.primary.value()
    points = [dict(zip(labels, values)) for values in itertools.product(*labels.values())]
    if all(sympy.simplify(sympy.expand_log(difference.xreplace(p), force=True)) == 0 for p in points):
        words = "; ".join(f"{s.name} ∈ {{{', '.join(map(str, v))}}}" for s, v in labels.items())
        return StepResult(relation, known.text, other.text, "proved", "known",
                          f"proved on the labels the text declares ({words})")
    if judged.verdict != "disagrees":
        return judged

    def on_labels():  # each label value, the other names at exact points (counts at 3)
        for point in points:
            rest = sorted(difference.xreplace(point).free_symbols, key=str)
            for value in (sympy.Rational(3, 10), sympy.Rational(7, 10), sympy.Rational(1, 5)):
                at = {**point, **{s: (3 if s in counts else value) for s in rest}}
                yield {s.name: v for s, v in at.items()}, (lambda e, at=at: e.xreplace(at))

    found = _differ_at(known, other, on_labels())
    if found is not None:
        shown, a, b = found
        point = ", ".join(f"{name}={v}" for name, v in shown.items())
        return dataclasses.replace(judged, evidence=f"at {point}: left = {fmt(float(a), '.10g')}, "
                                                    f"right = {fmt(float(b), '.10g')}")
    return StepResult(relation, known.text, other.text, "unchecked", "known",
                      f"{judged.reason}; but on the labels the text declares no value shows it")


def judge_row(rs: RowShape, bindings: dict, left: Side, relation: str, other: Side, context: Context,
              reversed_sides: bool) -> StepResult | None:
    """One binding of one row judged by the general comparator (:func:`derivspec.scan.steps.check_symbolic`)."""
    from derivspec.scan.steps import check_symbolic

    row = rs.row
    if row.relation != "=" or relation not in ("=", "≈"):
        return None
    bindings = _with_given(row, bindings, context)
    if bindings is None or not _densities_in_role(bindings):
        return None
    variables = [v for k, v in bindings.items() if isinstance(k, sympy.Symbol)
                 and row.roles.get(_role_name(row, k) or k.name) == "random variable"]
    if len(set(variables)) < len(variables):  # I(X; X): the row speaks of two variables, H(X, X) is no joint law of two
        return None
    target, replace = _bound_meaning(row, rs.shape, bindings)
    family_instances, shown = None, sympy.latex(target) if target is not None else ""
    if target is None and isinstance(rs.shape.pattern, sympy.Symbol):  # L_i named, its roles in the written value
        target, family_instances, shown = _family_bound(row, replace, other, context) or (None, None, "")
    if target is None or _same_value(target, left):
        return None  # the side as read is already the row's value (σ(t) read as 1/(1 + e^{-t})): the general path
        # compares it, with its own guards (an equation to solve is not an identity)
    if row.log_base == "scope":  # an entropy measured in bits: the row's nats in the base the statement writes
        from derivspec.scan.conventions import log_bases

        bases = log_bases(other.text, context.log_base) or {context.log_base or "e"}
        if len(bases) > 1 or not bases <= {"e", 2, 10}:
            return None  # several bases, or \lg (2 or 10, by author): no one unit to compare in
        base = bases.pop()
        if base != "e":
            target = target / sympy.log(base)
    constraints = dict(context.constraints)
    by_role = {_role_name(row, s) or s.name: v for s, v in bindings.items() if isinstance(s, sympy.Symbol)}
    for name, kind in row.roles.items():
        bound = by_role.get(name)
        if isinstance(bound, sympy.Symbol) and kind in _DOMAINS:
            constraints.setdefault(bound, _DOMAINS[kind])
    known = Side(left.text, DocumentReading(target, frozenset(), {}))
    # the row makes the step a statement about a standard quantity (an identity), never an equation to solve
    labels = _declared_labels(row.roles, by_role, context)
    judged = judge_on_labels(known, relation, other, dataclasses.replace(context, constraints=constraints, chain=True),
                             labels)
    if judged.verdict == "unchecked" and family_instances is not None:  # sums over a family of any size: at members
        judged = _at_family_instances(known, other, family_instances) or judged
    what = f"the standard result {row.id} ({row.names[0] if row.names else row.id})"
    texts = (other.text, left.text) if reversed_sides else (left.text, other.text)
    if judged.verdict == "disagrees":
        for convention in row.accepted:  # also right (the squared loss halved): never flagged, the row says nothing
            try:
                again = check_symbolic(Side(left.text, DocumentReading(convention.expr.xreplace(replace), frozenset(),
                                                                         {})), relation, other,
                                       dataclasses.replace(context, chain=True), False)
            except Exception:
                continue
            if again.verdict == "proved":
                return None
        slip = ""
        for wrong in row.wrong:
            try:
                variant = wrong.expr.xreplace(replace)
                again = check_symbolic(Side(left.text, DocumentReading(variant, frozenset(), {})), relation, other,
                                       dataclasses.replace(context, chain=True), False)
            except Exception:
                continue
            if again.verdict == "proved":
                slip = f"; this is the known slip: {wrong.name}"
                break
        return StepResult(relation, *texts, "disagrees", "known", f"differs from {what}{slip}: {judged.reason}",
                          judged.evidence, correct=f"{left.text.strip()} = {shown}")
    if judged.verdict == "proved":
        return StepResult(relation, *texts, "proved", "known", f"matches {what}: {judged.reason}")
    if judged.reason.startswith("holds on"):
        return StepResult(relation, *texts, "unchecked", "known", f"{judged.reason} [{what}]")
    return None  # a row that decides nothing says nothing


def _given_its_parameters(expr, context: Context):
    r"""``E[Z \mid \lambda]`` after ``Z \sim \mathrm{Poi}(\lambda)``: an operator's variable conditioned on the
    parameters of the law the document declares for it is that variable under that law, ``E[Z]`` (every name after the
    bar a parameter of the declared law; anything else after the bar is a conditioning the rows do not drop)."""
    from derivspec.scan import knowledge

    if not (is_opaque_function(expr) and not expr.is_Symbol):
        return expr
    head, seps, square = application_parts(expr.func.__name__)
    if knowledge.head_of(expr) not in ("E", "Var") or not seps.startswith("|") or len(expr.args) < 2:
        return expr
    law = _law_of(expr.args[0], context)
    parameters = law.free_symbols if law is not None else set()
    if not parameters or not all(isinstance(a, sympy.Symbol) and a in parameters for a in expr.args[1:]):
        return expr
    return sympy.Function(application_name(head, "", square))(expr.args[0])


def _family_bound(row, replace: dict, other: Side, context: Context):
    r"""A named quantity's roles read from its written value, where the text writes an indexed family
    (``L_i = -\log\frac{e^{f_{y_i}}}{\sum_j e^{f_j}}`` under "the cross-entropy loss"): the row's one vector role is
    the one family the value writes (``f_•``: ``f_j`` under a sum), its one index role the one index of that family's
    other members (``f_{y_i}``: the family at ``y_i``, the written name), its size the one range of the sums over the
    family. Returns the row's meaning in the written value's names, or None unless every role
    binds one way. Where the written value uses none of the meaning's functions (a hinge loss's max beside a
    cross-entropy), it is another quantity the prose is near, and nothing is said."""
    from derivspec.scan.knowledge import VECTOR_TYPES, role_type

    written = other.primary.value()
    unbound = {s for s in row.meaning.free_symbols if isinstance(s, sympy.Symbol) and s not in replace}
    roles = {}  # role object -> its type
    for name, text in row.roles.items():
        obj = row.symbols.get(name)
        roles[getattr(obj, "label", obj)] = role_type(text)[0]
    families = {a.func for a in written.atoms(sympy.core.function.AppliedUndef)
                if a.func.__name__.endswith("_{•}") and len(a.args) == 1}
    vectors = [s for s in unbound if roles.get(s) in VECTOR_TYPES]
    if len(families) != 1 or len(vectors) != 1:
        return None
    family, vector = families.pop(), vectors[0]
    base = family.__name__[:-len("_{•}")]
    members = {s: s.name[len(base) + 2:-1] for s in written.free_symbols
               if s.name.startswith(base + "_{") and s.name.endswith("}")}
    indices = {sub for sub in members.values()}
    index_roles = [s for s in unbound if roles.get(s) == "index"]
    sizes = {limit: index for total in written.atoms(sympy.Sum) if total.function.has(family)
             for (index, _, limit) in total.limits}  # the range, and the written index that runs over it
    size_roles = [s for s in unbound if s not in roles]  # the vector's size: a dimension the row's types name
    if len(index_roles) > 1 or len(indices) != len(index_roles) or len(size_roles) > 1 or len(sizes) != len(
            size_roles) or set(unbound) - {vector, *index_roles, *size_roles}:
        return None
    try:
        at = {sub: read_document(sub, context.names).value() for sub in indices}
    except Exception:
        return None
    bound = dict(replace)
    if index_roles:
        bound[index_roles[0]] = at[indices.pop()]
    if size_roles:
        bound[size_roles[0]] = next(iter(sizes))
    member = {at[sub]: s for s, sub in members.items()}  # f at y_i is the written f_{y_i}
    meaning = row.meaning.xreplace(bound).replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base.label == vector,
        lambda e: member.get(e.indices[0], family(e.indices[0])))
    meaning = meaning.replace(  # the row's summation index is the written one
        lambda e: isinstance(e, sympy.Sum) and len(e.limits) == 1 and e.limits[0][2] in sizes,
        lambda e: sympy.Sum(e.function.xreplace({e.limits[0][0]: sizes[e.limits[0][2]]}),
                            (sizes[e.limits[0][2]], *e.limits[0][1:])))
    if meaning.free_symbols & unbound:
        return None
    heads = {type(f) for f in meaning.atoms(sympy.Function) if not isinstance(f, sympy.core.function.AppliedUndef)}
    if not heads & {type(f) for f in written.atoms(sympy.Function)}:
        return None

    def instances():  # three members (1/2, 1/3, 2), the index at each of the first two: a family the text allows
        values = {1: sympy.Rational(1, 2), 2: sympy.Rational(1, 3), 3: sympy.Integer(2)}
        for k in (1, 2):
            at_k = {s: values[k] for s in members} | {size: 3 for size in sizes}
            if index_roles:
                at_k[bound[index_roles[0]]] = k
            yield ({s.name: v for s, v in at_k.items()},
                   lambda e, at_k=at_k: e.xreplace(at_k).doit().replace(
                       lambda a: isinstance(a, sympy.core.function.AppliedUndef) and a.func == family
                       and a.args[0].is_Integer, lambda a: values[int(a.args[0])]))
    return meaning, instances, _in_written_names(meaning, family, base)


def _in_written_names(expr, family, base: str) -> str:
    r"""The LaTeX of a meaning over a family as the text writes it: ``f_{•}(j)`` as ``f_{j}``, a sum over the range
    the text leaves implicit as ``\sum_{j}``."""
    expr = expr.replace(lambda a: isinstance(a, sympy.core.function.AppliedUndef) and a.func == family,
                        lambda a: sympy.Symbol(f"{base}_{{{sympy.latex(a.args[0])}}}"))
    tex = sympy.latex(expr, symbol_names={s: s.name for s in expr.free_symbols})
    return re.sub(r"\\sum_\{([^{}=]+)=1\}\^\{⟦[^⟧]*⟧\}", r"\\sum_{\1}", tex)


def _at_family_instances(known: Side, other: Side, instances) -> StepResult | None:
    """Flagged where the two sides differ at a concrete family (:func:`_family_bound`: three members, the index at
    one of them), exactly; None where they agree at every one tried (that proves nothing)."""
    found = _differ_at(known, other, instances())
    if found is None:
        return None
    shown, a, b = found
    point = ", ".join(f"{name}={value}" for name, value in shown.items() if not name.startswith("⟦"))
    return StepResult("=", known.text, other.text, "disagrees", "known",
                      "the sides differ at a concrete family of three members",
                      f"at {point}, the family (1/2, 1/3, 2): left = {fmt(float(a), '.10g')}, "
                      f"right = {fmt(float(b), '.10g')}")


def _differ_at(known: Side, other: Side, points):
    """The first of ``points`` -- (names shown -> values, the substitution) pairs -- where the two sides' values
    differ (30 digits, relative 1e-9), with both values; None where they agree at every one tried (that proves
    nothing) or one cannot be evaluated. The one point comparison of the rows' judges."""
    for shown, at in points:
        try:
            a, b = (sympy.N(at(side.primary.value()), 30) for side in (known, other))
        except Exception:
            return None
        if a.is_real and b.is_real and abs(a - b) > 1e-9 * (1 + abs(a)):
            return shown, a, b
    return None


def _same_value(target, side: Side) -> bool:
    try:
        read = canonical_applications(side.primary.value())
        return target == read or sympy.simplify((target - read).rewrite(sympy.exp)) == 0
    except Exception:
        return False


MISSING_ROWS: contextvars.ContextVar = contextvars.ContextVar("missing_rows", default=None)
"""Where the engine writes the missing-row report when a caller sets a list here (benchmarks/missing_rows.py): one
``(head, line, side)`` per side headed by an operator or function the tables know that no row reads -- the to-do list
of the tables, as LaCASt reports its missing macros (../shared/scan-knowledge-rows.md, "The one engine", 7)."""


def rows_judged(left: Side, relation: str, right: Side, context: Context) -> list[StepResult]:
    """Every row of the sides' heads, every binding, judged: the statement as written (the row's side on the left)
    and turned around (``-\\theta\\log\\theta - … = H(Y)``)."""
    from derivspec.scan.knowledge import heads_of

    if relation not in ("=", "≈") or not left.readable or not right.readable:
        return []
    table = row_shapes()
    named_only = _named_only_rows()
    found = []
    for side, other, turned in ((left, right, False), (right, left, True)):
        try:
            expr = _given_its_parameters(canonical_applications(side.primary.value()), context)
        except Exception:
            continue
        heads, read = heads_of(expr, context.prose), 0
        head = heads[0]
        own = not turned and not context.chain and _defines_its_head(expr, other)
        shapes = [(rs, expr, False) for key in heads for rs in table.get(key, ())]
        if own:  # "the absolute loss $L(\theta, \hat\theta) = …$": the document's head for the function it names,
            # its arguments in the order written: a reading that proves, never flags (L(p, y) may order them anew)
            shapes += [(rs, renamed, True) for rs, renamed in _as_named_function(expr, context)]
        for rs, read_as, prove_only in shapes:
            if own and not _row_named(rs, context):
                continue  # \psi(x) = x in a document about feature maps: its own definition wins over the row
            words = named_only.get((rs.row.id, rs.head))
            if words and not _named_here(words, named_only, rs.head, context.prose):
                continue  # ℓ(y, s) is the logistic loss only where the text says so
            if isinstance(rs.shape.pattern, sympy.Symbol) and not scope.names_one_of(
                    rs.row.names, context.prose + " " + context.paragraph):
                continue  # a named quantity (\hat\beta, L_i) is the row's only where the text names the row
            bindings = bind(rs.shape, read_as)
            if bindings is None:
                continue
            try:
                outcome = judge_row(rs, bindings, side, relation, other, context, turned)
            except Exception:  # a row the comparator cannot take: it says nothing
                outcome = None
            if outcome is not None and (outcome.verdict == "proved" or not prove_only):
                found.append(outcome)
                read += 1
        if not read and (own or not turned and not context.chain and relation == "="):
            # a head of the document's own for a standard function or law, or a name for a law's moment
            outcome = (own and _named_definition_judged(side, expr, other, context)) or \
                _named_law_judged(side, expr, other, context) or _named_quantity_judged(side, expr, other, context)
            if outcome is not None:
                found.append(outcome)
                read += 1
        if isinstance(expr, sympy.Symbol) and relation == "=":
            outcome = items_judged(side, other, context, turned)
            if outcome is not None:
                found.append(outcome)
                read += 1
        report = MISSING_ROWS.get()
        if report is not None and not read and head in table and _reported(head, expr, context):
            report.append((head, context.line, side.text.strip()))
    return found


def _items(expr):
    r"""(the written value of one item, the number of items or None, whether the value is a sum over items): ``c
    \sum_{i=1}^{N} b(y_i, p_i)`` -> (c b(y_i, p_i), N, True), each name indexed by the sum's index a name of one
    item; an expression with no sum is one item. None for several sums, a coefficient that depends
    on the index, an index used bare."""
    from sympy.core.function import AppliedUndef

    sums = list(expr.atoms(sympy.Sum))
    if not sums:
        return expr, None, False
    if len(sums) != 1 or len(sums[0].limits) != 1:
        return None
    total = sums[0]
    index, low, high = total.limits[0]
    coefficient = sympy.simplify(expr / total)
    if coefficient.has(index) or coefficient.has(sympy.Sum) or low != 1:
        return None
    letters = {}
    for application in total.function.atoms(AppliedUndef):
        if application.args != (index,) or "•" not in application.func.__name__:
            return None
        letters[application] = sympy.Symbol(application.func.__name__.replace("•", sympy.latex(index)), real=True)
    body = total.function.xreplace(letters)
    return (None if body.has(index) else (coefficient * body, high, True))


def _own_words(groups) -> dict:
    """words (a tuple) -> those of them that no other group of ``groups`` owns (case aside)."""
    groups = {tuple(ws) for ws in groups}
    return {ws: [w for w in ws if w.lower() not in {v.lower() for other in groups if other != ws for v in other}]
            for ws in groups}


_FUNCTION_WORDS: list = []


def _sentence_after(context: Context) -> str:
    """The rest of the statement's sentence after it ("$L = …$ is the zero-one loss", "…, called the log-loss")."""
    return re.split(r"(?<=[.?!])\s", (context.after or "").strip())[0]


def _prose_before(context: Context) -> str:
    """The part of the prose before the statement."""
    prose, after = context.prose or "", context.after or ""
    return prose[:len(prose) - len(after)] if after and prose.endswith(after) else prose


def _named_functions(context: Context, proving: bool = False) -> list:
    """The functions of the tables the sentence before the statement names by a word that names no other function
    ("binary cross-entropy", not "cross-entropy": a one-hot categorical loss is a cross-entropy too). ``proving``
    (a reading that proves, never flags): the rest of the statement's own sentence too, and any of a function's
    words ("log-loss" names the logistic loss and the binary cross-entropy: each is tried)."""
    from derivspec.scan import knowledge

    if not _FUNCTION_WORDS:  # read from the tables once
        words = {f.name: tuple(f.aliases) + tuple(f.cues) for f in knowledge.functions().values()}
        own = _own_words(words.values())
        _FUNCTION_WORDS.append([(name, own[ws], ws) for name, ws in words.items()])
    prose = scope.words_only(_sentence_before(context) + (" " + _sentence_after(context) if proving else ""))
    return [knowledge.function(name) for name, own, every in _FUNCTION_WORDS[0]
            if scope.names_one_of(every if proving else own, prose)]


def items_judged(side: Side, other: Side, context: Context, turned: bool) -> StepResult | None:
    r"""A name the text calls a standard function of one item or of a sum over items ("the mean binary
    cross-entropy is $L = -\frac1N\sum_n [y_n\log p_n + (1 - y_n)\log(1 - p_n)]$"): the function's arguments
    bound by the scope's types (a label role to the name the text declares in its set, :func:`scope.declared_labels`; the
    one other argument to the one other name), the value compared per item, summed or averaged (a positive multiple
    of the function is another normalisation: nothing said). None when the text names no such function or the
    names do not bind one to one."""
    split = _items(other.primary.value())
    if split is None:
        return None
    written, count, summed = split
    names = written.free_symbols - ({count} if isinstance(count, sympy.Symbol) else set())
    declared = context.labels
    for function in _named_functions(context):
        if function.definition is None or any(t not in _LABEL_VALUES and t not in ("probability", "real", "positive")
                                              for t in function.args.values()):
            continue
        bound, free = {}, set(names)
        for role, kind in function.args.items():
            if kind in _LABEL_VALUES:
                labels = [n for n in free if _declared_as(n, declared) == kind]
                if len(labels) != 1:
                    break
                bound[role] = labels[0]
                free -= {labels[0]}
        rest = [r for r in function.args if r not in bound]
        if not bound and not turned and len(rest) == len(free) == len(function.args) <= 3 and not any(
                n.name.startswith("⟦") for n in written.free_symbols):  # no label: the mean squared error
            proved = _items_in_some_order(function, sorted(free, key=str), written, count, summed, side, other,
                                          context)
            if proved is not None:
                return proved
            continue
        if len(bound) + len(rest) != len(function.args) or len(rest) != len(free) or len(rest) > 1 or not bound:
            continue
        bound.update(zip(rest, free))
        target = function.definition.xreplace({function.symbols[r]: v for r, v in bound.items()})
        labels = {bound[r]: _LABEL_VALUES[k] for r, k in function.args.items() if k in _LABEL_VALUES}
        # the mean where the written value divides by the number of items, the sum where it does not
        factor, how = ((1 / count, ", the mean over the items") if written.has(count) else
                       (sympy.Integer(1), ", summed over the items")) if summed else (sympy.Integer(1), "")
        what = f"the standard function {function.name} ({function.aliases[0]})"
        texts = (other.text, side.text) if turned else (side.text, other.text)
        judged = judge_on_labels(Side(side.text, DocumentReading(factor * target, frozenset(), {})), "=",
                                 Side(other.text, DocumentReading(written, frozenset(), {})),
                                 dataclasses.replace(context, chain=True, conditional=""), labels, (count,))
        # the text names the quantity a standard function's: an identity, never an equation to solve
        if judged.verdict == "proved":
            return StepResult("=", *texts, "proved", "known", f"matches {what}{how}: {judged.reason}")
        if judged.verdict != "disagrees" or sympy.simplify(written / target).is_positive:
            return None  # undecided, or a positive multiple: another normalisation, not flagged
        mean = rf"\frac{{1}}{{{sympy.latex(count)}}}\sum_{{i=1}}^{{{sympy.latex(count)}}} " if factor != 1 else (
            rf"\sum_{{i=1}}^{{{sympy.latex(count)}}} " if summed else "")
        correct = f"{side.text.strip()} = {mean}" + (f"\\left({sympy.latex(target)}\\right)" if summed
                                                    else sympy.latex(target))
        return StepResult("=", *texts, "disagrees", "known", f"differs from {what}{how}: {judged.reason}",
                          judged.evidence, correct=correct)
    return None


def _items_in_some_order(function, names: list, written, count, summed: bool, side: Side, other: Side,
                         context: Context) -> StepResult | None:
    r"""A function of real arguments the text names over items ("the mean squared error is $\mathrm{MSE} = \frac1n
    \sum_i (y_i - \hat y_i)^2$"): its arguments bound to the item's names in some order, the value compared per item,
    summed or averaged; proved in one order, or nothing (which name is which argument is not said)."""
    factor, how = ((1 / count, ", the mean over the items") if written.has(count) else
                   (sympy.Integer(1), ", summed over the items")) if summed else (sympy.Integer(1), "")
    for order in itertools.permutations(names):
        target = function.definition.xreplace({function.symbols[r]: v for r, v in zip(function.args, order)})
        judged = _as_proved(factor * target, side, Side(other.text, DocumentReading(written, frozenset(), {})),
                            dataclasses.replace(context, conditional=""))
        if judged is not None:
            return StepResult("=", side.text, other.text, "proved", "known", f"matches the standard function "
                              f"{function.name} ({function.aliases[0]}){how}: {judged.reason}")
    return None


def _reported(head: str, expr, context: Context) -> bool:
    """A head worth a row: an operator or a named function of the tables (not an arithmetic operation, a derivative
    or an arbitrary function), or a density of a variable the document gives a law."""
    from derivspec.scan import knowledge

    if head == "density" or head in knowledge.OPERATOR_HEADS:  # of a known law: declared, or written in place
        return any(_law_of(a, context) is not None or _a_family(a) for a in getattr(expr, "args", ()))
    return _a_name(head) and head != "function"


def _a_family(expr) -> bool:
    r"""``expr`` is a law written out (``\mathcal N(0, 1)``, ``\mathrm{Bern}(p)``): an application whose head is a
    family's name in the tables."""
    from derivspec.scan import knowledge

    if not isinstance(expr, sympy.core.function.AppliedUndef):
        return False
    try:
        knowledge.family(knowledge.head_of(expr))
    except KeyError:
        return False
    return True


_NAMED_ONLY: list = []


def _defines_its_head(expr, other: Side) -> bool:
    r"""``expr`` = ``other`` reads as the document's own definition of a function: a head applied to distinct plain
    names (``\psi(x)``, ``\Phi(X)``, ``F(u, v)``) whose value does not apply the same head (``\psi(x + 1) = \psi(x)
    + 1/x`` is an identity of the function, not a definition)."""
    from sympy.core.function import AppliedUndef

    if not isinstance(expr, AppliedUndef) or not expr.args:
        return False
    if not all(isinstance(a, sympy.Symbol) for a in expr.args) or len(set(expr.args)) != len(expr.args):
        return False
    try:
        value = other.primary.value()
    except Exception:
        return False
    return not any(type(a) is type(expr) for a in value.atoms(AppliedUndef)) and not value.has(type(expr))


def _as_named_function(expr, context: Context) -> list:
    r"""(row shape, ``expr`` under the row's head) for each defining row of a standard function the text names where
    a statement gives the function a head of its own ("the sigmoid function is $g(z) = …$", "the absolute loss
    $L(\theta, \hat\theta) = …$"): the document's head read as the function's, its arguments in the order written
    (the row's pattern applies one head to as many arguments)."""
    from sympy.core.function import AppliedUndef

    found = []
    for function in _named_functions(context, proving=True):
        for rs in (rs for shapes in row_shapes().values() for rs in shapes if rs.row.id in function.rows):
            pattern = rs.shape.pattern
            if isinstance(pattern, AppliedUndef) and type(pattern) is not type(expr) and \
                    len(pattern.args) == len(expr.args) and all(a in rs.shape.variables for a in pattern.args):
                found.append((rs, pattern.func(*expr.args)))
    return found


_SCALAR_ARGUMENTS = ("real", "positive", "nonnegative", "probability", "binary", "sign")


def _named_definition_judged(side: Side, expr, other: Side, context: Context) -> StepResult | None:
    r"""A head of the document's own for a standard function of scalars the text names, where no row reads it ("the
    sigmoid function is $g(z) = …$", "the hyperbolic tangent $a(x) = …$"): the function's definition at the
    arguments as written, in order, compared with the value. Proved, or nothing: a differing value may be the
    author's variant of the function."""
    for function in _named_functions(context, proving=True):
        kinds = list(function.args.values())
        if function.definition is None or len(kinds) != len(expr.args) or \
                any(kind not in _SCALAR_ARGUMENTS for kind in kinds):
            continue
        target = function.definition.xreplace({function.symbols[r]: a for r, a in zip(function.args, expr.args)})
        judged = _as_proved(target, side, other, context)
        if judged is not None:
            return StepResult("=", side.text, other.text, "proved", "known",
                              f"matches the standard function {function.name} ({function.aliases[0]}) the text "
                              f"names: {judged.reason}", judged.evidence)
    return None


_FIELD_WORDS = {  # a family's field by the words that name it (scope.names_one_of: case, hyphens aside)
    "pmf": ("probability mass function", "mass function", "pmf"), "pdf": ("density", "pdf"),
    "cdf": ("distribution function", "cdf"), "mgf": ("moment generating function", "mgf"),
    "mean": ("mean", "expected value", "expectation"), "variance": ("variance",), "entropy": ("entropy",),
    "mode": ("mode",)}
_OF_A_VARIABLE = ("pmf", "pdf", "cdf", "mgf")  # fields that are functions of a variable: f(x), M(t)


def _field_named(context: Context) -> list[str]:
    """The fields of a law the words around the statement name, nearest first: the last one named before it in its
    sentence ("the mean of the Beta is $…$ and the variance is $$\\sigma^2 = …$$": variance), else the first named
    after it ("$v = …$ is the variance")."""
    def at(text, last):
        found = [(m.start(), field) for field, words in _FIELD_WORDS.items() for word in words
                 for m in re.finditer(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])", scope._plain_words(text))]
        return [max(found)[1] if last else min(found)[1]] if found else []
    return at(scope.words_only(_sentence_before(context)), True) or \
        at(scope.words_only(_sentence_after(context)), False)


def _parameters_written(family, text: str, context: Context, names=()) -> list | None:
    r"""The family's parameters as the text writes them, in order: a law written out (``\text{Beta}(a, b)``) or
    "with parameters $a' = …$ and $b'$" -- as symbols, each the name before an '=' if any; of several such
    writings, the last whose names are ``names`` (the prior's "parameters $a = 1, b = 1$" beside the posterior's
    "parameters $a' = 1 + u, b' = 1 + d$"), else the first; None when not written."""
    heads = "|".join(re.escape(a) for a in (family.name, *family.aliases) if len(a) > 1)
    laws = [m.group(1).split(",") for m in re.finditer(
        r"(?:\\(?:text|mathrm|operatorname|rm)\s*\{\s*)?(?<![A-Za-z])(?:" + heads + r")\s*\}?\s*\(([^()$]+)\)", text,
        re.IGNORECASE)]
    said = [[p for group in m.groups() if group for p in group.split(",")] for m in re.finditer(
        r"parameters?\s+\$([^$]+)\$(?:\s*(?:,|and)\s*\$([^$]+)\$)?", text)]
    writings = []
    for parts in laws or said:
        try:
            writings.append([read_document(part.split("=")[0].strip(), context.names).expr for part in parts])
        except Exception:
            continue
    wanted = sorted(map(str, names))
    return next((w for w in reversed(writings) if sorted(map(str, w)) == wanted), writings[0] if writings else None)


def _symmetric(meaning, parameters: list) -> bool:
    """``meaning`` is the same under every order of ``parameters`` (a Beta's variance in a and b)."""
    return all(sympy.simplify(meaning.xreplace(dict(zip(parameters, order))) - meaning) == 0
               for order in itertools.permutations(parameters))


def _named_law_judged(side: Side, expr, other: Side, context: Context) -> StepResult | None:
    r"""A field of a law the text names around a statement, under a head or a name of the document's own: the
    density or pmf of a family ("the Poisson probability mass function is $p(k) = …$", "the density of the
    exponential distribution is $f(t) = …$") at the argument written, or a moment ("the mean of the Beta is $\mu =
    …$ and the variance is $\sigma^2 = …$"), the family's parameters read as the value's other names in some order.
    Proved, or nothing: the reading (which field, which letter is which parameter) is tried, never asserted."""
    from sympy.core.function import AppliedUndef
    from derivspec.scan import knowledge

    words = scope.words_only(_sentence_before(context) + " " + _sentence_after(context))
    value = other.primary.value()
    fields = _field_named(context)
    event = _EVENT.match(expr.args[0].name) if isinstance(expr, AppliedUndef) and len(expr.args) == 1 and \
        isinstance(expr.args[0], sympy.Symbol) and _PROBABILITY_HEAD.match(expr.func.__name__) else None
    if event is not None:  # P(Z = k) = …: the pmf at k; P(T \le t) = …: the cdf at t
        fields = {"=": ["pmf"], "\\le": ["cdf"], "\\leq": ["cdf"]}.get(event[2], [])
        variable = next((n for n in value.free_symbols if n.name == event[3].strip()), None)
        if variable is None:
            return None
    elif isinstance(expr, AppliedUndef) and expr.args and all(isinstance(a, sympy.Symbol) for a in expr.args):
        variable = expr.args[0]  # p(k), f_Z(z | \lambda): the variable first, the law's parameters after it
        fields = [f for f in fields if f in _OF_A_VARIABLE] or (["pmf", "pdf"] if not fields else [])
    elif fields and fields[0] not in _OF_A_VARIABLE and not (expr.free_symbols & value.free_symbols) and (
            isinstance(expr, sympy.Symbol) or fields[0] == "variance" and expr.is_Pow and expr.exp == 2 and
            isinstance(expr.base, sympy.Symbol)):
        variable = None  # m = …, \sigma^2 = …: a name for the moment (not E[X^2] = …, which says more)
    else:
        return None
    names = sorted(value.free_symbols - {variable}, key=str)
    rows = knowledge.by_id()
    for family in knowledge.families().values():
        field = next((family.fields[f] for f in fields if f in family.fields), None)
        if field is None or not scope.names_one_of([family.name, *(a for a in family.aliases if len(a) > 3)], words):
            continue
        row = rows[field]
        if any(p.type not in _SCALAR_ARGUMENTS + ("positive integer",) for p in family.params):
            continue
        own = {row.symbols[p.name] for p in family.params}
        free = sorted(row.meaning.free_symbols - own, key=str)  # the variable of a density, none for a moment
        if len(free) != (variable is not None):
            continue
        meaning = row.meaning.xreplace({free[0]: variable}) if free else row.meaning
        if meaning.is_Symbol:
            continue  # the Normal's mean is its \mu: any letter would "match" it
        parameters = [row.symbols[p.name] for p in family.params if row.symbols[p.name] in row.meaning.free_symbols]
        if len(parameters) != len(names):
            continue
        written = list(expr.args[1:]) if variable is not None and event is None and len(expr.args) > 1 else \
            _parameters_written(family, f"{context.prose} {context.paragraph}", context, names)  # p(x | α, β): α, β
        if written is not None and len(written) == len(family.params):  # Beta(a, b): a is the first parameter
            by_name = {str(n): n for n in names}  # the value's own symbols (a head's letters may be read apart)
            order = [by_name.get(str(written[i])) for i, p in enumerate(family.params)
                     if row.symbols[p.name] in parameters]
            orders = [tuple(order)] if sorted(map(str, order)) == sorted(by_name) else []
        elif _symmetric(meaning, parameters):
            orders = [tuple(names)]
        else:
            continue  # which letter is which parameter is not written: a permuted reading could prove a slip
        for order in orders:
            judged = _as_proved(meaning.xreplace(dict(zip(parameters, order))), side, other, context)
            if judged is not None:
                read_as = ", ".join(f"{sympy.latex(p)} as {sympy.latex(n)}" for p, n in zip(parameters, order))
                return StepResult("=", side.text, other.text, "proved", "known",
                                  f"matches the {family.aliases[0]} {field.split('.')[-1]} the text names"
                                  f"{' (' + read_as + ')' if read_as else ''}: {judged.reason}", judged.evidence)
    return None


def _law_density(law, variable, fixed: bool = False):
    """The pmf or pdf of a law written out (``\\mathrm{Gamma}(1, \\beta)``) at ``variable``, as the tables
    parametrise its family, with its kind ("pmf" or "pdf"); None for a law the tables do not spell out. ``fixed``: None
    too where notes parametrise the family two ways and the law as written does not fix which
    (:func:`knowledge.law_parameters`)."""
    from derivspec.scan import knowledge

    if not _a_family(law):
        return None
    family = knowledge.family(knowledge.head_of(law))
    field = next((f for f in ("pmf", "pdf") if f in family.fields), None)
    if field is None or len(law.args) != len(family.params) or any(
            p.type not in _SCALAR_ARGUMENTS + ("positive integer",) for p in family.params):
        return None
    row = knowledge.by_id()[family.fields[field]]
    own = [row.symbols[p.name] for p in family.params]
    free = sorted(row.meaning.free_symbols - set(own), key=str)
    placed = knowledge.law_parameters(family, law.args, fixed)  # N(μ, σ²): σ is the root of the second argument
    if len(free) != 1 or placed is None:
        return None
    values = {row.symbols[p.name]: placed[0][p.name] for p in family.params}
    return row.meaning.xreplace({free[0]: variable, **values}), field


def laws_agree(left: Side, right: Side) -> StepResult | None:
    """``\\mathrm{Exp}(\\beta) \\sim \\mathrm{Gamma}(1, \\beta)``: two laws written out whose pmfs or pdfs,
    as the tables parametrise the families, are the same function -- proved, saying so; otherwise None (another
    parametrisation may be the text's: never a flag)."""
    variable = sympy.Symbol("x†", positive=True)
    try:
        a, b = (_law_density(canonical_applications(side.primary.value()), variable) for side in (left, right))
    except Exception:
        return None
    if a is None or b is None or a[1] != b[1]:
        return None
    try:
        same = sympy.simplify((a[0] - b[0]).rewrite(sympy.exp)) == 0
    except Exception:
        return None
    if not same:
        return None
    return StepResult("∼", left.text, right.text, "proved", "known",
                      f"the two laws have the same {a[1]} as the tables parametrise their families: proved")


def transformed_law(left: Side, right: Side, context: Context) -> StepResult | None:
    r"""``m + \mathcal{N}(\mu, \sigma^2) \sim \mathcal{N}(m + \mu, \sigma^2)``, ``\sigma Z + \mu \sim
    \mathcal{N}(\mu, \sigma^2)`` with ``Z \sim \mathcal{N}(0, 1)`` declared: the left side an affine function
    ``a + bX`` of one law (written out, or the law the document declares for the one random variable it uses), whose
    density is ``p_X((y - a)/b) / |b|`` by the change of variables; the same function as the right law's density (as
    the tables parametrise the families) -- proved; otherwise None (another parametrisation may be the text's)."""
    from sympy.core.function import AppliedUndef

    try:
        expr = canonical_applications(left.primary.value())
        target = canonical_applications(right.primary.value())
    except Exception:  # noqa: BLE001
        return None
    laws = [n for n in sympy.preorder_traversal(expr) if isinstance(n, AppliedUndef) and _a_family(n)]
    if not laws:  # sZ + m with Z's law declared
        randoms = [s for s in expr.free_symbols if re.fullmatch(r"[A-Z]", s.name)]
        if len(randoms) != 1 or expr == randoms[0]:  # Z \sim N(0, 1) itself: the declaration, no claim
            return None
        declared = _law_of(randoms[0], context, False)
        if declared is None:
            return None
        expr, laws = expr.xreplace({randoms[0]: declared}), [declared]
    if len(laws) != 1:
        return None
    variable = sympy.Symbol("X†", real=True)
    shape = expr.xreplace({laws[0]: variable})
    if not shape.is_polynomial(variable) or sympy.Poly(shape, variable).degree() != 1:
        return None  # an affine function of the one law: a + bX
    b = sympy.diff(shape, variable)
    a = sympy.simplify(shape - b * variable)
    y = sympy.Symbol("y†", real=True)
    source, claimed = _law_density(laws[0], variable, True), _law_density(target, y, True)  # one reading each
    if source is None or claimed is None or source[1] != "pdf" or claimed[1] != "pdf" or b == 0:
        return None
    try:
        density = source[0].xreplace({variable: (y - a) / b}) / sympy.Abs(b)
        same = sympy.simplify(sympy.expand_log(sympy.log(density) - sympy.log(claimed[0]), force=True)) == 0 or \
            sympy.simplify(density - claimed[0]) == 0
    except Exception:  # noqa: BLE001
        return None
    if not same:
        return None
    return StepResult("∼", left.text, right.text, "proved", "known",
                      "the density of the affine function of the law, p((y - a)/b)/|b| by the change of variables, is "
                      "the right law's, as the tables parametrise the families: proved")


_CONDITIONED = re.compile(r"^\s*(?P<name>\\?[A-Za-z]+)\s*(?:\\mid|\||\\vert)\s*(?P<data>[^|]+?)\s*$")


def posterior_judged(left: Side, right: Side, context: Context) -> StepResult | None:
    r"""``p \mid X \sim \mathrm{Beta}(\alpha + X, \beta + N - X)`` where the document gives p a prior (``p \sim
    \mathrm{Beta}(\alpha, \beta)``, "a Beta(α, β) prior to p") and the data a law given p (``X \sim
    \mathrm{Binomial}(N, p)``): the posterior the statement writes is proportional in p to prior × likelihood
    (Bayes' rule: the derivative in p of log prior + log likelihood − log posterior is 0) -- proved; otherwise
    None (the text's parametrisation may differ from the tables': never a flag)."""
    matched = _CONDITIONED.match(left.text)
    if matched is None:
        return None
    try:
        theta = read_document(matched["name"], context.names).expr
        data = [read_document(d, context.names).expr for d in matched["data"].split(",")]
        posterior = canonical_applications(right.primary.value())
    except Exception:
        return None
    prior = _law_of(theta, context, False) if isinstance(theta, sympy.Symbol) else None  # "the posterior is again
    likelihoods = [_law_of(x, context, False) for x in data]  # a Beta" names the posterior's family, not these
    if prior is None:  # "we assign a Beta(α, β) prior to p" in the paragraph
        said = [law for name, law in scope.priors_in_words(f"{context.paragraph} {context.prose}")
                if name == matched["name"].strip()]
        try:
            prior = canonical_applications(read_document(said[-1], context.names).value()) if said else None
        except Exception:
            return None
    if prior is None or not likelihoods or any(law is None or not law.has(theta) for law in likelihoods):
        return None
    try:
        parts = [_law_density(prior, theta), _law_density(posterior, theta),
                 *(_law_density(law, x) for law, x in zip(likelihoods, data))]
        if any(part is None for part in parts):
            return None
        (prior_density, _), (posterior_density, _), *rest = parts
        log_ratio = sympy.log(prior_density) + sum(sympy.log(d) for d, _ in rest) - sympy.log(posterior_density)
        free = sympy.Symbol("θ†", positive=True)  # the parameter as a number in (0, 1) or (0, ∞): logs expand
        slope = sympy.diff(sympy.expand_log(log_ratio.xreplace({theta: free}), force=True), free)
        same = sympy.simplify(slope) == 0
    except Exception:
        return None
    if not same:
        return None
    return StepResult("∼", left.text, right.text, "proved", "known",
                      "the posterior is proportional to the prior times the likelihood the document declares "
                      "(Bayes' rule, as the tables parametrise the families): proved")


_QUANTITY_OF = {  # a quantity of a random variable by the words that name it: the standard form, {X} the variable
    "variance": r"\mathrm{Var}({X})", "mean": r"\mathbb{E}[{X}]", "expected value": r"\mathbb{E}[{X}]",
    "expectation": r"\mathbb{E}[{X}]", "standard deviation": r"\sqrt{\mathrm{Var}({X})}", "entropy": r"H({X})",
    "cumulative distribution function": r"P({X} \le {a})", "distribution function": r"P({X} \le {a})",
    "cdf": r"P({X} \le {a})", "probability mass function": r"P({X} = {a})", "pmf": r"P({X} = {a})"}
_QUANTITY_NAMED = re.compile(r"\b(?P<what>" + "|".join(sorted(_QUANTITY_OF, key=len, reverse=True)) +
                             r")\s*(?:\([A-Za-z]{2,4}\)\s*)?of\s+(?:the\s+random\s+variable\s+)?\$(?P<X>[^$]{1,20})\$"
                             r"[^$.;]{0,30}$", re.IGNORECASE)


_FUNCTION_NAMED = re.compile(r"\b(?P<what>cumulative distribution function|distribution function|cdf|"
                             r"probability mass function|pmf)\s*(?:\([^()]{0,40}\))?\s*[:*]*\s*(?:is\s*)?$", re.I)


def _named_quantity_judged(side: Side, expr, other: Side, context: Context) -> StepResult | None:
    r"""A name the words just before it call a standard quantity of a random variable ("the variance of $X$ is
    $\sigma^2 = \mathbb{E}[(X - \mu)^2]$", "the CDF of $X$ is $F(x) = P(X \le x)$"): the standard form of that
    quantity (Var(X), E[X], H(X), P(X ≤ x)) compared with the value, with the document's definitions. Proved, or
    nothing: the name may be the author's variant."""
    from sympy.core.function import AppliedUndef
    from derivspec.scan.steps import check_step, read_side

    before = _sentence_before(context)
    named = _QUANTITY_NAMED.search(before)
    if named is not None:
        what, variable = named["what"].lower(), named["X"].strip()
    elif (bare := _FUNCTION_NAMED.search(scope.words_only(before))) is not None:  # "CDF (cumulative …):" F(x) = P(X ≤ x)
        event = re.match(r"^\s*(?:P|\\Pr|\\mathbb\{P\})\s*\(\s*([A-Z])\s*(?:\\le|\\leq|=)", other.text)
        if event is None:
            return None
        what, variable = bare["what"].lower(), event.group(1)
    else:
        return None
    template = _QUANTITY_OF[what]
    value = other.primary.value()
    if "{a}" in template:  # F(x) = …: the function at its one argument
        if not (isinstance(expr, AppliedUndef) and len(expr.args) == 1 and isinstance(expr.args[0], sympy.Symbol)):
            return None
        argument = re.search(r"\(\s*([^()]+?)\s*\)\s*$", side.text.strip())  # F(x): its x as written
        if argument is None:
            return None
        target = template.replace("{X}", variable).replace("{a}", argument.group(1))
    elif isinstance(expr, sympy.Symbol) or (what == "variance" and expr.is_Pow and expr.exp == 2 and
                                            isinstance(expr.base, sympy.Symbol)):
        if expr.free_symbols & value.free_symbols:
            return None
        target = template.replace("{X}", variable)
    else:
        return None
    try:
        judged = check_step(read_side(target, context), "=", other, dataclasses.replace(context, chain=True), False)
    except Exception:  # noqa: BLE001 -- a form the checks cannot take: nothing
        return None
    if judged.verdict != "proved":
        return None
    return StepResult("=", side.text, other.text, "proved", "known",
                      f"matches the {what} of {variable} the text names ({target}): {judged.reason}", judged.evidence)


def _as_proved(target, side: Side, other: Side, context: Context) -> StepResult | None:
    """``target`` (a standard value, in place of ``side``) = ``other`` by the general comparator, as a claim (never an
    equation to solve): its judgement where proved, else None -- the readings that call it only prove."""
    from derivspec.scan.steps import check_symbolic

    try:
        judged = check_symbolic(Side(side.text, DocumentReading(target, frozenset(), {})), "=", other,
                                dataclasses.replace(context, chain=True), False)
    except Exception:  # noqa: BLE001 -- a reading the comparator cannot take says nothing
        return None
    return judged if judged.verdict == "proved" else None


def _row_named(rs, context: Context) -> bool:
    """The text names the function the row belongs to (its name, aliases or cues) around the statement, or the
    document names it in words anywhere (its standard functions): then the row's meaning is the document's."""
    from derivspec.scan import knowledge

    owner = next((f for f in knowledge.functions().values() if rs.row.id in f.rows), None)
    if owner is None:
        return True  # a row of a result or a family, not of a named function
    words = [owner.name.replace("_", " "), *owner.aliases, *owner.cues]
    around = " ".join((context.prose, getattr(context, "paragraph", ""), context.lead_in))
    return scope.names_one_of(words, around) or rs.head in (context.names.functions or {})


def _named_only_rows() -> dict:
    """(row id, head) -> the words that name the row's function, for the rows whose pattern head the rows of
    another function share (ℓ(y, s) for the squared, absolute, logistic, hinge and cross-entropy losses; k(x, y) for
    the kernels): such a head means that function only where the text names it (its aliases and cues). Read from
    the tables once."""
    if not _NAMED_ONLY:
        from derivspec.scan import knowledge

        function_of = {row: f for f in knowledge.functions().values() for row in f.rows}
        owners: dict = {}
        for head, shapes in row_shapes().items():
            owners[head] = {function_of[rs.row.id].name for rs in shapes if rs.row.id in function_of}
        _NAMED_ONLY.append({(rs.row.id, head): tuple(function_of[rs.row.id].aliases) + tuple(function_of[rs.row.id].cues)
                            for head, shapes in row_shapes().items() if len(owners[head]) > 1 and _a_name(head)
                            for rs in shapes if rs.row.id in function_of})
    return _NAMED_ONLY[0]


def _named_here(words, named_only: dict, head: str, prose: str) -> bool:
    """The prose names the function of ``words`` among the functions that share ``head``: by one of its words, and
    by a word no other function of the head owns when the prose names another one by such a word ("the log loss
    … is the binary cross-entropy": "log loss" names the logistic loss and the cross-entropy alike, "binary
    cross-entropy" only the latter)."""
    if not scope.names_one_of(words, prose):
        return False
    own = _own_words(ws for (_, h), ws in named_only.items() if h == head)
    return scope.names_one_of(own[tuple(words)], prose) or not any(
        scope.names_one_of(mine, prose) for ws, mine in own.items() if ws != tuple(words))


def _a_name(head: str) -> bool:
    """A head that is a name the text gives (ℓ, L, k), not an operation whose structure the pattern spells out
    (a sum, a power, a log, max, a derivative)."""
    return not hasattr(sympy, head) and head != "derivative" and not head.startswith("d/d")


def merge(outcomes: list[StepResult], lead_in: str = "", explained: list[StepResult] = (),
          read_lead_in: list[StepResult] = ()) -> StepResult | None:
    """What the rows that matched say together: rows that agree give their verdict (the first, naming the others);
    rows that disagree give unchecked, naming both, and so does a flag beside a row that finds a reading under
    which the step may hold; a flag under a premise the text states ("if q(z) = p(z | x), then …") is not raised.
    A row's unchecked decides nothing: it is returned only when no row decides and it carries evidence (the
    reading under which its sides differ), to say why the step is not flagged. ``explained``: the structure
    recognisers' unchecked answers (a condition the text states, a label not declared binary): each guards against
    a flag as a reading under which the step may hold, and says why the step is not decided where nothing decides
    (the verdict stays unchecked). ``read_lead_in``: the recognisers' answers, which read the lead-in themselves (the
    laws its "if ε ∼ N(0, I) and Z ∼ N(μ, σ²)" declares): the premise rule is for shapes and rows that read the
    formula alone."""
    decided = [o for o in outcomes if o.verdict in ("proved", "disagrees") or o.reason.startswith("holds on")]
    if not decided:  # a row that found its sides differ under one reading says why it does not flag; others nothing
        return next((o for o in outcomes if o.evidence), None) or next(iter(explained), None)
    flags = [o for o in decided if o.verdict == "disagrees"]
    holding = [o for o in decided if o.verdict != "disagrees" and not (flags and o.part)]  # a sample's mean that
    # holds does not answer a flag of its variance: a part is wrong, so the whole is
    guards = [o for o in outcomes if o.verdict == "unchecked" and (o.evidence or o in explained) and o not in decided]
    if flags and guards:  # another reading of the step may hold (an assumption the lecture may make): no flag
        return dataclasses.replace(flags[0], verdict="unchecked", correct="", reason=(
            f"{_what(flags[0])} flags it ({flags[0].reason}), but {_what(guards[0])} finds a reading under which it "
            f"may hold ({guards[0].reason}): not flagged"))
    if flags and holding:
        return dataclasses.replace(flags[0], verdict="unchecked", correct="", reason=(
            f"two known results read it differently -- {_what(flags[0])} flags it ({flags[0].reason}), "
            f"{_what(holding[0])} holds ({holding[0].reason}): not decided"))
    chosen = flags or [o for o in holding if o.verdict == "proved"] or holding
    first = chosen[0]
    if first.verdict == "disagrees" and not any(first is o for o in read_lead_in) and (
            premise := _PREMISE.search(lead_in or "")):
        # "If q(z) = p(z | x), then ELBO(q) = log p(x)": true under the premise, not in general
        return dataclasses.replace(first, verdict="unchecked", correct="", reason=(
            f"differs from {_what(first)} in general, but the text states a premise ('{premise.group(0)}') under "
            "which it may hold: not flagged"))
    others = sorted({_what(o) for o in chosen[1:]} - {_what(first)})
    if others and first.verdict != "unchecked":
        first = dataclasses.replace(first, reason=first.reason + f"; also {'matches' if first.verdict == 'proved' else 'disagrees with'} {', '.join(others)}")
    return first


def _what(outcome: StepResult) -> str:
    if outcome.claim:
        return outcome.claim
    found = re.search(r"the standard result (\S+)", outcome.reason)
    return found.group(1) if found else "a known result"


def with_general(general: StepResult, known: StepResult | None) -> StepResult:
    """The general path's verdict and the known results' merged one (DESIGN.md, "Scan": a row never blocks the
    general path): a proof of the general path stays; a known result's proof or flag replaces an undecided general
    step; a known result's flag against a step the general path finds holding on instances is not decided."""
    if known is None:
        return general
    general_level = evidence_level(general.verdict, general.reason)
    if known.verdict == "disagrees" and general.category in ("assignment", "condition"):
        return general  # an update (t = t + 1) or a condition being solved is no identity a known result could flag
    if general_level == "proved":
        return general
    if general_level == "holds on instances" and known.verdict == "disagrees":
        return dataclasses.replace(general, reason=f"not decided: {general.reason}; but {_what(known)} reads it otherwise "
                                                   f"({known.reason})", evidence=known.evidence)
    if general_level == "holds on instances" and known.verdict != "proved":
        return general
    return known
