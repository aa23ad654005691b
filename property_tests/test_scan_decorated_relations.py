r"""A relation under a note (``\overset{\text{def}}{=}``, ``\stackrel{(i)}{\le}``, ``\underset{(a)}{=}``) is
read as that relation (derivspec/scan/reader.py ``unwrap_decorations``): the chain splits there, and a
note saying "def" (or ``\triangle``) makes it a definition ``:=``. Before, the note was dropped and
``{=}`` stayed inside braces: the side after it was not read ("expected a value but found '='"), and a
line whose only relation was decorated was not a statement at all. Documents written for the test."""

from __future__ import annotations

import pytest

from scanning import scan_text


def _steps(tmp_path, tex: str):
    (record,) = [r for r in scan_text(tmp_path, f"# Notes\n\n$$\n{tex}\n$$\n") if r.lines[0] == 4]
    return [(s["relation"], s["left"], s["right"]) for s in record.steps]


@pytest.mark.parametrize("note, relation", [
    (r"\text{def}", ":="), (r"\mathrm{def}", ":="), (r"\triangle", ":="), (r"(i)", "="), (r"\text{(a)}", "=")])
@pytest.mark.parametrize("command", [r"\overset", r"\stackrel"])
def test_a_decorated_equals_splits_the_chain(tmp_path, command, note, relation):
    steps = _steps(tmp_path, rf"u = v + w {command}{{{note}}}{{=}} 2 v")
    assert [s[0] for s in steps] == ["=", relation]
    assert steps[1][1:] == ("v + w", "2 v")


def test_a_decorated_inequality_is_an_inequality(tmp_path):
    steps = _steps(tmp_path, r"\log p(x) \overset{\text{Jensen}}{\geq} \mathbb{E}_{q}[\log p(x, z) - \log q(z)]")
    assert steps == [("≥", r"\log p(x)", r"\mathbb{E}_{q}[\log p(x, z) - \log q(z)]")]


def test_a_decorated_relation_is_still_checked(tmp_path):
    # 2 + 2 under a note is still 4, and 5 is still wrong
    (right,) = [r for r in scan_text(tmp_path, "# N\n\n$$\nx = 2 + 2 \\overset{(i)}{=} 4\n$$\n") if r.lines[0] == 4]
    (wrong,) = [r for r in scan_text(tmp_path, "# N\n\n$$\nx = 2 + 2 \\overset{(i)}{=} 5\n$$\n") if r.lines[0] == 4]
    assert right.verdict != "disagrees"
    assert wrong.verdict == "disagrees"


@pytest.mark.parametrize("operator", [r"\min", r"\max", r"\arg\min", r"\operatorname{argmax}"])
def test_an_operator_under_its_variable_reads_as_the_operator_with_a_subscript(operator):
    from derivspec.scan.reader import unwrap_decorations

    # \underset{q(z)}{\min} f once became {\min} f: "'\min' needs an argument, found '}'"
    assert unwrap_decorations(rf"\underset{{q(z)}}{{{operator}}} f(q)").split() == [f"{operator}_{{q(z)}}", "f(q)"]


def test_a_minimum_over_a_set_is_unchecked_with_its_name(tmp_path):
    (record,) = [r for r in scan_text(tmp_path, "# N\n\n$$\n\\underset{w}{\\min} (w - 3)^2 = 1\n$$\n")
                 if r.lines[0] == 4]
    assert record.verdict == "unchecked" and "minimum over a set" in record.reason
