"""The contact form as it first appears: nothing looks chosen that is not, and every part that
depends on the topic (the channel we recommend, whether the transaction ID is needed) agrees
with the topic shown, whether the player came with none or from an article's "contact us" link.
"""

import re

import pytest

from tests.contact.conftest import FORM, Player, text

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database


def selected_topics(page: str) -> list[str]:
    select = re.search(r'<select[^>]*id="topic".*?</select>', page, re.S).group(0)
    return re.findall(r'<option selected value="([^"]*)">', select)


def first_option(page: str) -> str:
    select = re.search(r'<select[^>]*id="topic".*?</select>', page, re.S).group(0)
    return re.search(r"<option[^>]*>([^<]*)</option>", select).group(0)


def transaction_label(page: str) -> str:
    return re.search(r'<label for="transaction_id">(.*?)</label>', page, re.S).group(1)


def checked_channels(page: str) -> list[str]:
    return re.findall(r'id="channel-([a-z]+)" value="[a-z]+"\s+checked', page)


def recommended(page: str) -> str | None:
    found = re.search(r"We recommend: <strong>([^<]+)</strong>", page)
    return found.group(1) if found else None


def test_the_form_starts_with_no_topic_and_says_so_everywhere(client):
    page = text(client.get("/en/contact"))
    assert first_option(page) == '<option selected value="">Choose a topic</option>'
    assert selected_topics(page) == [""]
    # A browser going "back" does not restore a topic the rest of the page does not follow.
    assert re.search(r'<select[^>]*autocomplete="off"[^>]*id="topic"', page)
    # No channel is recommended or chosen for a topic nobody chose.
    assert "Choose a topic and we will suggest the quickest way to reach us." in page
    assert recommended(page) is None
    assert checked_channels(page) == []
    # The transaction ID is neither required nor optional yet: the hint says when it is needed.
    label = transaction_label(page)
    assert "(required)" not in label and "(optional)" not in label
    assert (
        "Needed for these topics: Payments: a deposit or a withdrawal; A complaint or a dispute."
        in page
    )


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Choose what your request is about."),
        ("az", "Müraciətinizin nə ilə bağlı olduğunu seçin."),
        ("ru", "Выберите, о чём ваше обращение."),
    ],
)
def test_sending_without_a_topic_asks_for_one_in_the_players_language(client, lang, message):
    response = Player(client, lang=lang).contact(topic="", transaction_id="")
    page = text(response)
    assert response.status_code == 422
    assert re.search(rf'<a href="#topic">[^<]*: {re.escape(message)}</a>', page)
    assert f'<p class="error" id="topic-error">{message}</p>' in page
    assert selected_topics(page) == [""]
    # Nothing else complains about the topic's needs while no topic is chosen.
    assert 'id="transaction_id-error"' not in page


def test_an_article_link_preselects_its_topic_and_the_parts_below_follow_it(loaded, client):
    article = text(client.get("/en/deposits-withdrawals/withdrawal-times/"))
    link = re.search(r'<a class="button" href="([^"]+)">Send us a request</a>', article).group(1)
    assert link == "/en/contact?topic=payments"
    page = text(client.get(link))
    assert selected_topics(page) == ["payments"]
    assert "(required)" in transaction_label(page)
    assert "We need it to find the payment or the game round." in page
    # The channel we recommend for payments is the one chosen, and named as recommended.
    assert recommended(page) is not None
    assert len(checked_channels(page)) == 1
    chosen = checked_channels(page)[0]
    option = re.search(rf'<label for="channel-{chosen}">.*?</label>', page, re.S).group(0)
    assert "Recommended" in option


def test_a_topic_without_a_transaction_marks_the_transaction_id_optional(client):
    page = text(client.get("/en/contact?topic=account"))
    assert selected_topics(page) == ["account"]
    assert "(optional)" in transaction_label(page)
    assert "Only if your question is about a particular payment or game round." in page
    assert recommended(page) is not None and len(checked_channels(page)) == 1


def test_an_unknown_topic_in_a_link_shows_no_topic_chosen(client):
    page = text(client.get("/en/contact?topic=lottery"))
    assert selected_topics(page) == [""]
    assert recommended(page) is None and checked_channels(page) == []


def test_a_form_sent_with_a_topic_that_needs_a_transaction_shows_it_required(client):
    response = Player(client).contact(transaction_id="")
    page = text(response)
    assert response.status_code == 422
    assert FORM["topic"] == "payments" and selected_topics(page) == ["payments"]
    assert "(required)" in transaction_label(page)
    assert "Enter the transaction ID: we need it to find the payment or the game." in page
