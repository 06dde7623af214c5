"""The CLI: one JSON line per file, errors as lines, --help complete."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cv2
import pytest

from plate_service import cli
from plate_service.__main__ import build_parser, main
from tests.conftest import MODELS_DIR
from tests.fakes import FakeReader, fake_recognizer, plate_like_jpeg


def _run(argv: list[str]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = cli.run_read(build_parser().parse_args(argv), out=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> FakeReader:
    reader = FakeReader()
    monkeypatch.setattr("plate_service.recognition.loading.load_recognizer",
                        lambda *a, **k: fake_recognizer(reader))
    return reader


def test_reads_files_in_order_as_json_lines(tmp_path: Path, fake_models: FakeReader) -> None:
    files = []
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(plate_like_jpeg())
        files.append(str(tmp_path / name))
    code, lines = _run(["read", *files])
    assert code == 0
    assert [line["file"] for line in lines] == files
    assert lines[0]["plate"] == "С181МВ190"
    assert fake_models.batches == [1, 1]  # one image per call, as the service reads


def test_answer_options_shape_the_lines(tmp_path: Path, fake_models: FakeReader,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fake_models.doubts = {1: ("7", 0.3)}
    (tmp_path / "a.jpg").write_bytes(plate_like_jpeg())
    code, (line,) = _run(["read", "--top-n", "1", str(tmp_path / "a.jpg")])
    assert code == 0
    assert [c["text"] for c in line["plates"][0]["candidates"]] == ["С181МВ190"]
    code, (line,) = _run(["read", "--min-confidence", "0.95", str(tmp_path / "a.jpg")])
    assert line["plate"] is None
    assert _run(["read", "--top-n", "11", str(tmp_path / "a.jpg")]) == (2, [])
    assert "top_n" in capsys.readouterr().err


def test_bad_files_give_error_lines_and_exit_1(tmp_path: Path, fake_models: FakeReader) -> None:
    (tmp_path / "good.jpg").write_bytes(plate_like_jpeg())
    (tmp_path / "junk.jpg").write_bytes(b"<html>")
    code, lines = _run(["read", str(tmp_path / "junk.jpg"), str(tmp_path / "missing.png"),
                        str(tmp_path / "good.jpg")])
    assert code == 1
    assert lines[0]["error"]["code"] == "invalid_image"
    assert lines[1]["error"]["code"] == "unreadable_file"
    assert lines[2]["plate"] == "С181МВ190"


def test_draw_writes_each_read_image_with_its_plates_drawn(
        tmp_path: Path, fake_models: FakeReader) -> None:
    for folder in ("a", "b"):  # two inputs with one name must not overwrite each other
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "car.jpg").write_bytes(plate_like_jpeg())
    (tmp_path / "junk.jpg").write_bytes(b"<html>")
    out_dir = tmp_path / "drawn"
    code, lines = _run(["read", "--draw", str(out_dir), str(tmp_path / "a" / "car.jpg"),
                        str(tmp_path / "junk.jpg"), str(tmp_path / "b" / "car.jpg")])
    assert code == 1
    assert [line.get("annotated") for line in lines] == [
        str(out_dir / "car.jpg"), None, str(out_dir / "car-2.jpg")]
    assert sorted(path.name for path in out_dir.iterdir()) == ["car-2.jpg", "car.jpg"]
    drawn = cv2.imread(str(out_dir / "car.jpg"))
    assert drawn.shape[0] > 56 and drawn.shape[1] >= 260  # the crop and its label band


def test_draw_never_overwrites_an_input(tmp_path: Path, fake_models: FakeReader) -> None:
    original = plate_like_jpeg()
    (tmp_path / "car.jpg").write_bytes(original)
    code, lines = _run(["read", "--draw", str(tmp_path), str(tmp_path / "car.jpg")])
    assert code == 0 and lines[0]["annotated"] == str(tmp_path / "car-2.jpg")
    assert (tmp_path / "car.jpg").read_bytes() == original


def test_help_lists_the_commands_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["read", "--help"])
    text = capsys.readouterr().out
    for option in ("FILE", "--mode", "--models-dir", "--draw", "OUT_DIR", "auto", "scene"):
        assert option in text


def test_reads_the_real_upstream_images_with_the_bundled_models(shared_data: Path) -> None:
    code, lines = _run(["read", "--models-dir", str(MODELS_DIR),
                        str(shared_data / "provider" / "10022.jpg"),
                        str(shared_data / "provider" / "9965.jpg")])
    assert code == 0
    assert [line["plate"] for line in lines] == ["С181МВ190", "О101НО750"]
