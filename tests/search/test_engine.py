"""The search core's parts: typo vocabulary, prepared snippets, priors and the relevance cut."""

import logging

import pytest
from markupsafe import Markup

from helpcenter.articles.models import Article
from helpcenter.extensions import db
from helpcenter.search import index, queries, ranking
from helpcenter.search.models import SearchLog
from helpcenter.search.snippets import pick, sentence_terms, sentences_from_html
from helpcenter.search.spelling import Lexicon, Vocabulary, distance

# --- typo vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("вывод", "вевод", 1), ("withdrawl", "withdrawal", 1), ("form", "from", 1),
     ("kitten", "sitting", 3), ("same", "same", 0)],
)  # fmt: skip
def test_distance_counts_a_transposition_as_one_edit(a, b, expected):
    assert distance(a, b, 3) == expected


def test_deletion_index_finds_words_within_the_typo_allowance():
    lexicon = Lexicon.of({"withdrawal": 5, "withdraw": 9, "deposit": 7, "verification": 3})
    # Closest first, then the word more documents have.
    assert [w for _, _, w in lexicon.near("withdrawl")] == ["withdraw", "withdrawal"]
    assert [w for _, _, w in lexicon.near("depost")] == ["deposit"]
    # Two edits only from 8 letters (here a wrong and an extra letter), never a different
    # first letter.
    assert lexicon.near("dpst") == []
    assert lexicon.near("verifikatiion") == [(2, -3, "verification")]
    assert lexicon.near("eposit") == []


def test_folded_lexicon_gives_back_the_written_word():
    lexicon = Lexicon.of({"çıxarış": 4, "cixaris": 1}, fold=lambda w: w.translate(_FOLD))
    assert lexicon.near("cixarsh") == []
    assert [w for _, _, w in lexicon.near("cixars")] == ["cixaris"]
    assert lexicon.written("cixaris") == "çıxarış"


_FOLD = str.maketrans("çış", "cis")


def test_vocabulary_is_saved_with_the_generation(indexed):
    with indexed.app_context():
        searcher = index.searcher()
        saved = index.vocabulary(searcher)
        fresh = Vocabulary.of(searcher.reader(), index._written_words(searcher))
    assert saved.terms["ru"].counts == fresh.terms["ru"].counts
    assert Vocabulary.loads(saved.dumps()).surface["az"].display == fresh.surface["az"].display


# --- snippets -----------------------------------------------------------------------------------


def test_sentences_keep_headings_and_table_rows_apart():
    html = (
        "<h2>Good to know</h2><p>You can cancel it. It takes a day.</p>"
        "<table><tr><th>Limit</th>\n<th>Amount</th></tr><tr><td>Minimum</td><td>10 AZN</td></tr>"
        "</table><ul><li>First &amp; last</li></ul>"
    )
    assert sentences_from_html(html) == [
        "Good to know",
        "You can cancel it.",
        "It takes a day.",
        "Limit — Amount",
        "Minimum — 10 AZN",
        "First & last",
    ]


def test_snippet_is_the_best_whole_sentence_with_its_words_marked():
    sentences = ["Good to know", "You can cancel a withdrawal.", "Withdrawals take <1 day."]
    terms = sentence_terms(sentences, "en")
    snippet = pick(sentences, terms, frozenset({"withdraw", "day"}), "en", "summary")
    assert isinstance(snippet, Markup)
    # The sentence with both words; the other one adds no word, so it is left out.
    assert snippet == "<mark>Withdrawals</mark> take &lt;1 <mark>day</mark>."
    assert pick(sentences, terms, frozenset({"zebra"}), "en", "the <summary>") == (
        "the &lt;summary&gt;"
    )


def test_shown_snippets_never_start_mid_sentence(indexed):
    with indexed.test_request_context():
        found = queries.search("good to know", "en")
    for hit in found.hits:
        text = str(hit.snippet).replace("<mark>", "").replace("</mark>", "")
        assert text[0].isupper() or text[0].isdigit() or text.startswith("…"), text
        assert "Good to know You" not in text


# --- compound mistakes, suggestions, the relevance cut --------------------------------------------


@pytest.mark.parametrize(
    ("q", "lang", "expected"),
    [("dtdjl", "ru", "withdrawal-times"), ("vyvd sredstv", "ru", "withdrawal-times"),
     ("zabyl parl", "ru", "reset-password")],
)  # fmt: skip
def test_a_layout_swap_or_transliteration_with_a_typo_is_found(indexed, q, lang, expected):
    with indexed.test_request_context():
        found = queries.search(q, lang)
    assert found.hits and found.hits[0].slug == expected


def test_layout_swap_with_a_typo_suggests_the_real_word(indexed):
    with indexed.test_request_context():
        assert queries.search("dtdjl", "ru").suggestion == "вывод"
        assert queries.search("withdrawal", "en").suggestion is None


def test_results_stop_where_relevance_drops(indexed):
    with indexed.test_request_context():
        found = queries.search("pul cixarmaq", "az", per_page=50)
    assert found.hits[0].slug == "withdrawal-times"
    assert found.total < 20
    best = found.hits[0].score
    assert all(hit.score >= best * queries.RELEVANT_FRACTION for hit in found.hits)


# --- priors -------------------------------------------------------------------------------------


def test_priors_favour_the_editors_first_article_and_what_players_open(indexed):
    with indexed.test_request_context():
        priors = ranking.load()
        assert priors.factor("withdrawal-times") > priors.factor("cancel-withdrawal")
        assert priors.factor("no-such-article") == 1.0
        top = 1 + ranking.USAGE_WEIGHT + ranking.ORDER_WEIGHT
        assert all(1.0 <= factor <= top for factor in priors.factors.values())
        for _ in range(30):
            db.session.add(
                SearchLog(
                    query="withdrawal", lang="en", result_count=4, opened_slug="payment-methods"
                )
            )
        db.session.execute(
            db.update(Article).where(Article.slug == "payment-methods").values(view_count=500)
        )
        db.session.commit()
        used = ranking.load()
    assert used.factor("payment-methods") > priors.factor("payment-methods")
    assert used.factor("payment-methods") == max(used.factors.values())


def test_a_rarely_wanted_article_does_not_outrank_the_common_one_on_a_head_query(indexed):
    with indexed.test_request_context():
        for _ in range(200):
            db.session.add(
                SearchLog(query="x", lang="en", result_count=1, opened_slug="fees-and-currency")
            )
        db.session.commit()
        indexed.extensions.pop("search_index", None)
        found = queries.search("withdrawal", "en")
    assert found.hits[0].slug.startswith("withdrawal") or found.hits[0].slug == "cancel-withdrawal"


# --- index format -------------------------------------------------------------------------------


def test_a_generation_built_with_other_fields_is_rebuilt(indexed, caplog):
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    with indexed.app_context():
        base = index.root()
        generation, path = index._new_generation(base)
        whoosh_index.create_in(str(path), Schema(key=ID(stored=True)))
        index._make_current(base, generation, index.Version())
    indexed.extensions.pop("search_index", None)
    with indexed.test_request_context():
        found = queries.search("withdrawal time", "en")
    assert found.hits and found.hits[0].slug == "withdrawal-times"
    assert "rebuilding" in caplog.text


def test_an_updated_generation_keeps_its_vocabulary_in_step(indexed, caplog):
    from sqlalchemy import select

    from helpcenter.articles.models import Category
    from helpcenter.editor import services as editor

    caplog.set_level(logging.INFO, logger=index.log.name)
    author = "editor@casino.example"
    with indexed.test_request_context():
        category = db.session.scalar(select(Category).where(Category.slug == "bonuses-promotions"))
        draft = editor.Draft("Zanzibarite tournaments", "", (), "Play the zanzibarite cup.\n")
        article = editor.create_article(
            category=category, slug="zanzibarite-cup", lang="en", draft=draft, author=author
        )
        editor.publish(article=article, lang="en", author=author)
        index.wait_for_builder(indexed)
        index.catch_up()
        assert "updated for zanzibarite-cup" in caplog.text
        indexed.extensions.pop("search_index", None)
        found = queries.search("zanzbarite", "en")
        assert [hit.slug for hit in found.hits] == ["zanzibarite-cup"]
        assert found.suggestion == "zanzibarite"
        # The article replaced: its old words leave the vocabulary.
        draft = editor.Draft("Quokka tournaments", "", (), "Play the quokka cup.\n")
        current = editor.latest(article.id, "en")
        editor.save(article=article, lang="en", draft=draft, base_id=current.id, author=author)
        editor.publish(article=article, lang="en", author=author)
        index.wait_for_builder(indexed)
        index.catch_up()
        indexed.extensions.pop("search_index", None)
        vocabulary = index.vocabulary(index.searcher())
    assert "quokka" in vocabulary.written["en"]
    assert "zanzibarite" not in vocabulary.written["en"]
