"""How close two floating-point results from different code paths must be, and why.

float32 keeps a 24-bit significand, so one rounding moves a value by up to u = 2**-24 (6e-8) of
itself. Two paths that compute the same function (the NumPy engine and PyTorch's kernels, a
batched product and a single one, OpenBLAS on AVX2 and on AVX-512, one summation order and
another) round differently: a dot product of n terms can move by about n * u times the sum of
its terms' magnitudes, and a recurrence carries that on through every later step and layer. So
each comparison allows a relative part, for large values, plus an absolute part, for values near
zero, whose error is set by the size of the terms rather than the result. A real bug (a wrong
gate, a lost state, a skipped bias) moves results by 1e-2 or more, far above all of these.

Where a test runs the same path twice on purpose (seeded sampling, a save/load round trip) it
compares exactly instead; these are only for comparisons across paths.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A few products deep (one step, a softmax, a chunked pass of a small model): ~100 u.
FLOAT32 = {"rtol": 1e-5, "atol": 1e-5}
# Tens of recurrent steps through up to three layers of weights scaled to saturate the gates,
# where each step's rounding is fed back: ~1,000 u (the engine tests' random models).
FLOAT32_RECURRENT = {"rtol": 1e-4, "atol": 1e-4}
# Weights stored in float16 (u = 2**-11, 4.9e-4) and used in float32: a few float16 roundings of
# every weight reach the logits.
FLOAT16 = {"rtol": 1e-2, "atol": 2e-2}
# float64 on both sides (NumPy against torch autograd): u = 1.1e-16, sums of tens of terms.
FLOAT64 = {"rtol": 1e-10, "atol": 1e-12}

# How far two paths' cumulative distributions may drift before a draw may honestly differ.
DRAW_TIE = 1e-5


def assert_same_draws(a: Sequence, b: Sequence, seed: int | None, greedy: bool = False) -> None:
    """Two runs of ``generate`` on different paths drew the same characters, except where the
    uniform number (or, greedy, the top two probabilities) sat within float32 rounding of a
    boundary, where either choice is right; after such a near tie the texts part and nothing
    more is compared. ``draw`` takes one uniform from ``default_rng(seed)`` per character."""
    uniforms = np.random.default_rng(seed).random(len(a))
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.char_id == y.char_id:
            continue
        if greedy:
            gap = abs(float(y.probs[x.char_id]) - float(y.probs[y.char_id]))
        else:
            cumulative = np.cumsum(y.probs)
            edge = cumulative[min(x.char_id, y.char_id)]  # the boundary between the two choices
            gap = abs(float(uniforms[t] * cumulative[-1] - edge))
        assert gap < DRAW_TIE, f"position {t}: {x.char!r} against {y.char!r}, {gap:.2e} from a tie"
        return
