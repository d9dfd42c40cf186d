"""start_ray: a missed start-up deadline is retried (after a shutdown) up to tuning.ray.start_attempts, then
one line; ray.init is replaced, no Ray is started."""

from __future__ import annotations

import pytest

from credit_scoring.config.modelling import RayTuningConfig
from credit_scoring.errors import CreditScoringError
from credit_scoring.modelling import tuning_ray


class FlakyRay:
    def __init__(self, failures: int) -> None:
        self.failures, self.inits, self.shutdowns = failures, [], 0

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs: object) -> None:
        self.inits.append(kwargs)
        if len(self.inits) <= self.failures:
            raise Exception("The current node timed out during startup.")

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.mark.parametrize(("failures", "attempts"), [(0, 1), (2, 3)])
def test_a_missed_deadline_is_retried(monkeypatch: pytest.MonkeyPatch, failures: int, attempts: int) -> None:
    fake = FlakyRay(failures)
    monkeypatch.setattr(tuning_ray, "ray", fake)
    assert tuning_ray.start_ray(
        RayTuningConfig(address="", max_concurrent=2, num_cpus=2, start_attempts=attempts)
    )
    assert len(fake.inits) == failures + 1 and fake.shutdowns == failures
    assert fake.inits[-1]["num_cpus"] == 2 and "address" not in fake.inits[-1]


def test_gives_up_with_one_line_after_the_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FlakyRay(failures=5)
    monkeypatch.setattr(tuning_ray, "ray", fake)
    cfg = RayTuningConfig(address="ray://head:10001", max_concurrent=2, start_attempts=2)
    with pytest.raises(CreditScoringError, match=r"after 2 attempt\(s\).*start_attempts"):
        tuning_ray.start_ray(cfg)
    assert [i["address"] for i in fake.inits] == ["ray://head:10001"] * 2 and fake.shutdowns == 2
