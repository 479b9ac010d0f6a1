"""Speech files inside a .zip: read in memory, each member like a file of its own."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from jianghua import config, load_corpus, read_archive

FIXTURES = Path(__file__).parent / "fixtures" / "read"
SEED_000 = next(config.CORPUS_DIR.glob("000_*.txt"))
SEED_002 = next(config.CORPUS_DIR.glob("002_*.txt"))


def _set_encrypted(data: bytes, name: bytes) -> bytes:
    """Return zip bytes with the member `name` flagged as encrypted in both of its headers."""
    out = bytearray(data)
    at = out.find(name)
    while at != -1:
        for signature, back, flag in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
            if out[at - back : at - back + 4] == signature:
                out[at - back + flag] |= 0x1
        at = out.find(name, at + 1)
    return bytes(out)


def _zip(members: dict) -> bytes:
    """Return a zip archive of {name: bytes}, written as Python writes it (UTF-8 names)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def archive_corpus(tmp_path):
    """Return a corpus folder holding one .zip as colleagues send them."""
    data = _zip(
        {
            "2009/000.txt": SEED_000.read_bytes(),
            "abcd.txt": SEED_002.read_text(encoding="utf-8").encode("gb18030"),
            "讲话稿.docx": (FIXTURES / "speech.docx").read_bytes(),
            "__MACOSX/2009/._000.txt": b"\x00\x05\x16\x07",
            "metadata.csv": b"source,speaker\n",
            "inner.zip": _zip({"x.txt": b"x"}),
            "scan.png": b"\x89PNG\r\n\x1a\n",
            "locked.txt": "加密的讲话".encode(),
        }
    )
    # Chinese Windows writes member names as GBK bytes without the UTF-8 flag
    data = data.replace(b"abcd.txt", "讲话.txt".encode("gbk"))
    data = _set_encrypted(data, b"locked.txt")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "speeches.zip").write_bytes(data)
    return folder


def _checksums(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")}


def test_members_are_read_like_files(archive_corpus, seed_corpus):
    before = _checksums(archive_corpus)
    corpus = load_corpus(archive_corpus, cache=False)
    assert _checksums(archive_corpus) == before  # nothing unpacked, nothing written
    sp = corpus.speeches.set_index("source")
    assert list(sp.index) == [
        "speeches.zip/2009/000.txt",
        "speeches.zip/讲话.txt",
        "speeches.zip/讲话稿.docx",
    ]
    assert sp["speech_id"].is_unique
    seed = seed_corpus.speeches.set_index("source")
    # the same text and metadata as the loose seed file gives
    for member, loose in (("2009/000.txt", SEED_000.name), ("讲话.txt", SEED_002.name)):
        row, ref = sp.loc[f"speeches.zip/{member}"], seed.loc[loose]
        assert row["text"] == ref["text"]
        assert (row["title"], row["speaker"]) == (ref["title"], ref["speaker"])
    assert sp.loc["speeches.zip/2009/000.txt", "speaker"] == "张永霞"
    assert sp.loc["speeches.zip/讲话稿.docx", "text"].count("\n") > 3


def test_members_that_cannot_be_read_are_problems_with_reasons(archive_corpus):
    problems = load_corpus(archive_corpus, cache=False).problems
    errors = problems[problems.severity == "error"].set_index("source")["message"].to_dict()
    assert errors == {
        "speeches.zip/inner.zip": "an archive inside an archive: unpack it into the corpus folder",
        "speeches.zip/locked.txt": "password-protected: unpack the .zip with its password",
        "speeches.zip/scan.png": (
            "unsupported file type .png: a picture of the text: OCR it into a .txt file"
        ),
    }
    # Mac resource forks and the analyst's own files inside the archive are not speeches
    assert not problems.source.str.contains("MACOSX|metadata").any()


def test_a_cached_rerun_gives_the_same_tables(archive_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    first, second = load_corpus(archive_corpus), load_corpus(archive_corpus)
    assert first.speeches.equals(second.speeches) and first.problems.equals(second.problems)
    assert len(first.speeches) == 3


def test_damaged_and_empty_archives(tmp_path, monkeypatch):
    folder = tmp_path / "corpus"
    folder.mkdir()
    good = _zip({"000.txt": SEED_000.read_bytes()})
    (folder / "cut.zip").write_bytes(good[: len(good) // 2])
    (folder / "empty.zip").write_bytes(_zip({"__MACOSX/._a": b"", "notes/": b""}))
    (folder / "big.zip").write_bytes(good)
    (folder / "000.txt").write_bytes(SEED_000.read_bytes())
    monkeypatch.setattr(read_archive, "MAX_MEMBER_BYTES", 1000)
    corpus = load_corpus(folder, cache=False)
    assert list(corpus.speeches.source) == ["000.txt"]  # one bad archive stops nothing
    errors = corpus.problems.set_index("source")["message"].to_dict()
    assert errors["cut.zip"].startswith("corrupt .zip: ")
    assert errors["empty.zip"] == "no speech files inside the .zip"
    size = SEED_000.stat().st_size
    assert errors["big.zip/000.txt"] == (
        f"{size:,} bytes unpacked, more than the 1,000 bytes read from a .zip: "
        "unpack it into the corpus folder"
    )


def test_member_names_from_chinese_windows_are_decoded():
    info = zipfile.ZipInfo("讲话.txt".encode("gbk").decode("cp437"))
    assert read_archive.member_name(info) == "讲话.txt"
    utf8 = zipfile.ZipInfo("讲话.txt")
    utf8.flag_bits |= read_archive.UTF8_NAME_FLAG
    assert read_archive.member_name(utf8) == "讲话.txt"
    assert read_archive.member_name(zipfile.ZipInfo("a\\b.txt")) == "a/b.txt"
