"""The coach's side in French and Spanish: the coaching list and its tabs, the grading
grid, a submission and its saved grade, the tracking page and its charts."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from portal.domain.coached_sessions import CoachedCourse, role_text
from portal.domain.grading import GradeError, out_of_range, parse_score, suspended_read_only
from portal.domain.language import speaking
from portal.domain.tracking_charts import bucket_labels, grades_chart
from portal.extensions import db
from portal.models import AccessEvent, Assignment, Grade, Submission
from tests.helpers import NOW, add_course, enrol, make_session, speaks, text

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("coach", "ted", "lea", "leo")
NBSP = "\u00a0"


@pytest.fixture
def world(people):
    """Learners' access ended 2 days ago (the coach window runs 12 more days); Python
    (coached by Ted) with two assignments, one hand-in of Lea to grade, one of Leo graded
    7.5 / 10."""
    session = make_session(people["coach"], "Onboarding", starts_in=-20, ends_in=-2)
    python = add_course(session, "PY101", "Python basics", coaches=[people["ted"]])
    a1 = Assignment(course_id=python.id, title="Variables", max_score=20, position=1)
    a2 = Assignment(course_id=python.id, title="Loops", max_score=10, position=2)
    db.session.add_all([a1, a2])
    db.session.commit()
    enrol(session, people["lea"], people["leo"])
    lea_a1 = Submission(session_id=session.id, assignment_id=a1.id, user_id=people["lea"].id,
                        answer="x = 1", submitted_at=NOW - timedelta(days=5))
    leo_a2 = Submission(session_id=session.id, assignment_id=a2.id, user_id=people["leo"].id,
                        answer="for i in range(3): pass", submitted_at=NOW - timedelta(days=3))
    db.session.add_all([lea_a1, leo_a2])
    db.session.commit()
    db.session.add(Grade(submission_id=leo_a2.id, score=7.5, graded_at=NOW - timedelta(days=2)))
    db.session.add(AccessEvent(session_id=session.id, user_id=people["lea"].id,
                               at=NOW - timedelta(days=4)))
    db.session.commit()
    return {"session": session, "python": python, "a1": a1, "lea_a1": lea_a1}


def grid_url(w):
    return f"/coach/sessions/{w['session'].id}/courses/{w['python'].id}/grading"


def sub_url(w):
    return f"{grid_url(w).removesuffix('/grading')}/submissions/{w['lea_a1'].id}"


def test_the_coaching_list_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    page = client.get_page("/coach/")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Encadrement"
    assert [a.contents[0].strip() for a in page.select("nav.tabs a")] == [
        "En cours", "Passées", "À venir"]
    assert page.select_one("nav.tabs")["aria-label"] == "Onglets de l’encadrement"
    assert page.select_one("#tab-title").text == "Sessions en cours"
    card = page.select_one(f"#session-{world['session'].id}")
    assert card.select_one(".card-role").text == "Formateur référent"
    assert card.select_one(".card-state").text.startswith("Ouverte à la notation jusqu’au ")
    assert [dt.text for dt in card.select("dt")] == [
        "Catégorie", "Votre accès", "Accès des apprenants", "Apprenants", "À noter"]
    assert card.select_one(".card-to-grade").text == "1 rendu"  # singular
    assert [a.text for a in card.select(".card-actions a")] == [
        f"Noter{NBSP}: Python basics", "Suivi de Onboarding"]
    empty = client.get_page("/coach/?tab=upcoming")
    assert empty.select_one(".empty-tab").text.strip() == (
        "Aucune des sessions que vous encadrez n’est encore planifiée.")


def test_the_grading_grid_in_french_writes_numbers_the_french_way(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    page = client.get_page(grid_url(world))
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == f"Notation{NBSP}: Python basics"
    assert page.select_one(".to-grade").text == "1 rendu attend une note dans ce cours."
    assert page.select_one(".grading-grid thead th").text == "Apprenant"
    cells = [text(c) for c in page.select(".grade-cell")]
    assert cells[0].startswith("Rendu le 24 nov. 2026")
    assert "Non rendu" in cells
    assert any(c.startswith(f"Noté{NBSP}: 7,5 / 10") for c in cells)  # a decimal comma
    assert page.select_one(".grading-filter button").text == "Filtrer"
    assert page.select_one(".per-page").text.split()[:3] == ["Apprenants", "par", "page"]


def test_a_submission_and_its_saved_grade_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    page = client.get_page(sub_url(world))
    assert page.select_one("h1").text == f"Variables{NBSP}: Lea Learner"
    assert page.select_one(".submitted").text.startswith("Rendu le 24 nov. 2026 à ")
    assert page.select_one(".grade-form button").text == "Enregistrer la note"
    hint = page.select_one(f"#s{world['lea_a1'].id}-score-hint").text
    assert hint == f"De 0 à 20{NBSP}; décimales acceptées, par exemple 14,5."
    prefix = f"s{world['lea_a1'].id}"
    # A refused score: the message in French, under the field.
    refused = client.post(sub_url(world), {f"{prefix}-score": "25"}, htmx=True)
    assert refused.status_code == 422
    error = BeautifulSoup(refused.data, "html.parser").select_one(f"#{prefix}-score-error")
    assert error.text == "La note doit être comprise entre 0 et 20."
    # Saved with htmx: the cell says so; without: the flash on the grid.
    saved = client.post(sub_url(world), {f"{prefix}-score": "14,5"}, htmx=True)
    cell = BeautifulSoup(saved.data, "html.parser")
    assert cell.select_one(".cell-saved").text == "Enregistré"
    assert text(cell.select_one(".cell-text")).startswith(f"Noté{NBSP}: 14,5 / 20")
    assert cell.select_one("#to-grade").text == "0 rendu attend une note dans ce cours."
    page = client.post_page(sub_url(world), {f"{prefix}-score": "15"}, follow_redirects=True)
    assert page.select_one(".flash").text.strip() == (
        f"Note enregistrée{NBSP}: Lea Learner, «{NBSP}Variables{NBSP}».")


def test_the_tracking_page_and_its_charts_in_french(client, people, world):
    speaks(people["coach"], "fr")
    client.login("cora")
    session_id = world["session"].id
    page = client.get_page(f"/coach/sessions/{session_id}/tracking")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == f"Suivi{NBSP}: Onboarding"
    assert [h.text for h in page.select("h2")] == ["En un coup d’œil", "Apprenants"]
    assert page.select_one("#charts a").text == "Afficher les graphiques"
    assert page.select_one(".grading-links a").text == f"Noter{NBSP}: Python basics"
    charts = client.get_page(f"/coach/sessions/{session_id}/tracking?charts=1")
    figures = {f["id"]: f for f in charts.select("figure.chart")}
    assert [f.select_one("h3").text for f in figures.values()] == [
        "Apprenants actifs par jour", "Rendus par jour", "Répartition des notes"]
    active = figures["chart-active"].select_one("desc").text
    assert "avec 1 apprenant" in active and "par jour en moyenne." in active
    assert [r.title.text for r in figures["chart-handins"].select("rect.chart-bar")] == [
        f"24 nov. 2026{NBSP}: 1 rendu", f"26 nov. 2026{NBSP}: 1 rendu"]
    grades = figures["chart-grades"]
    assert grades.select_one("desc").text.startswith("1 note, en pourcentage")
    assert [th.text for th in grades.select("thead th")] == [
        "Note (en pourcentage du maximum)", "Notes"]
    assert grades.select_one("summary").text == "Les chiffres de répartition des notes"


def test_the_coaching_list_in_spanish(client, people, world):
    speaks(people["coach"], "es")
    client.login("cora")
    page = client.get_page("/coach/")
    assert page.select_one("html")["lang"] == "es"
    assert page.select_one("h1").text == "Tutoría"
    assert page.select_one("#tab-title").text == "Sesiones en curso"
    card = page.select_one(f"#session-{world['session'].id}")
    assert card.select_one(".card-role").text == "Tutor de la sesión"
    assert card.select_one(".card-to-grade").text == "1 entrega"
    assert [a.text for a in card.select(".card-actions a")] == [
        "Calificar: Python basics", "Seguimiento de Onboarding"]
    grid = client.get_page(grid_url(world))
    assert grid.select_one(".to-grade").text == (
        "1 entrega pendiente de calificación en este curso.")


def test_domain_messages_in_french():
    with speaking("fr"):
        with pytest.raises(GradeError) as refused:
            parse_score("abc", 20)
        assert refused.value.message == "Saisissez un nombre, par exemple 14 ou 14,5."
        assert out_of_range(1000) == f"La note doit être comprise entre 0 et 1{chr(0x202f)}000."
        assert suspended_read_only("Lea").startswith(
            f"Lea est suspendu(e) de cette session{NBSP}: ses travaux")
        python = CoachedCourse(1, "PY101", "Python basics", mine=True)
        assert role_text(True, [python]) == (
            f"Formateur référent{NBSP}; tuteur du cours Python basics")
        assert bucket_labels()[8] == f"80–90{NBSP}%"
        assert grades_chart([0] * 10).description == "Aucun travail n’a encore été noté."
    with speaking("es"):
        assert grades_chart([0] * 8 + [2, 0]).description.startswith(
            "2 calificaciones, en porcentaje")
