"""Revisions, outdated translations, publishing and the content files, on the real database."""

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpcenter.articles import services as articles
from helpcenter.articles.content import read_content, translation_report
from helpcenter.articles.models import Article, ArticleRevision
from helpcenter.editor import queries, services
from helpcenter.extensions import db
from helpcenter.search import services as search
from tests.conftest import CONTENT_DIR, eventually
from tests.editor.conftest import ARTICLE

AUTHOR = "editor@casino.example"


@pytest.fixture
def ctx(loaded):
    with loaded.app_context():
        yield loaded


def hits(text: str) -> list[str]:
    found, _ = search.search(text=text, lang="en", record=False)
    return [hit.slug for hit in found.hits]


def the_article(slug: str = ARTICLE) -> Article:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def draft_from(revision, **changes) -> services.Draft:
    fields = {
        "title": revision.title,
        "summary": revision.summary,
        "tags": tuple(revision.tags),
        "body_md": revision.body_md,
    }
    fields.update(changes)
    return services.Draft(**fields)


def edit(lang: str, body_md: str, article=None) -> ArticleRevision:
    article = article or the_article()
    current = services.latest(article.id, lang)
    return services.save(
        article=article,
        lang=lang,
        draft=draft_from(current, body_md=body_md),
        base_id=current.id,
        author=AUTHOR,
    )


def cells(slug: str = ARTICLE) -> dict:
    return queries.article(slug)[1]


def statuses(report) -> set[tuple[str, str, str]]:
    return {(s.slug, s.lang, s.status) for s in report}


def test_loading_gives_every_text_a_synced_first_revision(ctx):
    revisions = db.session.scalars(select(ArticleRevision)).all()
    assert len(revisions) == 120
    assert {(r.number, r.origin, r.author, r.is_synced) for r in revisions} == {
        (1, "load", "content load", True)
    }


def test_the_database_report_says_what_content_check_says_of_the_files(ctx):
    assert statuses(queries.translation_report()) == statuses(
        translation_report(read_content(CONTENT_DIR))
    )


def test_every_save_is_a_revision_and_a_stale_one_is_refused(ctx):
    first = services.latest(the_article().id, "en")
    second = edit("en", first.body_md + "\nOne more line.\n")
    assert (second.number, second.author, second.origin) == (2, AUTHOR, "workspace")
    # Saving the same text again adds nothing.
    same = services.save(
        article=the_article(),
        lang="en",
        draft=draft_from(second),
        base_id=second.id,
        author=AUTHOR,
    )
    assert same.id == second.id
    with pytest.raises(services.EditConflict) as conflict:
        services.save(
            article=the_article(),
            lang="en",
            draft=draft_from(first, body_md="Written on the old version."),
            base_id=first.id,
            author="other@casino.example",
        )
    assert conflict.value.latest.id == second.id
    assert len(queries.history(the_article().id, "en")) == 2


def test_two_saves_from_the_same_version_at_once_keep_both_visible(loaded):
    with loaded.app_context():
        article_id = the_article().id
        base = services.latest(article_id, "en")
        base_id, body = base.id, base.body_md
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def save(word):
        try:
            with loaded.app_context():
                article = db.session.get(Article, article_id)
                barrier.wait()
                try:
                    services.save(
                        article=article,
                        lang="en",
                        draft=draft_from(services.latest(article_id, "en"), body_md=body + word),
                        base_id=base_id,
                        author=f"{word}@casino.example",
                    )
                    outcomes.append("saved")
                except services.EditConflict:
                    outcomes.append("conflict")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(w,)) for w in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == ["conflict", "saved"]
    with loaded.app_context():
        assert (
            db.session.scalar(
                select(func.count(ArticleRevision.id)).where(
                    ArticleRevision.article_id == article_id, ArticleRevision.lang == "en"
                )
            )
            == 2
        )


def test_a_changed_source_marks_its_translations_outdated_until_translated_again(ctx):
    assert not any(cell.is_outdated for cell in cells().values())
    en = edit("en", services.latest(the_article().id, "en").body_md + "\nNew rule.\n")
    assert cells()["en"].state == "draft"
    assert (cells()["az"].is_outdated, cells()["ru"].is_outdated) == (True, True)
    az = services.latest(the_article().id, "az")
    services.save(
        article=the_article(),
        lang="az",
        draft=draft_from(az, body_md=az.body_md + "\nYeni qayda.\n"),
        base_id=az.id,
        author=AUTHOR,
        translated_from="en",
        source=en,
    )
    saved = services.latest(the_article().id, "az")
    assert (saved.source_revision_id, saved.source_hash) == (en.id, en.body_hash)
    assert not cells()["az"].is_outdated and cells()["ru"].is_outdated
    # Where the outdated translation came from: the source text it was made from.
    ru = services.latest(the_article().id, "ru")
    assert queries.source_at_translation(ru).number == 1


def test_publishing_shows_players_the_text_and_search_finds_it(ctx, client):
    revision = edit("en", "A brand-new sentence about zanzibarite payouts.\n")
    assert "zanzibarite" not in client.get(f"/en/deposits-withdrawals/{ARTICLE}/").get_data(
        as_text=True
    )
    services.publish(article=the_article(), lang="en", author=AUTHOR)
    page = client.get(f"/en/deposits-withdrawals/{ARTICLE}/").get_data(as_text=True)
    assert "zanzibarite payouts" in page
    # Search follows within seconds: the index catches up in the background.
    eventually(
        lambda: hits("zanzibarite") == [ARTICLE], seconds=10, what="search finds the new text"
    )
    assert cells()["en"].state == "published"
    tr = next(t for t in the_article().translations if t.lang == "en")
    assert tr.revision_id == revision.id


def test_unpublishing_hides_the_article_and_keeps_its_history(ctx, client):
    edit("en", "Second version.\n")
    services.unpublish(article=the_article(), author=AUTHOR)
    assert client.get(f"/en/deposits-withdrawals/{ARTICLE}/").status_code == 404
    eventually(lambda: ARTICLE not in hits("withdrawal take"), seconds=10, what="search drops it")
    assert len(queries.history(the_article().id, "en")) == 2
    assert {cell.state for cell in cells().values()} == {"draft"}


def test_restoring_an_old_revision_saves_it_again(ctx):
    first = services.latest(the_article().id, "en")
    second = edit("en", "Replaced everything.\n")
    restored = services.restore(
        article=the_article(), lang="en", revision=first, base_id=second.id, author=AUTHOR
    )
    assert restored.number == 3 and restored.body_md == first.body_md
    assert restored.origin == "restore"


def test_links_must_point_to_published_articles(ctx):
    with pytest.raises(services.InvalidContent) as problem:
        edit("en", "See [this](../../deposits-withdrawals/no-such-article/).\n")
    assert "no-such-article" in str(problem.value)
    fine = edit("en", "See [this](../../deposits-withdrawals/withdrawal-rejected/).\n")
    assert fine.number == 2


def test_new_articles_need_a_free_slug(ctx):
    category = the_article().category
    draft = services.Draft("Crypto deposits", "", ("crypto",), "How crypto deposits work.\n")
    article = services.create_article(
        category=category, slug="crypto-deposits", lang="en", draft=draft, author=AUTHOR
    )
    assert not article.is_published and cells("crypto-deposits")["en"].state == "draft"
    for slug, message in (("crypto-deposits", "exists already"), ("Bad Slug", "lowercase")):
        with pytest.raises(services.InvalidContent) as problem:
            services.create_article(
                category=category, slug=slug, lang="en", draft=draft, author=AUTHOR
            )
        assert message in str(problem.value)


# --- the content files ----------------------------------------------------------------------


def test_export_then_load_changes_nothing(ctx, tmp_path):
    edit("en", "Edited in the workspace.\n")
    services.publish(article=the_article(), lang="en", author=AUTHOR)
    exported = articles.export_content(directory=tmp_path / "content")
    assert exported.articles == 40
    written = read_content(tmp_path / "content")
    assert written.problems == []
    front = (tmp_path / "content" / "deposits-withdrawals" / ARTICLE / "az.md").read_text()
    assert "translated_from: en" in front and "source_hash: " in front
    report = articles.load_content(directory=tmp_path / "content")
    assert not report.changed and report.unchanged == 40
    # Exporting again writes nothing.
    assert articles.export_content(directory=tmp_path / "content").files == 0
    # The edited English text made the other languages outdated, in the files as well.
    assert ("withdrawal-times", "az", "outdated") in statuses(translation_report(written))


def test_load_refuses_to_overwrite_workspace_edits_unless_forced(ctx):
    edit("en", "An editor's unpublished draft.\n")
    with pytest.raises(articles.ContentConflict) as conflict:
        articles.load_content(directory=CONTENT_DIR)
    assert conflict.value.articles == [f"{ARTICLE} (en)"]
    assert services.latest(the_article().id, "en").body_md == "An editor's unpublished draft.\n"
    report = articles.load_content(directory=CONTENT_DIR, force=True)
    latest = services.latest(the_article().id, "en")
    assert (latest.number, latest.origin, latest.is_synced) == (3, "load", True)
    assert report.changed is False or ARTICLE in report.updated


def test_load_over_an_exported_edit_is_allowed(ctx, tmp_path):
    edit("en", "Edited and exported.\n")
    services.publish(article=the_article(), lang="en", author=AUTHOR)
    articles.export_content(directory=tmp_path / "content")
    path = tmp_path / "content" / "deposits-withdrawals" / ARTICLE / "en.md"
    path.write_text(path.read_text().replace("Edited and exported.", "Then edited in git."))
    report = articles.load_content(directory=tmp_path / "content")
    assert report.updated == [ARTICLE]


def test_cli_export_and_forced_load(ctx, runner, tmp_path):
    edit("en", "Workspace text.\n")
    refused = runner.invoke(args=["content", "load", str(CONTENT_DIR)])
    assert refused.exit_code == 1
    assert f"{ARTICLE} (en)" in refused.output and "--force" in refused.output
    forced = runner.invoke(args=["content", "load", "--force", str(CONTENT_DIR)])
    assert forced.exit_code == 0, forced.output
    target = tmp_path / "out"
    exported = runner.invoke(args=["content", "export", str(target)])
    assert exported.exit_code == 0 and "Exported 40 articles" in exported.output
    check = runner.invoke(args=["content", "check", "--strict", "--quiet", str(target)])
    assert check.exit_code == 0, check.output
    Path(target / "unwritable").mkdir()
    (target / "unwritable" / "en.md").write_text("stray")
    again = runner.invoke(args=["content", "export", str(target)])
    assert again.exit_code == 0
