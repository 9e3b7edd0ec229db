"""A latency profile written by hand, so the deployment pages and commands run without minutes of measuring."""

from scaling_core.app.state import AppState
from scaling_core.app.views.hardware import options_of
from scaling_core.hardware.latency_model import (
    FEATURES,
    FLOPS_FEATURES,
    FitReport,
    LinearProfile,
    Scores,
    profile_identity,
)

# 2 ms per call plus 100 ms per dense GMAC and 400 ms per depthwise GMAC: EfficientNet-B0 lands near 50 ms.
WEIGHTS = {"constant": 2.0, "dense_gmacs": 100.0, "depthwise_gmacs": 400.0}


def synthetic_profile() -> LinearProfile:
    """The hand-written latency model."""
    return LinearProfile(FEATURES, tuple(WEIGHTS.get(name, 0.0) for name in FEATURES))


def store_synthetic_profile(store) -> LinearProfile:
    """Save the hand-written model as this machine's profile for the app's default measuring setup."""
    model = synthetic_profile()
    scores = Scores(1.0, 0.0, 1.0)
    report = FitReport(model, LinearProfile(FLOPS_FEATURES, (2.0, 70.0)), scores, scores, 1.0, (), (), (), (), (), 0)
    store.put_profile(profile_identity(options_of(AppState())), report.as_dict())
    return model
