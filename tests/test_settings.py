"""Every data/**/settings.json goes through one validated loader: a bad file names its file and key."""

import json
from pathlib import Path

import pytest

from scaling_core.core import paths
from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.hardware.settings import HardwareSettingsFile, hardware_settings
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.folders import folder_settings
from scaling_core.lab.mask_folders import mask_folder_settings
from scaling_core.lab.runs import LabSettingsFile, lab_settings
from scaling_core.lab.scenes import scene_settings
from scaling_core.nn.onnx_export import ExportSettingsFile, export_settings
from scaling_core.storage.identity import IdentitySettingsFile, identity_settings
from scaling_core.studies.deployment.measurements import DeploymentSettingsFile, deployment_defaults
from scaling_core.studies.representation.measurements import RepresentationSettingsFile, representation_defaults
from scaling_core.studies.robustness.evaluation import RobustnessSettingsFile, robustness_settings
from scaling_core.studies.spectrum.images import SpectrumSettingsFile, spectrum_settings

# (relative path, its model, the public function that reads it, a required key, a key with a definite type)
SETTINGS = [
    ("lab/settings.json", LabSettingsFile, lab_settings, ("budget", "epochs"), ("default_grid", "seeds")),
    ("robustness/settings.json", RobustnessSettingsFile, robustness_settings, ("pgd", "steps"), ("test_images",)),
    (
        "representation/settings.json",
        RepresentationSettingsFile,
        representation_defaults,
        ("fewshot", "ways"),
        ("distillation", "temperature"),
    ),
    (
        "deployment/settings.json",
        DeploymentSettingsFile,
        deployment_defaults,
        ("thermal", "ambient_c"),
        ("measurement", "seeds"),
    ),
    ("spectrum/settings.json", SpectrumSettingsFile, spectrum_settings, ("motion", "fov_deg"), ("upload", "max_bytes")),
    ("identity/settings.json", IdentitySettingsFile, identity_settings, ("undo_hours",), ("admins",)),
    (
        "hardware/settings.json",
        HardwareSettingsFile,
        hardware_settings,
        ("families", "bases"),
        ("families", "resamples"),
    ),
    ("export/settings.json", ExportSettingsFile, export_settings, ("export", "opset"), ("int8", "calibration_images")),
]
IDS = [relative.split("/")[0] for relative, *_ in SETTINGS]
SHIPPED = paths.DATA_DIR


def _copy_with(tmp_path: Path, monkeypatch, relative: str, change) -> None:
    """data/<relative> copied under tmp_path with change(document) applied, and the loader pointed there."""
    target = tmp_path / "data" / relative
    target.parent.mkdir(parents=True)
    document = json.loads((SHIPPED / relative).read_text())
    change(document)
    target.write_text(json.dumps(document))
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")


def _read_uncached(function):
    """Call a settings function past its lru_cache, so the shipped settings other tests see stay cached."""
    return getattr(function, "__wrapped__", function)()


def _parent(document: dict, key: tuple[str, ...]) -> dict:
    for part in key[:-1]:
        document = document[part]
    return document


@pytest.mark.parametrize("relative, model, function, required, typed", SETTINGS, ids=IDS)
def test_shipped_settings_read_back_exactly_as_written(relative, model, function, required, typed):
    # Settings are part of cache keys: validation must not turn 3 into 3.0 or reorder anything.
    raw = json.loads((paths.DATA_DIR / relative).read_text())
    validated = load_settings(relative, model)
    assert json.dumps(validated.model_dump(mode="json", exclude_unset=True)) == json.dumps(raw)
    assert _read_uncached(function) == function()


@pytest.mark.parametrize("relative, model, function, required, typed", SETTINGS, ids=IDS)
def test_a_missing_key_names_the_file_and_the_key(tmp_path, monkeypatch, relative, model, function, required, typed):
    _copy_with(tmp_path, monkeypatch, relative, lambda d: _parent(d, required).pop(required[-1]))
    with pytest.raises(ConfigError) as err:
        _read_uncached(function)
    assert err.value.parameter == f"data/{relative}: {'.'.join(required)}"
    assert "required" in str(err.value)


@pytest.mark.parametrize("relative, model, function, required, typed", SETTINGS, ids=IDS)
def test_a_mistyped_key_names_the_file_the_key_and_the_type(
    tmp_path, monkeypatch, relative, model, function, required, typed
):
    _copy_with(tmp_path, monkeypatch, relative, lambda d: _parent(d, typed).__setitem__(typed[-1], "3"))
    with pytest.raises(ConfigError) as err:
        _read_uncached(function)
    assert err.value.parameter == f"data/{relative}: {'.'.join(typed)}"
    assert err.value.value == "3"
    assert "valid" in err.value.allowed


def test_a_misspelt_key_is_refused(tmp_path, monkeypatch):
    def misspell(document):
        document["budget"]["epoch"] = document["budget"].pop("epochs")

    _copy_with(tmp_path, monkeypatch, "lab/settings.json", misspell)
    with pytest.raises(ConfigError, match=r"data/lab/settings.json: budget\.(epochs|epoch)"):
        _read_uncached(lab_settings)


def test_a_list_entry_and_a_dataclass_check_are_named(tmp_path, monkeypatch):
    _copy_with(tmp_path, monkeypatch, "lab/settings.json", lambda d: d["default_grid"]["phis"].__setitem__(1, "x"))
    with pytest.raises(ConfigError) as err:
        _read_uncached(lab_settings)
    assert err.value.parameter == "data/lab/settings.json: default_grid.phis[1]" and err.value.allowed == "a number"

    _copy_with(tmp_path / "2", monkeypatch, "lab/settings.json", lambda d: d["rounding"].update(resolution_multiple=3))
    with pytest.raises(ConfigError) as err:
        _read_uncached(lab_settings)
    # RoundingPolicy's own check, reported under the file's key
    assert err.value.parameter == "data/lab/settings.json: rounding.resolution_multiple" and err.value.value == 3


def test_a_value_out_of_range_and_an_unknown_choice(tmp_path, monkeypatch):
    _copy_with(tmp_path, monkeypatch, "robustness/settings.json", lambda d: d.update(test_images=0))
    with pytest.raises(ConfigError, match="test_images = 0 is invalid: allowed greater than 0"):
        _read_uncached(robustness_settings)

    def bad_scheme(document):
        document["quantization"]["schemes"] = ["per_tensor", "per_pixel"]

    _copy_with(tmp_path / "2", monkeypatch, "deployment/settings.json", bad_scheme)
    with pytest.raises(ConfigError, match=r"quantization\.schemes .*per_pixel"):
        _read_uncached(deployment_defaults)


# The sections of data/lab/settings.json that their own modules read alone (the lab's lower modules cannot import
# runs.LabSettingsFile): (section, a key, a value out of range, the reader).
LAB_SECTIONS = [
    ("folders", "side_px", 4, folder_settings),
    ("scenes", "size_px", 1000, scene_settings),
    ("mask_folders", "side_px", 1000, mask_folder_settings),
    ("dense", "max_detections", 0, dense_settings),
]


@pytest.mark.parametrize("section, key, value, reader", LAB_SECTIONS, ids=[s[0] for s in LAB_SECTIONS])
def test_a_lab_section_read_alone_or_with_the_file_names_its_key(tmp_path, monkeypatch, section, key, value, reader):
    assert _read_uncached(reader) == reader()
    _copy_with(tmp_path, monkeypatch, "lab/settings.json", lambda d: d[section].update({key: value}))
    for read in (reader, lab_settings):
        with pytest.raises(ConfigError) as err:
            _read_uncached(read)
        assert err.value.parameter == f"data/lab/settings.json: {section}.{key}" and err.value.value == value


def test_unreadable_and_malformed_files(tmp_path):
    class Tiny(SettingsModel):
        size: int

    with pytest.raises(ConfigError, match="data/absent.json"):
        load_settings("absent.json", Tiny, data_dir=tmp_path)
    (tmp_path / "broken.json").write_text("{size: 3")
    with pytest.raises(ConfigError, match=r"data/broken.json: \(the whole file\)"):
        load_settings("broken.json", Tiny, data_dir=tmp_path)
    (tmp_path / "ok.json").write_text('{"size": 3}')
    assert load_settings("ok.json", Tiny, data_dir=tmp_path).size == 3


def test_every_settings_file_has_a_model():
    shipped = sorted(str(p.relative_to(paths.DATA_DIR)) for p in paths.DATA_DIR.rglob("settings.json"))
    assert shipped == sorted(relative for relative, *_ in SETTINGS)
