r"""GANs: the optimal discriminator, the value at the optimum (−log 4 + 2 JSD), and the
saturating vs non-saturating generator gradients.

The value function :math:`V(G, D) = \mathbb E_{p}[\log D(x)] + \mathbb E_{q}[\log(1 - D(x))]`
is maximised pointwise in D (``discriminator``); at the maximiser the value is written with the
KLs to the mixture m = (p + q)/2 (a two-point space symbolically; Gaussians by quadrature and a
trained 1-D GAN in ``reference_models/gan1d.py``). The generator's per-sample loss is
differentiated in the discriminator's logit (``generator``).

Seeds: 004 L1281–1285, L1698–1704, L2720–2916 (§9); 003 L2126, L2137, L2167, L2194.
"""
