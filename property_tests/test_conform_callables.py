"""What a user points at (issue 81): ``module:Class.method`` with ``--init``, a class (an ``nn.Module``'s
``forward``), an instance, a bound method; a torch module's code is handed tensors first and the error
shown is the one torch raised; a function that reduces the batch is told to declare a reduction.
User-style code written for these tests."""

from __future__ import annotations

import textwrap

import pytest

from derivspec.app.cli import main
from derivspec.testing import NonConformance, conforms

torch = pytest.importorskip("torch")

LOSSES = '''
import math

import torch
from torch import nn


class GaussianNLL(nn.Module):
    """-log N(y; mu, sigma^2) per example, or its batch mean."""

    def __init__(self, reduction="none"):
        super().__init__()
        self.reduction = reduction

    def forward(self, y, mu, sigma):
        nll = 0.5 * torch.log(2 * math.pi * sigma**2) + (y - mu) ** 2 / (2 * sigma**2)
        return nll.mean() if self.reduction == "mean" else nll


class Divergences:
    def __init__(self, flipped=False):
        self.flipped = flipped

    def kl(self, mu1, sigma1, mu2, sigma2):
        if self.flipped:
            mu1, sigma1, mu2, sigma2 = mu2, sigma2, mu1, sigma1
        return torch.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def kl_standard(mu, sigma):
    """Reads a tensor method: NumPy arrays have no .pow."""
    return 0.5 * (mu.pow(2) + sigma.pow(2) - 1) - sigma.log() + torch.zeros(2)[int(mu.numel() > 100)]


def kl_standard_bad_index(mu, sigma):
    return 0.5 * (mu.pow(2) + sigma.pow(2) - 1) - sigma.log() + torch.zeros(3)[5]


def bce_summed(y, p):
    return -(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum()
'''


@pytest.fixture
def course(tmp_path, monkeypatch):
    (tmp_path / "course_losses.py").write_text(textwrap.dedent(LOSSES))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _conform(capsys, *words):
    code = main(["conform", *words, "--max-examples", "20"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_module_class_and_a_method_with_init(course, capsys):
    assert _conform(capsys, "nll.gaussian", "course_losses:GaussianNLL")[0] == 0  # an nn.Module: its forward
    code, out = _conform(capsys, "kl.gaussian.univariate", "course_losses:Divergences.kl")
    assert code == 0 and "called with torch tensors" in out
    code, out = _conform(capsys, "kl.gaussian.univariate", "course_losses:Divergences.kl", "--init", "flipped=True")
    assert code == 1 and "arguments swapped (KL(q||p))" in out
    code, out = _conform(capsys, "nll.gaussian", "course_losses:kl_standard", "--init", "3")
    assert code == 2 and "--init constructs a class" in out


def test_an_instance_and_a_bound_method_from_python(course):
    import course_losses

    assert conforms("nll.gaussian", course_losses.GaussianNLL(), max_examples=20).conforms
    with pytest.raises(NonConformance) as caught:
        conforms("kl.gaussian.univariate", course_losses.Divergences(flipped=True).kl, max_examples=20)
    assert caught.value.slip == "arguments swapped (KL(q||p))"


def test_torch_code_is_handed_tensors_first_and_its_error_is_shown(course, capsys):
    assert _conform(capsys, "kl.gaussian.standard", "course_losses:kl_standard")[0] == 0
    code, out = _conform(capsys, "kl.gaussian.standard", "course_losses:kl_standard_bad_index")
    assert code == 1 and "IndexError: index 5 is out of bounds" in out and "pow" not in out


def test_a_function_that_reduces_the_batch_is_a_finding_that_names_the_declarations(course, capsys):
    """Handed a batch, one value for it is never a silent fallback to one input per call: the sum over the
    batch axis is named, with the two declarations that fit (a batch loss; code for one input)."""
    code, out = _conform(capsys, "nll.bernoulli", "course_losses:bce_summed")
    assert code == 1 and "sums over the batch axis" in out.splitlines()[0]
    assert "declare --convention reduction=sum" in out and "declare --unbatched" in out
    code, out = _conform(capsys, "nll.bernoulli", "course_losses:bce_summed", "--convention", "reduction=sum")
    assert code == 0 and "note:" not in out
    code, out = _conform(capsys, "nll.bernoulli", "course_losses:bce_summed", "--unbatched")
    assert code == 0 and "one input per call (declared)" in out.splitlines()[0]


def test_a_parameter_hint_on_the_command_line_is_in_its_syntax(course, capsys):
    code, out = _conform(capsys, "kl.gaussian.standard", "course_losses:bce_summed")
    assert code == 2 and "--args y=EXPR" in out and "args={" not in out
