"""Loading content/: validation with path:line messages, one-transaction sync, idempotence."""

import json

import pytest
from sqlalchemy import func, select

from helpcenter.articles import services
from helpcenter.articles.content import body_hash, read_content, translation_report
from helpcenter.articles.models import Article, ArticleTranslation, Category
from helpcenter.extensions import db
from tests.conftest import CONTENT_DIR


def test_shipped_content_is_valid_complete_and_large_enough():
    content = read_content(CONTENT_DIR)
    assert content.problems == []
    assert len(content.categories) >= 6
    assert len(content.articles) >= 36
    assert all(set(a.translations) == {"az", "ru", "en"} for a in content.articles)
    assert {s.status for s in translation_report(content)} == {"up to date"}


def _articles(app) -> dict[str, bool]:
    with app.app_context():
        return {a.slug: a.is_published for a in db.session.scalars(select(Article))}


def test_load_creates_then_second_load_changes_nothing(app, content_dir):
    content_dir.article("payments", "withdrawal-times", body="## Times\n\nUp to 24 hours.")
    content_dir.article("payments", "fees")
    with app.app_context():
        first = services.load_content(directory=content_dir.root)
        stamps = dict(
            db.session.execute(select(ArticleTranslation.id, ArticleTranslation.updated_at)).all()
        )
        second = services.load_content(directory=content_dir.root)
        assert (
            dict(
                db.session.execute(
                    select(ArticleTranslation.id, ArticleTranslation.updated_at)
                ).all()
            )
            == stamps
        )
    assert sorted(first.created) == ["fees", "withdrawal-times"]
    assert (second.created, second.updated, second.unpublished, second.unchanged) == ([], [], [], 2)


def test_changed_article_is_saved_and_removed_one_unpublished_not_deleted(app, content_dir):
    content_dir.article("payments", "fees", body="Old text.")
    gone = content_dir.article("payments", "gone")
    with app.app_context():
        services.load_content(directory=content_dir.root)
    content_dir.article("payments", "fees", body="New text.")
    for file in gone.iterdir():
        file.unlink()
    gone.rmdir()
    with app.app_context():
        report = services.load_content(directory=content_dir.root)
        html = db.session.scalar(
            select(ArticleTranslation.body_html)
            .where(ArticleTranslation.lang == "en")
            .join(Article)
            .where(Article.slug == "fees")
        )
    assert report.updated == ["fees"] and report.unpublished == ["gone"]
    assert "New text." in html
    assert _articles(app) == {"fees": True, "gone": False}


BAD_CASES = [
    ("bad YAML", "payments/fees/en.md", "---\ntitle: [unclosed\n---\nText\n", 2, "invalid YAML"),
    ("missing title", "payments/fees/en.md", "---\nsummary: x\n---\nText\n", 1, "missing title"),
    (
        "unknown key",
        "payments/fees/en.md",
        '---\ntitle: "T"\nautor: me\n---\nText\n',
        3,
        "unknown front matter key 'autor'",
    ),
    ("no front matter", "payments/fees/en.md", "Just text\n", 1, "missing front matter"),
    ("empty body", "payments/fees/en.md", '---\ntitle: "T"\n---\n\n', 4, "no text"),
    (
        "unknown language file",
        "payments/fees/de.md",
        '---\ntitle: "T"\n---\nText\n',
        1,
        "unknown language file",
    ),
    (
        "bad source hash",
        "payments/fees/az.md",
        '---\ntitle: "T"\ntranslated_from: en\nsource_hash: XYZ\n---\nText\n',
        4,
        "source_hash must be",
    ),
    (
        "link to missing article",
        "payments/fees/en.md",
        '---\ntitle: "T"\n---\nIntro\n\nSee [this](../../payments/nowhere/).\n',
        6,
        "link to an article that does not exist",
    ),
    (
        "tags not a list",
        "payments/fees/ru.md",
        '---\ntitle: "T"\ntags: вывод\n---\nText\n',
        3,
        "tags must be a list",
    ),
    (
        "not UTF-8",
        "payments/fees/az.md",
        b'---\ntitle: "T"\n---\nline\n\xff\xfe\n',
        5,
        "not valid UTF-8",
    ),
]


@pytest.mark.parametrize(
    ("case", "relpath", "text", "line", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_file_is_reported_with_path_and_line_and_nothing_loads(
    app, content_dir, case, relpath, text, line, message
):
    content_dir.article("payments", "fees")
    content_dir.article("payments", "limits")
    target = content_dir.root / relpath
    target.write_bytes(text if isinstance(text, bytes) else text.encode())
    with app.app_context(), pytest.raises(services.ContentInvalid) as error:
        services.load_content(directory=content_dir.root)
    rendered = [str(p) for p in error.value.problems]
    assert any(r.startswith(f"{target}:{line}: ") and message in r for r in rendered), rendered
    assert _articles(app) == {}


def test_every_problem_is_listed_not_just_the_first(app, content_dir):
    content_dir.article("payments", "fees", title='""')
    content_dir.article("Bad_Slug", "x")
    (content_dir.root / "payments" / "big").mkdir()
    (content_dir.root / "payments" / "big" / "en.md").write_text(
        "---\ntitle: T\n---\n" + "x" * (1024 * 1024 + 1)
    )
    content = read_content(content_dir.root)
    messages = " | ".join(str(p) for p in content.problems)
    assert "title must be non-empty text" in messages
    assert "bad category slug 'Bad_Slug'" in messages
    assert "over the 1 MB limit" in messages


def test_duplicate_article_slug_across_categories_is_an_error(content_dir):
    content_dir.article("payments", "limits")
    content_dir.article("safety", "limits")
    problems = [str(p) for p in read_content(content_dir.root).problems]
    assert any("duplicate article slug" in p for p in problems), problems


def test_a_failing_load_keeps_what_was_loaded_before(app, content_dir):
    content_dir.article("payments", "fees", body="Version one.")
    with app.app_context():
        services.load_content(directory=content_dir.root)
    content_dir.article("payments", "fees", body="Version two.")
    content_dir.article("payments", "broken", body="[x](../../payments/missing/)")
    with app.app_context():
        with pytest.raises(services.ContentInvalid):
            services.load_content(directory=content_dir.root)
        count = db.session.scalar(select(func.count()).select_from(Article))
        html = db.session.scalar(
            select(ArticleTranslation.body_html).where(ArticleTranslation.lang == "en")
        )
    assert count == 1 and "Version one." in html


def test_links_between_articles_point_at_the_page_in_the_same_language(app, content_dir):
    content_dir.article("payments", "fees")
    content_dir.article(
        "safety",
        "limits",
        body="See [fees](../../payments/fees/#costs) and [en](../../payments/fees/en.md).",
    )
    with app.app_context():
        services.load_content(directory=content_dir.root)
        html = db.session.scalar(
            select(ArticleTranslation.body_html)
            .where(ArticleTranslation.lang == "ru")
            .join(Article)
            .where(Article.slug == "limits")
        )
    assert 'href="/ru/payments/fees/#costs"' in html
    assert 'href="/en/payments/fees/"' in html


def test_translation_report_marks_outdated_and_missing(content_dir):
    source = content_dir.article("payments", "fees", langs=("en",), body="English text.")
    good = body_hash("English text.")
    (source / "az.md").write_text(
        f'---\ntitle: "Az"\ntranslated_from: en\nsource_hash: {good}\n---\nMətn.\n'
    )
    (source / "ru.md").write_text(
        '---\ntitle: "Ru"\ntranslated_from: en\nsource_hash: 00000000\n---\nТекст.\n'
    )
    content_dir.article("payments", "limits", langs=("en",))
    report = {
        (s.slug, s.lang): s.status for s in translation_report(read_content(content_dir.root))
    }
    assert report[("fees", "az")] == "up to date"
    assert report[("fees", "ru")] == "outdated"
    assert report[("limits", "ru")] == "missing"


def test_categories_get_titles_in_every_language(app, content_dir):
    content_dir.article("payments", "fees")
    with app.app_context():
        services.load_content(directory=content_dir.root)
        category = db.session.scalar(select(Category))
    assert category.titles == {
        "az": "Kateqoriya payments",
        "ru": "Раздел payments",
        "en": "Category payments",
    }


def test_hashes_and_tags_are_read_as_written_not_as_numbers(content_dir):
    source = content_dir.article("payments", "fees", langs=("en",))
    for lang, written in (("az", "12345678"), ("ru", "00001234")):
        (source / f"{lang}.md").write_text(
            f"---\ntitle: T\ntags: [2024, yes, 012, 1.50]\ntranslated_from: en\n"
            f"source_hash: {written}\n---\nText\n",
            encoding="utf-8",
        )
    content = read_content(content_dir.root)
    assert content.problems == []
    translations = content.articles[0].translations
    assert (translations["az"].source_hash, translations["ru"].source_hash) == (
        "12345678",
        "00001234",
    )
    assert translations["az"].tags == ["2024", "yes", "012", "1.50"]


STRICT_CASES = [
    ("title: 2024", 2, "title must be non-empty text"),
    ("title: T\norder: '5'", 3, "order must be a whole number"),
    ("title: T\norder: true", 3, "order must be a whole number"),
    ("title: T\nsummary: 12", 3, "summary must be text"),
    ("title: T\ntags: [a, [b]]", 3, "tags must be a list of words"),
    ("title: T\ntranslated_from: en", 3, "translated_from must be another of"),
    ("title: T\ntranslated_from: de", 3, "translated_from must be another of"),
    ("title: T\nsource_hash: 1234567", 3, "source_hash must be 8 lowercase hex digits"),
    ("title: T\nsource_hash: ABCDEF12", 3, "source_hash must be 8 lowercase hex digits"),
]


@pytest.mark.parametrize(("front", "line", "message"), STRICT_CASES)
def test_front_matter_values_are_not_converted(content_dir, front, line, message):
    path = content_dir.article("payments", "fees", langs=("en",)) / "en.md"
    path.write_text(f"---\n{front}\n---\nText\n", encoding="utf-8")
    problems = [str(p) for p in read_content(content_dir.root).problems]
    assert len(problems) == 1 and problems[0].startswith(f"{path}:{line}: {message}"), problems


TRICKY = {
    "colons": ("Fees: what 'free' means: really", 'Withdrawal: 24h, not "instant"'),
    "hash": ("# not a comment", "#1 question"),
    "yes": ("yes", "no"),
    "zero": ("012", "1e345678"),
    "cyrillic": ("Вывод: «быстро» — за 24 часа?", "Ёлка, щ, ъ"),
    "azerbaijani": ("Çıxarış: ödəniş şərtləri — Ğğ Iı İi Öö Üü Əə Şş", "ehtiyat kodlar"),
    # YAML's writer would spread this over lines, one of them "  ---", closing the front matter.
    "line-breaks": ("First line\n---\nthird line", "a\n\nb"),
    "long": ("A title long enough to be folded by a YAML writer at eighty " * 3, "x" * 290),
}


def test_export_writes_what_read_content_reads_back_identically(app, content_dir, tmp_path):
    for slug, (title, summary) in TRICKY.items():
        path = content_dir.article("payments", slug, langs=("en",))
        for lang in ("az", "ru", "en"):
            front = {"title": title.strip(), "summary": summary, "order": 7}
            front["tags"] = ["yes", "012", "2FA", "#tag", "a: b", "Əmanət", "вывод"]
            if lang != "en":
                front["translated_from"] = "en"
                front["source_hash"] = "12345678" if lang == "az" else "1e345678"
            lines = "".join(
                f"{key}: {json.dumps(v, ensure_ascii=False)}\n" for key, v in front.items()
            )
            (path / f"{lang}.md").write_text(f"---\n{lines}---\nText of {slug}.\n", "utf-8")
    source = read_content(content_dir.root)
    assert source.problems == []
    with app.app_context():
        services.load_content(directory=content_dir.root)
        services.export_content(directory=tmp_path / "exported")
        again = services.load_content(directory=tmp_path / "exported")
    assert not again.changed and again.unchanged == len(TRICKY)
    exported = read_content(tmp_path / "exported")
    assert exported.problems == []

    def fields(content):
        return {
            (article.slug, lang): (
                tr.title,
                tr.summary,
                tr.tags,
                tr.order,
                tr.translated_from,
                tr.source_hash,
                tr.body_md,
            )
            for article in content.articles
            for lang, tr in article.translations.items()
        }

    assert fields(exported) == fields(source)
    assert fields(source)[("zero", "ru")][:6] == (
        "012",
        "1e345678",
        ["yes", "012", "2FA", "#tag", "a: b", "Əmanət", "вывод"],
        7,
        "en",
        "1e345678",
    )
    long_file = (tmp_path / "exported" / "payments" / "long" / "en.md").read_text("utf-8")
    assert long_file.split("\n")[1] == f"title: {TRICKY['long'][0].strip()}"
