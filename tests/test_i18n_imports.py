"""The imports in French and Spanish: the enrolment and sessions import pages, their file
problems, row errors and previews; headers read in every language (a French export
imports for an English reader and back, a Spanish header imports); a big import's job
speaks the language of the admin who started it; the API's bulk messages stay English."""

import csv
import io

import pytest
from bs4 import BeautifulSoup

from portal.domain import csv_import, jobs, session_import
from portal.domain.csv_import import Item, preview_items
from portal.domain.language import LANGUAGES, speaking
from portal.domain.tabular import column_names, header_key, place_in
from portal.extensions import db
from portal.models import Job
from tests.helpers import NOW, add_course, make_session, speaks

PEOPLE = ("admin", "coach", "lea", "leo")
NBSP = "\u00a0"
IMPORT_URL, SESSIONS_URL = "/admin/import", "/admin/sessions/import"


@pytest.fixture
def world(client, people):
    session = make_session(people["coach"], "Onboarding", starts_in=-1, ends_in=10,
                           code="ONB-1")
    add_course(session, "PY101", "Python basics")
    client.login("ada")
    return session


def upload(client, url, data: bytes, name="people.csv", status=200) -> BeautifulSoup:
    response = client.post(url, {"file": (io.BytesIO(data), name)})
    assert response.status_code == status, response.data[:800]
    return BeautifulSoup(response.data, "html.parser")


# --- the enrolment import ---------------------------------------------------------------


def test_the_enrolment_import_page_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(IMPORT_URL)
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Importer des inscriptions"
    assert page.select_one(".import-help summary").text == "À quoi ressemble le fichier"
    # The expected columns are named as a French file names them.
    codes = [code.text for code in page.select(".import-help li code")]
    assert codes[:2] == ["identifiant", "e-mail"] and "prénom" in codes
    assert page.select_one("#import-area button[type=submit]").text == "Voir l’aperçu de l’import"

    refused = client.post_page(IMPORT_URL, {}, status=422)
    assert refused.select_one("#file-error").text == (
        "Choisissez un fichier CSV ou un classeur Excel à importer.")


def test_a_french_file_previewed_in_french(client, people, world):
    speaks(people["admin"], "fr")
    data = b"Identifiant;Session;Action\nlea;Onboarding;add\nzed;Onboarding;add\n"
    page = upload(client, IMPORT_URL, data)
    assert page.select_one("#preview-title").text == "Aperçu de people.csv"
    assert "2 lignes lues, séparées par des points-virgules." in page.text
    counts = {th.text: td.text for th, td in
              (tr.select("th, td") for tr in page.select(".import-counts tr"))}
    assert counts["En erreur"] == "1" and counts["Seront inscrits"] == "1"
    error = [td.text for td in page.select("section[aria-labelledby=rows-error] tbody td")]
    assert error[:3] == ["3", "Identifiant",  # the column as the file's header names it
                         f"Utilisateur inconnu{NBSP}: aucun utilisateur n’a l’identifiant "
                         f"«{NBSP}zed{NBSP}»."]
    assert page.select_one("#import-area button[type=submit]").text == (
        f"Appliquer{NBSP}: inscrire 1, désinscrire 0")


def test_a_file_problem_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = upload(client, IMPORT_URL, b"", status=422)
    assert page.select_one("#file-error").text.startswith(
        "Le fichier est vide. Il lui faut une ligne d’en-tête")
    page = upload(client, IMPORT_URL, "prénom,nom\nLea,Learner\n".encode(), status=422)
    assert page.select_one("#file-error").text.startswith(
        f"Colonne manquante{NBSP}: l’en-tête (ligne 1) doit avoir une colonne "
        f"«{NBSP}identifiant{NBSP}» ou «{NBSP}e-mail{NBSP}».")


def test_a_spanish_header_imports_for_a_spanish_reader(client, people, world):
    speaks(people["admin"], "es")
    data = "Nombre de usuario,Sesión,Acción\nlea,Onboarding,add\n".encode()
    page = upload(client, IMPORT_URL, data)
    assert page.select_one("html")["lang"] == "es"
    assert "1 fila leída, separada por comas." in page.text
    assert page.select_one("tr.import-add th").text == "Se inscribirán"
    form = {"token": page.select_one("input[name=token]")["value"],
            "signature": page.select_one("input[name=signature]")["value"],
            "create_accounts": ""}
    result = client.post_page("/admin/import/apply", form)
    assert result.select_one("#result-title").text == "Importación aplicada"
    assert result.select_one("#result-added").text == "1"


# --- the sessions import and the export -------------------------------------------------


def exported(client, file_format="csv") -> list[list[str]]:
    response = client.get(f"/admin/sessions.{file_format}")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")  # `;` for a French reader, `,` otherwise
    return list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(
        ",") else ","))


def as_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_a_french_export_imports_for_an_english_reader(client, people, world):
    speaks(people["admin"], "fr")
    rows = exported(client)
    assert rows[0][:5] == ["nom", "code", "catégorie", "description", "formateur référent"]
    assert "fin de l’accès" in rows[0] and "début de l’accès des formateurs" in rows[0]
    speaks(people["admin"], "en")
    page = upload(client, SESSIONS_URL, as_csv(rows), name="sessions.csv")
    assert "Nothing to change" in page.select_one("#nothing-to-change").text
    assert page.select_one("#rows-error") is None


def test_an_english_export_imports_for_a_french_reader(client, people, world):
    rows = exported(client)
    assert rows[0] == list(session_import.COLUMNS)
    speaks(people["admin"], "fr")
    page = upload(client, SESSIONS_URL, as_csv(rows), name="sessions.csv")
    assert page.select_one("#nothing-to-change").text.startswith(
        f"Rien à changer{NBSP}: chaque session est déjà telle que le fichier l’indique.")


def test_a_spanish_sessions_file_previewed_in_spanish(client, people, world):
    speaks(people["admin"], "es")
    data = ("Nombre,Tutor de la sesión,Inicio del acceso,Fin del acceso,Cursos\n"
            "Primavera,cora,2027-03-01,2027-03-31,PY101\n").encode()
    page = upload(client, SESSIONS_URL, data, name="sesiones.csv")
    assert page.select_one("#preview-title").text == "Vista previa de sesiones.csv"
    assert "1 sesión leída, separada por comas." in page.text
    assert page.select_one(".import-rows summary").text == "Sesiones que crear (1)"
    button = page.select_one("#import-area button[type=submit]")
    assert button.text == "Aplicar: crear 1, actualizar 0"


def test_a_sessions_row_error_in_french(client, people, world):
    speaks(people["admin"], "fr")
    data = "nom,formateur référent,cours\nAutomne,cora,ZZ9\n".encode()
    page = upload(client, SESSIONS_URL, data, name="sessions.csv", status=422)
    cells = [td.text for td in page.select("section[aria-labelledby=rows-error] tbody td")]
    assert cells == ["ligne 2", "cours", "Automne",
                     f"Cours inconnu{NBSP}: aucun cours n’a le code «{NBSP}ZZ9{NBSP}». "
                     "Créez-le d’abord dans Cours, ou corrigez le code."]
    assert page.select_one("#rows-error").text == "En erreur (1)"
    assert page.select_one(".import-help summary").text == "À quoi ressemble le fichier"


def test_the_sessions_import_page_in_french(client, people, world):
    speaks(people["admin"], "fr")
    page = client.get_page(SESSIONS_URL)
    assert page.select_one("h1").text == "Importer des sessions"
    codes = [code.text for code in page.select(".import-help li code")]
    assert codes[:2] == ["nom", "code"] and "formateur référent" in codes
    refused = client.post_page(SESSIONS_URL, {}, status=422)
    assert refused.select_one("#file-error").text == (
        "Choisissez un fichier CSV ou Excel à importer.")


# --- jobs -------------------------------------------------------------------------------


def test_a_job_speaks_the_language_of_the_admin_who_started_it(client, people, world):
    speaks(people["admin"], "fr")
    job = jobs.enqueue(db.session, kind=jobs.ENROLMENT_PREVIEW, owner_id=people["admin"].id,
                       session_id=None, upload_token="gone", file_name="big.csv",
                       rows_total=9000, params={}, now=NOW)
    db.session.commit()
    with speaking("es"):  # the worker's own language does not matter
        assert jobs.run_due(db.session, now=NOW) == job.id
    failed = db.session.get(Job, job.id)
    assert failed.error.startswith("Le fichier envoyé n’est plus en attente")

    page = client.get_page(f"/admin/import/jobs/{job.id}")
    assert page.select_one("#job-title").text == (
        f"Aperçu d’un import d’inscriptions{NBSP}: big.csv")
    assert page.select_one("[role=alert]").text.startswith("Le fichier envoyé")


def test_a_waiting_job_is_worded_in_the_readers_language(client, people, world):
    job = jobs.enqueue(db.session, kind=jobs.SESSIONS_APPLY, owner_id=people["admin"].id,
                       session_id=None, upload_token="t", file_name="s.csv",
                       rows_total=500, params={}, now=NOW)
    db.session.commit()
    with speaking("es"):
        view = jobs.job_view(job, now=NOW)
        assert (view.title, view.phase_label) == ("Importación de sesiones",
                                                  "Esperando al proceso de fondo")
    with speaking("fr"):
        assert jobs.rows_in_error(2).startswith(f"Rien n’a été enregistré{NBSP}: 2 lignes")


# --- the domain -------------------------------------------------------------------------


def test_places_are_whole_sentences_in_each_language():
    with speaking("fr"):
        assert place_in(None, 12) == "ligne 12"
        assert place_in("Learners", 3, 2) == (
            f"ligne 3, colonne C de la feuille «{NBSP}Learners{NBSP}»")
    with speaking("es"):
        assert place_in("Learners", 3) == "fila 3 de la hoja «Learners»"


@pytest.mark.parametrize("labels", [csv_import.column_labels, session_import.column_labels],
                         ids=["enrolments", "sessions"])
def test_each_column_has_its_own_name_in_every_language(labels):
    machine = list(labels())
    for code in LANGUAGES:
        with speaking(code):
            names = [header_key(name) for name in labels().values()]
        assert len(set(names)) == len(names), code  # no two columns share a name
    # Across languages too: a name read in any language finds one column only.
    seen: dict[str, str] = {}
    for code in LANGUAGES:
        with speaking(code):
            shown = labels()
        for column, name in [*zip(machine, machine, strict=True), *shown.items()]:
            assert seen.setdefault(header_key(name), column) == column, (code, name)
    assert column_names(labels) == seen
    if labels is csv_import.column_labels:
        assert seen["prénom"] == "first_name" and seen["apellidos"] == "last_name"


def test_row_messages_in_french_and_the_api_stays_english(people, world):
    with speaking("fr"):
        parsed = csv_import.read_csv(b"username,session\nzed,Nowhere\n", session_required=True)
        result = csv_import.preview(db.session, parsed)
        assert result.rows[0].message == (
            f"Utilisateur inconnu{NBSP}: aucun utilisateur n’a l’identifiant «{NBSP}zed{NBSP}». "
            f"Session inconnue{NBSP}: aucune session ne s’appelle «{NBSP}Nowhere{NBSP}».")
        bulk = preview_items(db.session, [Item("zed", world.id, "add")])
    assert bulk.rows[0].message == "Unknown user: no user has the username “zed”."
