r"""Glow's invertible 1×1 convolution: log|det| over an h×w feature map = h·w·log|det W|.

The convolution applies the same c×c matrix W to the channel vector of every pixel, so its
Jacobian (pixels × channels) is block-diagonal with h·w copies of W. Derived for c = 2 with
h and w symbolic (the block-diagonal determinant, then the log of a power); the c = 2, h·w = 2
case is expanded as a 4×4 determinant in property_tests/test_flow.py, and larger maps are
checked against the autograd Jacobian of ``torch.nn.functional.conv2d``.

Seeds: 004 L3109–3113, L3176–3180.
"""

from __future__ import annotations

import sympy
from sympy import Abs, Sum, log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between, real_between
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004

H = Var("h", "h", count_between(1, 4))
W_ = Var("w", "w", count_between(1, 4))
K_DIAG = tuple(Var(f"k{i}{i}", f"k_{{{i}{i}}}", positive_between(1, 2)) for i in (1, 2))
K_OFF = (Var("k12", "k_{12}", real_between(-0.5, 0.5)), Var("k21", "k_{21}", real_between(-0.5, 0.5)))
h, w = H.symbol, W_.symbol
pixel = sympy.Symbol("pixel", integer=True, positive=True)
k11, k22 = (v.symbol for v in K_DIAG)
k12, k21 = (v.symbol for v in K_OFF)


def det_kernel():
    return k11 * k22 - k12 * k21


@claim("flow.conv1x1.log-det")
def flow_conv1x1_log_det() -> Claim:
    r"""log|det J| of y = W x applied at every pixel of an h×w×2 map = h·w·log|det W|."""
    return Claim(
        title="Glow 1×1 convolution: log|det J| = h·w·log|det W| over an h×w feature map (c = 2)",
        # log|det J| of any flow layer: only next to the map's size h, w; the kernel (W any letter) by its determinant
        recognise=(Recognise(r"\log|\det J|", requires=("h", "w"), interpret={r"\det W": det_kernel()}),),
        statement=r"\log|\det J|,\ y_{:,p} = W x_{:,p}\ \text{for each of the } h\,w \text{ pixels } p,\ W = [[k_{11}, k_{12}], [k_{21}, k_{22}]]",
        variables=(H, W_) + K_DIAG + K_OFF,
        derivation=(
            Step(r"definition: J is block-diagonal with h\,w copies of W (pixel p's outputs depend only on pixel p's "
                 r"inputs); a block-diagonal determinant is the product of the blocks', so its log is the sum over the "
                 r"pixels of \log|\det W|", Sum(log(Abs(det_kernel())), (pixel, 1, h * w))),
            Step(r"the h\,w terms are equal", h * w * log(Abs(det_kernel())), op=lambda e: e.doit()),
        ),
        wrong_variants=(
            WrongVariant("forgot the h·w pixels", log(Abs(det_kernel()))),
            WrongVariant("h + w in place of h·w", (h + w) * log(Abs(det_kernel()))),
            WrongVariant("counted the channels too (c·h·w)", 2 * h * w * log(Abs(det_kernel()))),
        ),
        sources=(
            Source(S004, "3109–3112", r"Glow: Adds invertible 1×1 convolutions; Actnorm: activation normalization",
                   note="names the layers without a formula; the 1×1 convolution's log-determinant is this claim"),
            Source(S004, "3178", r"*Invertible 1×1 convolutions* as learnable permutations",
                   value=0, decimals=9, at={"h": 32, "w": 32, "k11": 0, "k12": 1, "k21": 1, "k22": 0},
                   note="a learned W mixes channels and contributes h·w·log|det W| (this claim); the permutation it "
                        "generalises, a channel swap W = [[0, 1], [1, 0]], has |det W| = 1: log-det 0 (k11 = k22 = 0 lie "
                        "outside the sampling domain; the formula holds for every invertible W)"),
        ),
    )
