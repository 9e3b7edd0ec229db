import json

import pytest

from scaling_core import ConfigError, available_bases, load_base


def test_efficientnet_b0_base_is_the_published_layout():
    base = load_base("efficientnet-b0")
    assert (base.stem.out_channels, base.stem.kernel, base.stem.stride) == (32, 3, 2)
    layout = [(s.expand_ratio, s.kernel, s.stride, s.out_channels, s.repeats, s.se_ratio) for s in base.stages]
    assert layout == [
        (1, 3, 1, 16, 1, 0.25),
        (6, 3, 2, 24, 2, 0.25),
        (6, 5, 2, 40, 2, 0.25),
        (6, 3, 2, 80, 3, 0.25),
        (6, 5, 1, 112, 3, 0.25),
        (6, 5, 2, 192, 4, 0.25),
        (6, 3, 1, 320, 1, 0.25),
    ]
    assert (base.head_channels, base.resolution_px, base.num_classes) == (1280, 224, 1000)
    assert "efficientnet-b0" in available_bases()


def test_other_base_specs_load_from_a_file(tiny_base_path):
    base = load_base(tiny_base_path)
    assert base.name == "tiny-test"
    assert [s.se_ratio for s in base.stages] == [0.0, 0.5]


def test_unknown_base_names_the_choices():
    with pytest.raises(ConfigError, match="efficientnet-b0"):
        load_base("resnet-9000")


@pytest.mark.parametrize(
    "edit, parameter",
    [
        (lambda raw: raw["stages"][1].pop("kernel"), "stages[1].kernel"),
        (lambda raw: raw["stages"][0].update(kernel=4), "stages[0].kernel"),
        (lambda raw: raw["stages"][0].update(block="transformer"), "stages[0].block"),
        (lambda raw: raw["stem"].update(out_channels=-3), "stem.out_channels"),
        (lambda raw: raw.update(stages=[]), "stages"),
        (lambda raw: raw["stages"][0].update(repeats=1e300), "stages[0].repeats"),
    ],
)
def test_malformed_specs_name_the_field(tmp_path, tiny_base_path, edit, parameter):
    raw = json.loads(tiny_base_path.read_text())
    edit(raw)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError) as err:
        load_base(path)
    assert err.value.parameter == parameter


@pytest.mark.parametrize("content", [b"\xff\xfe\x00binary", b"[1, 2, 3]"])
def test_files_that_are_not_base_specs(tmp_path, content):
    path = tmp_path / "odd.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_base(path)
    assert err.value.parameter == "base"
