"""The History in French (and in Spanish): the page, its filters and their refusal (422),
the journal's sentences worded for the reader, the CSV export, an import's undo and its
confirmation; the domain's sentences and messages inside ``speaking("fr")``; the API
still in English."""

import csv
import io
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.domain import enrolment, journal
from portal.domain.import_undo import UndoRefused, undo_import
from portal.domain.language import speaking
from portal.extensions import db
from portal.models import JournalEntry
from tests.helpers import NOW, make_session, speaks

PEOPLE = ("admin", "coach", "lea", "leo")
NBSP = "\u00a0"
PARIS = ZoneInfo("Europe/Paris")


def text(node) -> str:
    # Spaces collapsed, the no-break spaces of French typography kept.
    return re.sub(r"[ \t\n]+", " ", node.get_text(" ")).strip()


def sentences(page) -> list[str]:
    return [text(p) for p in page.select(".history-entry .history-sentence")]


def add(by, kind, action, *, at=NOW, **fields) -> JournalEntry:
    saved = journal.record(db.session, by, at, kind, action, **fields)
    db.session.commit()
    return saved


@pytest.fixture
def world(client, people):
    """Onboarding and some entries of its History, by Ada; Ada signed in."""
    session = make_session(people["coach"], "Onboarding")
    ada = journal.Actor(people["admin"].id, people["admin"].full_name, "req-1", "192.0.2.7")
    about = {"object_id": session.id, "object_label": "Onboarding",
             "session_id": session.id, "session_label": "Onboarding"}
    add(ada, "session", "create", at=NOW - timedelta(days=3), **about)
    add(ada, "session", "update", at=NOW - timedelta(days=2), **about,
        before={"access_end": "2027-07-15T22:00:00+00:00", "duration_days": None},
        after={"access_end": "2027-07-20T22:00:00+00:00", "duration_days": 5})
    add(ada, "enrolment", "add", at=NOW - timedelta(days=1), session_id=session.id,
        session_label="Onboarding", learner_id=people["lea"].id, learner_label="Lea Learner",
        after={"how": "individual"})
    add(journal.SYSTEM, "course", "create", object_label="Python basics")
    client.login("ada")
    return session


def test_the_history_page_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page("/admin/history")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Historique"
    labels = [label.contents[0].strip() for label in page.select("form.filters label")]
    assert labels == ["Qui", "Quoi", "Action", "Session", "Apprenant", "Du", "Au",
                      "Par page"]
    assert page.select_one("form.filters button").text == "Filtrer"
    what = [o.text for o in page.select("#what option")]
    assert what[:5] == ["Tout", "Sessions", "Cours des sessions", "Tuteurs des cours",
                        "Inscriptions"]
    assert "Connexions" in what
    assert [o.text for o in page.select("#action option")][:3] == [
        "Toute action", "Créer", "Modifier"]
    said = sentences(page)
    assert said[1:] == [
        "Le portail a créé le cours Python basics",
        "Ada Tester a inscrit Lea Learner dans Onboarding individuellement",
        f"Ada Tester a modifié Onboarding (fin de l’accès{NBSP}: 15 juil. 2027 → 20 juil. "
        f"2027 et durée{NBSP}: (aucun) → 5 jours)",
        "Ada Tester a créé la session Onboarding"]
    assert said[0] == "Ada Tester s’est connecté(e) depuis 127.0.0.1"
    # The actor's name stays a link to their changes, wherever the sentence puts it.
    link = page.select_one(".history-entry .history-sentence a")
    assert link.text == "Ada Tester"
    assert link["title"] == "Seulement les modifications de Ada Tester"
    assert "Session\u00a0: Onboarding" in page.text
    details = page.select_one(".history-details")
    assert details.select_one("summary").text == "Détails"
    assert "Exporter CSV ( séparé par des virgules ) · Excel" in text(
        page.select_one(".history-tools"))


def test_the_details_of_an_entry_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page("/admin/history?what=session")
    table = page.select(".history-details table")[0]
    assert [th.text for th in table.select("thead th")] == ["Valeur", "Avant", "Après"]
    rows = [[cell.text for cell in tr.select("th, td")] for tr in table.select("tbody tr")]
    assert rows == [["fin de l’accès", "15 juil. 2027", "20 juil. 2027"],
                    ["durée", "(aucun)", "5 jours"]]


def test_a_refused_date_filter_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page("/admin/history?from=garbage", status=422)
    assert "Écrivez une date" in page.select_one(".flash-error").text
    assert page.select_one("h1").text == "Historique"


def test_the_history_page_in_spanish(client, people, world):
    speaks(people["admin"], "es")
    page = client.get_page("/admin/history")
    assert page.select_one("h1").text == "Historial"
    assert sentences(page)[1:3] == [
        "El portal creó el curso Python basics",
        "Ada Tester inscribió a Lea Learner en Onboarding individualmente"]
    assert page.select_one("li.history-empty") is None
    empty = client.get_page("/admin/history?who=nobody-at-all")
    assert empty.select_one("li.history-empty").text == (
        "Nada registrado coincide con estos filtros.")


def test_the_session_history_tab_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(f"/admin/sessions/{world.id}/history")
    assert "Ada Tester a créé la session Onboarding" in sentences(page)
    assert "Historique de Lea Learner ici" in page.text


def test_the_csv_export_in_french(client, people, world):
    speaks(people["admin"], "fr")
    response = client.get("/admin/history.csv?what=session")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Quand", "Quand (UTC, ISO 8601)", "Qui", "Action", "Objet", "Session",
                       "Apprenant", "Phrase", "Identifiant de requête", "Adresse",
                       "Avant (JSON)", "Après (JSON)"]
    # The values too: the time and the sentence as the reader reads them.
    assert rows[-1][0].startswith("26 nov. 2026 à ")
    assert rows[-1][7] == "Ada Tester a créé la session Onboarding"


@pytest.fixture
def an_import(people, world):
    """An enrolment import of spring.csv by Ada that enrolled Lea and Leo."""
    ada = journal.Actor(people["admin"].id, people["admin"].full_name)
    enrolment.apply_import(db.session, "spring.csv",
                           {(world.id, people["leo"].id)}, set(), by=ada, now=NOW)
    db.session.commit()
    return db.session.scalar(select(func.max(JournalEntry.id))
                             .where(JournalEntry.parent_id.is_(None)))


def test_an_import_and_its_undo_in_french(client, people, world, an_import):
    speaks(people["admin"], "fr")
    page = client.get_page("/admin/history")
    entry = page.select_one(f"#entry-{an_import}")
    assert text(entry.select_one(".history-sentence")) == (
        "Ada Tester a inscrit 1 apprenant dans Onboarding par l’import de spring.csv")
    assert entry.select_one(".undo-button").text == "Annuler cet import"
    assert "possible jusqu’au" in entry.select_one(".undo-offer").text

    confirm = client.get_page(f"/admin/history/{an_import}/undo")
    assert confirm.select_one("h1").text == f"Annuler l’import de spring.csv{NBSP}?"
    assert "1 modification sera annulée." in confirm.text
    assert "Les rendus et les notes sont conservés" in confirm.text

    done = client.post_page(f"/admin/history/{an_import}/undo", {})
    assert done.select_one("h1").text == "Annuler un import"
    assert text(done.select_one(".undo-result strong")) == (
        f"Import annulé{NBSP}: 1 modification annulée.")
    assert done.select_one(".undo-entry").text == "Voir l’annulation dans l’historique"

    again = client.post_page(f"/admin/history/{an_import}/undo", {}, status=409)
    assert "Cet import a déjà été annulé le " in again.select_one(".flash-error").text
    undone = client.get_page("/admin/history")
    assert "Annulé le" in text(undone.select_one(f"#entry-{an_import} .undo-done"))
    assert (f"Ada Tester a annulé l’import de spring.csv (annulées{NBSP}: 1 modification"
            f"{NBSP}; laissée telle quelle{NBSP}: 0)") in sentences(undone)


def test_domain_sentences_in_french(people, world):
    ada = journal.Actor(people["admin"].id, "Ada Tester")
    entries = [
        add(ada, "class", "update", object_label="Red team", before={"name": "Red"},
            after={"name": "Red team"}),
        add(ada, "user", "update", object_label="lea", before={"active": True},
            after={"active": False}),
        add(ada, "enrolments", "suspend", session_label="Onboarding", after={"count": 3}),
        add(ada, "session", "copy", object_label="Onboarding 2", after={
            "source": "Onboarding", "shift_minutes": 3 * 1440 + 120,
            "copied": ["learners", "class links"], "left_out": ["course coaches"]}),
        add(journal.Actor(None, ""), "login", "failure", object_label="lea"),
    ]
    with speaking("fr"):
        said = [journal.sentence(e, PARIS) for e in entries]
        assert journal.shift_words(-90) == "1 heure et 30 minutes plus tôt"
    # (the copy's sentence up to what it left out, whose noun the catalog shares)
    said[3] = said[3].split(", sans ses ")[0]
    assert said == [
        "Ada Tester a renommé la classe Red en Red team",
        "Ada Tester a désactivé l’utilisateur lea",
        "Ada Tester a suspendu 3 apprenants dans Onboarding",
        "Ada Tester a créé la session Onboarding 2 en copiant Onboarding, ses dates décalées "
        "de 3 jours et 2 heures plus tard, avec ses apprenants et liens de classe",
        f"Quelqu’un n’a pas réussi à se connecter en tant que «{NBSP}lea{NBSP}»",
    ]
    with speaking("es"):
        assert journal.sentence(entries[0], PARIS) == (
            "Ada Tester cambió el nombre de la clase Red a Red team")


def test_a_learners_story_in_french(people, world):
    entry = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "enrolment")).one()
    with speaking("fr"):
        assert journal.learner_sentence(entry, UTC) == (
            "inscrit(e) individuellement par Ada Tester le 28 nov. 2026 à 12:00")


def test_undo_refusals_in_french(people, world):
    with speaking("fr"), pytest.raises(UndoRefused) as refused:
        undo_import(db.session, 10**6, by=journal.SYSTEM, now=NOW)
    assert str(refused.value) == (
        f"Cette entrée de l’historique n’est pas un import{NBSP}: il n’y a rien à annuler.")


def test_the_api_sentence_stays_english(people, world):
    from portal.api.journal import entry_out
    entry = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "course")).one()
    with speaking("fr"):
        assert entry_out(entry).sentence == "The portal created the course Python basics"
