"""data/hardware/settings.json: what the families' latency comparison and the runtimes' comparison measure."""

from __future__ import annotations

from functools import lru_cache

from pydantic import PositiveFloat, PositiveInt

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import Number, SettingsModel, load_settings
from scaling_core.hardware.latency_model import PLANS
from scaling_core.hardware.runtimes import PRECISIONS, RUNTIMES


class FamilyLatencyFile(SettingsModel):
    """The `families` section: what `bench --families` measures and how the verdict is bootstrapped."""

    bases: tuple[str, ...]
    rules: tuple[str, ...]
    scales: tuple[Number, ...]
    min_run_time_s: PositiveFloat
    rounds: PositiveInt
    resamples: PositiveInt
    seed: int


class ComparedRuntime(SettingsModel):
    """One runtime and precision of the comparison."""

    runtime: str
    precision: str

    def model_post_init(self, context: object) -> None:
        """Refuse a runtime or precision the measuring code does not know."""
        if self.runtime not in RUNTIMES:
            raise ConfigError("runtime", self.runtime, f"one of {', '.join(RUNTIMES)}")
        if self.precision not in PRECISIONS:
            raise ConfigError("precision", self.precision, f"one of {', '.join(PRECISIONS)}")


class RuntimesFile(SettingsModel):
    """The `runtimes` section of data/hardware/settings.json."""

    note: str | None = None
    compared: tuple[ComparedRuntime, ...]
    plan: str
    threads: PositiveInt
    budgets_ms: tuple[Number, ...]
    calibration_sizes: tuple[PositiveInt, ...]

    def model_post_init(self, context: object) -> None:
        """Refuse a plan fit-latency does not have, and a budget that is not a positive time."""
        if self.plan not in PLANS:
            raise ConfigError("plan", self.plan, f"one of {', '.join(PLANS)}")
        for budget in self.budgets_ms:
            if not budget > 0:
                raise ConfigError("budgets_ms", budget, "positive milliseconds")


class HardwareSettingsFile(SettingsModel):
    """The schema of data/hardware/settings.json."""

    note: str | None = None
    families: FamilyLatencyFile
    runtimes: RuntimesFile


@lru_cache(maxsize=1)
def hardware_settings() -> HardwareSettingsFile:
    """The shipped hardware settings (ConfigError naming the key if the file is malformed)."""
    return load_settings("hardware/settings.json", HardwareSettingsFile)
