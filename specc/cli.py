"""The command line: `specc check | shapes | graph | build | fmt | schema | ops`.

Exit codes are a contract: 0 fine, 1 a spec error (diagnostics on stderr),
2 a usage error (bad flags, a path that is no readable file, `--set`,
`--input` or `--model` values), 3 a bug in specc (reported, never a
traceback; `SPECC_DEBUG=1` shows it). The status of a diagnostic comes from
its code's category (`diagnostics.Category`). Every FILE is a path, or `-`
for standard input. Static commands never import torch (`build --weights`
does: it checks a state_dict against the model).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__, sources
from .diagnostics import Category, SpecError, SpecErrorGroup, render
from .limits import with_room

EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE = 0, Category.SPEC.exit_status, Category.USAGE.exit_status
STAGE_NAMES = ("parse", "resolve", "check", "elaborate", "name")  # `pipeline.STAGE_NAMES`, without importing it
# `columns.COLUMNS` and `columns.DEFAULT`, named without importing them (for --help)
COLUMN_NAMES = ("path", "op", "args", "input", "output", "params", "macs", "flops", "memory", "rf", "jump")
DEFAULT_COLUMNS = "path,op,args,output,params,macs"

DESCRIPTION = """\
specc compiles a short declarative spec of a CNN into a checked layer graph:
every tensor shape is inferred statically, every mistake is reported at the
line where it was written, and the result becomes a torch.nn.Module or a
standalone Python file.
"""

EPILOG = """\
examples:
  specc check specs/*.spec
  specc check specs/vgg11.spec --set ratio=4
  specc shapes specs/lenet.spec
  specc shapes specs/vgg11.spec --set ratio=4 --input 1x224x224 --json
  specc graph specs/resnet18.spec --depth 1 -o resnet18.svg
  specc shapes specs/resnet18.spec --columns path,op,output,rf,jump,memory,flops --batch 32
  specc build specs/resnet18.spec -o resnet18.py
  specc build specs/torchvision/resnet18.spec --weights resnet18.pt -o resnet18.py
  specc fmt --check specs/*.spec
  specc fmt specs/alexnet.spec --to yaml

exit codes: 0 fine, 1 errors in a spec, 2 usage errors, 3 a bug in specc
"""


class UsageError(Exception):
    """A mistake in the command line itself (exit 2)."""


def _report(error: SpecError) -> int:
    """Print every diagnostic `error` holds; returns the exit status its codes call for."""
    sys.stderr.write(render(error, sources.text_of))
    return error.exit_status


def _warn(done) -> None:
    """Print the warnings of a compilation that succeeded (they change no exit status)."""
    warnings = done.problems.warnings
    if warnings:  # rendered together, so that they are capped as errors are (`LIMITS["shown_errors"]`)
        sys.stderr.write(render(SpecErrorGroup(warnings), sources.text_of))


def _path(file: str):
    """A command-line FILE: a path, or `-` for standard input (never spec text)."""
    from .pipeline import STDIN

    return STDIN if file == STDIN else Path(file)


def _compilation(args: argparse.Namespace, file: str):
    from .overrides import parse_input, parse_set
    from .pipeline import Compilation

    return Compilation(_path(file), model=args.model, overrides=parse_set(args.overrides),
                       input=parse_input(args.input) if args.input else None,
                       library_paths=tuple(args.lib_paths))


def _run(compilation, args: argparse.Namespace, until: str = "name"):
    """Run the pipeline; with `--dump STAGE`, print that stage's product and stop there.

    Returns the compilation, or None when a dump was printed instead.
    """
    from .pipeline import run

    dump = getattr(args, "dump", None)
    if dump is None:
        return run(compilation, until=until)
    from .dump import print_stage

    run(compilation, until=dump, after=lambda stage, done: print_stage(stage, done) if stage.name == dump else None)
    return None


# ---------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    from .check_models import check_models
    from .overrides import parse_input, parse_set
    from .pipeline import Compilation

    # Parsed once, before any file: a bad value is one usage error, not one per file.
    options = dict(model=args.model, overrides=parse_set(args.overrides),
                   input=parse_input(args.input) if args.input else None)
    status = EXIT_OK
    for file in args.files:
        try:
            done = _run(Compilation(_path(file), library_paths=tuple(args.lib_paths), **options), args,
                        until="check")
            if done is None:
                continue
            outcome = check_models(done)
            for definition in outcome.static:
                _note_static(definition)
            outcome.raise_if_any()
            _warn(done)  # (after errors, a warning is often their consequence: shown only without them)
        except SpecError as error:
            status = max(status, _report(error))
    if status == EXIT_OK and args.dump is None:
        count = len(args.files)
        print(f"checked {count} file{'s' if count != 1 else ''}: no errors")
    return status


def _note_sizes(graph, done: str) -> None:
    """A model with symbolic input sizes is built (drawn) at its smallest valid input: say so, and how to choose."""
    sizes = graph.sizes
    if sizes is None:
        return
    sample = sizes.smallest_input[1:] if sizes.smallest_input[0] == "N" else sizes.smallest_input
    sys.stderr.write(f"note: `{graph.model}` takes symbolic sizes ({'; '.join(sizes.constraints())}): {done} at the "
                     f"smallest valid input, {' x '.join(map(str, sample))}; --input chooses another\n")


def _note_static(definition) -> None:
    sys.stderr.write(f"note: `{definition.name}` declares no `input`: its names and calls are checked, its shapes "
                     f"are not (add an `input` line, or pass --input)\n --> {definition.name_span.to_diagnostic()}\n")


def cmd_shapes(args: argparse.Namespace) -> int:
    from .columns import DEFAULT
    from .report import to_json, to_table, warnings_json

    if args.json and args.columns is not None:
        raise UsageError("--columns chooses the table's columns, and --json prints every field: give one of them")
    if args.valid_sizes is not None:
        return _valid_sizes(args)
    done = _run(_compilation(args, args.file), args)
    if done is None:
        return EXIT_OK
    _warn(done)
    graph = done.graph
    if args.json:
        import json  # only here: the table is the common case, and every command pays for its imports

        print(json.dumps({**to_json(graph, batch=args.batch), "warnings": warnings_json(done.problems.warnings)},
                         indent=2))
    else:
        sys.stdout.write(to_table(graph, depth=args.depth, columns=args.columns or DEFAULT, batch=args.batch))
    return EXIT_OK


def _valid_sizes(args: argparse.Namespace) -> int:
    """`specc shapes --valid-sizes LO:HI`: the input sizes the model takes, every spatial size symbolic."""
    from .ops import format_shape
    from .report import valid_sizes_json, valid_sizes_text

    if args.columns is not None or args.depth is not None:
        raise UsageError("--valid-sizes prints the valid input sizes, not the table: drop --columns and --depth")
    compilation = _compilation(args, args.file)
    compilation.every_size = True
    done = _run(compilation, args)
    if done is None:
        return EXIT_OK
    _warn(done)
    graph = done.graph
    if graph.sizes is None:
        raise UsageError(f"--valid-sizes needs an input with spatial sizes; `{graph.model}` takes "
                         f"{format_shape(graph.input)}")
    low, high = args.valid_sizes
    if args.json:
        import json

        print(json.dumps(valid_sizes_json(graph, low, high), indent=2))
    else:
        sys.stdout.write(valid_sizes_text(graph, low, high))
    return EXIT_OK


def _size_range(text: str) -> tuple[int, int]:
    """--valid-sizes LO:HI (both included; `:HI` from 1), or a usage error saying how to write it."""
    from .limits import LIMITS

    low, sep, high = text.partition(":")
    try:
        low_size, high_size = int(low) if low.strip() else 1, int(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO:HI, two sizes such as 64:600, found {text!r}") from None
    if not sep or not 1 <= low_size <= high_size <= LIMITS["size"]:
        raise argparse.ArgumentTypeError(f"expected LO:HI with 1 <= LO <= HI <= {LIMITS['size']:,} "
                                         f"(e.g. 64:600), found {text!r}")
    return low_size, high_size


def cmd_graph(args: argparse.Namespace) -> int:
    fmt = _picture_format(args.format, args.output)
    if args.depth is not None and args.depth < 0:
        raise UsageError(f"expected --depth 0 or more, found {args.depth}")
    from .picture import Picture

    done = _run(_compilation(args, args.file), args)
    _warn(done)
    _note_sizes(done.graph, "drawn")
    picture = Picture(done.graph, depth=args.depth, direction=args.direction, runs=not args.expand_runs)
    drawn = picture.as_format(fmt)
    if args.output is None or args.output == "-":
        sys.stdout.write(drawn)
    else:
        from .output import write_file

        write_file(args.output, drawn)
    return EXIT_OK


def _picture_format(given: Optional[str], output: Optional[str]) -> str:
    """`--format`, else the one `-o`'s suffix names, else SVG; PNG only into a file."""
    from .picture import SUFFIXES

    fmt = given
    if fmt is None and output not in (None, "-"):
        fmt = SUFFIXES.get(Path(output).suffix.lower())
        if fmt is None:
            raise UsageError(f"cannot tell the format of {output} from its suffix: give --format "
                             f"(or end it in {', '.join(SUFFIXES)})")
    fmt = fmt or "svg"
    if fmt == "png" and output in (None, "-"):
        raise UsageError("PNG is binary: give -o FILE.png to write it to a file")
    return fmt
def _columns(text: str):
    """--columns: the table's columns, or a usage error naming the valid ones."""
    from .columns import parse_columns

    try:
        return parse_columns(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _batch(text: str) -> int:
    """--batch: a positive int."""
    try:
        batch = int(text)
    except ValueError:
        batch = 0
    if batch < 1:
        raise argparse.ArgumentTypeError(f"expected a batch size of at least 1, found {text!r}")
    return batch


def cmd_build(args: argparse.Namespace) -> int:
    from .backends.python_source import emit
    from .output import write_generated

    done = _run(_compilation(args, args.file), args)
    if done is None:
        return EXIT_OK
    _warn(done)
    tensors = None
    if args.weights is not None:  # checked before anything is written: a file that does not fit stops the build
        from .weights import verify

        tensors = verify(done.graph, args.weights)
    _note_sizes(done.graph, "built")
    source = emit(done.graph, spec=done.name)
    if args.output is None or args.output == "-":
        sys.stdout.write(source)
    else:
        write_generated(args.output, source, force=args.force)
    if tensors is not None:
        sys.stderr.write(f"weights: `{args.weights}` fits `{done.graph.model}` ({tensors} tensors, every key and "
                         "shape); a .py file holds no weights: load them with\n    "
                         f"model.load_state_dict(torch.load({str(args.weights)!r}, weights_only=True))\n")
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    from .files import write_atomically
    from .fmt import format_file, why_not_replace

    if args.check and args.write:
        raise UsageError("--check and --write exclude each other")
    status, changed = EXIT_OK, 0
    for file in args.files:
        try:
            outcome = format_file(file, args.to)
        except SpecError as error:
            status = max(status, _report(error))
            continue
        if args.check and outcome.changed:
            sys.stderr.write(f"would {'write' if outcome.target != file else 'reformat'} {outcome.target}\n")
            changed += 1
            status = max(status, EXIT_SPEC_ERROR)
        elif args.write and outcome.changed:
            refusal = why_not_replace(outcome)
            if refusal is not None:
                raise UsageError(f"refusing to overwrite {outcome.target}: {refusal} (remove it first)")
            try:
                write_atomically(outcome.target, outcome.after)
            except OSError as error:
                raise UsageError(f"cannot write {outcome.target}: {(error.strerror or str(error)).lower()}") from None
            sys.stderr.write(f"{'wrote' if outcome.target != file else 'reformatted'} {outcome.target}\n")
            changed += 1
        elif not args.check and not args.write:
            sys.stdout.write(outcome.after)
    if args.check or args.write:
        verb = "would be reformatted" if args.check else "reformatted"
        sys.stderr.write(f"{changed} file{'s' if changed != 1 else ''} {verb}, "
                         f"{len(args.files) - changed} unchanged\n")
    return status


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from .schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_ops(args: argparse.Namespace) -> int:
    from .ops import OPS

    for op in OPS.values():
        signature = ", ".join(
            a.name + ("" if a.required else f"={_show_default(a.default)}")
            + (f" ({'/'.join(a.aliases)})" if a.aliases else "") for a in op.args)
        print(f"{op.name}({signature})" if op.args else op.name)
        print(f"    {op.doc}")
    return EXIT_OK


def _show_default(value) -> str:
    from .expr import show

    return "none" if value is None else show(value)


# ---------------------------------------------------------------- parser


def _add_dump_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dump", choices=STAGE_NAMES, metavar="STAGE",
                        help="debugging: print what pipeline stage STAGE produced (the AST, the program, the "
                             f"draft or the IR) as JSON, and stop there; one of {', '.join(STAGE_NAMES)}")


def _add_library_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lib-path", dest="lib_paths", action="append", default=[], metavar="DIR",
                        help="a folder where `use \"path.spec\"` also looks, after the spec's own folder; "
                             "repeatable; the folders in $SPECC_PATH (separated by `:`) come after these")


def _add_model_options(parser: argparse.ArgumentParser,
                       model_help: str = "the model to use (default: the last one in the file)") -> None:
    parser.add_argument("--model", "-m", metavar="M", help=model_help)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter, e.g. --set ratio=4 or --set 'arch=[(1, 64)]'; repeatable")
    parser.add_argument("--input", metavar="[N x] C x H x W",
                        help="override the model's input shape, e.g. 1x28x28, '8 x 3 x 224 x 224' (a batch of 8) "
                             "or Nx3x16x112x112 (the symbolic batch N, then a sample of any rank)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specc", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"specc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser(
        "check", help="check specs and every model's shapes; report every error",
        description="Parse each spec, resolve its `use` lines and every name, check every call against its "
                    "signature, then elaborate every model at its declared input and default parameters, so that "
                    "every error `shapes` or `build` would report is reported, all of a file's together. A model "
                    "without an `input` is checked statically, with a note. --model, --set and --input narrow the "
                    "check to the one model `shapes` would show (the one named, or each file's last) at those "
                    "values; with several files they apply to each. Never imports torch. Prints diagnostics to "
                    "stderr; exits 0 when all files are clean, 1 when any has errors, 2 on usage errors.")
    check.add_argument("files", nargs="+", metavar="FILE", help="a .spec (or .yaml) file, or - for standard input")
    _add_model_options(check, model_help="check only the model M of each file (default: every model; with --set "
                                         "or --input, the last one)")
    check.add_argument("--dump", choices=STAGE_NAMES[:3], metavar="STAGE",
                       help="debugging: print what STAGE (parse, resolve or check) produced, as JSON")
    _add_library_option(check)
    check.set_defaults(run=cmd_check)

    shapes = commands.add_parser(
        "shapes", help="infer and print every layer's shape, parameters and mult-adds",
        description="Elaborate a model and print a table of every layer: its module path, op, arguments, output "
                    "shape, parameter count and mult-adds (torchinfo's convention), with totals; --columns adds "
                    "receptive fields and jumps, FLOPs and activation memory (with the peaks for a batch in "
                    "inference and training). Never imports torch.")
    shapes.add_argument("file", metavar="FILE", help="a .spec (or .yaml) file, or - for standard input")
    _add_model_options(shapes)
    _add_library_option(shapes)
    _add_dump_option(shapes)
    shapes.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    shapes.add_argument("--valid-sizes", type=_size_range, nargs="?", const=(1, 1024), metavar="LO:HI",
                        help="list the input heights and widths (lengths, depths) the model takes from LO to HI "
                             "(default 1:1024), and the smallest, instead of the table")
    shapes.add_argument("--depth", type=int, metavar="D", help="fold blocks nested deeper than D (0: top level only)")
    shapes.add_argument("--columns", type=_columns, metavar="COLS",
                        help=f"the table's columns, comma-separated, or all: {', '.join(COLUMN_NAMES)} "
                             f"(default: {DEFAULT_COLUMNS}); with memory, the peaks are printed below the table")
    shapes.add_argument("--batch", type=_batch, metavar="B",
                        help="the batch size of the memory figures (default: the input's batch, or 1 when it is "
                             "symbolic)")
    shapes.set_defaults(run=cmd_shapes)

    graph = commands.add_parser(
        "graph", help="draw a model's layer graph, with shapes on the edges (SVG, PNG, DOT or Mermaid)",
        description="Elaborate a model and draw its layer graph: a box per layer, the tensor shape on every edge, "
                    "named values as dashed edges, blocks as nested clusters, blocks nested deeper than --depth as "
                    "one box with their shapes and totals, consecutive identical blocks drawn once and marked "
                    "×n. specc writes DOT and Mermaid itself; SVG and PNG are drawn by graphviz-pure (installed "
                    "with specc) or Graphviz's dot. Never imports torch.")
    graph.add_argument("file", metavar="FILE", help="a .spec (or .yaml) file, or - for standard input")
    _add_model_options(graph)
    _add_library_option(graph)
    graph.add_argument("--depth", type=int, metavar="D", help="fold blocks nested deeper than D (0: top level only)")
    graph.add_argument("--format", "-f", choices=("svg", "png", "dot", "mermaid"),
                       help="what to write (default: from the suffix of -o, else svg)")
    graph.add_argument("--direction", choices=("TB", "LR"), default="TB",
                       help="top to bottom (default) or left to right")
    graph.add_argument("--expand-runs", action="store_true",
                       help="draw every block of a run of identical blocks, rather than one marked ×n")
    graph.add_argument("-o", "--output", metavar="OUT",
                       help="the file to write (atomically); - or none for stdout (not for PNG)")
    graph.set_defaults(run=cmd_graph)

    build = commands.add_parser(
        "build", help="write a standalone Python file (imports only torch) for a model",
        description="Elaborate a model and write one Python file that imports only torch: a class per block, a "
                    "class named as the model whose __init__ takes no arguments, the output shape of every layer "
                    "as a comment. Deterministic byte for byte. Without -o it prints to stdout.")
    build.add_argument("file", metavar="FILE", help="a .spec (or .yaml) file, or - for standard input")
    _add_model_options(build)
    _add_library_option(build)
    _add_dump_option(build)
    build.add_argument("-o", "--output", metavar="OUT.py", help="the file to write (atomically); - for stdout")
    build.add_argument("--force", action="store_true",
                       help="overwrite OUT.py even if specc did not generate it")
    build.add_argument("--weights", metavar="PATH",
                       help="a state_dict saved with torch.save: check that every key and shape fits the model "
                            "(exit 1 with one diagnostic listing what does not) before writing; the file holds "
                            "no weights, so load them into it with load_state_dict (imports torch)")
    build.set_defaults(run=cmd_build)

    fmt = commands.add_parser(
        "fmt", help="format specs canonically, or convert them between the DSL and YAML",
        description="Print each spec in canonical form (idempotent; comments kept), or in the other form with "
                    "--to. --write rewrites files in place (a conversion writes FILE.yaml or FILE.spec beside "
                    "FILE); --check changes nothing and exits 1 when a file is not formatted.")
    fmt.add_argument("files", nargs="+", metavar="FILE", help="a .spec or .yaml file")
    fmt.add_argument("--to", choices=("spec", "yaml"), help="the form to write (default: each file's own)")
    fmt.add_argument("--check", action="store_true", help="exit 1 if any file would change; write nothing")
    fmt.add_argument("--write", action="store_true", help="write the result instead of printing it")
    fmt.set_defaults(run=cmd_fmt)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of the YAML form (for editors)",
        description="Print the JSON Schema that .yaml specs follow, for editor completion and checking, e.g. "
                    "`specc schema > specc.schema.json` and `# yaml-language-server: $schema=specc.schema.json`.")
    schema.set_defaults(run=cmd_schema)

    ops = commands.add_parser("ops", help="list the primitive ops and their arguments",
                              description="List every primitive op with its arguments, defaults and short aliases.")
    ops.set_defaults(run=cmd_ops)

    return parser


@with_room  # a command's reports and back-ends walk the IR too, at any depth of the caller's stack
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        parser.exit(EXIT_USAGE, f"specc: error: {error}\n")
    except SpecError as error:
        return _report(error)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - a bug in specc: reported as one, without a traceback
        if os.environ.get("SPECC_DEBUG"):
            raise
        return _report(_internal(error))


def _internal(error: Exception) -> SpecError:
    return SpecError("E0901", f"internal error in specc: {type(error).__name__}: {error}",
                     help="this is a bug in specc, not in your spec: please report it with the spec "
                          "and the command (SPECC_DEBUG=1 shows the traceback)")


if __name__ == "__main__":
    sys.exit(main())
