"""The `spectrum` command: slopes of images' power spectra, the input size that keeps 95% of their power, a recipe."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scaling_core.cli.arguments import InputFile, bounded_float, read_checked
from scaling_core.cli.network import BASE_SPEC
from scaling_core.core.errors import ConfigError


def add_spectrum_commands(commands) -> None:
    """Register `spectrum`."""
    from scaling_core.studies.spectrum.domain_fit import CRITERIA
    from scaling_core.studies.spectrum.images import domain_table, spectrum_settings

    settings = spectrum_settings()
    image_file = InputFile(settings.upload.max_bytes)
    parser = commands.add_parser(
        "spectrum",
        help="power spectra of images or packaged domains: slope, input size "
        "for a share of the power, a recipe that fits",
    )
    parser.add_argument(
        "images",
        nargs="*",
        type=image_file,
        help=f"PNG, JPEG or TIFF files (analysed together as 'yours'), at most {settings.upload.max_files}",
    )
    parser.add_argument(
        "--domain",
        action="append",
        choices=[*domain_table(), "all"],
        help="a packaged domain (repeatable; 'all' for every one)",
    )
    parser.add_argument(
        "--slope-band",
        type=bounded_float(0.0, 0.5, low_open=True),  # cycles per pixel: 0.5 is Nyquist
        nargs=2,
        default=settings.slope_band,
        metavar=("LOW", "HIGH"),
        help="band of the slope fit in cycles per pixel (default %(default)s)",
    )
    parser.add_argument(
        "--detail-band",
        type=bounded_float(0.0, 8192.0),
        nargs=2,
        default=settings.detail_band,
        metavar=("LOW", "HIGH"),
        help="detail band in cycles per image (default %(default)s)",
    )
    parser.add_argument(
        "--target",
        type=bounded_float(0.5, 0.999),
        default=settings.target_share,
        help="share of the power the input must keep (default %(default)s)",
    )
    parser.add_argument(
        "--criterion",
        choices=CRITERIA,
        default="power",
        help="what the recommended recipe must keep: all power or the detail band's",
    )
    parser.add_argument(
        "--phi",
        type=bounded_float(0.5, 8.0),
        default=settings.phi_max,
        help="the largest φ the recommended recipe is sized for (default %(default)s)",
    )
    parser.add_argument(
        "--base",
        type=BASE_SPEC,
        default="efficientnet-b0",
        help="base network whose input size r(0) is (default %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run_spectrum(args: argparse.Namespace) -> int:
    """Analyse the named images and domains; print per image, per domain, and the recommended recipes."""
    from scaling_core.core.base import load_base
    from scaling_core.studies.spectrum.domain_fit import analyse_domains, domains_frame, images_frame, recommend
    from scaling_core.studies.spectrum.images import (
        check_uploads,
        decode_upload,
        domain_images,
        domain_table,
        spectrum_settings,
    )

    names = list(domain_table()) if "all" in (args.domain or []) else list(dict.fromkeys(args.domain or []))
    if not names and not args.images:
        raise ConfigError("images", "none", "one or more image files, or --domain NAME")
    limits = spectrum_settings().upload
    if len(args.images) > limits.max_files:
        raise ConfigError("images", f"{len(args.images)} files", f"at most {limits.max_files} files")
    files = [(Path(path).name, _read(path, limits.max_bytes)) for path in args.images]
    check_uploads(files, limits)  # every header and the pixels together, before any file is decoded
    groups = {name: domain_images(name) for name in names}
    if files:
        groups["yours"] = [decode_upload(name, data, limits) for name, data in files]
    base_px = load_base(args.base).resolution_px
    summaries = analyse_domains(groups, tuple(args.slope_band), tuple(args.detail_band), args.target)
    recommendations = [
        recommend(s.required_px(args.criterion), base_px, args.phi, s.domain, args.criterion)
        for s in summaries
        if s.required_px(args.criterion) is not None
    ]
    images, domains = images_frame(summaries, args.target), domains_frame(summaries, args.target)
    recipes = [
        {
            "domain": r.domain,
            "criterion": r.criterion,
            "required_px": r.required_px,
            "phi": r.phi,
            "alpha": r.recipe.alpha,
            "beta": r.recipe.beta,
            "gamma": r.recipe.gamma,
            "resolution_px_at_phi": r.resolution_px,
            "note": r.limited,
        }
        for r in recommendations
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "settings": {
                        "slope_band_cycles_per_px": list(args.slope_band),
                        "detail_band_cycles_per_image": list(args.detail_band),
                        "target_share": args.target,
                        "criterion": args.criterion,
                        "base_px": base_px,
                    },
                    "images": json.loads(images.to_json(orient="records")),
                    "domains": json.loads(domains.to_json(orient="records")),
                    "recommendations": recipes,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"Slopes α of P ∝ 1/f^α over {args.slope_band[0]:g}–{args.slope_band[1]:g} cycles per pixel (95% "
        f"interval); input size (px) keeping {args.target:.0%} of all power and of {args.detail_band[0]:g}–"
        f"{args.detail_band[1]:g} cycles per image. Measured on the images.\n"
    )
    print(images.drop(columns="source").to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print()
    print(domains.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        "\nRecommended recipes (modelled: scaling_core/studies/spectrum/domain_fit.py), "
        f"α·β²·γ² = 2, sized for φ = {args.phi:g} "
        f"on a {base_px} px base, criterion: {args.criterion}"
    )
    if not recipes:
        print("  none: no image reaches the detail band; choose a lower --detail-band or --criterion power")
    for r in recipes:
        print(
            f"  {r['domain']}: α = {r['alpha']:.3f}, β = {r['beta']:.3f}, γ = {r['gamma']:.3f} → r(φ) = "
            f"{r['resolution_px_at_phi']} px for {r['required_px']:.0f} px needed"
            + (f" ({r['note']})" if r["note"] else "")
        )
    return 0


def _read(path: str, max_bytes: int) -> bytes:
    try:
        return read_checked(path, max_bytes)
    except OSError as exc:
        raise ConfigError("image file", path, f"a readable file ({exc.strerror})") from None


SPECTRUM_COMMANDS = {"spectrum": run_spectrum}
