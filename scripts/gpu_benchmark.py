"""
Tang et al. (2019) Table 3 on a GPU: the throughput (texts/s) of an exported student and of teacher
architectures at batch 512 over the same texts, fp32 and bfloat16 autocast, in one run, and the
student ÷ teacher ratios. For a GPU machine where this plugin cannot be installed (no AllenNLP,
no package registry, a file-size limit): `prepare` runs here and writes a small bundle; `run`
needs only torch and transformers.

    # here (this plugin's venv): the SST-2 training texts as ids, the exports, the teachers' configs
    .venv/bin/python scripts/gpu_benchmark.py prepare ../shared/data/glue/SST-2/train.tsv \
        -o .gpu/bundle --student bilstm=runs/sst2/student_export --tokenizer TOKENIZER_JSON \
        --teacher minilm-l6=CONFIG_JSON --teacher mpnet-base=mpnet   # scripts/gpu_bundle.sh: all
    # on the GPU machine
    python3 scripts/gpu_benchmark.py run .gpu/bundle --output gpu_benchmark.json
    # anywhere: the tables of a saved report again (the README's are docs/gpu_benchmark_h200.json's)
    python3 scripts/gpu_benchmark.py table docs/gpu_benchmark_h200.json

Where AllenNLP and the archives are at hand, `allennlp distill-report --cuda-device 0` measures
the archives themselves (README, Scaling out); this script measures what travels:

- the student is the `distill-export` TorchScript module itself, with its embedding table left
  behind (`--strip-embeddings`) and re-created at the same shape with random values on the GPU;
- each teacher is its transformer built from its `config.json` (weights random: no trained
  weights travel) with this project's head on top, mean pooling over the word pieces and a linear
  layer to the labels (`teacher.libsonnet`: `boe` averaged, as AllenNLP's `basic_classifier`).

The values of the weights do not change the work of a forward pass, only its result; lengths do,
so every model reads the real texts, tokenised as in training (the student's words by its
export's vocabulary, the teachers' word pieces by `--tokenizer`, capped at 128 as the teacher's
reader does). Batches are timed in the file's order and sorted by length (Tang et al. do not say
which; the second is what a labelling job does), the inputs already on the device, a warm-up
that runs one batch of every shape, then the median of `--repeats` full passes, each ended by
`torch.cuda.synchronize`. fp32 is fp32 for every model (no TF32, in cuDNN either); only the
teachers are also timed under bf16 autocast (the students' LSTM and convolutions gain little).
"""

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any, Dict, List, Sequence, Tuple

import torch

#: Texts per batch (Tang et al. 2019, Table 3).
BATCH_SIZE = 512
#: Keys of a saved `config.json` that describe the saved file, not the architecture.
IGNORED = ("architectures", "torch_dtype", "dtype", "transformers_version")
#: The teacher reader's cap on word pieces (`max_tokens` in `teacher.libsonnet`).
MAX_WORDPIECES = 128


def read_texts(path: str, column: str, limit: int) -> List[str]:
    """
    The texts of `column` of a TSV (with a header, GLUE's layout) or JSONL file, its first `limit`
    rows (0: all), read as every reader of this plugin reads them (`iter_rows`, `require_text`).

    # Raises
    `DataFormatError` naming the file and line: no such column, an empty text, a bad line.
    """
    from allennlp_distill.dataset_readers.rows import iter_rows, require_text

    texts = []
    for line, row in iter_rows(path, required_columns=(column,)):
        texts.append(require_text(path, line, row, column))
        if len(texts) == limit:
            break
    return texts


def flat(rows: Sequence[Sequence[int]]) -> Dict[str, torch.Tensor]:
    """Ragged id lists as one int32 tensor of ids and one of lengths (a small bundle file)."""
    return {
        "ids": torch.tensor([i for row in rows for i in row], dtype=torch.int32),
        "lengths": torch.tensor([len(row) for row in rows], dtype=torch.int32),
    }


def unflat(packed: Dict[str, torch.Tensor]) -> List[List[int]]:
    """`flat`'s inverse."""
    ids, rows, start = packed["ids"].tolist(), [], 0
    for length in packed["lengths"].tolist():
        rows.append(ids[start : start + length])
        start += length
    return rows


def prepare(args: argparse.Namespace) -> None:
    """
    Write the bundle: `NAME.ts` per student, `inputs.pt` (ids), `bundle.json` (shapes, configs).

    # Raises
    `SystemExit` naming the `--student` that is not a single-sentence word-level export;
    `DataFormatError` naming the text file's line (`read_texts`).
    """
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from tokenizers import Tokenizer

    from allennlp_distill.serving import TORCHSCRIPT_FILE, UNKNOWN, ExportedStudent

    texts = read_texts(args.text_file, args.column, args.texts)
    os.makedirs(args.output_dir, exist_ok=True)
    students, inputs, labels = {}, {}, set()
    for spec in args.student:
        name, _, export_dir = spec.partition("=")
        student = ExportedStudent(export_dir)
        if student.tagger or len(student.text_columns) != 1 or student._wordpieces:
            sys.exit(f"--student {spec}: a single-sentence word-level student is needed")
        labels.add(len(student.labels))
        inputs[name] = flat([student.word_ids(student.words(t)) or [UNKNOWN] for t in texts])
        module = torch.jit.load(os.path.join(export_dir, TORCHSCRIPT_FILE))
        stripped = {}
        for parameter_name, parameter in list(module.named_parameters()):
            if args.strip_embeddings and parameter_name.endswith("embedding.weight"):
                stripped[parameter_name] = list(parameter.shape)
                set_parameter(module, parameter_name, torch.empty(0, parameter.shape[1]))
        module.save(os.path.join(args.output_dir, f"{name}.ts"))
        students[name] = {"export_dir": export_dir, "stripped": stripped}
    pieces = Tokenizer.from_file(args.tokenizer)
    # A saved tokenizer may pad every text to a fixed length (the MiniLM package's pads to 128):
    # each batch is padded to its own longest, as AllenNLP's data loader does.
    pieces.no_padding()
    pieces.enable_truncation(max_length=MAX_WORDPIECES)
    inputs["wordpieces"] = flat([encoding.ids for encoding in pieces.encode_batch(texts)])
    torch.save(inputs, os.path.join(args.output_dir, "inputs.pt"))
    teachers = {}
    for spec in args.teacher:
        name, _, config = spec.partition("=")
        if os.path.isfile(config):
            with open(config, encoding="utf-8") as config_file:
                teachers[name] = json.load(config_file)
        else:  # a transformers model type, its defaults changed by key=value pairs
            teachers[name] = model_type_config(config)
    bundle = {
        "texts": len(texts),
        "text_file": args.text_file,
        "students": students,
        "labels": max(labels),
        "tokenizer": args.tokenizer,
        "teachers": teachers,
    }
    with open(os.path.join(args.output_dir, "bundle.json"), "w", encoding="utf-8") as out:
        json.dump(bundle, out, indent=1)
    size = sum(
        os.path.getsize(os.path.join(args.output_dir, f)) for f in os.listdir(args.output_dir)
    )
    print(f"{args.output_dir}: {len(texts)} texts, {size / 1e6:.1f} MB, {students}")


def model_type_config(spec: str) -> Dict[str, Any]:
    """
    `TYPE` or `TYPE:key=value,...` (integers as integers): a transformers model type's default
    configuration with those keys changed, e.g. BERT-large as
    `bert:hidden_size=1024,num_hidden_layers=24,num_attention_heads=16,intermediate_size=4096`.

    # Raises
    `SystemExit` for a pair without `=`.
    """
    model_type, _, changes = spec.partition(":")
    config: Dict[str, Any] = {"model_type": model_type}
    for change in filter(None, changes.split(",")):
        key, equals, value = change.partition("=")
        if not equals:
            sys.exit(f"--teacher {spec}: {change!r} is not key=value")
        config[key] = int(value) if value.lstrip("-").isdigit() else value
    return config


def set_parameter(module: torch.nn.Module, name: str, value: torch.Tensor) -> None:
    """Replace the parameter `name` (`"encoder.embedding.weight"`) of `module` by `value`."""
    *path, attribute = name.split(".")
    for part in path:
        module = getattr(module, part)
    setattr(module, attribute, torch.nn.Parameter(value))


class TeacherClassifier(torch.nn.Module):
    """
    A teacher as `teacher.libsonnet` builds it: a transformer, the mean of its last layer over the
    real word pieces (AllenNLP's `boe`, averaged), a linear layer to `labels` logits. `forward`
    takes `token_ids` and `mask`, `(batch_size, num_pieces)` int64, and returns `(batch_size,
    labels)` logits.
    """

    def __init__(self, config: Dict[str, Any], labels: int) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoModel

        # Provenance keys (a saved model's name, dtype, versions) are not architecture.
        config = {k: v for k, v in config.items() if not k.startswith("_") and k not in IGNORED}
        model_type = config.pop("model_type")
        self.transformer = AutoModel.from_config(AutoConfig.for_model(model_type, **config))
        self.output = torch.nn.Linear(self.transformer.config.hidden_size, labels)

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states = self.transformer(input_ids=token_ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
        return self.output(pooled)


def batches(
    rows: Sequence[Sequence[int]], sort: bool, pad_id: int, device: torch.device, with_mask: bool
) -> List[Tuple[torch.Tensor, ...]]:
    """
    `rows` in batches of `BATCH_SIZE`, in order or sorted by length, each padded to its longest
    with `pad_id`: `(token_ids,)` or `(token_ids, mask)`, int64 on `device`.
    """
    order = sorted(range(len(rows)), key=lambda i: len(rows[i])) if sort else range(len(rows))
    ordered = [rows[i] for i in order]
    out: List[Tuple[torch.Tensor, ...]] = []
    for start in range(0, len(ordered), BATCH_SIZE):
        chunk = ordered[start : start + BATCH_SIZE]
        longest = max(len(row) for row in chunk)
        ids = torch.tensor([list(row) + [pad_id] * (longest - len(row)) for row in chunk])
        if with_mask:
            mask = torch.tensor([[1] * len(row) + [0] * (longest - len(row)) for row in chunk])
            out.append((ids.to(device), mask.to(device)))
        else:
            out.append((ids.to(device),))
    return out


def texts_per_second(
    model: torch.nn.Module,
    inputs: Sequence[Tuple[torch.Tensor, ...]],
    texts: int,
    device: torch.device,
    bf16: bool,
    repeats: int,
) -> Tuple[float, int]:
    """
    `texts` ÷ the median time of `repeats` full passes over `inputs`, after a warm-up that runs
    the first batch of every shape once (each shape's kernels chosen, its memory cached), so that
    no timed pass is a cold one. Returns texts/s and the number of timed passes.
    """

    def one_pass(batches: Sequence[Tuple[torch.Tensor, ...]]) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
        ):
            for batch in batches:
                model(*batch)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    one_pass(list({tuple(batch[0].shape): batch for batch in reversed(inputs)}.values()))
    seconds = [one_pass(inputs) for _ in range(repeats)]
    return texts / statistics.median(seconds), len(seconds)


def run(args: argparse.Namespace) -> None:
    """
    Time each student and each teacher (fp32, bf16), print the tables, write the report. fp32
    means fp32 for every model: TF32 is turned off for matrix products (torch's default) and for
    cuDNN's LSTMs and convolutions (on by torch's default), which only the students use.

    # Raises
    `SystemExit` when `--device` is a GPU that torch does not see, or (after every other model
    is timed and the report written) naming each student that failed on the device.
    """
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"--device {args.device}: torch {torch.__version__} sees no GPU here")
    device = torch.device(args.device)
    torch.manual_seed(0)
    with open(os.path.join(args.bundle, "bundle.json"), encoding="utf-8") as bundle_file:
        bundle = json.load(bundle_file)
    inputs = torch.load(os.path.join(args.bundle, "inputs.pt"))
    wordpieces = unflat(inputs["wordpieces"])
    texts = len(wordpieces)
    rows: List[Dict[str, Any]] = []
    failures: Dict[str, str] = {}
    report: Dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "texts": texts,
        "batch_size": BATCH_SIZE,
        "repeats": args.repeats,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "mean_wordpieces": sum(map(len, wordpieces)) / texts,
        "device_vs_cpu_max_abs_diff": {},
        "failures": failures,
        "bundle": bundle,
        "rows": rows,
    }
    for name, student_info in bundle["students"].items():
        words = unflat(inputs[name])
        report[f"mean_words_{name}"] = sum(map(len, words)) / texts
        student = torch.jit.load(os.path.join(args.bundle, f"{name}.ts"), map_location="cpu")
        for parameter_name, shape in student_info["stripped"].items():
            set_parameter(student, parameter_name, torch.randn(*shape) * 0.1)
        student.eval()
        # One batch on the CPU and on the device: the export's device path gives the CPU's logits.
        check = batches(words[:BATCH_SIZE], False, 0, torch.device("cpu"), False)[0]
        with torch.inference_mode():
            expected = student(*check)
            student.to(device)
            try:
                got = student(*(t.to(device) for t in check)).cpu()
            except RuntimeError as error:  # reported, and the other models still timed
                failures[name] = str(error).strip().splitlines()[-1]
                print(f"{name} fails on {device}: {failures[name]}", flush=True)
                continue
        report["device_vs_cpu_max_abs_diff"][name] = float((got - expected).abs().max())
        for sort in (False, True):
            order = "length-sorted" if sort else "file order"
            on_device = batches(words, sort, 0, device, False)
            speed, passes = texts_per_second(student, on_device, texts, device, False, args.repeats)
            rows.append(
                {
                    "model": name,
                    "student": True,
                    "precision": "fp32",
                    "order": order,
                    "texts_per_s": speed,
                    "passes": passes,
                    "parameters": sum(p.numel() for p in student.parameters()),
                }
            )
            print(f"{name} fp32 {order}: {speed:,.0f} texts/s", flush=True)
        del student
    import transformers

    report["transformers"] = transformers.__version__
    for name, config in bundle["teachers"].items():
        with device:  # initialised where it runs (BERT-large: 335 M random weights)
            teacher = TeacherClassifier(config, bundle["labels"]).eval()
        pad_id = teacher.transformer.config.pad_token_id or 0
        attention = getattr(teacher.transformer.config, "_attn_implementation", None)
        parameters = sum(p.numel() for p in teacher.parameters())
        for sort in (False, True):
            order = "length-sorted" if sort else "file order"
            on_device = batches(wordpieces, sort, pad_id, device, True)
            for bf16 in (False, True):
                precision = "bf16 autocast" if bf16 else "fp32"
                speed, passes = texts_per_second(
                    teacher, on_device, texts, device, bf16, args.repeats
                )
                rows.append(
                    {
                        "model": name,
                        "student": False,
                        "precision": precision,
                        "order": order,
                        "texts_per_s": speed,
                        "passes": passes,
                        "parameters": parameters,
                        "attention": attention,
                    }
                )
                print(f"{name} {precision} {order}: {speed:,.0f} texts/s", flush=True)
        del teacher, on_device
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print(table(report))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=1)
    if failures:
        sys.exit(f"failed on {device}: {', '.join(failures)}")


def table(report: Dict[str, Any]) -> str:
    """
    The report as Markdown: every model's texts/s, then, per order, each student's speed ÷ each
    teacher's (fp32, bf16).
    """
    rows = report["rows"]
    lines = [
        f"{report['device']}, torch {report['torch']}, {report['texts']:,} texts, batch "
        f"{report['batch_size']}, fp32 matrix products at torch's "
        f"'{report['float32_matmul_precision']}' precision, cuDNN TF32 "
        f"{'on' if report.get('cudnn_allow_tf32', True) else 'off'}; students on the device "
        f"vs the CPU, largest logit difference: "
        + ", ".join(f"{k} {v:.1e}" for k, v in report["device_vs_cpu_max_abs_diff"].items()),
        "",
        "| model | parameters | precision | order | texts/s | timed passes |",
        "| --- | ---: | --- | --- | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['parameters'] / 1e6:.1f} M | {row['precision']} | "
            f"{row['order']} | {row['texts_per_s']:,.0f} | {row['passes']} |"
        )
    teachers = [r for r in rows if not r["student"]]
    for order in ("file order", "length-sorted"):
        columns = [t for t in teachers if t["order"] == order]
        lines += [
            "",
            f"Student ÷ teacher, texts/s, {order}:",
            "",
            "| student | " + " | ".join(f"{t['model']} {t['precision']}" for t in columns) + " |",
            "| --- |" + " ---: |" * len(columns),
        ]
        for student in (r for r in rows if r["student"] and r["order"] == order):
            ratios = [student["texts_per_s"] / t["texts_per_s"] for t in columns]
            lines.append(
                f"| {student['model']} | " + " | ".join(f"{x:.1f}×" for x in ratios) + " |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("prepare", help="write the bundle (needs this plugin)")
    make.add_argument("text_file", help="a TSV file with a header (GLUE's SST-2 train.tsv)")
    make.add_argument("-o", "--output-dir", required=True)
    make.add_argument("--column", default="sentence")
    make.add_argument("--texts", type=int, default=0, help="the first N texts (0: all)")
    make.add_argument(
        "--student",
        action="append",
        required=True,
        help="NAME=EXPORT_DIR: a `distill-export` folder of a single-sentence student",
    )
    make.add_argument(
        "--tokenizer",
        required=True,
        help="the teachers' tokenizer.json (word pieces; all teachers read the same ids)",
    )
    make.add_argument(
        "--teacher",
        action="append",
        default=[],
        help="NAME=CONFIG: a transformers config.json, or TYPE[:key=value,...] (a model type's "
        "default config, those keys changed)",
    )
    make.add_argument(
        "--strip-embeddings",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="leave the embedding tables behind (re-created at their shape by `run`)",
    )
    timing = commands.add_parser("run", help="time the bundle's models (torch, transformers)")
    timing.add_argument("bundle")
    timing.add_argument("--device", default="cuda")
    timing.add_argument("--repeats", type=int, default=3, help="timed passes (their median)")
    timing.add_argument("--output", help="the report as JSON")
    again = commands.add_parser("table", help="print a saved report's tables again")
    again.add_argument("report", help="the JSON that `run --output` wrote")
    args = parser.parse_args()
    if args.command == "table":
        with open(args.report, encoding="utf-8") as report_file:
            print(table(json.load(report_file)))
    elif args.command == "prepare":
        prepare(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
