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

import html
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from derivspec.core.errors import DerivspecError
from derivspec.core.registry import REGISTRY
from derivspec.core.lectures import LECTURES, cite, format_lines, lecture, order_key, title_of

STATUS_CLASS = {"verified": "ok", "matches": "ok", "proved": "ok", "definition": "info", "computed": "info",
                "holds": "ok", "failed": "bad", "disagrees": "bad", "fails": "bad", "inconclusive": "warn",
                "undecided": "warn", "not_comparable": "muted", "not_run": "muted", "not run": "muted"}
STEP_MARK = {"proved": "✓ proved", "computed": "⚙ computed", "definition": "≝ definition",
             "failed": "✗ failed", "undecided": "? undecided"}


# --- optional dependencies ------------------------------------------------------------------


def require_report_dependencies(plots: bool = True) -> None:
    """Bad input (exit 2) before any work when the report cannot be written: latex2mathml (the
    ``report`` extra) for the math, matplotlib for the plots."""
    import importlib

    needed = {"latex2mathml": "derivspec[report]"}
    if plots:
        needed["matplotlib"] = "matplotlib"
    missing = []
    for module, install in needed.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append((module, install))
    if missing:
        raise DerivspecError("derivspec report needs " + " and ".join(m for m, _ in missing) + ": pip install "
                             + " ".join(f"'{i}'" for _, i in missing) + (" (or run it with --no-plots)" if plots and
                                                                        any(m == "matplotlib" for m, _ in missing) else ""))


# --- math -----------------------------------------------------------------------------------


class Math:
    """LaTeX -> MathML, counting what could not be converted (shown as LaTeX source instead)."""

    def __init__(self):
        try:
            from latex2mathml.converter import convert
        except ImportError as error:  # pragma: no cover - the report extra is missing
            raise DerivspecError("the report needs latex2mathml: pip install 'derivspec[report]'") from error
        self._convert = convert
        self.converted = 0
        self.failed: list[str] = []

    def __call__(self, latex: str, display: bool = False) -> str:
        latex = (latex or "").strip()
        if not latex:
            return ""
        try:
            mathml = self._convert(latex, display="block" if display else "inline")
        except Exception:  # latex2mathml raises many kinds; the source is shown instead
            self.failed.append(latex)
            return f'<code class="tex">{html.escape(latex)}</code>'
        self.converted += 1
        return mathml.replace("<math ", f'<math data-tex="{html.escape(latex, quote=True)}" ', 1)

    def expr(self, expr, display: bool = False) -> str:
        import sympy

        return self(sympy.latex(expr), display)

    def quote(self, text: str) -> str:
        """A statement as a lecture writes it: a formula (LaTeX without delimiters, perhaps
        followed by a quoted remark) as math; prose with ``$…$`` spans as text and math."""
        text = (text or "").strip()
        if "$" in text or looks_like_prose(text) or not re.search(r"[\\^_=]", text):
            return self.text(text)
        remark = _QUOTE.search(text)
        formula = text[:remark.start()] if remark else text
        rendered = self(formula)
        if rendered.startswith("<code"):
            rendered = html.escape(unicode_tex(formula))
        return rendered + (f" <span class='remark'>“{html.escape(remark.group(1))}”</span>" if remark else "")

    def text(self, text: str) -> str:
        """Lecture text: ``$…$`` and ``$$…$$`` spans as math, ``**bold**``, the rest escaped."""
        out = []
        for i, part in enumerate(re.split(r"(\$\$.+?\$\$|\$[^$]+?\$)", text or "", flags=re.S)):
            if part.startswith("$$") and part.endswith("$$") and len(part) > 4:
                out.append(self(part[2:-2], display=False))
            elif part.startswith("$") and part.endswith("$") and len(part) > 2:
                out.append(self(part[1:-1]))
            else:
                out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(unicode_tex(part))))
        return "".join(out)


# --- LaTeX in prose ---------------------------------------------------------------------------

_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5), ("varepsilon", 0x3B5),
    ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC),
    ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6),
    ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394),
    ("Theta", 0x398), ("Lambda", 0x39B), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Omega", 0x3A9))}
_SYMBOLS = {"cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
            "approx": "≈", "propto": "∝", "infty": "∞", "to": "→", "rightarrow": "→", "Rightarrow": "⇒",
            "mid": "|", "sum": "Σ", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇", "in": "∈", "ldots": "…",
            "dots": "…", "cdots": "⋯", "top": "ᵀ", "quad": " ", "qquad": "  ", "log": "log", "exp": "exp", "ln": "ln",
            "min": "min", "max": "max", "sim": "~", "equiv": "≡", "pm": "±", "odot": "⊙", "|": "‖", ",": " ",
            ";": " ", "!": "", "left": "", "right": "", "big": "", "Big": "", "displaystyle": "", "sqrt": "√"}
_SUPER = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")
_SUB = str.maketrans("0123456789+-()aeiojktnmx", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎ₐₑᵢₒⱼₖₜₙₘₓ")


def unicode_tex(text: str) -> str:
    """LaTeX fragments inside prose (a step's justification) as readable Unicode:
    ``N(\\mu, \\sigma^2)`` -> ``N(μ, σ²)``, ``\\bar\\alpha_t`` -> ``ᾱₜ``, ``\\tfrac12`` -> ``½``."""
    t = text or ""
    t = re.sub(r"\\[td]?frac\s*12", "½", t)
    t = re.sub(r"\\[td]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", t)
    t = re.sub(r"\\(?:bar|overline)\s*\{?\\alpha\}?", "ᾱ", t)
    t = re.sub(r"\\(?:mathbb)\s*\{?E\}?", "𝔼", t)
    t = re.sub(r"\\(?:mathrm|text|mathcal|operatorname|mathbf|boldsymbol|textbf|mathit)\s*\{([^{}]*)\}", r"\1", t)
    t = re.sub(r"\\(?:mathcal|mathrm)\s*([A-Za-z])", r"\1", t)
    t = re.sub(r"\\([A-Za-z]+|[|,;!])", lambda m: _GREEK.get(m.group(1), _SYMBOLS.get(m.group(1), m.group(0))), t)
    t = re.sub(r"\^\{([0-9+\-()n]+)\}|\^([0-9n])", lambda m: (m.group(1) or m.group(2)).translate(_SUPER), t)
    t = re.sub(r"_\{([0-9+\-()aeiojktnmx]+)\}|_([0-9aeiojktnmx])(?![A-Za-z])",
               lambda m: (m.group(1) or m.group(2)).translate(_SUB), t)
    return t.replace("{", "").replace("}", "")


MATH_WORDS = {"KL", "log", "exp", "det", "tr", "max", "min", "sup", "inf", "lim", "argmax", "argmin", "cdot"}
_QUOTE = re.compile(r'\s*\(\s*\\?"(.+?)\\?"\s*\)\s*$', re.S)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def looks_like_prose(text: str) -> bool:
    """Words outside LaTeX commands: a sentence rather than a formula."""
    words = re.findall(r"(?<![\\A-Za-z])[A-Za-z]{3,}", _LATEX_COMMAND.sub(" ", text))
    return len(words) >= 5


def e(text) -> str:
    return html.escape(str(text))


def badge(status: str, label: str | None = None) -> str:
    return f'<span class="badge {STATUS_CLASS.get(status, "muted")}">{e(label or status.replace("_", " "))}</span>'


# --- sections (scan and later additions) ------------------------------------------------------


@dataclass
class Section:
    """A page of the report beyond the built-in ones: ``slug`` names the file (``scan`` ->
    ``scan.html``), ``summary`` is one line for the index, ``body`` the page's HTML."""

    slug: str
    title: str
    summary: str
    body: str


def scan_section(records: list[dict], summary: dict | None = None, math: Math | None = None,
                 claims: set[str] | None = None) -> Section:
    """A page of ``derivspec scan`` records (``file``, ``lines``, ``text``, ``kind``, ``verdict``,
    ``claim``, ``reason``, ``evidence``): the totals per file, every flagged statement with its
    evidence and correct form, then each file's statements in line order (folded). A claim links
    to its family page when ``claims`` (the report's claim ids) includes it, or always if None."""
    math = math or Math()
    verdict_class = {"proved": "ok", "disagrees": "bad", "unchecked": "muted"}
    records = [r.to_json() if hasattr(r, "to_json") else r for r in records]
    by_file: dict[str, list[dict]] = {}
    for record in sorted(records, key=lambda r: order_key(r["file"], r["lines"])):
        by_file.setdefault(record["file"], []).append(record)

    def link(claim):
        if not claim:
            return ""
        if claims is not None and claim not in claims:
            return e(claim)
        return f'<a href="family-{e(claim.split(".")[0])}.html#{e(claim)}">{e(claim)}</a>'

    def row(r, with_file=False):
        where = (f"{e(title_of(r['file']))}, " if with_file else "") + e(format_lines(r["lines"]))
        detail = e(r.get("reason", ""))
        if r.get("evidence"):
            detail += f"<br><span class='muted'>{e(r['evidence'])}</span>"
        if r.get("correct") and r.get("verdict") == "disagrees":
            detail += f"<br>correct: {math(r['correct'])}"
        return (f"<tr><td>{where}</td><td>{math.quote(r.get('text', ''))}</td><td>{e(r.get('kind', ''))}</td>"
                f"<td><span class='badge {verdict_class.get(r.get('verdict'), 'muted')}'>{e(r.get('verdict', ''))}"
                f"</span></td><td>{link(r.get('claim'))}</td><td>{detail}</td></tr>")

    head = ("<tr><th>lines</th><th>statement</th><th>kind</th><th>verdict</th><th>claim</th>"
            "<th>reason / evidence</th></tr>")
    parts = ["<p>Every math statement of the scanned lecture files, read in the lecture's own notation and "
             "checked: derivation chains step by step, worked numbers to their printed digits, well-known "
             "results recognised as registered claims, and for a lecture the registry cites, its registered "
             "sources. A flag means the statement is wrong (confirmed at higher precision); anything not "
             "decided soundly is <em>unchecked</em> with its reason.</p>",
             "<table><thead><tr><th>file</th><th>statements</th><th>checked</th><th>proved</th><th>flagged</th>"
             "<th>unchecked</th></tr></thead><tbody>"]
    totals = {"statements": 0, "proved": 0, "flagged": 0, "unchecked": 0}
    for file, rows in by_file.items():
        counts = {v: sum(1 for r in rows if r.get("verdict") == v) for v in ("proved", "disagrees", "unchecked")}
        totals["statements"] += len(rows)
        totals["proved"] += counts["proved"]
        totals["flagged"] += counts["disagrees"]
        totals["unchecked"] += counts["unchecked"]
        parts.append(f"<tr><td>{e(title_of(file))}<br><span class='muted'>{e(file)}</span></td><td>{len(rows)}</td>"
                     f"<td>{counts['proved'] + counts['disagrees']}</td><td>{counts['proved']}</td>"
                     f"<td>{counts['disagrees']}</td><td>{counts['unchecked']}</td></tr>")
    parts.append("</tbody></table>")
    flagged = [r for rows in by_file.values() for r in rows if r.get("verdict") == "disagrees"]
    parts.append(f"<h2>Flagged ({len(flagged)})</h2>")
    if flagged:
        parts.append(f"<table><thead>{head}</thead><tbody>" + "".join(row(r, True) for r in flagged) + "</tbody></table>")
    else:
        parts.append("<p class='muted'>Nothing flagged.</p>")
    for file, rows in by_file.items():
        parts.append(f"<h2>{e(title_of(file))}</h2><details><summary>{len(rows)} statements ({e(file)})</summary>"
                     f"<table><thead>{head}</thead><tbody>" + "".join(row(r) for r in rows) + "</tbody></table></details>")
    counts = summary or {"statements": totals["statements"], "flagged": totals["flagged"]}
    line = ", ".join(f"{v} {k}" for k, v in counts.items() if not isinstance(v, dict)) if counts \
        else f"{len(records)} statements"
    return Section("scan", "Scan", f"every equation of the scanned files checked: {line}", "".join(parts))


def scan_files_section(paths, claims: set[str] | None = None, workers: int | None = None,
                       math: Math | None = None) -> Section:
    """Scan ``paths`` (``derivspec scan``) and make the report's scan page of the records."""
    from derivspec.app.scan import scan_paths
    from derivspec.scan.records import summary as scan_summary

    records, _ = scan_paths(paths, workers=workers, progress=False)
    totals = scan_summary(records)
    return scan_section([r.to_json() for r in records],
                        {"statements": totals["statements"], "checked": totals["checked"], "flagged": totals["flagged"]},
                        math, claims)


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
    """Stage lines on stderr (a rich bar when stderr is a terminal)."""

    def __init__(self, total: int):
        from rich.console import Console

        self.console = Console(file=sys.stderr, highlight=False)
        self.total, self.done, self.bar = total, 0, None
        if self.console.is_terminal:
            from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

            self.bar = RichProgress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                    TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("report", total=total)

    def step(self, description: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done - 1, description=f"report: {description}")
        else:
            print(f"report [{self.done}/{self.total}] {description}", file=sys.stderr, flush=True)

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


def report_models(quick: bool) -> tuple[str, ...]:
    """The specifications the report runs: every registered one (the models page shows them all),
    in quick mode when the report is ``--quick`` and in full mode otherwise."""
    from derivspec.app.run import specifications

    return tuple(s.name for s in specifications())


def on_family_page(report: str, quick: bool) -> bool:
    """Whether a specification's plots also head its family's page: ``report="always"``, and
    ``"full"`` in a full report (their quick runs are too small to be the family's picture)."""
    return report == "always" or (report == "full" and not quick)


def collect(claim_ids: list[str] | None = None, device: str = "auto", seed: int = 0, quick: bool = False,
            numeric: bool = True, plots: bool = True, out: Path | None = None,
            progress: Progress | None = None, models: tuple[str, ...] | None = None) -> ReportData:
    ids = _select(claim_ids)
    model_names = () if not plots else (models if models is not None else report_models(quick))
    progress = progress or Progress(len(ids) + len(model_names) + 1)
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
    for claim_id in ids:
        progress.step(f"{'verifying' if data.numeric else 'deriving'} {claim_id}")
        data.claims.append(_verified(claim_id, ctx, seed) if data.numeric else _derived(claim_id, seed))
    for name in model_names:
        progress.step(f"running reference model {name}")
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
    from derivspec.core.metadata import run_metadata

    data.meta = run_metadata(seed, resolved_device.type if resolved_device is not None else None)
    return data


def _verified(claim_id: str, ctx, seed: int) -> ClaimEntry:
    from derivspec.app.verify import verify_claim

    r = verify_claim(claim_id, ctx)
    return ClaimEntry(r.claim_id, r.claim, r.status, r.reason, r.steps, r.sources, r.routes, r.variants, r.seconds)


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

CSS = """
:root { --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --info: #0b5cad; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; margin: 0; color: #1f2328; }
header { background: #24292f; color: #fff; padding: 0.6rem 1.5rem; }
header a { color: #fff; margin-right: 1.1rem; text-decoration: none; }
header a:hover { text-decoration: underline; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.7rem; } h2 { border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.55rem; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.7rem; font-size: 0.82rem; white-space: nowrap;
         border: 1px solid currentColor; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .info { color: var(--info); }
.muted { color: var(--muted); }
.claim { border: 1px solid var(--line); border-radius: 6px; padding: 0.2rem 1.2rem 1rem; margin: 1.4rem 0; }
.claim h2 { border: 0; margin-top: 0.8rem; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; }
code.tex { background: #fff8c5; padding: 0 0.2rem; }
ol.steps > li { margin: 0.5rem 0; }
.why { color: #424a53; }
.remark { color: #424a53; font-style: italic; }
.mark { font-size: 0.8rem; margin-left: 0.5rem; }
math[display="block"] { margin: 0.3rem 0 0.3rem 1rem; overflow-x: auto; overflow-y: hidden; }
blockquote { margin: 0.3rem 0; padding: 0.1rem 0.8rem; border-left: 3px solid var(--line); color: #424a53; }
.erratum { border-left: 4px solid var(--bad); background: #fff5f5; padding: 0.4rem 0.9rem; margin: 0.8rem 0; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9rem; max-width: 60rem; }
.summary td.num, .checks td.num { text-align: right; }
"""


class Site:
    def __init__(self, out: Path, data: ReportData, math: Math):
        self.out, self.data, self.math = out, data, math
        self.families = sorted({c.family for c in data.claims})
        self.claim_ids = {c.claim_id for c in data.claims}
        self.written: list[Path] = []

    # -- page frame --
    def nav(self) -> str:
        links = [("index.html", "Summary"), ("lectures.html", "Lectures and errata")]
        links += [(f"family-{f}.html", f) for f in self.families]
        if self.data.models or self.data.model_errors:
            links.append(("models.html", "Reference models"))
        links += [(f"{s.slug}.html", s.title) for s in self.data.sections]
        return "".join(f'<a href="{href}">{e(label)}</a>' for href, label in links)

    def page(self, name: str, title: str, body: str) -> None:
        text = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{e(title)} · derivspec report</title><link rel=\"stylesheet\" href=\"style.css\"></head>"
                f"<body><header><nav>{self.nav()}</nav></header><main><h1>{e(title)}</h1>{body}"
                f"<p class='muted'>derivspec {e(self.data.meta.get('derivspec'))}, sympy {e(self.data.meta.get('sympy'))}, "
                f"torch {e(self.data.meta.get('torch'))}; seed {e(self.data.meta.get('seed'))}, device "
                f"{e(self.data.meta.get('device'))}; {e(self.data.meta.get('time'))}</p></main></body></html>\n")
        path = self.out / name
        path.write_text(text, encoding="utf-8")
        self.written.append(path)

    def family_link(self, family: str) -> str:
        """A link to the family's page when the report has it (a reduced report may not)."""
        if family in self.families:
            return f'<a href="family-{e(family)}.html">{e(family)}</a>'
        return e(family)

    def claim_link(self, claim_id: str) -> str:
        if claim_id not in self.claim_ids:
            return f'<span class="id">{e(claim_id)}</span>'
        return f'<a class="id" href="family-{e(claim_id.split(".")[0])}.html#{e(claim_id)}">{e(claim_id)}</a>'

    # -- pages --
    def index(self) -> None:
        d = self.data
        statuses = ("verified", "failed", "inconclusive", "not run")
        rows = []
        for family in self.families:
            claims = [c for c in d.claims if c.family == family]
            counts = [sum(c.status == s for c in claims) for s in statuses]
            errata = sum(s.status == "disagrees" for c in claims for s in c.sources)
            rows.append(f'<tr><td><a href="family-{e(family)}.html">{e(family)}</a></td><td class="num">{len(claims)}</td>'
                        + "".join(f'<td class="num">{n or ""}</td>' for n in counts) + f'<td class="num">{errata or ""}</td></tr>')
        totals = [sum(c.status == s for c in d.claims) for s in statuses]
        errata = d.errata()
        body = [f"<p>{len(d.claims)} claims from {len(LECTURES)} lecture notes: "
                + ", ".join(f"{badge(s)} {n}" for s, n in zip(statuses, totals) if n)
                + f"; <a href='lectures.html'>{d.slips()} slips in the lectures disagree with their derivations</a> "
                + f"({len(errata)} sources of claims).</p>"]
        if not d.numeric:
            body.append(f"<p class='warn'>Numeric checks were not run{': ' + e(d.numeric_error) if d.numeric_error else ''}."
                        " Derivations and formula sources are shown; behaviour sources are marked not run.</p>")
        body.append("<p>A claim is <em>verified</em> when every derivation step is proved by SymPy (or computed and "
                    "marked so), every numeric route agrees with the derived target, and every wrong variant is "
                    "rejected by the checker and by a numeric route.</p>")
        body.append("<h2>Claims by family</h2><table class='summary'><thead><tr><th>family</th><th>claims</th>"
                    + "".join(f"<th>{s}</th>" for s in statuses) + "<th>errata</th></tr></thead><tbody>"
                    + "".join(rows) + "</tbody></table>")
        body.append("<h2>Lectures</h2><table><thead><tr><th>lecture</th><th>author</th><th>date</th><th>file</th>"
                    "<th>statements</th><th>errata</th></tr></thead><tbody>")
        for lec in LECTURES:
            cited = [s for c in d.claims for s in c.sources if s.source.file == lec.file]
            wrong = sum(s.status == "disagrees" for s in cited)
            body.append(f"<tr><td><a href='lectures.html#{lec.slug}'>{e(lec.title)}</a></td><td>{e(lec.author or '—')}</td>"
                        f"<td>{e(lec.date or '—')}</td><td><code>{e(lec.file)}</code></td><td class='num'>{len(cited)}</td>"
                        f"<td class='num'>{wrong or ''}</td></tr>")
        body.append("</tbody></table>")
        if d.models or d.model_errors:
            body.append("<h2>Reference models</h2><ul>")
            for r in d.models:
                body.append(f"<li><a href='models.html#{e(r.spec)}'>{e(r.spec)}</a>: {badge('holds' if r.passed else 'fails')} "
                            f"{sum(c.holds for c in r.checks)}/{len(r.checks)} checks hold</li>")
            for name, error in d.model_errors.items():
                body.append(f"<li>{e(name)}: {badge('inconclusive', 'error')} {e(error)}</li>")
            body.append("</ul>")
        for s in d.sections:
            body.append(f"<h2><a href='{e(s.slug)}.html'>{e(s.title)}</a></h2><p>{e(s.summary)}</p>")
        failing = [c for c in d.claims if c.status in ("failed", "inconclusive")]
        if failing:
            body.append("<h2>Not verified</h2><ul>" + "".join(
                f"<li>{self.claim_link(c.claim_id)} {badge(c.status)} {e(c.reason)}</li>" for c in failing) + "</ul>")
        self.page("index.html", "derivspec report", "".join(body))

    def lectures(self) -> None:
        d, m = self.data, self.math
        body = ["<p>Each statement of the lecture notes that a claim cites, in line order, compared with the claim's "
                "derivation; the errata are the statements that disagree.</p>"]
        for lec in LECTURES:
            cited = sorted(((c, s) for c in d.claims for s in c.sources if s.source.file == lec.file),
                           key=lambda cs: (*order_key(lec.file, cs[1].source.lines), cs[0].claim_id))
            meta = " · ".join(x for x in (lec.author, lec.venue, lec.date) if x)
            body.append(f"<h2 id='{lec.slug}'>{e(lec.title)}</h2><p class='muted'>{e(meta) + ' · ' if meta else ''}"
                        f"<code>{e(lec.file)}</code>{' (title from its headings)' if lec.titled_from_headings else ''}</p>")
            wrong = [(c, s) for c, s in cited if s.status == "disagrees"]
            if wrong:
                body.append(f"<h3>Errata ({len(wrong)})</h3>")
                body += [self.erratum(c, s) for c, s in wrong]
            body.append(f"<h3>Statements ({len(cited)})</h3>")
            if cited:
                body.append("<table><thead><tr><th>lines</th><th>as written</th><th>claim</th><th>status</th></tr></thead><tbody>")
                for c, s in cited:
                    body.append(f"<tr><td>{e(format_lines(s.source.lines))}</td><td>{m.quote(s.source.as_written)}</td>"
                                f"<td>{self.claim_link(c.claim_id)}</td><td>{badge(s.status)}</td></tr>")
                body.append("</tbody></table>")
        self.page("lectures.html", "Lectures and errata", "".join(body))

    def erratum(self, c: ClaimEntry, s) -> str:
        m = self.math
        correct = self.correct(s.correct)
        note = f"<p class='muted'>{e(s.source.note)}</p>" if s.source.note else ""
        return (f"<div class='erratum' id='erratum-{e(c.claim_id)}-{s.source.span[0]}'><p><strong>"
                f"{e(cite(s.source.file, s.source.lines))}</strong> — claim {self.claim_link(c.claim_id)}</p>"
                f"<p>As written:</p><blockquote>{m.quote(s.source.as_written)}</blockquote>"
                f"<p>Correct: {correct}</p><p>Evidence (counterexample): {e(s.evidence)}</p>{note}</div>")

    def correct(self, text: str) -> str:
        """The correct form: LaTeX (generated from the target) as math, prose as text."""
        if not text:
            return ""
        if "$" in text:
            return self.math.text(text)
        words = [w for w in re.findall(r"(?<![\\\w{_^])[A-Za-z]{2,}(?![\w{(])", text) if w not in MATH_WORDS]
        if ("\\" in text or re.search(r"[_^=]", text)) and not words:
            return self.math(text)
        return e(unicode_tex(text))  # prose around the formula ("…, so …", "(exactly …)")

    def family(self, family: str) -> None:
        d = self.data
        claims = [c for c in d.claims if c.family == family]
        body = [f"<p>{len(claims)} claims; derivations in <code>derivations/{e(family)}/</code>, numeric routes in "
                f"<code>numerics/{e(family)}.py</code>.</p><ul>"
                + "".join(f"<li>{self.claim_link(c.claim_id)} {badge(c.status)}</li>" for c in claims) + "</ul>"]
        for r in d.models:
            spec = REGISTRY.spec(r.spec)
            if spec.family == family and on_family_page(spec.report, r.quick):
                body.append(f"<h2>Plots: <a href='models.html#{e(r.spec)}'>{e(spec.title)}</a></h2>")
                body += [self.figure(f) for f in r.figures]
        body += [self.claim(c) for c in claims]
        self.page(f"family-{family}.html", f"Family {family}", "".join(body))

    def figure(self, figure) -> str:
        return (f"<figure><img src='img/{e(Path(figure.path).name)}' alt='{e(figure.caption)}'>"
                f"<figcaption>{e(figure.caption)}</figcaption></figure>")

    def claim(self, c: ClaimEntry) -> str:
        m, claim = self.math, c.claim
        out = [f"<section class='claim' id='{e(c.claim_id)}'><h2><span class='id'>{e(c.claim_id)}</span> "
               f"{badge(c.status)}</h2>"]
        if claim is None:
            return "".join(out) + f"<p class='bad'>{e(c.reason)}</p></section>"
        out.append(f"<p><strong>{e(claim.title)}</strong></p>")
        if c.reason and c.status != "verified":
            out.append(f"<p class='warn'>{e(c.reason)}</p>")
        symbols = ", ".join(f"{m(v.latex)} <code>{e(v.name)}</code> ({e(v.domain.constraint)})" for v in claim.variables)
        out.append(f"<p>Symbols: {symbols}</p>")
        for dfn in claim.defined:
            out.append(f"<p>Defined: {m(dfn.latex)} = {m.expr(dfn.expr)} <code>{e(dfn.name)}</code></p>")
        try:
            target = m(f"{claim.statement} = {_latex(claim.target)}", display=True)
        except Exception as error:  # a target that does not build: shown, the page goes on
            target = f"<p class='bad'>{e(error)}</p>"
        out.append(f"<h3>Target</h3>{target}")
        out.append("<h3>Derivation</h3><ol class='steps'>")
        for step in c.steps:
            mark = badge(step.status, STEP_MARK.get(step.status, step.status))
            extra = f"<br><span class='bad'>counterexample: {e(step.counterexample)}</span>" if step.counterexample else ""
            out.append(f"<li><span class='why'>{e(unicode_tex(step.why))}</span><span class='mark'>{mark}</span>"
                       f"{m.expr(step.expr, display=True)}{extra}</li>")
        out.append("</ol>")
        out.append(self.numeric(c))
        if claim.wrong_variants:
            out.append("<h3>Wrong variants (each must be rejected)</h3><table><thead><tr><th>mistake</th><th>expression</th>"
                       "<th>checker</th><th>rejected by route</th></tr></thead><tbody>")
            results = {v.name: v for v in c.variants}
            for w in claim.wrong_variants:
                v = results.get(w.name)
                verdict = v.checker_verdict if v else "not run"
                checker = badge({"not_equivalent": "holds", "equivalent": "fails"}.get(verdict, "inconclusive"
                                if v else "not run"), verdict.replace("_", " "))
                route = (e(next((r.route.name for r in v.routes if r.passed is False), "none")) if v else "—")
                out.append(f"<tr><td>{e(w.name)}</td><td>{m.expr(w.expr)}</td><td>{checker}</td><td>{route}</td></tr>")
            out.append("</tbody></table>")
        out.append("<h3>Sources</h3>")
        if not c.sources:
            out.append("<p class='muted'>none</p>")
        for s in c.sources:
            out.append(f"<p>{badge(s.status)} <a href='lectures.html#{e(_slug(s.source.file))}'>"
                       f"{e(cite(s.source.file, s.source.lines))}</a></p><blockquote>{m.quote(s.source.as_written)}</blockquote>")
            if s.status == "disagrees":
                out.append(f"<p>Correct: {self.correct(s.correct)}</p><p class='bad'>Evidence: {e(s.evidence)}</p>")
            elif s.evidence and s.status != "matches":
                out.append(f"<p class='muted'>{e(s.evidence)}</p>")
            if s.source.note:
                out.append(f"<p class='muted'>Note: {e(s.source.note)}</p>")
        out.append("</section>")
        return "".join(out)

    def numeric(self, c: ClaimEntry) -> str:
        if not c.routes:
            return "<h3>Numeric evidence</h3><p class='muted'>not run</p>"
        rows = []
        for o in c.routes:
            if o.error:
                rows.append(f"<tr><td>{e(o.route.description)}<br><code>{e(o.route.name)}</code></td><td>{e(o.route.kind)}</td>"
                            f"<td>{badge('inconclusive', 'error')}</td><td colspan='4'>{e(o.error)}</td></tr>")
                continue
            r, mc = o.result, o.result.monte_carlo
            if mc is not None:
                cells = (f"{mc.n:,}", f"{mc.estimate:.6g} ± {mc.stderr:.2g} (target {mc.expected:.6g})",
                         f"{mc.z:+.2f} (|z| ≤ {mc.z_critical:.2f})",
                         f"{mc.min_detectable_rel_error:.1%} (false-fail rate {mc.false_fail_rate:g})")
            elif r.points is not None:
                cells = (f"{r.points} points", f"max |Δ| = {r.max_abs_diff:.2g}", "—", e(r.detail))
            else:
                cells = ("—", e(r.detail), "—", "—")
            rows.append(f"<tr><td>{e(o.route.description)}<br><code>{e(o.route.name)}</code></td><td>{e(o.route.kind)}</td>"
                        f"<td>{badge('holds' if r.passed else 'fails', 'pass' if r.passed else 'FAIL')}</td>"
                        + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
        return ("<h3>Numeric evidence (the derived target)</h3><table><thead><tr><th>route</th><th>kind</th><th>result</th>"
                "<th>n</th><th>estimate / difference</th><th>z</th><th>detectable error</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table>")

    def models(self) -> None:
        body = ["<p>The reference models run as executable specifications (<code>derivspec run MODEL</code>): each "
                "checks the lecture statements it makes executable.</p>"]
        for r in self.data.models:
            spec = REGISTRY.spec(r.spec)
            body.append(f"<h2 id='{e(r.spec)}'>{e(spec.title)}</h2><p><code>derivspec run {e(r.spec)}</code> · "
                        f"<code>reference_models/{e(spec.module)}.py</code> · {r.seconds:.1f} s on {e(r.device)}"
                        f"{' (quick)' if r.quick else ''} · family {self.family_link(spec.family)}</p>"
                        f"<p>Makes executable: {e(spec.statements)}</p>")
            body.append(self.checks_table(r.checks))
            body += [self.figure(f) for f in r.figures]
            for t in r.tables:
                body.append(f"<table><caption>{e(t.title)}</caption><thead><tr>" + "".join(f"<th>{e(col)}</th>" for col in t.columns)
                            + "</tr></thead><tbody>" + "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>"
                                                               for row in t.rows) + "</tbody></table>")
        for name, error in self.data.model_errors.items():
            body.append(f"<h2 id='{e(name)}'>{e(name)}</h2><p class='bad'>{e(error)}</p>")
        self.page("models.html", "Reference models", "".join(body))

    def checks_table(self, checks) -> str:
        """A specification's checks: statement, verdict, the test's statistic against its threshold
        (with n), its false-fail rate, its power against the named alternative, the evidence."""
        rows = []
        for ch in checks:
            t, p = ch.test, ch.power
            test = (f"{e(t.test)}: {t.statistic:.4g} {'≤' if t.passed else '&gt;'} {t.threshold:.4g}<br>"
                    f"<span class='muted'>n = {t.n:,}</span>") if t is not None else "<span class='muted'>—</span>"
            rate = f"{t.false_fail_rate:g}" if t is not None else "<span class='muted'>—</span>"
            power = (f"{p.power:.2f} ({p.rejected}/{p.replicates}, ≥ {p.lower_bound:.2f} at 95 %)<br>"
                     f"<span class='muted'>against {e(p.alternative)}</span>") if p is not None \
                else "<span class='muted'>—</span>"
            rows.append(f"<tr><td>{e(ch.statement)}</td><td>{badge('holds' if ch.holds else 'fails', 'holds' if ch.holds else 'FAILS')}"
                        f"</td><td>{test}</td><td class='num'>{rate}</td><td>{power}</td><td>{e(ch.evidence)}</td></tr>")
        return ("<table class='checks'><thead><tr><th>check</th><th>verdict</th><th>statistic vs threshold</th>"
                "<th>false-fail rate</th><th>power</th><th>evidence</th></tr></thead><tbody>" + "".join(rows)
                + "</tbody></table>")

    def write(self) -> list[Path]:
        (self.out / "style.css").write_text(CSS, encoding="utf-8")
        self.index()
        self.lectures()
        for family in self.families:
            self.family(family)
        if self.data.models or self.data.model_errors:
            self.models()
        for s in self.data.sections:
            self.page(f"{s.slug}.html", s.title, s.body)
        return self.written


def _slug(file: str) -> str:
    found = lecture(file)
    return found.slug if found else "top"


def _latex(expr) -> str:
    import sympy

    return sympy.latex(expr)


def build_report(out: str | Path, claim_ids: list[str] | None = None, device: str = "auto", seed: int = 0,
                 quick: bool = False, numeric: bool = True, plots: bool = True,
                 sections: list[Section] | None = None, models: tuple[str, ...] | None = None) -> Path:
    """Collect, render and write the report into ``out``; returns the index page's path."""
    start = time.perf_counter()
    out = Path(out)
    math = Math()
    img = out / "img"
    if img.exists():
        shutil.rmtree(img)
    img.mkdir(parents=True, exist_ok=True)
    ids = _select(claim_ids)
    n_models = 0 if not plots else len(models if models is not None else report_models(quick))
    progress = Progress(len(ids) + n_models + 1)
    try:
        data = collect(ids, device, seed, quick, numeric, plots, img, progress, models)
        data.sections = list(sections or [])
        progress.step("writing pages")
        site = Site(out, data, math)
        pages = site.write()
    finally:
        progress.close()
    print(f"report: {len(pages)} pages, {len(list(img.glob('*.png')))} plots, {math.converted} formulas as MathML"
          + (f" ({len(math.failed)} shown as LaTeX)" if math.failed else "")
          + f", {len(data.claims)} claims in {time.perf_counter() - start:.1f}s: {out / 'index.html'}", file=sys.stderr)
    return out / "index.html"

