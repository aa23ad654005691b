r"""``derivspec scan --format github|sarif``: the scan's records for continuous integration.

``github``: one GitHub Actions workflow command per flag (a statement whose verdict is
``disagrees``), which the runner shows as an annotation on the file and lines::

    ::error file=lectures/kl.md,line=4,endLine=4,title=derivspec kl.gaussian.univariate::<message>

The message holds the statement, the reason, the counterexample and the correct form, one per
line. Proved and unchecked statements produce nothing; a flag suppressed in the lecture (the
record's ``suppressed`` field) is a ``::notice``; a file whose time budget was spent before all
its statements were checked (exit code 3) is one ``::warning``. A last plain line sums up the scan.
Values are escaped as the Actions toolkit escapes them (``@actions/core`` ``command.ts``): in the
message ``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in a property also ``:`` and ``,``
become ``%3A`` and ``%2C``.

``sarif``: one SARIF 2.1.0 log (OASIS) with one run: ``tool.driver`` (name, version,
informationUri, one rule per flagged claim, or per kind of step for a flag without a claim:
``scan.chain``, ``scan.number``), one result per flag (level ``error``, the message, the file as a
URI relative to the working directory -- ``uriBaseId`` ``SRCROOT`` -- and the lines as a region,
``properties`` with the verdict, evidence and correct form); a suppressed flag carries a
``suppressions`` entry of kind ``inSource``. Code-scanning services (GitHub's
``github/codeql-action/upload-sarif``) read it.

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


def rule_id(record) -> str:
    """The claim a flag is about, or ``scan.<kind>`` for a step that is no known claim."""
    return record.claim or f"scan.{record.kind}"


def where(record) -> str:
    """``line 4``, ``lines 4-6``; a notebook's statement ``cell 3, line 2`` (lines within the cell)."""
    first, last = record.lines[0], record.lines[-1]
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return lines if record.cell is None else f"cell {record.cell}, {lines}"


def message(record) -> str:
    """The statement, why it is flagged, the counterexample and the correct form: one per line."""
    parts = [f"{where(record)}: {' '.join(record.text.split())}", record.reason]
    if record.evidence:
        parts.append(f"counterexample: {record.evidence}")
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


def github_commands(records, total: dict, files) -> list[str]:
    """The workflow commands of a scan, then its summary line; ``files`` the (path, name) pairs read."""
    out, located = [], locations(files)
    for r in records:
        if r.verdict != "disagrees":
            continue
        suppressed, why = bool(r.suppressed), r.suppressed
        properties = {"file": located.get(r.file, r.file)}
        if r.cell is None:
            properties["line"], properties["endLine"] = int(r.lines[0]), int(r.lines[1])
        title = f"derivspec {rule_id(r)}" + (" (suppressed)" if suppressed else "")
        properties["title"] = title
        text = message(r) + (f"\nsuppressed in the lecture{': ' + why if why else ''}" if suppressed else "")
        fields = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        out.append(f"::{'notice' if suppressed else 'error'} {fields}::{escape_data(text)}")
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
    if record.claim:
        try:
            from derivspec.core import registry

            title = registry.get(record.claim).title
        except Exception:  # a claim the registry no longer holds keeps its id as its description
            title = record.claim
        text = f"{title}: the lecture's form disagrees with the claim's derivation"
    else:
        text = STEP_RULES.get(record.kind, f"a {record.kind} statement that disagrees")
    return {"id": identifier, "name": identifier, "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "error"}, "properties": {"tags": ["derivspec", record.kind]}}


def _artifact(path: str) -> dict:
    import urllib.parse

    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": urllib.parse.quote(path), "uriBaseId": SRCROOT}


def sarif_log(records, total: dict, files) -> dict:
    """The scan's flags as a SARIF 2.1.0 log (one run); ``files`` the (path, name) pairs read."""
    from derivspec.core.metadata import version

    located = locations(files)
    rules: list[dict] = []
    index: dict[str, int] = {}
    results = []
    for r in records:
        if r.verdict != "disagrees":
            continue
        identifier = rule_id(r)
        if identifier not in index:
            index[identifier] = len(rules)
            rules.append(_rule(identifier, r))
        data = r.to_json()
        properties = {key: data[key] for key in ("verdict", "evidence_level", "kind", "claim", "reason", "evidence",
                                                 "correct", "class", "lines", "cell") if data.get(key) is not None}
        properties["statement"] = r.text
        location = {"artifactLocation": _artifact(located.get(r.file, r.file))}
        if r.cell is not None:
            properties["cell"] = r.cell
        else:
            location["region"] = {"startLine": int(r.lines[0]), "endLine": int(r.lines[1]),
                                  "snippet": {"text": r.text}}
        result = {"ruleId": identifier, "ruleIndex": index[identifier], "level": "error", "kind": "fail",
                  "message": {"text": message(r)}, "locations": [{"physicalLocation": location}],
                  "properties": properties}
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
    run = {"tool": {"driver": driver}, "invocations": [invocation],
           "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
           "results": results, "properties": {"summary": total}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def print_format(fmt: str, records, total: dict, files) -> None:
    """``scan --format github`` or ``--format sarif`` on stdout; ``files`` the (path, name) pairs read."""
    {"github": print_github, "sarif": print_sarif}[fmt](records, total, files)


def print_sarif(records, total: dict, files) -> None:
    from derivspec.app.output import print_json

    print_json(sarif_log(records, total, files))
