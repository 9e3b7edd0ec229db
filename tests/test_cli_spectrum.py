"""The `spectrum` command: packaged domains and the user's files, as JSON and as text."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from scaling_core.cli.main import main
from scaling_core.studies.spectrum.power import synthetic_image


def run_json(capsys, *argv):
    assert main(["spectrum", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name, count", [("natural", 7), ("medical", 4)])
def test_a_domain_prints_each_images_slope_and_the_size_for_95_percent_of_its_power(capsys, name, count):
    out = run_json(capsys, "--domain", name)
    assert len(out["images"]) == count and {i["domain"] for i in out["images"]} == {name}
    for image in out["images"]:
        assert image["alpha_low"] < image["alpha"] < image["alpha_high"]
        assert 2 <= image["px_for_95%_power"] <= image["side_px"]
    [summary] = out["domains"]
    assert summary["images"] == count
    assert summary["alpha_min"] <= summary["alpha_mean"] <= summary["alpha_max"]
    [recipe] = out["recommendations"]
    assert recipe["alpha"] * recipe["beta"] ** 2 * recipe["gamma"] ** 2 == pytest.approx(2.0)


def test_image_files_are_analysed_as_yours_and_a_bad_one_exits_2_naming_it(capsys, tmp_path):
    pixels = synthetic_image(128, 2.0, 0)
    scaled = ((pixels - pixels.min()) / np.ptp(pixels) * 65535).astype(np.uint16)
    good = tmp_path / "scene.tif"
    Image.fromarray(scaled).save(good)
    out = run_json(capsys, str(good))
    [image] = out["images"]
    assert (image["domain"], image["image"]) == ("yours", "scene.tif")
    assert image["alpha"] == pytest.approx(2.0, abs=0.1)
    bad = tmp_path / "broken.png"
    buffer = io.BytesIO()
    Image.fromarray((pixels > 0).astype(np.uint8) * 255).save(buffer, format="PNG")
    bad.write_bytes(buffer.getvalue()[:200])
    assert main(["spectrum", str(good), str(bad)]) == 2
    assert "image broken.png" in capsys.readouterr().err
    assert main(["spectrum"]) == 2
    assert "--domain" in capsys.readouterr().err


def test_text_output_labels_what_is_measured_and_what_is_modelled(capsys):
    assert main(["spectrum", "--domain", "texture", "--criterion", "detail"]) == 0
    text = capsys.readouterr().out
    assert "Measured on the images" in text and "modelled" in text and "grass" in text
