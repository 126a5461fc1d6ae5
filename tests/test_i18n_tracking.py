"""The coach's tracking table in French (and Spanish): its headings, cells, counts, late
and suspended learners, own dates, the empty search, the CSV header; the Python texts
left on the session pages (how a learner is enrolled, a copy's name, date messages) in
French."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from portal.domain.access import LearnerFacts, SessionRules, Window
from portal.domain.dates import DateInputError, parse_local, read_range
from portal.domain.figures import duration_text, share_text
from portal.domain.language import speaking
from portal.domain.sessions import DATE_LABELS, copy_name
from portal.domain.tracking_table import (
    Scope,
    ScopeCourse,
    access_until_text,
    scope_text,
)
from portal.extensions import db
from portal.models import AccessEvent, Assignment, AssignmentDue
from tests.helpers import NOW, add_course, enrol, hand_in, make_session, speaks

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "lea", "leo", "max")
NBSP = "\u00a0"
PARIS = ZoneInfo("Europe/Paris")
HEADINGS_FR = ["Apprenant", "Premier accès", "Dernier accès", "Temps passé", "Cours consultés",
               "Rendus", "Note moyenne", "Progression", "Accès jusqu’au"]


@pytest.fixture
def world(people):
    """Python with two assignments, the first due 6 days ago; Lea handed it in late (15 /
    20) after 25 minutes of work, Leo has 5 more days, Max is suspended."""
    session = make_session(people["coach"], "Onboarding", starts_in=-20, ends_in=10)
    python = add_course(session, "PY101", "Python basics")
    a1 = Assignment(course_id=python.id, title="Variables", max_score=20, position=1)
    a2 = Assignment(course_id=python.id, title="Loops", max_score=10, position=2)
    db.session.add_all([a1, a2])
    db.session.commit()
    db.session.add(AssignmentDue(session_id=session.id, assignment_id=a1.id,
                                 course_id=python.id, due_at=NOW - timedelta(days=6)))
    enrol(session, people["lea"])
    enrol(session, people["leo"], extension_days=5, dates_reason="Illness")
    enrol(session, people["max"], suspended_at=NOW - timedelta(days=1),
          suspension_reason="Unpaid fees")
    start = NOW - timedelta(days=5)
    db.session.add_all([AccessEvent(session_id=session.id, user_id=people["lea"].id,
                                    course_id=python.id, at=start + timedelta(minutes=m))
                        for m in (0, 10, 25)])
    db.session.commit()
    hand_in(session, people["lea"], a1, at=start, score=15)
    return session


def cells(page) -> dict[str, dict[str, str]]:
    return {tr.th.small.text: {td["class"][0]: td.text.strip() for td in tr.select("td")}
            for tr in page.select(".tracking-table tbody tr") if tr.th is not None}


def heads(page) -> list[str]:
    """The column headings, without the sort arrow."""
    return [(th.a or th).text.strip() for th in page.select(".tracking-table thead th")]


def read_csv(response) -> list[list[str]]:
    """A French or Spanish reader's CSV: `;` between cells (csv_export.SEMICOLONS)."""
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))


def test_the_tracking_table_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    page = client.get_page(f"/coach/sessions/{world.id}/tracking")
    assert page.select_one(".scope-text").text == "Chiffres de toute la session."
    assert heads(page) == HEADINGS_FR
    assert page.select_one(".tracking-table caption").text == (
        "Apprenants de Onboarding, triés par Apprenant (ordre croissant)")
    assert " ".join(page.select_one(".export-links").text.split()) == (
        "Exporter CSV (séparé par des virgules) · Excel (3 apprenants)")
    lea, leo, max_ = (cells(page)[name] for name in ("lea", "leo", "max"))
    assert lea["time-spent"] == f"25{NBSP}min"
    assert lea["courses-visited"] == "1 sur 1"
    assert lea["handed-in"] == "1 sur 2 1 en retard"
    assert lea["average-grade"] == f"75{NBSP}%"
    assert lea["progress"] == f"50{NBSP}%"
    assert lea["access-until"] == "Dates de la session"
    assert leo["first-access"] == "—"
    assert leo["access-until"].endswith("(prolongé de 5 jours)")
    assert max_["access-until"] == "Suspendu(e)"
    assert page.select_one(".per-page").text.split()[-3:] == ["apprenants", "par", "page"]


def test_a_search_finding_nobody_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    page = client.get_page(f"/coach/sessions/{world.id}/tracking?q=zz&sort=time&dir=desc")
    assert page.select_one(".tracking-table tbody td").text == (
        f"Aucun apprenant ne correspond à «{NBSP}zz{NBSP}»."
    )
    assert page.select_one(".export-links small").text == (
        f"(0 apprenant correspondant à «{NBSP}zz{NBSP}»)")
    assert page.select_one(".tracking-table caption").text == (
        "Apprenants de Onboarding, triés par Temps passé (ordre décroissant)")


def test_the_csv_export_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    table = read_csv(client.get(f"/coach/sessions/{world.id}/tracking.csv"))
    assert table[0] == ["Nom", "Nom d’utilisateur", "E-mail", "Premier accès (Europe/Paris)",
                        "Dernier accès (Europe/Paris)", "Temps passé (minutes)",
                        "Cours consultés", "Devoirs rendus", "Note moyenne (%)",
                        "Progression (%)", "Accès jusqu’au", "Rendus en retard", "Suspendu(e)"]
    by_user = {row[1]: row for row in table[1:]}
    # Decimal commas: a French spreadsheet reads "75,0" as a number ("75.0" as text).
    assert by_user["lea"][4:] == ["2026-11-24 13:25", "25", "1", "1", "75,0", "50,0",
                                  "Dates de la session", "1", ""]
    # The other convention, offered by the page's second CSV link.
    commas = list(csv.reader(io.StringIO(client.get(
        f"/coach/sessions/{world.id}/tracking.csv?separator=comma").get_data(
            as_text=True).lstrip("\ufeff"))))
    assert {row[1]: row for row in commas[1:]}["lea"][8:10] == ["75.0", "50.0"]
    assert by_user["max"][-1] == "oui"
    workbook = load_workbook(io.BytesIO(
        client.get(f"/coach/sessions/{world.id}/tracking.xlsx").get_data()))
    assert workbook.sheetnames == ["Suivi"]
    assert next(workbook.active.iter_rows(max_row=1, values_only=True))[:2] == (
        "Nom", "Nom d’utilisateur")


def test_the_tracking_table_and_its_csv_in_spanish(client, people, world):
    speaks(people["coach"], "es")
    client.login("cora")
    page = client.get_page(f"/coach/sessions/{world.id}/tracking")
    assert heads(page) == [
        "Estudiante", "Primer acceso", "Último acceso", "Tiempo dedicado", "Cursos consultados",
        "Entregas", "Calificación media", "Progreso", "Acceso hasta"]
    lea = cells(page)["lea"]
    assert lea["handed-in"] == "1 de 2 1 con retraso"
    assert "(3 estudiantes)" in page.select_one(".export-links").text
    table = read_csv(client.get(f"/coach/sessions/{world.id}/tracking.csv"))
    assert table[0][:4] == ["Nombre", "Nombre de usuario", "Correo electrónico",
                            "Primer acceso (Europe/Paris)"]
    assert table[0][-2:] == ["Entregas con retraso", "Suspendido/a"]


def test_how_learners_are_enrolled_in_french(client, people, world):
    speaks(people["admin"], "fr")
    client.login("ada")
    page = client.get_page(f"/admin/sessions/{world.id}")
    assert "Individuelle" in page.select_one("table.learners tbody").text


def test_tracking_words_in_french():
    rules = SessionRules(access=Window(NOW - timedelta(days=1), None), coach=None,
                         after_end_policy="read_only", duration_days=30)
    with speaking("fr"):
        assert duration_text(3 * 3600 + 5 * 60, came=True) == f"3{NBSP}h{NBSP}05{NBSP}min"
        assert share_text(87.5) == f"87,5{NBSP}%"
        assert share_text(None) == "—"
        python = ScopeCourse(1, "PY101", "Python basics", 2)
        assert scope_text(Scope([python], selected=python)) == (
            "Chiffres du cours Python basics uniquement.")
        assert scope_text(Scope([], limited=True)) == (
            f"Chiffres des cours dont vous êtes le tuteur{NBSP}: aucun.")
        assert access_until_text(rules, LearnerFacts(), NOW, PARIS) == "Pas commencé"
        started = LearnerFacts(first_access_at=NOW, extension_days=1)
        assert access_until_text(rules, started, NOW, PARIS).endswith(
            "(30 jours à partir du premier accès, prolongé de 1 jour)")


def test_session_words_in_french(people, world):
    with speaking("fr"):
        assert copy_name(db.session, "Onboarding") == "Copie de Onboarding"
        assert str(DATE_LABELS["coach_end"]) == "fin de l’accès des formateurs"
        with pytest.raises(DateInputError) as refused:
            parse_local("0001-01-01", PARIS, is_end=False)
    assert str(refused.value) == (
        f"Indiquez une année de 1900 à 2999{NBSP}; laissez un début ou une fin vide pour ne "
        "pas fixer de limite.")
    assert str(DATE_LABELS["coach_end"]) == "coach access end"  # English outside the block


def test_a_list_s_date_filters_refused_in_french():
    with speaking("fr"):
        refused = read_range("2026-12-20", "2026-12-01", PARIS)
        unreadable = read_range("garbage", "", PARIS)
    assert refused.errors == (
        f"La date «{NBSP}Du{NBSP}» doit précéder la date «{NBSP}Au{NBSP}»{NBSP}: les dates ne "
        "sont pas appliquées.",)
    assert unreadable.errors[0].startswith(f"«{NBSP}Du{NBSP}»{NBSP}: ")


def test_an_expired_form_in_french(client, people):
    speaks(people["coach"], "fr")
    client.login("cora")
    response = client.client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Votre formulaire a expiré" in body and "Rechargez la page et réessayez" in body
