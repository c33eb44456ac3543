"""The NPS question on the status page: 0 to 10, once, only after resolution, with the rating
or on its own."""

import re

import pytest
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Ticket
from tests.contact.conftest import csrf_of, file_ticket, opened, text

STAFF = services.Actor(states.STAFF, "Rəşad", "supervisor")
QUESTION = "How likely are you to recommend us to a friend?"


def stored(ref: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.reference == ref))


def resolved(client, lang="en"):
    filed = file_ticket()
    services.resolve(filed.ticket, STAFF, "Refunded.")
    return filed.ticket.reference, opened(client, filed, lang)


def test_the_question_is_a_fieldset_of_eleven_labelled_radios(ctx, client):
    _, path = resolved(client)
    page = text(client.get(path))
    fieldset = re.search(r'<fieldset[^>]*id="rating-nps".*?</fieldset>', page, re.S).group(0)
    assert f"<legend>{QUESTION}</legend>" in fieldset
    inputs = re.findall(r"<input[^>]*>", fieldset)
    assert all('type="radio"' in i and 'name="rating-nps"' in i for i in inputs)
    radios = [re.search(r'value="([^"]*)"', i).group(1) for i in inputs]
    assert radios == [str(n) for n in range(11)]
    labels = re.findall(r'<label for="rating-nps-\d+">(.*?)</label>', fieldset, re.S)
    assert [re.sub(r"<[^>]+>", " ", label).split()[0] for label in labels] == radios
    assert "Not at all likely" in labels[0] and "Extremely likely" in labels[10]


def test_given_with_the_rating_then_never_again(ctx, client):
    ref, path = resolved(client)
    token = csrf_of(text(client.get(path)))
    rated = client.post(
        path + "/rate",
        data={"rating-csrf_token": token, "rating-score": "5", "rating-nps": "0"},
    )
    assert rated.status_code == 303
    page = text(client.get(path))
    assert "You told us how likely you are to recommend us: 0 of 10. Thank you!" in page
    assert QUESTION not in page
    ticket = stored(ref)
    assert (ticket.rating, ticket.nps_score) == (5, 0) and ticket.nps_at is not None
    again = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "10"})
    assert again.status_code == 409
    assert "You have already told us how likely you are to recommend us." in text(again)
    assert stored(ref).nps_score == 0


def test_given_on_its_own_after_the_rating_once(ctx, client):
    ref, path = resolved(client)
    token = csrf_of(text(client.get(path)))
    client.post(path + "/rate", data={"rating-csrf_token": token, "rating-score": "4"})
    page = text(client.get(path))
    assert "Would you recommend us?" in page and QUESTION in page
    assert stored(ref).nps_score is None
    answered = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "9"})
    assert answered.status_code == 303
    assert "Thank you for your answer." in text(client.get(path))
    again = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "2"})
    assert again.status_code == 409
    assert "You have already told us how likely you are to recommend us." in text(again)
    ticket = stored(ref)
    assert (ticket.rating, ticket.nps_score) == (4, 9)


def test_given_alone_the_rating_stays_open(ctx, client):
    ref, path = resolved(client)
    token = csrf_of(text(client.get(path)))
    answered = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "7"})
    assert answered.status_code == 303
    page = text(client.get(path))
    assert "Rate our service" in page and 'name="rating-nps"' not in page
    ticket = stored(ref)
    assert (ticket.rating, ticket.nps_score) == (None, 7)


def test_a_second_answer_with_the_rating_changes_nothing(ctx, client):
    ref, path = resolved(client)
    token = csrf_of(text(client.get(path)))
    client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "7"})
    again = client.post(
        path + "/rate",
        data={"rating-csrf_token": token, "rating-score": "2", "rating-nps": "1"},
    )
    assert again.status_code == 409
    assert "You have already told us how likely you are to recommend us." in text(again)
    ticket = stored(ref)
    assert (ticket.rating, ticket.nps_score) == (None, 7)


def test_refused_before_resolution(ctx, client):
    filed = file_ticket()
    path = opened(client, filed)
    page = text(client.get(path))
    assert QUESTION not in page
    response = client.post(
        path + "/recommend", data={"nps-csrf_token": csrf_of(page), "nps-nps": "10"}
    )
    assert response.status_code == 409
    assert "This is no longer possible" in text(response)
    assert stored(filed.ticket.reference).nps_score is None
    with pytest.raises(states.TransitionError):
        services.recommend(stored(filed.ticket.reference), 10)


@pytest.mark.parametrize("value", ["11", "-1", "x", ""])
def test_out_of_range_is_refused_with_a_message(ctx, client, value):
    ref, path = resolved(client)
    token = csrf_of(text(client.get(path)))
    response = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": value})
    assert response.status_code == 422
    assert "Choose a number from 0 to 10." in text(response)
    assert "Not a valid choice" not in text(response)
    with_rating = client.post(
        path + "/rate",
        data={"rating-csrf_token": token, "rating-score": "5", "rating-nps": value or "x"},
    )
    assert with_rating.status_code == 422
    ticket = stored(ref)
    assert (ticket.rating, ticket.nps_score) == (None, None)


def test_the_service_checks_the_range(ctx):
    filed = file_ticket()
    services.resolve(filed.ticket, STAFF, "Done.")
    for score in (-1, 11):
        with pytest.raises(ValueError):
            services.recommend(filed.ticket, score)
    assert stored(filed.ticket.reference).nps_score is None


# Needs the az translations of /tmp/i18n/nps.po merged into translations/.
def test_the_range_message_is_in_the_players_language(ctx, client):
    _, path = resolved(client, lang="az")
    token = csrf_of(text(client.get(path)))
    response = client.post(path + "/recommend", data={"nps-csrf_token": token, "nps-nps": "11"})
    assert response.status_code == 422
    assert "0-dan 10-a qədər bir rəqəm seçin." in text(response)
