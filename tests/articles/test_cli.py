"""`helpcenter content load|check` from the command line."""

from sqlalchemy import func, select

from helpcenter.articles.content import body_hash
from helpcenter.articles.models import Article
from helpcenter.extensions import db
from tests.conftest import CONTENT_DIR


def count_articles(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Article))


def test_load_prints_a_summary_and_is_idempotent(app, runner):
    first = runner.invoke(args=["content", "load", str(CONTENT_DIR)])
    assert first.exit_code == 0, first.output
    assert "40 created, 0 updated, 0 unpublished, 0 unchanged" in first.output
    second = runner.invoke(args=["content", "load", str(CONTENT_DIR)])
    assert "0 created, 0 updated, 0 unpublished, 40 unchanged" in second.output
    assert count_articles(app) == 40


def test_load_with_problems_prints_each_and_exits_nonzero(app, runner, content_dir):
    content_dir.article("payments", "fees", body="[x](../../payments/none/)")
    (content_dir.root / "payments" / "fees" / "fr.md").write_text("---\ntitle: T\n---\nx\n")
    result = runner.invoke(args=["content", "load", str(content_dir.root)])
    assert result.exit_code == 1
    fees = content_dir.root / "payments" / "fees"
    assert (
        f"{fees / 'en.md'}:4: link to an article that does not exist: ../../payments/none/"
        in result.output
    )
    assert f"{fees / 'fr.md'}:1: unknown language file" in result.output
    assert "nothing was loaded" in result.output
    assert count_articles(app) == 0


def test_load_of_a_missing_directory_fails_cleanly(app, runner, tmp_path):
    result = runner.invoke(args=["content", "load", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "content directory does not exist" in result.output


def test_check_reports_translations_and_strict_fails_on_gaps(runner, content_dir):
    source = content_dir.article("payments", "fees", langs=("en",), body="Hello.")
    (source / "ru.md").write_text(
        '---\ntitle: "Ru"\ntranslated_from: en\nsource_hash: 0badf00d\n---\nПривет.\n'
    )
    (source / "az.md").write_text(
        f'---\ntitle: "Az"\ntranslated_from: en\nsource_hash: {body_hash("Hello.")}\n---\nSalam.\n'
    )
    lenient = runner.invoke(args=["content", "check", str(content_dir.root)])
    assert lenient.exit_code == 0, lenient.output
    assert (
        "fees                             ru  outdated (en changed: 0badf00d -> " in lenient.output
    )
    assert "fees                             az  up to date (from en)" in lenient.output
    strict = runner.invoke(args=["content", "check", "--strict", str(content_dir.root)])
    assert strict.exit_code == 1
    assert "1 outdated, 0 missing" in strict.output


def test_shipped_content_passes_strict_check(runner):
    result = runner.invoke(args=["content", "check", "--strict", "--quiet", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
    assert (
        "40 articles in 6 categories: 120 up to date, 0 outdated, 0 missing; 0 problem(s), "
        "0 glossary warning(s)." in result.output
    )


def test_help_explains_each_command(runner):
    for args in (
        ["content", "load", "--help"],
        ["content", "check", "--help"],
        ["db", "upgrade", "--help"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and len(result.output) > 100
