import pytest

from scaling_core import ConfigError, Multipliers, Recipe, RoundingPolicy, scale, scale_preset, scale_recipe


def layout(arch):
    return (
        [s.first.out_channels for s in arch.stages],
        [s.repeats for s in arch.stages],
        arch.stem.out_channels,
        arch.head.out_channels,
        arch.resolution_px,
    )


def test_phi_zero_gives_the_base_unchanged():
    arch = scale_recipe(Recipe(1.2, 1.1, 1.15), 0.0)
    assert layout(arch) == ([16, 24, 40, 80, 112, 192, 320], [1, 2, 2, 3, 3, 4, 1], 32, 1280, 224)


def test_b7_official_layout():
    arch = scale_preset("b7")
    assert layout(arch) == ([32, 48, 80, 160, 224, 384, 640], [4, 7, 7, 10, 10, 13, 4], 64, 2560, 600)
    assert arch.classifier.dropout == 0.5


def test_derived_widths_are_stored_once():
    stage = scale_preset("b0").stages[1]
    assert (stage.first.in_channels, stage.first.expanded_channels, stage.first.se_channels) == (16, 96, 4)
    assert (stage.rest.in_channels, stage.rest.expanded_channels, stage.rest.se_channels) == (24, 144, 6)
    assert stage.rest.has_residual and not stage.first.has_residual


def test_recipe_at_fractional_phi_uses_the_rounding_policy():
    arch = scale_recipe(Recipe(1.2, 1.1, 1.15), 2.5, policy=RoundingPolicy(resolution_multiple=32))
    assert arch.resolution_px == 320  # 224 × 1.15^2.5 = 317.7 → nearest multiple of 32
    assert [s.repeats for s in arch.stages] == [2, 4, 4, 5, 5, 7, 2]  # ceil(1.2^2.5 × base repeats)


def test_architectures_are_hashable_cache_keys():
    a = scale_recipe(Recipe(1.2, 1.1, 1.15), 1.5)
    b = scale_recipe(Recipe(1.2, 1.1, 1.15), 1.5)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


def test_too_small_resolution_names_resolution_and_the_minimum():
    with pytest.raises(ConfigError) as err:
        scale_recipe(Recipe(1.0, 1.0, 0.5), 4)
    assert err.value.parameter == "resolution" and "32" in err.value.allowed


@pytest.mark.parametrize("num_classes", [0, -5, 2.5, True])
def test_bad_class_counts(num_classes):
    with pytest.raises(ConfigError, match="num_classes"):
        scale(Multipliers(1, 1, 1), num_classes=num_classes)


def test_unknown_preset_names_the_choices():
    with pytest.raises(ConfigError, match="b0, b1"):
        scale_preset("b8")
