"""Uploads are bounded by the pixels they decode to (per file and per upload), judged from headers alone,
and 16-bit colour keeps its precision whatever the format."""

import io
import json
import struct
import zlib

import numpy as np
import pytest
from apptest import open_app
from PIL import Image, ImageFile

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import load_settings
from scaling_core.studies.spectrum.images import (
    SPECTRUM_DIR,
    SpectrumSettingsFile,
    UploadLimits,
    admit_uploads,
    decode_upload,
    spectrum_settings,
)

SMALL = UploadLimits(
    ("PNG", "JPEG", "TIFF"),
    max_bytes=2_000_000,
    max_pixels=4_000_000,
    min_side=32,
    max_files=5,
    max_total_pixels=7_000_000,
)


def forbid_decoding(monkeypatch) -> None:
    """From now on decoding any image fails the test: a refusal must come from the header alone."""

    def decoded(self):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)


@pytest.fixture
def no_decoding(monkeypatch):
    forbid_decoding(monkeypatch)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A PNG of a few kB whose header says 8000 × 5000 px (40 megapixels)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 5000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def png16(samples: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit colour), every row with the Sub filter."""
    height, width, channels = samples.shape
    step = 2 * channels  # bytes per pixel: the Sub filter subtracts the byte this far to the left
    rows = []
    for row in samples:
        raw = np.frombuffer(row.astype(">u2").tobytes(), np.uint8)
        filtered = raw.copy()
        filtered[step:] = raw[step:] - raw[:-step]  # uint8 arithmetic wraps, as the filter is defined
        rows.append(b"\x01" + filtered.tobytes())

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def test_a_small_png_of_40_megapixels_is_refused_from_its_header_in_one_line(bomb, no_decoding):
    assert len(bomb) < 60_000
    with pytest.raises(ConfigError) as err:
        decode_upload("forty-megapixels.png", bomb)  # the shipped limits; decoding it takes seconds and gigabytes
    message = str(err.value)
    assert "\n" not in message and "forty-megapixels.png" in message
    assert "8000 × 5000 px" in message and f"{spectrum_settings().upload.max_pixels:,} pixels" in message


def test_twenty_such_files_at_once_are_all_refused_from_their_headers(bomb, no_decoding):
    files = [(f"bomb-{i:02d}-{'x' * 60}.png", bomb) for i in range(20)]
    admitted, refused = admit_uploads(files)
    assert admitted == [] and len(refused) == 20
    for i, line in enumerate(refused):
        assert "\n" not in line and f"bomb-{i:02d}-" in line and "…" in line and "8000 × 5000 px" in line


def test_an_upload_is_bounded_by_the_pixels_of_all_its_files():
    three_mp = png(np.zeros((1500, 2000), dtype=np.uint8))  # each file passes; three together do not
    files = [
        ("a.png", three_mp),
        ("b.png", three_mp),
        ("c.png", three_mp),
        ("tiny.png", png(np.zeros((40, 40), dtype=np.uint8))),
    ]
    admitted, refused = admit_uploads(files, SMALL)
    assert [name for name, _ in admitted] == ["a.png", "b.png", "tiny.png"]  # a later small file still fits
    [line] = refused
    assert line.startswith("image c.png") and "9,000,000 pixels" in line and "7,000,000 pixels per upload" in line
    many = [(f"f{i}.png", files[3][1]) for i in range(7)]
    admitted, refused = admit_uploads(many, SMALL)
    assert len(admitted) == 5 and refused == [
        "7 files uploaded: at most 5 are analysed, so the first 5 are used and the rest skipped."
    ]


def test_a_bad_file_among_an_upload_is_named_and_the_others_admitted():
    good = png(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
    admitted, refused = admit_uploads([("ok.png", good), ("cut.png", good[:20]), ("x.gif", b"GIF89a")], SMALL)
    assert [name for name, _ in admitted] == ["ok.png"]
    assert refused[0].startswith("image cut.png") and refused[1].startswith("image x.gif")


@pytest.mark.parametrize("channels, colour_type", [(3, 2), (4, 6)])
def test_16_bit_colour_png_keeps_its_precision_as_tiff_does(tmp_path, channels, colour_type):
    import tifffile

    samples = np.random.default_rng(channels).integers(0, 65536, (40, 48, channels)).astype(np.uint16)
    from_png = decode_upload("deep.png", png16(samples, colour_type), SMALL).pixels
    path = tmp_path / "deep.tif"
    tifffile.imwrite(path, samples[..., :3], photometric="rgb", compression="zlib")
    from_tiff = decode_upload("deep.tif", path.read_bytes(), SMALL).pixels
    assert from_png.dtype == np.float64 and np.array_equal(from_png, samples[..., :3])  # alpha dropped
    assert np.array_equal(from_png, from_tiff)


def test_a_16_bit_depth_pillow_cannot_split_is_refused_not_cut(tmp_path):
    gray_alpha = np.random.default_rng(3).integers(0, 65536, (40, 40, 2)).astype(np.uint16)
    with pytest.raises(ConfigError, match=r"image ga\.png.*16-bit.*allowed 8-bit gray or colour"):
        decode_upload("ga.png", png16(gray_alpha, 4), SMALL)


def test_the_upload_limits_are_validated_settings(tmp_path):
    with pytest.raises(ConfigError, match="max_total_pixels"):
        UploadLimits(("PNG",), 1, max_pixels=10, min_side=1, max_files=1, max_total_pixels=9)
    with pytest.raises(ConfigError, match="formats"):
        UploadLimits(("BMP",), 1, 10, 1, 1, 10)
    raw = json.loads((SPECTRUM_DIR / "settings.json").read_text())
    raw["upload"]["max_files"] = 0
    (tmp_path / "spectrum").mkdir()
    (tmp_path / "spectrum" / "settings.json").write_text(json.dumps(raw))
    with pytest.raises(ConfigError) as err:
        load_settings("spectrum/settings.json", SpectrumSettingsFile, tmp_path)
    assert err.value.parameter == "data/spectrum/settings.json: upload.max_files"


def test_the_spectrum_page_refuses_twenty_bombs_and_keeps_running(store, bomb, monkeypatch):
    at = open_app("app_pages/spectrum.py", {"spectrum_domains": ""}, timeout=180)
    files = [(f"bomb{i}.png", bomb, "image/png") for i in range(20)]
    forbid_decoding(monkeypatch)  # after the page's first run: its packaged domains were decoded then
    at.file_uploader(key="spectrum_upload").set_value(files).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert all(any(f"image bomb{i}.png" in e and "8000 × 5000 px" in e for e in errors) for i in range(20))
    assert any("None of your images could be analysed" in c.value for c in at.caption)


def test_the_command_line_refuses_an_upload_past_its_total_before_decoding(tmp_path, capsys, no_decoding):
    limits = spectrum_settings().upload
    side = int((limits.max_total_pixels // 4) ** 0.5)  # four files pass one by one, not together with a fifth
    paths = []
    for i in range(5):
        path = tmp_path / f"part{i}.png"
        Image.new("1", (side, side)).save(path)  # a few kB on disk
        paths.append(str(path))
    assert main(["spectrum", *paths]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "image part4.png" in err and "per upload" in err, err
