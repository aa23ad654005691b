r"""``derivspec scan``'s findings as linters report them: text rows, GitHub annotations, SARIF.

Each record has a level (derivspec.scan.records.level_of): ``error`` a flag, ``warning`` a statement
whose check ran out of time, ``notice`` an unchecked statement whose sides differ under one reading
(not flagged because another reading holds); proved and other unchecked statements have none.

Every flag carries its rule code (``DS001`` … ``DS405``; the judge's DS001-DS005 included:
derivspec.scan.rules.registry is the one place that knows them) and a severity (the record's
``severity``: ``error``, or ``question`` for a disagreement that rests on a guessed reading of a symbol;
``error`` where a record has none). The exit status counts errors only (questions too under
``--strict``: :func:`counts_for_exit`).

``text`` rows (``--quiet``, ``--only-flags``): ``path:line:col: CODE message [tag]`` as ruff prints
them -- ``DS001`` for an error, ``DS001?`` for a question, ``notice:`` and ``warning:`` for a statement
that is no flag (a notebook's ``path: cell N, line M, col C``, the line within the Markdown cell,
as a notebook's user finds it), the path relative to the working directory, the tag the claim or
the statement's class (what ``--select`` and ``--ignore`` take); then, indented, the statement, the
correct form and the counterexample (``name = value`` pairs as the record gives them).

``github``: one GitHub Actions workflow command per finding, which the runner shows as an
annotation on the file and lines::

    ::error file=lectures/kl.md,line=4,endLine=4,col=3,title=derivspec DS002 kl.gaussian.univariate::<message>

The message holds the statement, the rule code and the reason, the counterexample (a notice's
evidence) and the correct form, one per line. A flag is an ``::error``; a question (a flag resting
on a guessed reading), a flag suppressed in the lecture (the record's ``suppressed`` field) and a
notice are ``::notice``; a statement stopped by its time limit
is a ``::warning``, and a file whose time budget was spent before all its statements were checked
(exit code 3) is one ``::warning`` for the file. A last plain line sums up the scan. A notebook's
lines are its JSON's, not the cells': its annotations name the file only, and the message starts with
``cell N, line M``.
Values are escaped as the Actions toolkit escapes them (``@actions/core`` ``command.ts``): in the
message ``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in a property also ``:`` and ``,``
become ``%3A`` and ``%2C``.

``sarif``: one SARIF 2.1.0 log (OASIS) with one run: ``tool.driver`` (name, version,
informationUri, one rule per rule code flagged -- ``id`` the code, ``name`` the rule's name, its
summary and what it checks --; ``scan.one-reading`` for notices, ``scan.time-limit`` for warnings),
one result per finding (``ruleId`` the code; level ``error``, ``note`` for a question and a notice,
``warning``; the claim, when recognised, among its ``properties``; the message, the file as
a URI relative to the working directory -- ``uriBaseId`` ``SRCROOT`` -- and the lines and start
column as a region, columns counted in Unicode code points; ``properties`` with the verdict,
evidence and correct form); a flag whose correct form replaces a right side found as written
carries a ``fixes`` entry (derivspec.app.scan_locations); a suppressed flag carries a
``suppressions`` entry of kind ``inSource``. A notebook's result has no region (its file's lines are
JSON): its location's message is ``cell N, line M`` and ``properties`` hold the cell. Code-scanning
services (GitHub's ``github/codeql-action/upload-sarif``) read it.

Neither format changes the exit code (derivspec.app.scan.run).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FORMATS = ("text", "json", "github", "sarif")
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/derivspec/"  # when the installed metadata names no project URL
SRCROOT = "SRCROOT"
STEP_RULES = {
    "chain": "a step of a derivation whose two sides differ: a counterexample confirmed at high precision",
    "number": "a worked number that does not follow from the numbers before it",
    "known": "a known result written differently from its derivation",
    "source": "a registered source of a claim that disagrees with the claim's derivation",
}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR, LF percent-encoded (actions/toolkit escapeData)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: the message's escapes and ``:``, ``,`` (escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str) -> str:
    """``path`` relative to the working directory (posix), or absolute when it lies outside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, os.getcwd())
    return Path(absolute if relative.startswith("..") else relative).as_posix()


def locations(files) -> dict[str, str]:
    """The path (relative to the working directory) of each name records carry, from the (path,
    name) pairs the scan read (derivspec.app.inputs.lecture_files)."""
    return {name: _relative(path) for path, name in files}


NOTICE_RULE, WARNING_RULE = "scan.one-reading", "scan.time-limit"
LEVEL_RULES = {
    NOTICE_RULE: "an unchecked statement whose two sides differ under one reading; not flagged because another "
                 "reading, or an assumption the lecture may make, holds",
    WARNING_RULE: "a statement whose check was stopped by its time limit (--time-limit raises it)",
}
SEVERITIES = ("error", "question")


def _field(record, name: str, default=None):
    """A record's field, whether the record is a derivspec.scan.Record or its JSON (a dict)."""
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def severity(record) -> str:
    """A flag's severity: ``error`` (a disagreement resting only on what the document declares or defines
    and on notation with one meaning) or ``question`` (one that rests on a guessed reading of a symbol);
    a record without the field (written before severities existed) is an error."""
    found = _field(record, "severity", "error") or "error"
    return found if found in SEVERITIES else "error"


def code(record) -> str | None:
    """The rule code of a flag (``DS001`` … ``DS405``: derivspec.scan.rules.registry knows every one, the
    judge's DS001-DS005 included); None for a statement not flagged."""
    if isinstance(record, dict):
        return record.get("rule") if record.get("verdict") == "disagrees" else None
    return record.rule_code


def marker(record) -> str | None:
    """What a linter's row prints in the code's place: ``DS102`` for an error, ``DS102?`` for a question
    (a flag that rests on a guessed reading); ``notice`` / ``warning`` for a statement that is not a flag
    but asks its reader something (derivspec.scan.records.level_of); None for the rest."""
    found = code(record)
    if found:
        return found + ("?" if severity(record) == "question" else "")
    level = _field(record, "level") if isinstance(record, dict) else record.level
    return level if level in ("notice", "warning") else None


def counts_for_exit(record, strict: bool = False) -> bool:
    """Whether a record makes the scan's exit status 1: a flag not suppressed that is an error -- a
    question only under ``--strict``."""
    if _field(record, "verdict") != "disagrees" or _field(record, "suppressed"):
        return False
    return strict or severity(record) == "error"


def reason_text(record) -> str:
    """The record's reason on one line, without the rule code a coded rule puts before it (the row prints
    the code in its own place)."""
    reason = " ".join(str(_field(record, "reason", "") or "").split())
    found = code(record)
    return reason[len(found) + 1:] if found and reason.startswith(found + " ") else reason


def rule_id(record) -> str:
    """A flag's rule code (``DS001``); :data:`NOTICE_RULE` / :data:`WARNING_RULE` for a notice and a
    warning; a question (a flag resting on a guess, a notice in level) keeps its flag's code."""
    found = record.level
    if found == "notice" and record.verdict != "disagrees":
        return NOTICE_RULE
    if found == "warning":
        return WARNING_RULE
    return record.rule_code or f"scan.{record.kind}"


def tag(record) -> str:
    """The claim, else the statement's class with hyphens (``worked-number``): a value ``--select``
    and ``--ignore`` take; ``scan.<kind>`` for a record with neither."""
    return record.claim or (record.category.replace(" ", "-") if record.category else f"scan.{record.kind}")


def findings(records, errors_only: bool = False, suppressed: bool = False) -> list:
    """The records a linter reports, in order: flags not suppressed (``suppressed``: those too),
    and (unless ``errors_only``) warnings and notices -- a statement left by the file's time budget
    is counted per file instead (:func:`_incomplete`)."""
    from derivspec.scan.runner import BUDGET_SPENT

    chosen = []
    for r in records:
        found = r.level
        if found == "error" and (suppressed or not r.suppressed):
            chosen.append(r)
        elif not errors_only and found in ("warning", "notice") and not r.reason.startswith(BUDGET_SPENT):
            chosen.append(r)
    return chosen


def position(record, sources) -> str:
    """``12:5`` (the line and column where the statement starts); a notebook's ``cell 3, line 2, col 5``
    (the cell a notebook's user sees, the line within it)."""
    line, column = int(record.lines[0]), sources.column(record)
    return f"{line}:{column}" if record.cell is None else f"cell {record.cell}, line {line}, col {column}"


def linter_location(record, located: dict, sources) -> str:
    """``path:line:col`` (a notebook's ``path: cell N, line M, col C``), the path as :func:`locations` gives it."""
    path = located.get(record.file, record.file)
    return f"{path}{':' if record.cell is None else ': '}{position(record, sources)}"


def linter_row(record, located: dict, sources) -> str:
    """``path:line:col: CODE message [tag]`` as ruff prints a row: ``DS001`` for an error, ``DS001?`` for
    a question (a flag resting on a guessed reading), ``notice:`` / ``warning:`` for a statement that
    is no flag (:func:`marker`)."""
    found = marker(record)
    head = f"{found}:" if found in ("notice", "warning") else found
    return f"{linter_location(record, located, sources)}: {head} {reason_text(record)} [{tag(record)}]"


def details(record) -> list[str]:
    """A finding's lines under its row: the statement, the correct form, the counterexample (a
    notice's evidence), why a flag is suppressed."""
    out = [" ".join(record.text.split())]
    if record.correct:
        out.append(f"correct: {' '.join(record.correct.split())}")
    if record.evidence:
        label = "counterexample" if record.verdict == "disagrees" else "evidence"
        out.append(f"{label}: {' '.join(record.evidence.split())}")
    if record.suppressed:
        out.append(f"suppressed: {record.suppressed}")
    return out


def print_rows(records, per_file: dict, total: dict, files, errors_only: bool, totals: bool) -> None:
    """Text output as a linter's: per file its summary line, then each finding (:func:`findings`) as
    :func:`linter_row` with its :func:`details` indented; ``totals``: the scan's summary line last."""
    from derivspec.app.output import say, width, wrapped
    from derivspec.app.scan_locations import Sources

    located, sources = locations(files), Sources(files)
    by_file: dict[str, list] = {}
    for r in findings(records, errors_only):
        by_file.setdefault(r.file, []).append(r)
    for file, s in per_file.items():
        rows = by_file.get(file, [])
        title = (f"{file}: {s['statements']} statements, {s['checked']} checked, {s['flagged']} flagged, "
                 + (f"{s['suppressed']} suppressed, " if s.get("suppressed") else "") + f"{s['unchecked']} unchecked")
        say(wrapped(title + ("" if rows or not errors_only else " — nothing flagged"), later="  "))
        for r in rows:
            row, location = linter_row(r, located, sources), linter_location(r, located, sources)
            if len(location) + 2 > width():  # a location is never broken: on a line of its own, however long
                say(location + ":")
                row = row[len(location) + 2:]
            say(wrapped(row, later="    "))
            for line in details(r):
                say(wrapped(line, indent="    ", later="      "))
    if totals:
        say(wrapped(_summary_line(total), later="  "))


def where(record) -> str:
    """``line 4``, ``lines 4-6``; a notebook's statement ``cell 3, line 2`` (lines within the cell)."""
    first, last = record.lines[0], record.lines[-1]
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return lines if record.cell is None else f"cell {record.cell}, {lines}"


def message(record) -> str:
    """The statement, why it is flagged (after its rule code: ``DS001 the two sides differ``), the
    counterexample (a notice's evidence) and the correct form: one per line."""
    found = code(record)
    parts = [f"{where(record)}: {' '.join(record.text.split())}",
             f"{marker(record)} {reason_text(record)}" if found else record.reason]
    if record.evidence:
        parts.append(f"{'counterexample' if record.verdict == 'disagrees' else 'evidence'}: {record.evidence}")
    if record.correct:
        parts.append(f"correct: {record.correct}")
    return "\n".join(parts)


def _incomplete(records) -> dict[str, int]:
    """Per file, the statements left unchecked because the file's time budget was spent."""
    from derivspec.scan.runner import BUDGET_SPENT

    left: dict[str, int] = {}
    for r in records:
        if r.verdict == "unchecked" and r.reason.startswith(BUDGET_SPENT):
            left[r.file] = left.get(r.file, 0) + 1
    return left


def _summary_line(total: dict) -> str:
    line = (f"derivspec: {total['statements']} statements: {total['checked']} checked ({total['proved']} proved, "
            f"{total['flagged']} flagged), {total['unchecked']} unchecked")
    suppressed = total.get("suppressed")
    return line + (f", {suppressed} suppressed" if isinstance(suppressed, int) and suppressed else "")


GITHUB_TITLES = {"notice": " (differs under one reading, not flagged)", "warning": " (time limit)",
                 "question": " (a question: it rests on a guessed reading)"}


def github_commands(records, total: dict, files) -> list[str]:
    """The workflow commands of a scan, then its summary line; ``files`` the (path, name) pairs read."""
    from derivspec.app.scan_locations import Sources

    out, located, sources = [], locations(files), Sources(files)
    for r in findings(records, suppressed=True):
        suppressed, why, found = bool(r.suppressed), r.suppressed, r.level
        properties = {"file": located.get(r.file, r.file)}
        if r.cell is None:
            properties["line"], properties["endLine"] = int(r.lines[0]), int(r.lines[1])
            properties["col"] = sources.column(r)
        flag = code(r)
        question = bool(flag) and severity(r) == "question"
        title = "derivspec " + (f"{marker(r)} {tag(r)}" if flag else r.claim or f"scan.{r.kind}")
        title += " (suppressed)" if suppressed else ""
        properties["title"] = title + GITHUB_TITLES.get("question" if question else found, "")
        text = message(r) + (f"\nsuppressed in the lecture{': ' + why if why else ''}" if suppressed else "")
        fields = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        command = "notice" if suppressed or question or found == "notice" else found
        out.append(f"::{command} {fields}::{escape_data(text)}")
    for file, count in _incomplete(records).items():
        text = (f"scan incomplete: the file's time budget was spent, {count} statements not checked "
                "(raise --file-time-limit)")
        out.append(f"::warning file={escape_property(located.get(file, file))},"
                   f"title={escape_property('derivspec: scan incomplete')}::{escape_data(text)}")
    out.append(_summary_line(total))
    return out


def print_github(records, total: dict, files) -> None:
    from derivspec.app.output import printable_name

    sys.stdout.write("".join(printable_name(line) + "\n" for line in github_commands(records, total, files)))


def _information_uri() -> str:
    from importlib import metadata

    try:
        urls = metadata.metadata("derivspec").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:  # "Homepage, https://..."
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "documentation", "source", "repository") and url.strip():
            return url.strip()
    return INFORMATION_URI


def _rule(identifier: str, record) -> dict:
    """A SARIF reportingDescriptor: a rule code's (its name, summary, what it checks, its family), or the
    notice's and the warning's."""
    if identifier in LEVEL_RULES:
        return {"id": identifier, "name": identifier, "shortDescription": {"text": LEVEL_RULES[identifier]},
                "defaultConfiguration": {"level": SARIF_LEVELS[record.level]},
                "properties": {"tags": ["derivspec", record.level]}}
    from derivspec.scan.rules.registry import BY_CODE

    rule = BY_CODE.get(identifier)
    if rule is None:  # a flag without a code (none is raised today): its kind of step
        text = STEP_RULES.get(record.kind, f"a {record.kind} statement that disagrees")
        return {"id": identifier, "name": identifier, "shortDescription": {"text": text},
                "defaultConfiguration": {"level": "error"}, "properties": {"tags": ["derivspec", record.kind]}}
    return {"id": rule.code, "name": rule.name, "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.what}, "help": {"text": rule.why},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["derivspec", rule.family, rule.status]}}


def _artifact(path: str) -> dict:
    import urllib.parse

    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": urllib.parse.quote(path), "uriBaseId": SRCROOT}


SARIF_LEVELS = {"error": "error", "warning": "warning", "notice": "note", "question": "note"}
SARIF_KINDS = {"error": "fail", "question": "fail", "warning": "open", "notice": "review"}  # open: not decided; review: for a person


def _fix(record, artifact: dict, region: dict) -> dict:
    """A SARIF fix: the flagged right side replaced by the correct form."""
    return {"description": {"text": f"replace the right side by the correct form: {record.correct}"},
            "artifactChanges": [{"artifactLocation": artifact,
                                 "replacements": [{"deletedRegion": region,
                                                   "insertedContent": {"text": record.correct}}]}]}


def sarif_log(records, total: dict, files) -> dict:
    """The scan's findings as a SARIF 2.1.0 log (one run); ``files`` the (path, name) pairs read."""
    from derivspec.app.scan_locations import Sources
    from derivspec.core.metadata import version

    located, sources = locations(files), Sources(files)
    rules: list[dict] = []
    index: dict[str, int] = {}
    results = []
    for r in findings(records, suppressed=True):
        found = r.level
        identifier = rule_id(r)
        if identifier not in index:
            index[identifier] = len(rules)
            rules.append(_rule(identifier, r))
        data = r.to_json()
        properties = {key: data[key] for key in ("verdict", "evidence_level", "kind", "claim", "reason", "evidence",
                                                 "correct", "class", "lines", "cell", "rule") if data.get(key) is not None}
        properties["statement"] = r.text
        properties["level"] = found
        if code(r):
            found = "question" if severity(r) == "question" else found  # a question is a note
            properties["severity"] = severity(r)
        artifact = _artifact(located.get(r.file, r.file))
        location = {"artifactLocation": artifact}
        if r.cell is not None:  # the file's lines are the notebook's JSON: the cell and its line instead
            properties["cell"] = r.cell
        else:
            location["region"] = {"startLine": int(r.lines[0]), "startColumn": sources.column(r),
                                  "endLine": int(r.lines[1]), "snippet": {"text": r.text}}
        result = {"ruleId": identifier, "ruleIndex": index[identifier], "level": SARIF_LEVELS[found],
                  "kind": SARIF_KINDS[found], "message": {"text": message(r)},
                  "locations": [{"physicalLocation": location}
                                | ({} if r.cell is None else {"message": {"text": where(r)}})],
                  "properties": properties}
        region = sources.replaced_region(r) if found in ("error", "question") else None
        if region is not None:
            result["fixes"] = [_fix(r, artifact, region)]
        if r.suppressed:
            result["suppressions"] = [{"kind": "inSource", "status": "accepted", "justification": r.suppressed}]
        results.append(result)
    notices = [{"level": "warning", "message": {"text": f"{file}: scan incomplete, the file's time budget was spent "
                                                        f"({count} statements not checked)"},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(located.get(file, file))}}]}
               for file, count in _incomplete(records).items()]
    invocation = {"executionSuccessful": True, "toolExecutionNotifications": notices,
                  "workingDirectory": {"uri": Path.cwd().as_uri() + "/"}}
    driver = {"name": "derivspec", "version": version("derivspec") or "unknown",
              "informationUri": _information_uri(), "rules": rules}
    run = {"tool": {"driver": driver}, "invocations": [invocation], "columnKind": "unicodeCodePoints",
           "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
           "results": results, "properties": {"summary": total}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def print_format(fmt: str, records, total: dict, files) -> None:
    """``scan --format github`` or ``--format sarif`` on stdout; ``files`` the (path, name) pairs read."""
    {"github": print_github, "sarif": print_sarif}[fmt](records, total, files)


def print_sarif(records, total: dict, files) -> None:
    from derivspec.app.output import print_json

    print_json(sarif_log(records, total, files))
