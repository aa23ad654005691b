"""A-posteriori errors of an optimiser's answer: how far it is from the true optimum, said by the
answer itself (gradient and Hessian by autograd), so a route built on an optimiser can state its
own error instead of a tolerance picked by hand (:mod:`derivspec.numerics.accuracy`).

* :func:`minimiser_distance` / :func:`minimiser_distances` -- the bound ‖θ − θ*‖ ≤ ‖∇f(θ)‖/μ of a
  μ-strongly convex f (μ: the Hessian's smallest eigenvalue at θ; global for a quadratic f);
* :func:`newton_step` -- H⁻¹∇f(θ), which is θ − θ* to first order (exactly for a quadratic);
* :func:`optimum_error` -- that step carried into a quantity read from θ;
* :func:`minimum_excess` -- ½∇fᵀH⁻¹∇f, the error of a minimum *value*.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor


def gradient_and_hessian(loss_fn: Callable[[Tensor], Tensor], theta: Tensor) -> tuple[Tensor, Tensor]:
    """∇f(θ) (shaped like θ) and the Hessian over θ's entries flattened, by autograd (double backward)."""
    point = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (gradient,) = torch.autograd.grad(loss_fn(point), point, create_graph=True)
        rows = [torch.autograd.grad(entry, point, retain_graph=True)[0].reshape(-1) for entry in gradient.reshape(-1)]
    return gradient.detach(), torch.stack(rows)


def newton_step(loss_fn: Callable[[Tensor], Tensor], theta: Tensor, *, singular: bool = False) -> Tensor:
    """H⁻¹∇f(θ) at a point θ near a strict minimum of ``loss_fn`` (gradient and Hessian by autograd).

    One Newton step is θ − θ* to first order (exactly for a quadratic f), so its norm is the
    a-posteriori error of an optimiser's answer, and ∇q(θ)·H⁻¹∇f(θ) that of a quantity q(θ)
    computed from it. ``theta`` of any shape (the Hessian is taken over all its entries, so a
    batch of independent problems gets its block-diagonal Hessian). ``singular=True`` for a loss
    that is constant along a direction (a symmetry of the parametrisation): the Hessian's
    pseudo-inverse, ignoring eigenvalues below 1e-10 of the largest, then drops that direction,
    along which nothing computed from θ changes. Returns a detached tensor shaped like ``theta``.
    """
    gradient, hessian = gradient_and_hessian(loss_fn, theta)
    if singular:
        step = torch.linalg.pinv(hessian, rtol=1e-10, hermitian=True) @ gradient.reshape(-1)
    else:
        step = torch.linalg.solve(hessian, gradient.reshape(-1))
    return step.reshape(theta.shape)


def optimum_error(quantity: Callable[[Tensor], Tensor], theta: Tensor, step: Tensor) -> tuple[Tensor, Tensor]:
    """(q(θ), ‖∇q(θ)‖₂·‖step‖₂): a quantity read from an optimiser's answer θ, and its first-order
    error when θ is off the optimum by ``step`` (a :func:`newton_step`; Cauchy–Schwarz). The last
    dimension of θ holds one problem's parameters and q maps each such row to a value (a batch of
    independent problems gets one error each). Detached tensors."""
    point = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        value = quantity(point)
        (gradient,) = torch.autograd.grad(value.sum(), point)
    return value.detach(), torch.linalg.vector_norm(gradient, dim=-1) * torch.linalg.vector_norm(step, dim=-1)


def minimum_excess(loss_fn: Callable[[Tensor], Tensor], theta: Tensor, *, singular: bool = False) -> float:
    """f(θ) − f(θ*) ≈ ½ ∇f(θ)ᵀH⁻¹∇f(θ) at a point θ near a strict minimum (second order; exact for
    a quadratic f): the a-posteriori error of an optimiser's minimum *value*. ``singular`` as in
    :func:`newton_step`."""
    gradient = gradient_and_hessian(loss_fn, theta)[0]
    return 0.5 * abs(float((gradient * newton_step(loss_fn, theta, singular=singular)).sum()))


def minimiser_distances(loss_per_point: Callable[[Tensor], Tensor], theta: Tensor) -> Tensor:
    r"""A-posteriori bound on :math:`\|\theta - \theta^*\|` at each point (a row of ``theta``, or an
    entry of a 1-d ``theta``) for a separable loss that is strongly convex near its minimiser:
    :math:`\|\nabla f(\theta)\| / \lambda_{\min}(\nabla^2 f(\theta))`, gradient and Hessian by autograd.
    For a μ-strongly convex f, :math:`\|\theta - \theta^*\| \le \|\nabla f(\theta)\|/\mu`; the curvature
    at θ stands for μ on the short segment to θ* (a route's safety factor covers the difference). A
    Hessian that is not positive definite makes the bound infinite: the point is undecidable."""
    rows = theta.detach().reshape(theta.shape[0], -1).clone().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_per_point(rows.reshape(theta.shape)).sum()
        (gradient,) = torch.autograd.grad(loss, rows, create_graph=True)
        hessian = torch.stack([torch.autograd.grad(gradient[:, k].sum(), rows, retain_graph=True)[0]
                               for k in range(rows.shape[1])], 1)  # (points, d, d): the points do not interact
    smallest = torch.linalg.eigvalsh(hessian.detach()).min(-1).values
    bound = gradient.detach().norm(dim=-1) / smallest
    return torch.where(smallest > 0, bound, torch.full_like(bound, math.inf))


def minimiser_distance(loss_fn: Callable[[Tensor], Tensor], theta: Tensor) -> float:
    """:func:`minimiser_distances` of one problem: ‖∇f(θ)‖/λ_min(∇²f(θ)) over all of θ's entries
    (infinite where the Hessian is not positive definite)."""
    return float(minimiser_distances(lambda rows: loss_fn(rows.reshape(theta.shape)).reshape(1), theta.reshape(1, -1))[0])
