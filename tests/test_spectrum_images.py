"""Images for spectra: every packaged domain loads offline, and an upload is validated before it is decoded."""

import io

import numpy as np
import pytest
from PIL import Image

from scaling_core.core.errors import ConfigError
from scaling_core.studies.spectrum.images import UploadLimits, decode_upload, domain, domain_images, domain_table

LIMITS = UploadLimits(
    ("PNG", "JPEG", "TIFF"),
    max_bytes=2_000_000,
    max_pixels=4_000_000,
    min_side=32,
    max_files=5,
    max_total_pixels=8_000_000,
)


def encoded(array: np.ndarray, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_every_packaged_domain_loads_its_images():
    assert set(domain_table()) == {"natural", "texture", "medical", "astronomy"}
    expected = {
        "natural": {"astronaut", "coffee", "chelsea", "rocket", "motorcycle", "china", "flower"},
        "texture": {"brick", "grass", "gravel"},
        "medical": {"retina", "ihc", "microaneurysms", "cell"},
        "astronomy": {"hubble_deep_field"},
    }
    for name, images in expected.items():
        loaded = domain_images(name)
        assert {i.name for i in loaded} == images
        for image in loaded:
            assert image.pixels.ndim in (2, 3) and min(image.pixels.shape[:2]) >= 100 and image.citation
    with pytest.raises(ConfigError, match="domain"):
        domain("x-ray")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_png_jpeg_and_tiff_decode_to_their_pixels(fmt):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    image = decode_upload(f"x.{fmt.lower()}", encoded(rgb, fmt, **({"quality": 100} if fmt == "JPEG" else {})), LIMITS)
    assert image.pixels.shape == (48, 64, 3) and image.name == f"x.{fmt.lower()}"
    if fmt != "JPEG":
        assert np.array_equal(image.pixels, rgb)


def test_a_16_bit_tiff_keeps_its_values():
    deep = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16
    assert np.array_equal(decode_upload("deep.tif", encoded(deep, "TIFF"), LIMITS).pixels, deep)


def test_bad_uploads_are_refused_with_the_file_named():
    gray = np.zeros((64, 64), dtype=np.uint8)
    with pytest.raises(ConfigError, match=r"image a\.gif.*GIF.*PNG, JPEG, TIFF"):
        decode_upload("a.gif", encoded(gray, "GIF"), LIMITS)
    with pytest.raises(ConfigError, match=r"image b\.png.*at most 2,000,000 bytes"):
        decode_upload("b.png", b"\0" * 2_000_001, LIMITS)
    with pytest.raises(ConfigError, match=r"image c\.png.*unreadable"):
        decode_upload("c.png", b"this is not an image", LIMITS)
    whole = encoded(np.random.default_rng(1).integers(0, 256, (256, 256), dtype=np.uint8), "PNG")
    with pytest.raises(ConfigError, match=r"image d\.png.*corrupt"):
        decode_upload("d.png", whole[: len(whole) // 2], LIMITS)
    with pytest.raises(ConfigError, match=r"image e\.png.*at least 32 px"):
        decode_upload("e.png", encoded(np.zeros((16, 64), dtype=np.uint8), "PNG"), LIMITS)


def test_a_decompression_bomb_is_refused_from_its_header():
    # 3000 × 3000 black pixels compress to a few kB: small on the wire, 9 megapixels once decoded.
    bomb = encoded(np.zeros((3000, 3000), dtype=np.uint8), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(ConfigError, match=r"3000 × 3000 px.*decompression bombs"):
        decode_upload("bomb.png", bomb, LIMITS)


def test_deep_colour_tiffs_keep_their_16_bits(tmp_path):
    import tifffile

    deep = np.random.default_rng(2).integers(0, 65536, (64, 64, 3)).astype(np.uint16)
    path = tmp_path / "deep.tif"
    tifffile.imwrite(path, deep, photometric="rgb")
    assert np.array_equal(decode_upload("deep.tif", path.read_bytes(), LIMITS).pixels, deep)
    # The same rule for PNG, and for the other depths Pillow cannot read: tests/test_uploads_bounds.py.
