"""The learning-rate schedules of training/train.py, including the cool-down."""

from __future__ import annotations

from itertools import pairwise

import pytest

from training.config import TrainConfig
from training.train import learning_rate

STEPS_PER_EPOCH, EPOCHS = 100, 10
TOTAL = STEPS_PER_EPOCH * EPOCHS


@pytest.mark.parametrize("schedule", ["exponential", "cosine", "constant"])
def test_a_cooldown_leaves_earlier_steps_alone_and_ends_at_zero(schedule: str) -> None:
    plain = TrainConfig(schedule=schedule, epochs=EPOCHS, warmup_steps=20)
    cooled = TrainConfig(schedule=schedule, epochs=EPOCHS, warmup_steps=20, cooldown_epochs=3)
    start = TOTAL - 3 * STEPS_PER_EPOCH
    for step in range(start + 1):  # the same run up to the cool-down: it can be added on --resume
        assert learning_rate(cooled, step, TOTAL, STEPS_PER_EPOCH) == learning_rate(plain, step, TOTAL, STEPS_PER_EPOCH)
    rates = [learning_rate(cooled, step, TOTAL, STEPS_PER_EPOCH) for step in range(start, TOTAL)]
    assert all(a > b for a, b in pairwise(rates))  # falls at every step
    halfway = start + 150
    ratio = learning_rate(cooled, halfway, TOTAL, STEPS_PER_EPOCH) / learning_rate(
        plain, halfway, TOTAL, STEPS_PER_EPOCH
    )
    assert ratio == pytest.approx(0.5)  # linear: half-way through, half the schedule's rate
    assert rates[-1] == pytest.approx(learning_rate(plain, TOTAL - 1, TOTAL, STEPS_PER_EPOCH) / 300)


def test_exponential_decays_per_epoch_after_the_warmup() -> None:
    config = TrainConfig(schedule="exponential", lr=2e-3, lr_decay=0.9, warmup_steps=10)
    assert learning_rate(config, 0, TOTAL, STEPS_PER_EPOCH) == pytest.approx(2e-4)
    assert learning_rate(config, 2 * STEPS_PER_EPOCH, TOTAL, STEPS_PER_EPOCH) == pytest.approx(2e-3 * 0.81)
