"""``derivspec report [--out DIR]``: a static HTML report that works offline.

    derivspec report --out report            # every claim verified, the reference models run
    derivspec report --quick nll kl.gaussian.univariate   # (a family or claim ids) smaller runs

What it writes (plain HTML and CSS, no script, no CDN: math is MathML, converted from LaTeX at
build time by latex2mathml, and SymPy expressions go through ``sympy.latex`` first; plots are
PNG files made with matplotlib):

* ``index.html`` -- summary: claims by family and status, errata count, the lectures, the
  reference models, run metadata;
* ``lectures.html`` -- per lecture (title, author, date, file): each statement the claims cite,
  in line order, with its status, and the errata: as written vs correct, with the evidence
  (the counterexample);
* ``family-<name>.html`` -- per claim: symbols, the derived target, the derivation as math with
  each step's justification and its proved/computed mark, the numeric evidence (per route: n,
  estimate ± standard error, z, the smallest detectable relative error; or points and max |Δ|),
  the wrong variants and who rejected them, the sources; and the family's plots;
* ``models.html`` -- every registered reference model run as an executable specification
  (``derivspec run``; quick runs under ``--quick``, full runs otherwise): its checks (statement,
  verdict, statistic vs threshold, n, false-fail rate, power against a named alternative), tables
  and plots;
* further sections given as :class:`Section` (``scan`` results: :func:`scan_section` turns its
  records into one, so ``build_report(..., sections=[scan_section(records)])`` adds a page).

Progress goes to stderr. Claims are verified one by one with fault isolation: a registry that
cannot load, or a claim that raises, is shown with its reason and the rest of the report is
still written.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from derivspec.core.errors import DerivspecError
from derivspec.core.numbers import fmt, max_difference
from derivspec.core.registry import REGISTRY
from derivspec.core.lectures import LECTURES, lecture, order_key
# the math and the templates live in derivspec.app.rendering (shared with the annotated lecture view);
# these names stay importable from here
from derivspec.app.rendering import (MATH_WORDS, STATUS_CLASS, _QUOTE, Math, environment,  # noqa: F401
                                     looks_like_prose, missing_modules, prose_parts, stylesheet, unicode_tex)

STEP_MARK = {"proved": "✓ proved", "computed": "⚙ computed", "definition": "≝ definition",
             "failed": "✗ failed", "undecided": "? undecided"}


# --- optional dependencies ------------------------------------------------------------------


def require_report_dependencies(plots: bool = True) -> None:
    """Bad input (exit 2) before any work when the report cannot be written: latex2mathml and
    jinja2 (the ``report`` extra) for the math and the pages, matplotlib for the plots."""
    missing = missing_modules()
    installs = ["derivspec[report]"] if missing else []
    if plots and missing_modules(("matplotlib",)):
        missing.append("matplotlib")
        installs.append("matplotlib")
    if missing:
        raise DerivspecError("derivspec report needs " + " and ".join(missing) + ": pip install "
                             + " ".join(f"'{i}'" for i in installs)
                             + (" (or run it with --no-plots)" if "matplotlib" in missing else ""))


# --- sections (scan and later additions) ------------------------------------------------------


@dataclass
class Section:
    """A page of the report beyond the built-in ones: ``slug`` names the file (``scan`` ->
    ``scan.html``), ``summary`` is one line for the index, ``body`` the page's HTML (Markup: the
    page template does not escape it); ``pages``: further pages it links to, not in the menu
    (the annotated lecture views of the scan page)."""

    slug: str
    title: str
    summary: str
    body: str
    pages: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class PageWork:
    """A page made in the report's worker pool beside its claims and models (the scan of the seeds: minutes of
    one core that used to run before them): ``make()`` returns its :class:`Section` (in a worker process: a
    module-level function or a ``functools.partial`` of one). Given to :func:`build_report` among its sections."""

    name: str
    make: Callable[[], Section]


def scan_section(records: list[dict], summary: dict | None = None, math: Math | None = None,
                 claims: set[str] | None = None, files=None) -> Section:
    """A page of ``derivspec scan`` records (``file``, ``lines``, ``text``, ``kind``, ``verdict``,
    ``claim``, ``reason``, ``evidence``): the totals per file, every flagged statement with its
    evidence and correct form, then each file's statements in line order (folded). A claim links
    to its family page when ``claims`` (the report's claim ids) includes it, or always if None.
    ``files``: the (path, name its records carry) pairs the scan read (derivspec.app.inputs); each
    gets an annotated lecture view (``lecture-<name>.html``, :mod:`derivspec.app.annotated`) that the
    page links."""
    from markupsafe import Markup

    from derivspec.app.annotated import as_record, render, views

    math = math or Math()
    env = environment(math)
    records = [as_record(r) for r in records]
    by_file: dict[str, list[dict]] = {}
    for record in sorted(records, key=lambda r: order_key(r["file"], r["lines"])):
        by_file.setdefault(record["file"], []).append(record)
    pages, annotated = [], {}
    for view in views(files or (), records):
        annotated[view.file] = view.page
        body = Markup(render(env, view, back={"href": "scan.html", "label": "the scan page"}, claims=claims))
        pages.append(Section(view.page.removesuffix(".html"), f"{view.title}: annotated", "", body))
    per_file = []
    for file, rows in by_file.items():
        counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("proved", "disagrees", "unchecked")}
        per_file.append({"file": file, "rows": rows, "proved": counts["proved"], "flagged": counts["disagrees"],
                      "unchecked": counts["unchecked"]})
    flagged = [r for rows in by_file.values() for r in rows if r["verdict"] == "disagrees"]
    body = Markup(env.get_template("scan_section.html").render(files=per_file, flagged=flagged, claims=claims,
                                                               annotated=annotated))
    counts = summary or {"statements": len(records), "flagged": len(flagged)}
    line = ", ".join(f"{v} {k}" for k, v in counts.items() if not isinstance(v, dict)) if counts \
        else f"{len(records)} statements"
    return Section("scan", "Scan", f"every equation of the scanned files checked: {line}", body, pages)


def scan_files_section(paths, claims: set[str] | None = None, workers: int | None = None,
                       math: Math | None = None) -> Section:
    """Scan ``paths`` (``derivspec scan``) and make the report's scan page of the records, with
    each file's annotated lecture view."""
    from derivspec.app.inputs import lecture_files
    from derivspec.app.scan import scan_files
    from derivspec.app.settings import Settings
    from derivspec.scan.records import summary as scan_summary

    files = lecture_files(paths, Settings())
    records, _ = scan_files(files, workers=workers, progress=False)
    totals = scan_summary(records)
    return scan_section([r.to_json() for r in records],
                        {"statements": totals["statements"], "checked": totals["checked"], "flagged": totals["flagged"]},
                        math, claims, files=files)


def default_scan_paths() -> list[Path]:
    """The seeds the registry cites, when ``../shared/seeds`` is beside the repository (or the
    working directory)."""
    repository = Path(__file__).resolve().parents[2]  # derivspec/app/report.py
    for folder in (repository.parent / "shared" / "seeds", Path.cwd().parent / "shared" / "seeds"):
        if folder.is_dir():
            return sorted(folder.glob("*.txt"))
    return []


# --- collecting -----------------------------------------------------------------------------


@dataclass
class ClaimEntry:
    claim_id: str
    claim: object | None
    status: str
    reason: str = ""
    steps: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    routes: list = field(default_factory=list)
    variants: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def family(self) -> str:
        return self.claim_id.split(".")[0]


@dataclass
class ReportData:
    claims: list[ClaimEntry]
    models: list = field(default_factory=list)  # run.SpecResult
    model_errors: dict[str, str] = field(default_factory=dict)
    numeric: bool = True
    numeric_error: str = ""
    meta: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    def errata(self) -> list[tuple[ClaimEntry, object]]:
        found = [(c, s) for c in self.claims for s in c.sources if s.status == "disagrees"]
        return sorted(found, key=lambda cs: (*order_key(cs[1].source.file, cs[1].source.lines), cs[0].claim_id))

    def slips(self) -> int:
        """Errata counted once per slip: the same lines and text checked by several claims are one
        (as ``derivspec errata`` lists them)."""
        return len({(s.source.file, s.source.span, s.source.as_written) for _, s in self.errata()})


class Progress:
    """A rich progress bar on stderr while the report is built -- on a terminal only: piped, redirected or
    under CI (``CI`` set) it is quiet, and the report's one summary line is all it prints."""

    def __init__(self, total: int):
        import os

        from rich.console import Console

        self.console = Console(file=sys.stderr, highlight=False)
        self.total, self.done, self.bar = total, 0, None
        if self.console.is_terminal and not os.environ.get("CI"):
            from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

            self.bar = RichProgress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                    TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("report", total=total)

    def step(self, description: str) -> None:
        """One more of the ``total`` steps done (``description``: what was done)."""
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, description=f"report: {description}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _select(claim_ids: list[str] | None) -> list[str]:
    """Claim ids in registry order; an argument may also name a whole family (``nll``)."""
    from derivspec.core import registry

    every = registry.REGISTRY.ids()
    if not claim_ids:
        return list(every)
    chosen = []
    for name in claim_ids:
        family = [c for c in every if c.split(".")[0] == name]
        chosen += family or [registry.REGISTRY.get(name).id]
    return list(dict.fromkeys(chosen))


def report_models(quick: bool, families=None) -> tuple[str, ...]:
    """The specifications the report runs: every registered one (the models page shows them all), or
    those of ``families`` when the report is of some families or claims (``report --quick nll kl``),
    in quick mode when the report is ``--quick`` and in full mode otherwise."""
    from derivspec.app.run import specifications

    return tuple(s.name for s in specifications() if families is None or s.family in families)


def chosen_families(claim_ids: list[str] | None) -> set[str] | None:
    """The families a report of ``claim_ids`` (families or claim ids) is about; None for the whole catalogue."""
    return None if not claim_ids else {claim_id.split(".")[0] for claim_id in _select(claim_ids)}


def on_family_page(report: str, quick: bool) -> bool:
    """Whether a specification's plots also head its family's page: ``report="always"``, and
    ``"full"`` in a full report (their quick runs are too small to be the family's picture)."""
    return report == "always" or (report == "full" and not quick)


def collect(claim_ids: list[str] | None = None, device: str = "auto", seed: int = 0, quick: bool = False,
            numeric: bool = True, plots: bool = True, out: Path | None = None,
            progress: Progress | None = None, models: tuple[str, ...] | None = None,
            jobs: int | None = None, sections: list[Section | PageWork] | None = None) -> ReportData:
    """The report's data: every claim verified, every reference model run and the ``sections`` (a
    :class:`PageWork` made here). Claims whose evidence the cache holds (derivspec.app.evidence: a ``verify``
    of this code, device and seed) are not verified again; the rest, the models and the pages to make run
    together in ``jobs`` worker processes (default: one per core) (:func:`run_work`)."""
    ids = _select(claim_ids)
    model_names = () if not plots else (models if models is not None
                                        else report_models(quick, chosen_families(claim_ids)))
    progress = progress or Progress(len(ids) + len(model_names) + sum(isinstance(s, PageWork) for s in sections or ()) + 1)
    data = ReportData([], numeric=numeric)
    ctx = None
    resolved_device = None
    if numeric or model_names:
        try:

            from derivspec.reference_models.device import apply_numeric_policy, resolve_device

            resolved_device = resolve_device(device)
            apply_numeric_policy()
        except DerivspecError:
            raise
        except Exception as error:  # torch missing or broken: symbolic report only
            data.numeric, data.numeric_error, model_names = False, f"torch unavailable: {error}", ()
    if data.numeric:
        try:
            from derivspec.numerics.checks import NumericContext
            from derivspec.numerics.routes import load

            load()
            ctx = NumericContext(device=resolved_device, seed=seed)
        except Exception as error:  # a registry that does not load: derivations and sources only
            from derivspec.app.verify import describe_error

            data.numeric, data.numeric_error = False, describe_error("loading the numeric routes", error)
    sections = list(sections or [])
    pages = tuple(s for s in sections if isinstance(s, PageWork))
    made: dict[str, Section] = {}
    if data.numeric:
        records, data.models, data.model_errors, made = run_work(ids, model_names, ctx, out, quick, jobs, progress,
                                                                 pages)
        data.claims = [entry_of(records[claim_id]) for claim_id in ids]
    else:
        for work in pages:
            made[work.name] = work.make()
            progress.step(f"made the page {work.name}")
        for claim_id in ids:
            progress.step(f"derived {claim_id}")
            data.claims.append(_derived(claim_id, seed))
        for name in model_names:  # torch is there but the routes are not: the models still run, here
            from derivspec.app.run import get_spec
            from derivspec.reference_models.specification import RunContext

            start = time.perf_counter()
            try:
                result = get_spec(name).run(RunContext(resolved_device, seed, out, quick))
                result.seconds = time.perf_counter() - start
                data.models.append(result)
            except Exception as error:
                from derivspec.app.verify import describe_error

                data.model_errors[name] = describe_error(f"reference model {name}", error)
            progress.step(f"ran reference model {name}")
    data.sections = [made[s.name] if isinstance(s, PageWork) else s for s in sections]
    from derivspec.core.metadata import run_metadata

    data.meta = run_metadata(seed, resolved_device.type if resolved_device is not None else None)
    return data


# --- the work: claims and models in worker processes -------------------------------------------


def _model_work(name: str, out: Path | None, quick: bool):
    """One reference model run (in a worker: derivspec.app.verify's context gives device and seed):
    ("ok", its SpecResult) or ("error", why)."""
    from derivspec.app import verify
    from derivspec.app.run import get_spec
    from derivspec.reference_models.specification import RunContext

    ctx = verify._WORKER_CTX
    start = time.perf_counter()
    try:
        result = get_spec(name).run(RunContext(ctx.device, ctx.seed, out, quick))
        result.seconds = time.perf_counter() - start
        return "ok", result
    except Exception as error:
        return "error", verify.describe_error(f"reference model {name}", error)


def _claim_work(claim_id: str, reuse_sources: bool = False):
    """One claim's verify outcome (in a worker); with ``reuse_sources`` its symbolic source statuses come from the
    cache where the report's scan page has just put them."""
    from derivspec.app import verify
    from derivspec.core.catalogue import open_cache

    return verify._work(claim_id, open_cache() if reuse_sources else None)


def _page_work(work: PageWork):
    """("ok", the page, its seconds)."""
    start = time.perf_counter()
    section = work.make()
    return "ok", section, time.perf_counter() - start


def run_work(ids: list[str], model_names, ctx, out: Path | None, quick: bool, jobs: int | None,
             progress: Progress, pages: tuple[PageWork, ...] = ()) -> tuple[dict[str, dict], list, dict[str, str],
                                                                            dict[str, Section]]:
    """Every claim's verify record (those the evidence cache holds from it, the others computed), every model's
    run and every page of ``pages`` made: (records by claim id, the models' SpecResults in ``model_names``
    order, the errors of models that raised, the pages by name). The work goes to ``jobs`` processes (one per
    core by default; 1: in this process), longest first by the times of earlier runs (a model first where none
    is known), so no long claim or model is left for the end -- except that the pages come first and the
    claims to verify after them, taking the symbolic source statuses the pages (the scan) have just cached
    instead of comparing them again; when a worker would otherwise wait for the pages (no model left), the claims
    start at once and compare their own. What is computed is added to the caches ``verify`` keeps."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from derivspec.app import evidence, verify
    from derivspec.core import cache as store

    found = {} if evidence.disabled() else evidence.cached(ids, ctx.device_type, ctx.seed)
    for claim_id in found:
        progress.step(f"{claim_id} (from the evidence cache)")
    todo = [claim_id for claim_id in dict.fromkeys(ids) if claim_id not in found]
    times = {**(store.load("verify-times") or {}), **{f"model:{k}": v for k, v in (store.load("model-times") or {}).items()}}
    typical = max(times.values(), default=1.0)

    def longest_first(tasks: list) -> list:
        return sorted(tasks, key=lambda task: -times.get(task[1] if task[0] == "claim" else f"model:{task[1]}", typical))

    by_name = {work.name: work for work in pages}
    claims = [("claim", claim_id) for claim_id in todo]
    queue = [("page", work.name) for work in pages] + longest_first([("model", name) for name in model_names]
                                                                     + ([] if pages else claims))
    held = claims if pages else []  # queued once every page is made
    jobs = jobs or verify.default_jobs()
    done: dict[tuple[str, str], object] = {}

    def call(task):
        kind, name = task
        if kind == "claim":
            return _claim_work, (name, bool(pages))
        return (_page_work, (by_name[name],)) if kind == "page" else (_model_work, (name, out, quick))

    def release_claims() -> None:
        queue[:] = longest_first(queue + held)
        held.clear()

    def finished(task, value) -> None:
        done[task] = value
        progress.step({"claim": "verified", "model": "ran reference model", "page": "made the page"}[task[0]]
                      + f" {task[1]}")
        if held and all(("page", name) in done for name in by_name):
            release_claims()

    if todo:
        verify.load_for(todo)
    total = len(queue) + len(held)
    if jobs <= 1 or total <= 1:
        verify._init_worker(ctx)
        while queue:
            task = queue.pop(0)
            function, args = call(task)
            finished(task, function(*args))
    else:
        verify.prepare_fork(todo)
        method = "fork" if ctx.device_type == "cpu" and "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=multiprocessing.get_context(method),
                                 initializer=verify._init_worker, initargs=(ctx,)) as pool:
            running = {}
            try:
                while queue or running:
                    while (queue or held) and len(running) < jobs:  # one task per worker at most: the order is ours
                        if not queue:  # a worker would wait for the pages: the claims start, comparing their own sources
                            release_claims()
                        task = queue.pop(0)
                        function, args = call(task)
                        running[pool.submit(function, *args)] = task
                    ready, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in ready:
                        task = running.pop(future)
                        try:
                            value = future.result()
                        except Exception as error:  # a worker died (killed, out of memory)
                            if task[0] == "page":
                                raise
                            message = verify.describe_error("the report's worker", error)
                            value = verify._failed_outcome(task[1], message) if task[0] == "claim" else ("error", message)
                        finished(task, value)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    outcomes = [done[("claim", claim_id)] for claim_id in todo]
    if outcomes:
        evidence.keep_outcomes(outcomes, ctx.device_type, ctx.seed)
    runs, errors = [], {}
    for name in model_names:
        kind, value = done[("model", name)]
        if kind == "ok":
            runs.append(value)
        else:
            errors[name] = value
    if runs:
        store.store("model-times", {**(store.load("model-times") or {}), **{r.spec: r.seconds for r in runs}})
    if pages:  # what the benchmark reports per part (the pages go first whatever their time)
        store.store("page-times", {**(store.load("page-times") or {}), **{n: done[("page", n)][2] for n in by_name}})
    return ({**found, **{o.claim_id: o.record for o in outcomes}}, runs, errors,
            {name: done[("page", name)][1] for name in by_name})


# --- a claim's entry from its verify record ----------------------------------------------------


class Latex(str):
    """LaTeX already made (a verify record's ``latex``): the ``mathexpr`` filter shows it as it is."""


@dataclass
class _Route:
    name: str
    kind: str
    description: str


@dataclass
class _Result:
    """A route's result as its JSON has it: what the report's numeric rows read."""

    passed: bool
    points: int | None = None
    max_abs_diff: float | None = None
    detail: str = ""
    monte_carlo: object | None = None


@dataclass
class _Outcome:
    route: _Route
    result: _Result | None = None
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        return None if self.result is None else self.result.passed


@dataclass
class _Variant:
    name: str
    checker_verdict: str
    routes: list


@dataclass
class _Step:
    why: str
    status: str
    expr: Latex
    counterexample: object = None
    note: str = ""


def _outcome(data: dict) -> _Outcome:
    from types import SimpleNamespace

    route = _Route(data["route"], data["kind"], data["description"])
    if data.get("error"):
        return _Outcome(route, error=data["error"])
    mc = None
    if data.get("z_critical") is not None:
        mc = SimpleNamespace(**{k: data.get(k) for k in ("n", "estimate", "stderr", "expected", "z", "z_critical",
                                                          "min_detectable_rel_error", "false_fail_rate")})
    return _Outcome(route, _Result(data["passed"], data.get("points"), data.get("max_abs_diff"), data.get("detail", ""),
                                   mc))


def entry_of(record: dict) -> ClaimEntry:
    """A claim's report entry from its verify record (computed in a worker, or from the evidence cache)
    and the claim itself (built here: its title, symbols, target and sources)."""
    from derivspec.core.sources import SourceResult

    claim_id = record["claim"]
    try:
        claim = REGISTRY.get(claim_id)
    except Exception:
        claim = None
    if claim is None:
        return ClaimEntry(claim_id, None, record["status"], record["reason"], seconds=record["seconds"])
    steps = [_Step(s["why"], s["status"], Latex(s["latex"]), s.get("counterexample"), s.get("note") or "")
             for s in record["derivation"]]
    routes = [_outcome(r) for r in record["routes"]]
    by_name = {r.route.name: r.route for r in routes}
    variants = []
    for v in record["wrong_variants"]:
        rejected = v.get("rejected_by")
        shown = ([_Outcome(by_name.get(rejected, _Route(rejected, "", "")), _Result(False))] if rejected else [])
        variants.append(_Variant(v["name"], v["checker"], shown))
    sources = [SourceResult(source, s["status"], s.get("correct", ""), s.get("evidence", ""))
               for source, s in zip(claim.sources, record["sources"])]
    return ClaimEntry(claim_id, claim, record["status"], record["reason"], steps, sources, routes, variants,
                      record["seconds"])


def _derived(claim_id: str, seed: int) -> ClaimEntry:
    """Derivation and formula sources only (no torch): status ``not run``."""
    from derivspec.core import registry
    from derivspec.core.derivation import check_derivation
    from derivspec.core.sources import SourceResult, compare_source
    from derivspec.app.verify import describe_error

    start = time.perf_counter()
    try:
        claim = registry.get(claim_id)
    except Exception as error:
        return ClaimEntry(claim_id, None, "inconclusive", describe_error(f"building claim {claim_id}", error))
    entry = ClaimEntry(claim.id, claim, "not run", "numeric checks not run")
    try:
        entry.steps = check_derivation(claim, seed)
    except Exception as error:
        entry.status, entry.reason = "inconclusive", describe_error("the derivation", error)
    for source in claim.sources:
        try:
            entry.sources.append(compare_source(claim, source, seed))
        except Exception as error:
            entry.sources.append(SourceResult(source, "not_comparable", evidence=describe_error("the comparison", error)))
    entry.seconds = time.perf_counter() - start
    return entry


# --- rendering ------------------------------------------------------------------------------

class Site:
    """The pages, each a template of ``derivspec/app/templates/`` rendered with the report's data."""

    STATUSES = ("verified", "failed", "inconclusive", "not run")

    def __init__(self, out: Path, data: ReportData, math: Math):
        self.out, self.data, self.math = out, data, math
        self.families = sorted({c.family for c in data.claims})
        self.claim_ids = {c.claim_id for c in data.claims}
        self.written: list[Path] = []
        self.env = environment(math)
        self.env.globals.update(claim_ids=self.claim_ids, families=self.families, step_mark=STEP_MARK,
                                target_of=self.target, numeric_rows=self.numeric_rows,
                                variant_rows=self.variant_rows, lecture_slug=_slug)

    # -- page frame --
    def nav(self) -> list[tuple[str, str]]:
        links = [("index.html", "Summary"), ("lectures.html", "Lectures and errata")]
        links += [(f"family-{f}.html", f) for f in self.families]
        if self.data.models or self.data.model_errors:
            links.append(("models.html", "Reference models"))
        links += [(f"{s.slug}.html", s.title) for s in self.data.sections]
        return links

    def footer(self) -> str:
        m = self.data.meta
        return (f"derivspec {m.get('derivspec')}, sympy {m.get('sympy')}, torch {m.get('torch')}; "
                f"seed {m.get('seed')}, device {m.get('device')}; {m.get('time')}")

    def page(self, name: str, title: str, template: str = "page.html", **values) -> None:
        text = self.env.get_template(template).render(title=title, nav=self.nav(), footer=self.footer(),
                                                      site_name="derivspec report", d=self.data, **values)
        path = self.out / name
        path.write_text(text + "\n", encoding="utf-8")
        self.written.append(path)

    # -- data the templates show --
    def target(self, claim) -> dict:
        """The derived target's LaTeX, or the error of a target that does not build (the page goes on)."""
        try:
            return {"latex": f"{claim.statement} = {_latex(claim.target)}", "error": ""}
        except Exception as error:
            return {"latex": "", "error": str(error)}

    @staticmethod
    def numeric_rows(c: ClaimEntry) -> list[dict]:
        rows = []
        for o in c.routes:
            if o.error:
                rows.append({"route": o.route, "error": o.error})
                continue
            r, mc = o.result, o.result.monte_carlo
            if mc is not None:
                cells = (f"{mc.n:,}", f"{fmt(mc.estimate, '.6g')} ± {fmt(mc.stderr, '.2g')} (target {fmt(mc.expected, '.6g')})",
                         f"{fmt(mc.z, '+.2f')} (|z| ≤ {fmt(mc.z_critical, '.2f')})",
                         f"{fmt(mc.min_detectable_rel_error, '.1%')} (false-fail rate {fmt(mc.false_fail_rate, 'g')})")
            elif r.points is not None:
                cells = (f"{r.points} points", max_difference(r.max_abs_diff, r.passed), "—", r.detail)
            else:
                cells = ("—", r.detail, "—", "—")
            rows.append({"route": o.route, "error": "", "passed": r.passed, "cells": cells})
        return rows

    @staticmethod
    def variant_rows(c: ClaimEntry) -> list[dict]:
        results = {v.name: v for v in c.variants}
        rows = []
        for w in c.claim.wrong_variants:
            v = results.get(w.name)
            verdict = v.checker_verdict if v else "not run"
            checker = {"not_equivalent": "holds", "equivalent": "fails"}.get(verdict,
                                                                             "inconclusive" if v else "not run")
            route = next((r.route.name for r in v.routes if r.passed is False), "none") if v else "—"
            rows.append({"name": w.name, "expr": w.expr, "verdict": verdict, "checker": checker, "route": route})
        return rows

    # -- pages --
    def index(self) -> None:
        d = self.data
        rows = []
        for family in self.families:
            claims = [c for c in d.claims if c.family == family]
            rows.append({"family": family, "claims": len(claims),
                         "counts": [sum(c.status == s for c in claims) for s in self.STATUSES],
                         "errata": sum(s.status == "disagrees" for c in claims for s in c.sources)})
        lecture_rows = []
        for lec in LECTURES:
            cited = [s for c in d.claims for s in c.sources if s.source.file == lec.file]
            lecture_rows.append({"lecture": lec, "cited": len(cited),
                                 "wrong": sum(s.status == "disagrees" for s in cited)})
        totals = [(s, sum(c.status == s for c in d.claims)) for s in self.STATUSES]
        self.page("index.html", "derivspec report", "index.html", lectures=LECTURES, totals=totals,
                  errata=d.errata(), statuses=self.STATUSES, families_rows=rows, lecture_rows=lecture_rows,
                  failing=[c for c in d.claims if c.status in ("failed", "inconclusive")])

    def lectures(self) -> None:
        d = self.data
        shown = []
        for lec in LECTURES:
            cited = sorted(((c, s) for c in d.claims for s in c.sources if s.source.file == lec.file),
                           key=lambda cs: (*order_key(lec.file, cs[1].source.lines), cs[0].claim_id))
            shown.append({"lecture": lec, "meta": " · ".join(x for x in (lec.author, lec.venue, lec.date) if x),
                          "cited": cited, "wrong": [(c, s) for c, s in cited if s.status == "disagrees"]})
        self.page("lectures.html", "Lectures and errata", "lectures.html", lectures=shown)

    def family(self, family: str) -> None:
        d = self.data
        plots = []
        for r in d.models:
            spec = REGISTRY.spec(r.spec)
            if spec.family == family and on_family_page(spec.report, r.quick):
                plots.append((spec, r))
        self.page(f"family-{family}.html", f"Family {family}", "family.html", family=family,
                  claims=[c for c in d.claims if c.family == family], plots=plots)

    def models(self) -> None:
        runs = [(REGISTRY.spec(r.spec), r) for r in self.data.models]
        self.page("models.html", "Reference models", "models.html", runs=runs,
                  model_errors=list(self.data.model_errors.items()))

    def write(self) -> list[Path]:
        from markupsafe import Markup

        (self.out / "style.css").write_text(stylesheet(), encoding="utf-8")
        self.index()
        self.lectures()
        for family in self.families:
            self.family(family)
        if self.data.models or self.data.model_errors:
            self.models()
        for s in self.data.sections:
            for sub in [s, *s.pages]:  # a section's body is HTML already
                self.page(f"{sub.slug}.html", sub.title, body=Markup(sub.body))
        return self.written


def _slug(file: str) -> str:
    found = lecture(file)
    return found.slug if found else "top"


def _latex(expr) -> str:
    import sympy

    return sympy.latex(expr)


def build_report(out: str | Path, claim_ids: list[str] | None = None, device: str = "auto", seed: int = 0,
                 quick: bool = False, numeric: bool = True, plots: bool = True,
                 sections: list[Section | PageWork] | None = None, models: tuple[str, ...] | None = None,
                 jobs: int | None = None) -> Path:
    """Collect, render and write the report into ``out``; returns the index page's path. ``sections``: further
    pages, made already (:class:`Section`) or to make beside the claims and models (:class:`PageWork`)."""
    start = time.perf_counter()
    out = Path(out)
    math = Math()
    img = out / "img"
    if img.exists():
        shutil.rmtree(img)
    img.mkdir(parents=True, exist_ok=True)
    ids = _select(claim_ids)
    n_models = 0 if not plots else len(models if models is not None else report_models(quick, chosen_families(claim_ids)))
    progress = Progress(len(ids) + n_models + sum(isinstance(s, PageWork) for s in sections or ()) + 1)
    try:
        data = collect(claim_ids, device, seed, quick, numeric, plots, img, progress, models, jobs, sections)
        site = Site(out, data, math)
        pages = site.write()
        progress.step("wrote the pages")
    finally:
        progress.close()
    print(f"report: {len(pages)} pages, {len(list(img.glob('*.png')))} plots, {math.converted} formulas as MathML"
          + (f" ({len(math.failed)} shown as LaTeX)" if math.failed else "")
          + f", {len(data.claims)} claims in {fmt(time.perf_counter() - start, '.1f')}s: {out / 'index.html'}", file=sys.stderr)
    return out / "index.html"

