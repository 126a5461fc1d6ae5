"""The admin's session pages in French (and one in Spanish): the session page and its
tabs, the create form refused with its messages (422), the access explainer's sentences,
the learners tab with individual dates, a confirmation box; domain messages in French."""

from zoneinfo import ZoneInfo

import pytest

from portal.domain.explainer import explain
from portal.domain.language import speaking
from portal.domain.session_form import coach_window_warning, unknown_user_message
from portal.extensions import db
from portal.models import Enrolment
from tests.helpers import NOW, add_course, enrol, make_session, speaks, text
from tests.test_admin_sessions import BASE_FORM

PEOPLE = ("admin", "coach", "lea", "leo")
NBSP = "\u00a0"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def world(client, people):
    session = make_session(people["coach"], "Onboarding", starts_in=-1, ends_in=10)
    add_course(session, "PY101", "Python basics")
    enrol(session, people["lea"], people["leo"])
    lea = db.session.query(Enrolment).filter_by(session_id=session.id,
                                                user_id=people["lea"].id).one()
    lea.extension_days, lea.dates_reason = 5, "medical leave"
    db.session.commit()
    client.login("ada")
    return session


def test_the_session_page_and_its_tabs_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(f"/admin/sessions/{world.id}")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Onboarding"
    assert [a.text for a in page.select("nav.tabs a")] == ["Vue d’ensemble", "Historique",
                                                           "Accès"]
    assert page.select_one("#details-title").text == "Détails"
    assert page.select_one("#courses-title").text == "Cours"
    assert page.select_one("#people-title").text == "Apprenants et classes"
    assert "Apprenants (2)" in page.text
    assert "Dates d’échéance de Python basics" in page.text  # the link and its hidden end
    assert page.select_one("#detail-name dt").text == "Nom de la session"
    assert text(page.select_one("#detail-name-action")) == "Modifier nom de la session"

    history = client.get_page(f"/admin/sessions/{world.id}/history")
    assert "Ce qui a été modifié dans cette session" in history.text


def test_the_learners_tab_with_individual_dates_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(f"/admin/sessions/{world.id}")
    heads = [th.text for th in page.select("table.learners th")]
    assert heads == ["Nom", "Mode d’inscription", "Inscrit le", "Dernier accès", "Accès",
                     "Actions"]
    own = page.select_one(".own-dates").text
    assert own.startswith("jusqu’au ") and f"prolongé de 5 jours{NBSP}: medical leave" in own
    assert page.select_one(".session-dates").text == "Dates de la session"
    assert [b.text for b in page.select(".ticked-bar button")] == [
        "Définir les dates…", "Suspendre…", "Lever la suspension…"]


def test_the_create_form_refused_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.post_page("/admin/sessions/new",
                            {**BASE_FORM, "name": "", "coach": "nobody", "action": "save"},
                            status=422)
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Créer une session"
    assert page.select_one("#session-form [role=alert]").text == (
        f"Certains champs demandent votre attention{NBSP}: voir les messages ci-dessous.")
    assert page.select_one("#name-error").text == "Donnez un nom à la session."
    assert page.select_one("#coach-error").text == (
        "Aucun utilisateur actif n’a l’identifiant ou l’e-mail «\u00a0nobody\u00a0».")
    assert page.select_one("label[for=name]").text.strip().startswith("Nom de la session")
    legends = page.select("#session-form > fieldset > legend")
    assert [legend.contents[0].strip() for legend in legends] == [
        "Session", "Dates", "Formateur et règles", "Messages", "Cours", "Apprenants"]


def test_the_access_explainer_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(f"/admin/sessions/{world.id}/access?user=lea")
    assert page.select_one("html")["lang"] == "fr"
    assert [li.text for li in page.select(".explainer-roles li")] == [
        "Lea Learner est inscrit(e) comme apprenant."]
    assert page.select_one("#need-view-title").text == "Voir la session"
    assert page.select_one("#need-view .need-outcome").text == "Autorisé"
    assert page.select_one(".explainer-windows th").text == "Période"
    assert "cet apprenant peut l’ouvrir." in page.select_one("#need-view .need-rules").text

    with speaking("fr"):
        x = explain(db.session, world, people["leo"], NOW, PARIS, PARIS)
    assert x.roles == ("Leo Second est inscrit(e) comme apprenant.",)
    assert x.listing.sentences[0].startswith(f"Période d’affichage{NBSP}: ")


def test_a_confirmation_box_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(f"/admin/sessions/{world.id}/learners/{people['lea'].id}/remove")
    assert page.select_one("h1").text == f"Retirer Lea Learner de cette session{NBSP}?"
    assert page.select_one(".confirm button.danger").text == "Retirer Lea Learner"
    assert page.select_one(".confirm a.secondary").text == "Garder"
    assert "Lea Learner ne pourra plus ouvrir cette session." in page.text

    response = client.post(f"/admin/sessions/{world.id}/learners/{people['lea'].id}/remove",
                           {}, htmx=True)
    assert "Lea Learner retiré(e) de la session." in response.get_data(as_text=True)


def test_the_session_list_and_the_delete_page_in_spanish(client, people, world):
    speaks(people["admin"], "es")
    page = client.get_page("/admin/sessions")
    assert page.select_one("html")["lang"] == "es"
    assert page.select_one("h1").text == "Sesiones"
    assert page.select_one("a.button-link").text == "Crear una sesión"
    assert page.select_one("label[for=q]").contents[0].strip() == "Buscar por nombre"
    assert [o.text for o in page.select("#status option")][:2] == ["Cualquier estado", "Activa"]

    delete = client.get_page(f"/admin/sessions/{world.id}/delete")
    assert delete.select_one("h1").text == "¿Eliminar «Onboarding»?"
    assert [li.text for li in delete.select(".confirm li")] == [
        "2 inscripciones de estudiantes", "0 entregas", "0 calificaciones"]
    assert delete.select_one("button.danger").text == "Eliminar la sesión"


def test_domain_messages_in_french():
    with speaking("fr"):
        assert unknown_user_message("") == "Saisissez un identifiant ou une adresse e-mail."
        warning = coach_window_warning({"coach_start": NOW, "access_start": NOW.replace(
            year=NOW.year - 1)})
    assert warning.startswith("L’accès des formateurs commence après l’arrivée des apprenants.")
    with speaking("en"):
        assert unknown_user_message("") == "Type a username or an e-mail address."
