"""``derivspec rules [CODE|NAME] [--family FAMILY] [--json]``: scan's coded rules (derivspec.scan.rules.registry),
as ``ruff rule`` and ``ruff linter`` list and document their own.

Without an argument: a table (derivspec.app.output.table: headers kept when piped, within the width) of every
rule -- code, name, family, status (default or preview) and a one-line summary --, then a line saying how to
open a page; ``--family F``: one family's rules. With a code (``DS201``) or a name (``pmf-sums-to-one``): the
rule's page (docs/rules/DS201.md). An unknown code, name or family is bad input (exit 2) naming close matches."""

from __future__ import annotations

from derivspec.core.errors import EXIT_OK, DerivspecError


def run(args) -> int:
    from derivspec.app.output import print_json
    from derivspec.scan.rules import registry
    from derivspec.scan.rules.docs import page

    try:
        rule = registry.rule(args.code) if args.code else None
        chosen = registry.family(args.family) if getattr(args, "family", None) else list(registry.RULES)
    except KeyError as error:
        raise DerivspecError(str(error.args[0])) from None
    if rule is not None:
        if args.json:
            print_json(_as_json(rule, page(rule)))
        else:
            print(page(rule))
        return EXIT_OK
    if args.json:
        print_json({"rules": [_as_json(r) for r in chosen]})
        return EXIT_OK
    print_table(chosen, registry.FAMILIES)
    return EXIT_OK


def print_table(rules, families) -> None:
    """The rules as one table, family by family in code order."""
    from derivspec.app.output import say_wrapped, table

    titles = dict(families)
    shown = {r.family for r in rules}
    title = ("derivspec rules" if len(shown) > 1 else f"derivspec rules: {titles.get(next(iter(shown)), '')}"
             .rstrip(": "))
    rows = [(r.code, r.name, r.family, r.status, r.summary) for r in rules]
    table(title, ("code", "name", "family", "status", "summary"), rows, keep=(0, 1, 2, 3))
    default = sum(r.status == "default" for r in rules)
    say_wrapped(f"{len(rules)} rules, {default} on by default, {len(rules) - default} in preview (scan --preview runs them). "
        "A rule's page: derivspec rules CODE or NAME; one family: derivspec rules --family FAMILY.")


def _as_json(rule, text: str | None = None) -> dict:
    data = {"code": rule.code, "name": rule.name, "kind": rule.kind, "property": rule.property,
            "mechanism": rule.mechanism, "status": rule.status, "family": rule.family, "summary": rule.summary}
    if text is not None:
        data.update({"what": rule.what, "why": rule.why, "example": rule.example, "message": rule.message,
                     "correct": rule.correct, "not_flagged": list(rule.not_flagged), "page": text})
    return data
