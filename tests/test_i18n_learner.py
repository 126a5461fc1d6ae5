"""The learner's pages and the shared frame in French (and one in Spanish): My sessions
with its tabs and a card, a session page, a course page with a hand-in, the locked page,
a 404 page, the home page; the domain's sentences in French."""

import re
from datetime import timedelta

import pytest

from portal.domain import language
from portal.domain.access import Status, Window
from portal.domain.dates import zone
from portal.domain.hand_in import extension_problem
from portal.domain.my_sessions import state_text
from portal.extensions import db
from portal.models import Assignment
from tests.helpers import NOW, add_course, enrol, make_session

NBSP = "\u00a0"


@pytest.fixture
def coach(make_user):
    return make_user("cora", role="teacher", first_name="Cora", last_name="Coach")


@pytest.fixture
def world(client, make_user, coach, frozen_now):
    session = make_session(coach, "Automne", starts_in=-1, ends_in=10)
    course = add_course(session, coaches=[coach])
    essay = Assignment(course_id=course.id, title="Essai", max_score=20)
    db.session.add(essay)
    db.session.commit()
    return {"session": session, "course": course, "essay": essay}


def learner_in(client, make_user, world, code, username="lea"):
    user = make_user(username, language=code)
    enrol(world["session"], user)
    client.login(username)
    return user


def text(page, selector):
    """The element's text, its spaces and line breaks made single spaces (no-break spaces
    kept: French puts them before its colons)."""
    return re.sub(r"[ \t\n]+", " ", page.select_one(selector).get_text(" ")).strip()


def test_my_sessions_in_french(client, make_user, world):
    learner_in(client, make_user, world, "fr")
    page = client.get_page("/my-sessions")
    assert page.html["lang"] == "fr"
    assert page.select_one("h1").text == "Mes sessions"
    assert [a.get_text(" ", strip=True) for a in page.select("nav.tabs a")] == [
        "Sessions en cours (1)", "Sessions passées (0)", "Sessions à venir (0)"]
    assert page.select_one("#tab-title").text == "Sessions en cours"
    card = page.select_one(".session-card")
    assert [dt.text for dt in card.select("dt")] == [
        "Catégorie", "Accès", "Formateur référent", "Cours", "Progression"]
    assert text(card, ".card-state").startswith("Se termine dans")
    assert text(card, ".card-progress") == "0 sur 1 devoir rendu"  # French: 0 and 1 singular
    assert text(card, ".card-actions") == "Ajouter à l’agenda (Automne)"
    assert "Gardez toutes vos sessions dans votre agenda" in text(page, ".feed-hint")
    # The frame: the menu, the skip link, the footer.
    assert [a.text for a in page.select("aside.sidebar nav a")] == ["Mes sessions", "Profil"]
    assert page.select_one(".skip-link").text == "Aller au contenu"
    assert page.select_one("aside.sidebar button").get_text(" ", strip=True).startswith(
        "Se déconnecter")
    assert "Les heures sont indiquées dans le fuseau" in page.select_one("footer").text


def test_an_empty_tab_in_french(client, make_user, world):
    learner_in(client, make_user, world, "fr")
    page = client.get_page("/my-sessions?tab=upcoming")
    assert text(page, ".empty-tab").startswith("Aucune session n’est encore prévue pour vous.")


def test_my_sessions_in_spanish(client, make_user, world):
    learner_in(client, make_user, world, "es")
    second = add_course(world["session"], code="PY102", title="Más Python")
    db.session.add(Assignment(course_id=second.id, title="Ejercicio", max_score=10))
    db.session.commit()
    page = client.get_page("/my-sessions")
    assert page.html["lang"] == "es"
    assert page.select_one("h1").text == "Mis sesiones"
    assert page.select_one("#tab-title").text == "Sesiones en curso"
    card = page.select_one(".session-card")
    assert [dt.text for dt in card.select("dt")] == [
        "Categoría", "Acceso", "Tutor de la sesión", "Cursos", "Progreso"]
    assert text(card, ".card-progress") == "0 de 2 tareas entregadas"
    assert text(card, ".card-state").startswith("Termina dentro de")


def test_a_session_page_in_french(client, make_user, world):
    learner_in(client, make_user, world, "fr")
    page = client.get_page(f"/sessions/{world['session'].id}")
    assert page.html["lang"] == "fr"
    assert page.select_one(".breadcrumb a").text == "Mes sessions"
    assert page.select_one("#about-title").text == "À propos de cette session"
    assert [dt.text for dt in page.select("dl.details dt")] == [
        "Votre accès", "État", "Formateur référent"]
    assert page.select_one("#courses-title").text == "Cours"
    assert text(page, ".course-list li p") == f"Tuteur du cours{NBSP}: Cora Coach"
    assert text(page, ".course-progress") == "0 sur 1 devoir rendu"


def test_a_course_page_and_a_hand_in_in_french(client, make_user, world):
    learner_in(client, make_user, world, "fr")
    s, c, essay = world["session"], world["course"], world["essay"]
    url = f"/sessions/{s.id}/courses/{c.id}"
    page = client.get_page(url)
    assert page.select_one("#assignments-title").text == "Devoirs"
    assert text(page, ".max-score") == "Noté sur 20."
    assert text(page, ".not-handed-in") == "Pas encore rendu."
    assert page.select_one("form.hand-in button").text == "Rendre"
    assert "Rédigez votre réponse, joignez un fichier, ou les deux." in page.text
    # A refusal under its field, in French.
    hand_in = f"{url}/assignments/{essay.id}/hand-in"
    refused = client.post_page(hand_in, {}, status=422)
    assert "Rédigez une réponse ou joignez un fichier." in text(refused, "form.hand-in")
    # Handed in: the flash message, then the block and its button.
    answer = client.post(hand_in, {f"a{essay.id}-answer": "Ma réponse"})
    assert answer.status_code == 303
    page = client.get_page(url)
    assert text(page, ".flash") == f"Votre travail pour «{NBSP}Essai{NBSP}» a été rendu."
    assert page.select_one(f"#assignment-{essay.id} h4").text == "Votre travail"
    assert text(page, ".submitted").startswith("Rendu le")
    assert page.select_one("form.hand-in button").text == "Rendre à nouveau"


def test_the_locked_page_in_french(client, make_user, coach, frozen_now):
    later = make_session(coach, "Hiver", starts_in=3, ends_in=9)
    user = make_user("lea", language="fr")
    enrol(later, user)
    client.login("lea")
    page = client.get_page(f"/sessions/{later.id}", status=403)
    assert page.html["lang"] == "fr"
    assert text(page, ".locked p").startswith("Cette session ouvre le")
    assert "(dans " in text(page, ".locked p")  # the delay itself: dates.humanize_delta
    assert text(page, ".locked a.back") == f"Retour à{NBSP}: Mes sessions"


def test_the_home_and_a_404_page_in_french(client, make_user, frozen_now):
    make_user("nia", language="fr", first_name="Nia", last_name="Nouvelle")
    client.login("nia")
    home = client.get_page("/")
    assert home.html["lang"] == "fr"
    assert home.select_one("h1").text == "Bienvenue, Nia Nouvelle"
    assert [a.text for a in home.select("main ul a")] == ["Profil"]
    missing = client.get_page("/nowhere", status=404)
    assert missing.select_one("h1").text == "Introuvable"
    assert text(missing, ".error-page p") == "Il n’y a rien à cette adresse."
    assert missing.select_one("main > p a").text == "Retour à la page d’accueil"
    assert missing.title.text == "Introuvable · Portail des sessions"


def test_domain_sentences_in_french():
    paris = zone("Europe/Paris")
    window = Window(NOW - timedelta(days=9), NOW - timedelta(days=2))
    with language.speaking("fr"):
        assert state_text(Status.PAST, window, "closed", NOW, paris) == "Terminée — fermée"
        assert state_text(Status.PAST, window, "read_only", NOW, paris).endswith(
            "— en lecture seule")
        assert extension_problem("virus.exe").startswith(
            "Les fichiers «\u00a0.exe\u00a0» ne peuvent pas être rendus.")
    with language.speaking("en"):
        assert state_text(Status.PAST, window, "closed", NOW, paris) == "Ended — closed"
