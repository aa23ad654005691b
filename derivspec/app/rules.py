"""``derivspec rules [CODE] [--json]``: scan's coded rules (derivspec.scan.rules.registry), as ``ruff rule`` lists
and documents its own. Without a code: one line per rule (code, name, kind, status); with one: its page. An unknown
code is bad input (exit 2) naming the close codes."""

from __future__ import annotations

from derivspec.core.errors import EXIT_OK, DerivspecError


def run(args) -> int:
    from derivspec.app.output import print_json
    from derivspec.scan.rules import registry
    from derivspec.scan.rules.docs import page

    if args.code:
        try:
            rule = registry.rule(args.code)
        except KeyError as error:
            raise DerivspecError(str(error.args[0])) from None
        if args.json:
            print_json(_as_json(rule, page(rule)))
        else:
            print(page(rule))
        return EXIT_OK
    if args.json:
        print_json({"rules": [_as_json(r) for r in registry.RULES]})
        return EXIT_OK
    width = max(len(r.name) for r in registry.RULES)
    kinds = max(len(r.kind) for r in registry.RULES)
    for r in registry.RULES:
        print(f"{r.code}  {r.name:<{width}}  {r.kind:<{kinds}}  {r.status}")
    return EXIT_OK


def _as_json(rule, text: str | None = None) -> dict:
    data = {"code": rule.code, "name": rule.name, "kind": rule.kind, "property": rule.property,
            "mechanism": rule.mechanism, "status": rule.status, "family": rule.family}
    if text is not None:
        data.update({"what": rule.what, "why": rule.why, "example": rule.example, "message": rule.message,
                     "correct": rule.correct, "not_flagged": list(rule.not_flagged), "page": text})
    return data
