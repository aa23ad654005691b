"""Running a scan: statements checked in worker processes, each under a time limit.

Each statement runs under ``seconds`` (SIGALRM inside the worker). With ``workers`` > 0 on a
platform with ``fork``, statements run in forked worker processes watched by the parent: a worker
that does not answer within the limit plus a grace period (a computation stuck in C code, where
no signal reaches) is killed, its statement reported ``unchecked`` (time limit) and a fresh
worker takes over. The whole file -- reading and checking -- runs under ``file_seconds``: once
it is spent, the statements not yet checked are reported ``unchecked`` (:data:`BUDGET_REASON`),
a worker still busy is stopped (serially, the budget is looked at between statements). Progress
goes to ``progress`` (a callable taking done, total).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from derivspec.core import limits, symbolic
from derivspec.scan.classify import document_algorithms
from derivspec.scan.functions import document_defined, document_described
from derivspec.scan import (change_of_variables, conjugate_map, conventions, ddpm_kernel, events, gan_optimum,
                            likelihood_optimum, linear_gaussian, mixture_em, monte_carlo, normal_posterior,
                            reparameterised, softmax_gradient)
from derivspec.scan import declarations, definitions, notation, scope
from derivspec.scan.letters import document_letters, identity_elements
from derivspec.scan.reader import iterated_names, operator_names, value_sets
from derivspec.scan.scope import density_names
from derivspec.scan.macros import document_macros, package_macros_text
from derivspec.scan.matrices import document_types
from derivspec.scan.probability import document_families
from derivspec.scan.extract import Statement, extract, file_suppression, load_lecture
from derivspec.scan.records import Record, record_from_steps
from derivspec.scan.verdicts import continued
from derivspec.scan.steps import read_side
from derivspec.scan.statements import (STATEMENT_SECONDS, DocumentState, continuations, check_statement, clean, document_conventions,
                                      document_equations, document_notations,
                                      relational_clauses)

GRACE_SECONDS = 4.0
FILE_SECONDS = 300.0  # whole-file budget: 100x the slowest seed lecture (643 statements in 3 s, 2 workers)
BUDGET_SPENT = "not checked: the file time budget"  # how a record left unchecked by the budget begins
BUDGET_REASON = BUDGET_SPENT + " of {:g} s was spent (--file-time-limit)"
_RELATION = re.compile(r"=|\\approx|\\simeq|\\le(?:q|qslant)?(?![A-Za-z])|\\ge(?:q|qslant)?(?![A-Za-z])|<|>|\\propto|"
                       r"\\ne(?:q)?(?![A-Za-z])|\\sim(?![A-Za-z])|\\equiv|\\coloneqq|\\triangleq|\\to(?![A-Za-z])|"
                       r"\\rightarrow|\\in(?![A-Za-z])|\\leftarrow|\\gets|[≤≥≈∝≠∼→←∈]")


_DISTRIBUTION_DEFINITION = re.compile(
    r"(?:^|,|\\quad|\\text\{[^{}]*\})\s*((?:[A-Za-z]|\\[a-z]+)(?:_\s*(?:\{[A-Za-z0-9]{1,3}\}|[A-Za-z0-9]))?)\s*=\s*"
    r"((?:\\mathcal\s*\{?N\}?|\\mathrm\{Bern(?:oulli)?\}|"
    r"\\text\{Bern(?:oulli)?\}|\\operatorname\{Bern(?:oulli)?\})\s*\([^()]*(?:\([^()]*\)[^()]*)*\))")


def has_relation(statement: Statement) -> bool:
    return bool(_RELATION.search(statement.text))


@dataclass(frozen=True)
class Declarations:
    """What a project's settings declare for every lecture (``[tool.derivspec]``, see
    derivspec.app.settings), read as if the document had declared it where it declares nothing
    else: ``matrices`` and ``vectors`` (letters), ``constants`` (``e`` and ``\\pi`` the named
    constants, other names numbers: scalars that come out of an expectation), ``log_base``
    (2, 10 or ``"e"``: the base of a bare ``\\log``)."""

    matrices: frozenset = frozenset()
    vectors: frozenset = frozenset()
    constants: frozenset = frozenset()
    log_base: int | str | None = None
    lines: tuple = ()  # the course's declarations (``declare``), derivspec.scan.declarations.Declaration


NAMED_CONSTANTS = {"e": "e", "pi": r"\pi", r"\pi": r"\pi"}


def _declare(state: DocumentState, declared: Declarations) -> None:
    """The settings' declarations added to the document's own (the document's win where both speak)."""
    types = state.types
    matrices = types.matrices | (declared.matrices - types.vectors)
    vectors = (types.vectors | (declared.vectors - types.matrices)) - matrices
    at = dict(types.declared_at)
    at.update({name: 0 for name in (declared.matrices | declared.vectors) if name not in at})
    state.types = dataclasses.replace(types, matrices=frozenset(matrices), vectors=frozenset(vectors),
                                      declared_at=tuple(sorted(at.items())))
    named = {NAMED_CONSTANTS[name] for name in declared.constants if name in NAMED_CONSTANTS}
    state.names.variables = frozenset(state.names.variables - named)
    state.numbers = frozenset(name for name in declared.constants if name not in NAMED_CONSTANTS)
    if state.log_base is None and declared.log_base in (2, 10):
        state.log_base = declared.log_base
    state.natural_logs = state.log_base is None and declared.log_base == "e"


def prepare(path, name: str | None = None, known: bool = True, seconds: float | None = None,
            declared: Declarations | None = None):
    """The file's statements (with a relation), their chain predecessors and the document state
    (``state.lecture``: the lecture as read, a notebook's cells)."""
    lecture = load_lecture(path)
    text = lecture.text
    file = name or Path(path).name
    unclosed: list = []  # display blocks never closed: each a record "not read" (scan_path)
    statements = extract(path, name=file, lecture=lecture, unclosed=unclosed)
    # the course's and the document's declarations (declarations.py): macros, laws and definitions from the top
    declared_lines = list(declared.lines if declared is not None else ()) + declarations.in_document(text, lecture.kind)
    # the document's \newcommand/\def/\DeclareMathOperator over its local packages' (\usepackage{../macros}), overlays,
    # its MathJax configuration's macros and the declared ones
    macros = document_macros(text + declarations.macro_text(declared_lines), package_macros_text(path, text))
    statements = [dataclasses.replace(s, text=macros.expand(s.text), rows=[(line, macros.expand(row)) for line, row in s.rows])
                  for s in statements]
    statements = [Statement(file, macros.expand(d.latex), (0, 0), True) for d in declared_lines
                  if d.form in ("law", "definition")] + statements
    relational = [s for s in statements if has_relation(s)]
    state = DocumentState(file, seconds=seconds or STATEMENT_SECONDS)
    # the names the document uses as densities, any letter (scope.py): in force for the passes below and,
    # through the state, for every statement's check
    state.densities = density_names((s.text for s in statements), text)
    state.upper_indices = scope.upper_index_names(s.text for s in statements)  # v^i: a component, not a power
    state.lecture = lecture
    state.unclosed = unclosed
    with scope.densities(state.densities):
        previous = _document_passes(path, text, relational, state, known, declared)
    state.declared = declarations.apply(declared_lines, state, text)
    state.scope = notation.build(state, statements, text, state.declared)
    return text, file, statements, relational, previous, state


def _document_passes(path, text: str, relational: list, state, known: bool, declared) -> list[str]:
    """The whole-document passes that fill ``state``; the chain predecessor of each relational statement."""
    state.algorithms = document_algorithms(text)  # lines where every equation is an assignment
    state.names.functions = _standard_functions(text)  # "the Gamma function": \Gamma(x) is Γ, not any function
    state.names.variables = document_letters(text)  # π, e, σ(·): named constants only where the document uses them so
    state.names.iterated = iterated_names(clean(s) for s in relational)  # x^k, x^{k+1}: iterates, not powers
    state.names.operators = operator_names(text)  # \text{H}_{\log p}, J_f: an operator applied, H_1 a Hessian of 1
    state.names.identities = identity_elements(text)  # "the identity element $e$": no number (the document's own)
    state.names.value_sets = value_sets(text)  # X: Ω → D: a sum over x ∈ D is over every value of X
    state.log_base, state.conventions = document_conventions(text, state.names)
    state.notations = document_notations(text)
    state.families = document_families(text)  # z ~ N(0, I): not judged on general distributions alone
    state.linear_gaussian = linear_gaussian.document_model(text)  # z ~ N(m, v), x | z ~ N(az + b, s^2)
    state.normal_model = normal_posterior.document_model(text)  # mu ~ N(mu_0, sigma_0^2), x_i | mu ~ N(mu, sigma^2)
    state.diffusion = ddpm_kernel.document_model(text)  # a forward process, and the convention it states
    state.gan_game = gan_optimum.document_game(text)  # a discriminator: E_{x~P}[log D(x)], 'p_g the generator's'
    state.beta_model = conjugate_map.document_model(text)  # theta ~ Beta(a, b), Bernoulli data
    state.mc_estimators = monte_carlo.document_estimators(text)  # \hat\mu_n = \frac1n \sum_i f(X_i)
    state.event_relations = events.document_relations(text)  # disjoint or nested events: not flagged where they hold
    state.cross_entropy_losses = softmax_gradient.document_losses(text)  # L = -sum y log pi: a cross-entropy
    state.change_of_variables_maps = change_of_variables.document_maps(text)  # x = f(z): a flow's direction
    state.reparameterised = reparameterised.document_facts([(s.lines[0], clean(s)) for s in relational], text)
    state.likelihoods = likelihood_optimum.document_likelihoods(relational, clean)  # P(X | theta) = ...
    state.entropy_letters = conventions.document_entropy_letters(relational, clean)  # "the entropy ... E(X)"
    state.mixture = mixture_em.document_model(relational, clean)  # gamma(z_nk) = pi_k N_k / sum_j pi_j N_j, N_k
    split = relational_clauses(relational)  # every relational statement split once for the passes below
    state.defined_functions = document_defined(  # f(x) = ..., "let $f$ be": not arbitrary
        text, [side for _, clauses in split for c in clauses or [] for side in c.sides])
    state.restricted = scope.restricted_variables(text)  # "an integer-valued $X$": not every distribution
    state.shapes = scope.function_shapes(text)  # "let $h$ be concave": the instances Jensen's inequality takes
    state.priors = scope.prior_names(text)  # "a prior $\pi(M)$": Bayes' rule written with the prior's own letter
    state.described_functions = document_described(text)  # "let $f$ be …": a particular function, any letter
    state.types = document_types(text)  # read before any check: which names are matrices and vectors
    state.equations = document_equations(split)  # name = value, in force near where it is stated
    from derivspec.scan.knowledge import families  # the tables, read once per process

    state.laws = sorted(scope.declared_laws(split) + scope.laws_in_words(text, families().values()),  # y ~ Ber(θ), and
                        key=lambda law: law[0])  # "Y is Bernoulli with parameter θ": the laws the rows' facts read
    state.labels = scope.declared_labels(split)  # t ∈ {0, 1}: the values the knowledge rows' label roles take
    state.in_force = definitions.collect(split, clean, read_side)  # F(u) = …, L = …: in force below, at any distance
    state.order = {(s.lines, s.text): i for i, s in enumerate(relational)}
    if declared is not None:
        _declare(state, declared)
    if known:
        from derivspec.scan.known import Recogniser

        state.recogniser = Recogniser.load()
    # "for p = N(mu_1, sigma_1^2) and q = ...": distributions named in one statement and used by
    # name in the next ones (KL(p || q)); known-result recognition reads the name as the distribution
    from derivspec.scan.moments import samples_in

    for s in relational:
        cleaned = clean(s)
        for name, rhs in _DISTRIBUTION_DEFINITION.findall(cleaned):
            state.definitions.append((s.lines[0], name, rhs))
        for name, law in samples_in(cleaned):  # X ~ Binomial(n, p): its mean and variance are known
            state.samples.append((s.lines[0], name, law))
    previous, state.continues = continuations(relational)
    return previous


def _standard_functions(text: str) -> dict:
    """The standard functions the document names in words (scope.standard_functions over the knowledge tables);
    none when the tables cannot be loaded."""
    try:
        from derivspec.scan.known import standard_functions

        return scope.standard_functions(text, standard_functions())
    except Exception:
        return {}


def _continued_derivations(results: list, continues: list) -> None:
    """A display that starts with a relation continues the derivation before it: its record is no stronger
    than the weakest link of what it continues (:func:`derivspec.scan.verdicts.continued`), in reading order,
    so a derivation over several displays carries its weakest link to its end."""
    for i, before in enumerate(continues):
        if before is None or results[i] is None or results[before] is None:
            continue
        now, then = results[i], results[before]
        weakened = continued(now["evidence_level"], now["reason"], now["evidence"], then["evidence_level"],
                             then["reason"], then["lines"][0])
        if weakened is None:
            continue
        verdict, reason, evidence = weakened
        record = Record.from_json(now)
        record.verdict, record.reason, record.evidence, record.correct = verdict, reason, evidence, ""
        results[i] = record.to_json()


def _outcome_record(outcome) -> Record | None:
    st = outcome.statement
    return record_from_steps(st.file, st.lines, outcome.text, outcome.steps)


def _check_one(index: int, relational, previous, state) -> dict | None:
    outcome = check_statement(relational[index], state, previous[index])
    record = _outcome_record(outcome)
    return record.to_json() if record is not None else None


def _failure_record(statement: Statement, error: Exception) -> dict:
    """The record of a statement whose check raised: "not read", with the construct, when one of its
    sides cannot be read (a reading problem is never an internal error); otherwise the defect, named."""
    return _timeout_record(statement, 0, _unread_side(statement)
                           or f"internal error while checking: {type(error).__name__}: {error}"[:260])


def _unread_side(statement: Statement) -> str:
    """Why a side of the statement is not read, or "" when every side is."""
    from derivspec.scan.clauses import split_clauses
    from derivspec.scan.reader import DocumentNames
    from derivspec.scan.steps import Context, read_side

    try:
        with symbolic.time_limit(STATEMENT_SECONDS):
            clauses = [c for c in split_clauses(clean(statement)) if c.relations]
            context = Context(DocumentNames())
            for clause in clauses:
                for k, text in enumerate(clause.sides):
                    side = read_side(text, context)
                    if not side.readable:
                        return f"the {'left' if k == 0 else 'right'} side is not read: {side.error}"
    except symbolic.SymPyTimeout:
        return ""
    except Exception as error:  # the statement itself cannot be taken apart
        return f"not read: the statement cannot be split into sides ({type(error).__name__})"
    return ""


def scan_path(path, *, seconds: float | None = None, workers: int = 1, progress=None, known: bool = True,
              sources: bool = True, name: str | None = None, only_lines=None,
              file_seconds: float | None = FILE_SECONDS, declared: Declarations | None = None,
              rules: frozenset | None = None) -> list[Record]:
    """``only_lines``: check only the statements that span one of these lines (the others are
    still read for their context: chain continuations, the document's conventions);
    ``file_seconds``: the whole file's time budget (None: none); ``declared``: the settings'
    declarations; ``rules``: the codes of the coded rules to run (derivspec.scan.rules; None or empty:
    none). A notebook's records carry their cell and the lines within it."""
    deadline = None if file_seconds is None else time.monotonic() + limits.scaled(file_seconds)
    text, file, statements, relational, previous, state = prepare(path, name, known, seconds, declared)
    continues = state.continues
    shown = None  # the statements asked for (with only_lines): the displays they continue are checked too
    if only_lines is not None:
        wanted = set(only_lines)
        asked = [i for i, s in enumerate(relational) if any(s.lines[0] <= n <= s.lines[1] for n in wanted)]
        keep = set(asked)
        for i in asked:
            while continues[i] is not None and continues[i] not in keep:
                i = continues[i]
                keep.add(i)
        keep = sorted(keep)
        position = {old: new for new, old in enumerate(keep)}
        shown = {position[i] for i in asked}
        relational = [relational[i] for i in keep]
        previous = [previous[i] for i in keep]
        continues = [position.get(continues[i]) if continues[i] is not None else None for i in keep]
    total = len(relational)
    results: list[dict | None] = [None] * total
    if workers and workers > 0 and hasattr(os, "fork") and total > 0 and not os.environ.get("DERIVSPEC_DEBUG"):
        _run_forked(relational, previous, state, results, workers, progress, deadline, file_seconds)
    else:
        for i in range(total):
            spent = deadline is not None and time.monotonic() >= deadline
            if spent:
                results[i] = _timeout_record(relational[i], 0, BUDGET_REASON.format(file_seconds))
            elif os.environ.get("DERIVSPEC_DEBUG"):  # the traceback, for whoever debugs
                results[i] = _check_one(i, relational, previous, state)
            else:
                try:
                    results[i] = _check_one(i, relational, previous, state)
                except Exception as error:  # a defect: this statement unchecked, the scan goes on
                    results[i] = _failure_record(relational[i], error)
            if progress:
                progress(i + 1, total)
    _continued_derivations(results, continues)
    if rules:
        _apply_rules(results, relational, text + declarations.prose(state.declared), rules)
    records = [Record.from_json(r) for i, r in enumerate(results) if r is not None and (shown is None or i in shown)
               and r["lines"][0] > 0]  # a declaration's own statement (line 0) is no record
    declarations.claimed(records, state.declared)  # line 42: claim ID -- the statement checked against the claim
    for record in records:
        notation.judged(record, state.scope)
    records += declarations.records(file, state.declared)  # a declaration the text contradicts, said
    for line, delimiter, opening in state.unclosed:  # a display block never closed: said, not dropped
        if only_lines is None or line in wanted:
            records.append(Record(file, (line, line), opening, "chain", "unchecked",
                                  f"not read: unclosed {delimiter} from {state.lecture.where(line)}"))
    if sources:
        from derivspec.scan.sources import source_records

        for record in source_records(Path(file).name, text):  # a lecture the registry cites, found in a folder
            record.file = file
            records.append(record)
    records.sort(key=lambda r: (r.lines[0], r.lines[1], r.kind == "source"))
    return _placed(records, statements, state.lecture)


def _apply_rules(results: list, relational: list, text: str, rules: frozenset) -> None:
    """The coded rules (derivspec.scan.rules) over the document: a statement a rule flags becomes ``disagrees``
    with the rule's code and message, unless the judge flagged it already (its flag stands); with the rule off
    the statement keeps the judge's verdict."""
    from derivspec.scan.rules import check_document

    for index, (code, message) in check_document(relational, text, rules).items():
        if results[index] is None or results[index]["verdict"] == "disagrees":
            continue
        record = Record.from_json(results[index])
        record.verdict, record.reason, record.evidence, record.correct = "disagrees", message, "", ""
        record.rule = code
        results[index] = record.to_json()


def _placed(records: list[Record], statements: list[Statement], lecture) -> list[Record]:
    """Records with their inline suppressions and, in a notebook, their cell and lines within it."""
    suppressed = {s.lines: s.suppression for s in statements if s.suppression}
    whole_file = file_suppression(lecture)
    for record in records:
        record.suppressed = _for_rule(suppressed.get(tuple(record.lines), ""), record) or whole_file
        if lecture.cells:
            cell, first = lecture.location(record.lines[0])
            record.cell, record.lines = cell, (first, first + record.lines[1] - record.lines[0])
            for key in ("reason", "evidence"):  # "declared at line 12" of the joined text: its cell and line
                setattr(record, key, _CITED_LINE.sub(lambda m: lecture.where(int(m.group(1) or m.group(2))),
                                                     getattr(record, key) or ""))
    return records


_CODES = re.compile(r"derivspec: ignore\[([^\]]*)\]")


def _for_rule(suppression: str, record: Record) -> str:
    """A marker's suppression as it applies to ``record``: ``ignore[DS201, DS3]`` suppresses only the flags of
    those codes (or code prefixes); a plain ``ignore`` everything."""
    found = _CODES.search(suppression)
    if not found:
        return suppression
    codes = [c.strip().upper() for c in found.group(1).split(",") if c.strip()]
    code = record.rule_code
    return suppression if code and any(code.startswith(c) for c in codes) else ""


# a reason's reference to another line of the document: "the likelihood at line 12", "(line 12)"
_CITED_LINE = re.compile(r"(?<=\bat )line (\d+)\b|(?<=\()line (\d+)(?=\))")


# --- forked workers ------------------------------------------------------------------------------

def _send(fd: int, data: bytes) -> None:
    payload = struct.pack("!I", len(data)) + data
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int, timeout: float | None) -> bytes | None:
    header = _read_exact(fd, 4, timeout)
    if header is None:
        return None
    (length,) = struct.unpack("!I", header)
    return _read_exact(fd, length, timeout)


def _read_exact(fd: int, n: int, timeout: float | None) -> bytes | None:
    chunks, got = [], 0
    deadline = None if timeout is None else time.monotonic() + timeout
    while got < n:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self, relational, previous, state):
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: answer indexes until told to stop
            os.close(to_child_w)
            os.close(to_parent_r)
            code = 0
            try:
                symbolic._DEADLINES.clear()
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                while True:
                    message = _recv(to_child_r, None)
                    if message is None:
                        break
                    index = int(message.decode())
                    if index < 0:
                        break
                    try:
                        result = {"record": _check_one(index, relational, previous, state)}
                    except Exception as error:  # a defect or an unread side: this statement unchecked, the scan goes on
                        result = {"record": _failure_record(relational[index], error)}
                    _send(to_parent_w, json.dumps(result).encode("utf-8", "backslashreplace"))
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(to_parent_w)
        self.pid, self.send_fd, self.recv_fd = pid, to_child_w, to_parent_r
        self.index: int | None = None
        self.started = 0.0

    def give(self, index: int) -> None:
        self.index = index
        self.started = time.monotonic()
        _send(self.send_fd, str(index).encode())

    def stop(self, kill: bool = False) -> None:
        with contextlib.suppress(OSError):
            if kill:
                os.kill(self.pid, signal.SIGKILL)
            else:
                _send(self.send_fd, b"-1")
        for fd in (self.send_fd, self.recv_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _timeout_record(statement: Statement, seconds: float, why: str = "") -> dict:
    return Record(statement.file, statement.lines, clean(statement), "chain", "unchecked",
                  why or f"the statement took over its time limit of {seconds:g} s and was stopped").to_json()


def _run_forked(relational, previous, state, results, workers, progress, deadline=None, file_seconds=None) -> None:
    pending = list(range(len(relational)))
    pending.reverse()
    pool = [_Worker(relational, previous, state) for _ in range(min(workers, len(relational)))]
    limit = limits.scaled(state.seconds) + GRACE_SECONDS
    done = 0
    try:
        for worker in pool:
            if pending:
                worker.give(pending.pop())
        while any(w.index is not None for w in pool):
            busy = {w.recv_fd: w for w in pool if w.index is not None}
            now = time.monotonic()
            wait = max(0.05, min([w.started + limit - now for w in busy.values()]
                                 + ([] if deadline is None else [deadline - now])))
            ready, _, _ = select.select(list(busy), [], [], wait)
            for fd in ready:
                worker = busy[fd]
                message = _recv(fd, limit)
                index = worker.index
                if message is None:  # the worker died
                    results[index] = _timeout_record(relational[index], state.seconds,
                                                     "the statement's check stopped unexpectedly (a worker died)")
                    pool[pool.index(worker)] = _replace(worker, relational, previous, state)
                else:
                    data = json.loads(message.decode("utf-8"))
                    if "error" in data:
                        results[index] = _timeout_record(relational[index], state.seconds,
                                                         f"internal error while checking: {data['error'][:200]}")
                    else:
                        results[index] = data["record"]
                    worker.index = None
                done += 1
                if progress:
                    progress(done, len(relational))
            now = time.monotonic()
            for i, worker in enumerate(pool):
                if worker.index is not None and now - worker.started > limit:
                    results[worker.index] = _timeout_record(relational[worker.index], state.seconds)
                    pool[i] = _replace(worker, relational, previous, state)
                    done += 1
                    if progress:
                        progress(done, len(relational))
            if deadline is not None and now >= deadline:  # the file's budget is spent: busy workers are killed below
                pending.extend(w.index for w in pool if w.index is not None)
                for index in pending:
                    results[index] = _timeout_record(relational[index], 0, BUDGET_REASON.format(file_seconds))
                if progress:
                    progress(len(relational), len(relational))
                break
            for worker in pool:
                if worker.index is None and pending:
                    worker.give(pending.pop())
    finally:
        for worker in pool:
            worker.stop(kill=worker.index is not None)


def _replace(worker: _Worker, relational, previous, state) -> _Worker:
    worker.stop(kill=True)
    return _Worker(relational, previous, state)
