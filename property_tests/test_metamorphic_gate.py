"""The metamorphic gate of issue 42 (benchmarks/rename_letters.py, benchmarks/scan_metamorphic.py):
a lecture's letters renamed consistently inside math, and scan's verdicts compared with the
original's. The renaming is tested here for what it must and must not touch; the gate's figure on
our own probe documents may not fall below the measured baseline (BASELINE: raised as the scan core
lands, never lowered)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rename_letters = _module("rename_letters")
scan_metamorphic = _module("scan_metamorphic")


def test_renames_letters_in_math_consistently_and_leaves_prose():
    text = ("The encoder q and the prior p are densities over z.\n\n"
            "$$\n\\mathbb{E}_{q(z|x)}[\\log p_\\theta(x|z)] - \\mathrm{KL}(q(z|x) \\| p(z)) \\le \\log p(x)\n$$\n")
    renamed, mapping = rename_letters.rename(text, scheme="issue42")
    assert mapping == {"z": "v", "q": "r", r"\theta": r"\psi", "x": "u", "p": r"\pi"}
    prose, math = renamed.split("\n\n", 1)
    assert prose == "The encoder q and the prior p are densities over z."  # prose is not renamed
    assert math == ("$$\n\\mathbb{E}_{r(v|u)}[\\log \\pi_\\psi(u|v)] - \\mathrm{KL}(r(v|u) \\| \\pi(v)) "
                    "\\le \\log \\pi(u)\n$$\n")


def test_words_commands_and_letter_runs_are_not_renamed():
    text = r"$\max_x f(x) + \exp(x) + \text{for all x} + \operatorname{softplus}(x) + \mathrm{d}x + xy + \int f\,dx + p_{prior}$"
    renamed, mapping = rename_letters.rename(text, scheme="issue42")
    assert mapping == {"f": "g", "x": "u", "p": r"\pi"}
    assert renamed == r"$\max_u g(u) + \exp(u) + \text{for all x} + \operatorname{softplus}(u) + \mathrm{d}u + uy + \int g\,du + \pi_{prior}$"


def test_a_target_the_document_uses_is_never_chosen():
    text = "$u = v + x$ and $r(z) = q(z)$ and $\\pi = 3.14$ with $p(x)$"
    renamed, mapping = rename_letters.rename(text, scheme="issue42")
    assert mapping == {"z": "h", "q": r"\rho", "x": "w"}  # p keeps its name: \pi, \rho and r are taken
    used = rename_letters.letters_used(text, "md")
    assert not set(mapping.values()) & used
    assert len(set(mapping.values())) == len(mapping)  # two letters never merge


def test_a_command_target_before_a_letter_keeps_a_space():
    renamed, _ = rename_letters.rename("$p x$ and $px$ and $p_{x}$", mapping={"p": r"\pi"}, scheme="issue42")
    assert renamed == r"$\pi x$ and $\pi x$ and $\pi_{x}$"


LETTERS = st.sampled_from(["x", "z", "q", "p", "f", r"\theta", r"\phi", "a", "b", "2", "1"])
TEMPLATES = st.lists(st.tuples(LETTERS, st.sampled_from([" + ", " - ", "(", ")", "_", "^", " = ", "|"])),
                     min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(TEMPLATES)
def test_renaming_keeps_lines_and_reverses(parts):
    body = "".join(a + b for a, b in parts)
    text = f"Some words.\n\n$${body}$$\n\nmore $x$ words.\n"
    renamed, mapping = rename_letters.rename(text, scheme="issue42")
    assert renamed.count("\n") == text.count("\n")
    assert renamed.startswith("Some words.\n\n") and renamed.endswith(" words.\n")
    inverse = {b: a for a, b in mapping.items()}
    back, _ = rename_letters.rename(renamed, mapping=inverse, scheme="issue42")
    assert back.replace(" ", "") == text.replace(" ", "")


# --- the gate on our own probe documents ----------------------------------------------------------

# The gate on benchmarks/scan_known_quantities (our own text): of the statements judged in either copy,
# the share judged alike in the renamed copy, and the statements the renamed copy judges. Before issue 42
# (commit ba68936): 64 of 80 (0.800), 64; with the document scope's densities (scan/scope.py): 66 of 81
# (0.815), 66 -- the figures below. Raise them as the scan core lands; never lower them.
BASELINE = {"judged_agreement": 0.8148, "judged_renamed": 66}


@pytest.mark.slow  # 108 s on 2 cores: every probe document scanned twice
def test_gate_on_our_probe_documents_does_not_fall_below_its_baseline():
    # issue 42's renaming, whose baseline this is; the permutation of issue 57 (which can fail) is measured by the
    # differential harness and is what issues 57 and 58 must bring to 100 %
    result = scan_metamorphic.gate_folder(ROOT / "benchmarks" / "scan_known_quantities", scheme="issue42")
    assert result["matched"] == result["statements"] == result["renamed_statements"] > 0
    assert result["renamings"]  # the documents were renamed
    summary = scan_metamorphic.report("known quantities", result)
    assert result["judged_agreement"] >= BASELINE["judged_agreement"], summary
    assert result["judged_renamed"] >= BASELINE["judged_renamed"], summary
    assert result["flags_renamed"] <= result["flags"], summary  # renaming letters never raises a flag here


def test_a_random_variable_and_its_value_are_renamed_together():
    text = r"$I(X; Y) = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x) p(y)}$ and $X \sim p$"
    renamed, mapping = rename_letters.rename(text, scheme="issue42")
    assert mapping["x"] == "u" and mapping["X"] == "U"
    assert renamed.startswith(r"$I(U; Y) = \sum_{u, y}")
    lone, mapping = rename_letters.rename(r"$x + U = u$", scheme="issue42")  # U taken: x -> w, and no capital to pair
    assert mapping == {"x": "w"} and lone == r"$w + U = u$"
