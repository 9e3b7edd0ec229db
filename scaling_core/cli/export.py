"""The `export` command: the network the options name as an ONNX file, checked against PyTorch."""

from __future__ import annotations

import argparse
import json

from scaling_core.cli.arguments import OutputFile
from scaling_core.cli.network import add_network_arguments, add_rule_arguments, resolve_arch, resolve_rule_arch
from scaling_core.core.errors import ConfigError

FORMATS = ("onnx",)


def add_export_commands(commands) -> None:
    """Register `export` on the CLI's sub-parsers."""
    export = commands.add_parser(
        "export",
        help="write the network as an ONNX file, checked by onnx.checker and against PyTorch in ONNX Runtime",
    )
    add_network_arguments(export, many=False)
    add_rule_arguments(export)
    export.add_argument("--format", choices=FORMATS, default="onnx", help="the file format (onnx)")
    export.add_argument("-o", "--output", type=OutputFile(), help="the file to write (.onnx; required)")
    export.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_export(args: argparse.Namespace) -> int:
    """Export, check and report: path, opset, inputs, outputs and ONNX Runtime's difference from PyTorch."""
    from scaling_core.nn.onnx_export import export_onnx

    if args.output is None:
        raise ConfigError("--output", None, "a file path in an existing, writable folder (-o FILE)")
    task = resolve_rule_arch(args) if args.rule is not None else resolve_arch(args)
    report = export_onnx(task, args.output)
    if args.json:
        fields = ("path", "opset", "inputs", "outputs", "max_abs_difference", "tolerance", "dynamic_axes")
        document = {"format": args.format} | {k: report.as_dict()[k] for k in fields} | {"metadata": report.metadata}
        print(json.dumps(document, indent=2))
        return 0
    shapes = "; ".join(f"{v['name']} {v['shape']}" for v in report.inputs)
    outputs = "; ".join(f"{v['name']} {v['shape']}" for v in report.outputs)
    print(f"wrote {report.path} ({args.format.upper()} opset {report.opset}, checked by onnx.checker)")
    print(f"input: {shapes}  ({report.metadata['normalisation']})")
    print(f"outputs: {outputs}")
    print(
        f"ONNX Runtime against PyTorch on a fixed input: max |difference| {report.max_abs_difference:.3g} "
        f"(tolerance {report.tolerance:.3g})"
    )
    return 0


EXPORT_COMMANDS = {"export": run_export}
