"""The admin's lists and reference pages in French (and some in Spanish): users, courses,
classes, categories, their forms refused with their messages (422), delete
confirmations and refusals, the dashboard, API tokens and the session list; domain
messages in French."""

from datetime import date

import pytest

from portal.admin.reference_courses import usage_reasons
from portal.domain import api_tokens as tokens
from portal.domain.courses import CourseUsage
from portal.domain.language import speaking
from portal.domain.users import role_change_problem
from portal.extensions import db
from portal.models import Course, SessionCategory, UserClass
from tests.helpers import add_course, make_session, speaks, text

PEOPLE = ("admin", "coach", "lea")
NBSP = "\u00a0"


@pytest.fixture
def world(client, people):
    db.session.add_all([Course(code="PY101", title="Python basics", description=""),
                        UserClass(name="Sales team"), SessionCategory(name="Onboarding")])
    db.session.commit()
    client.login("ada")
    return people


def errors(page) -> dict[str, str]:
    return {e["id"].removesuffix("-error"): e.text.strip() for e in page.select(".error[id]")}


def submit_button(page):
    """The button of the page's form (not the header's log out)."""
    return page.select_one("main form[novalidate] > button[type=submit]")


def flashes(page) -> list[str]:
    return [p.text.strip() for p in page.select(".flash")]


def test_the_user_list_and_its_search_in_french(client, world):
    speaks(world["admin"], "fr")
    page = client.get_page("/admin/users")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("h1").text == "Utilisateurs"
    assert page.select_one("label[for=q]").text == "Rechercher par nom, nom d’utilisateur ou e-mail"
    assert page.select_one("#q")["placeholder"] == "p. ex. ann ou ann@example.org"
    assert [th.text for th in page.select("#results th")] == [
        "Nom", "Nom d’utilisateur", "E-mail", "Rôle", "Statut"]
    rows = {tr.select("td")[1].text: [td.text for td in tr.select("td")[3:]]
            for tr in page.select("#results tbody tr")}
    assert rows["ada"] == ["Administrateur", "Actif"]
    assert rows["cora"] == ["Enseignant", "Actif"]
    assert rows["lea"] == ["Apprenant", "Actif"]
    assert page.select_one(".button-link").text == "Nouvel utilisateur"

    none = client.get_page("/admin/users?q=zzz", headers={"HX-Request": "true"})
    assert none.select_one("td[colspan]").text == (
        f"Aucun utilisateur ne correspond à «{NBSP}zzz{NBSP}».")


def test_the_new_user_form_refused_in_french(client, world):
    speaks(world["admin"], "fr")
    page = client.post_page("/admin/users/new", {
        "username": "", "first_name": "x" * 101, "last_name": "", "email": "nope",
        "role": "learner", "timezone": "", "password": ""}, status=422)
    assert page.select_one("h1").text == "Nouvel utilisateur"
    assert submit_button(page).text == "Créer l’utilisateur"
    assert page.select_one("label[for=first_name]").text == "Prénom"
    assert errors(page) == {
        "username": "Saisissez un nom d’utilisateur.",
        "first_name": "Utilisez au plus 100 caractères.",
        "email": "Saisissez une adresse e-mail comme ann@example.org.",
        "password": "Définissez un mot de passe pour le nouvel utilisateur.",
    }
    assert [o.text for o in page.select("#role option")] == [
        "Apprenant", "Enseignant", "Administrateur"]
    assert page.select_one("#timezone-hint").text == (
        "Laissez vide pour utiliser le fuseau du portail, Europe/Paris.")
    # WTForms' own message, in French too.
    page = client.post_page("/admin/users/new", {
        "username": "nina", "email": "nina@example.org", "role": "superuser",
        "password": "a long enough secret"}, status=422)
    assert errors(page) == {"role": "Choix non valide."}


def test_a_user_who_coaches_cannot_be_deleted_in_french(client, world):
    speaks(world["admin"], "fr")
    coach = world["coach"]
    for name in ("Beta", "Alpha"):
        make_session(coach, name)
    page = client.get_page(f"/admin/users/{coach.id}/delete")
    assert page.select_one("h1").text == f"Supprimer l’utilisateur cora{NBSP}?"
    assert [li.text for li in page.select("ul.reasons li")] == [
        f"formateur référent de 2 sessions{NBSP}: Alpha, Beta"]
    assert page.find("button", string="Désactiver") is not None
    page = client.post_page(f"/admin/users/{coach.id}/delete", follow_redirects=True)
    assert flashes(page) == [
        f"cora ne peut pas être supprimé{NBSP}: formateur référent de 2 sessions{NBSP}: "
        f"Alpha, Beta. Désactivez plutôt le compte{NBSP}: la personne ne pourra plus se "
        "connecter et son historique est conservé."]


def test_a_course_its_assignments_and_its_deletion_in_french(client, world):
    speaks(world["admin"], "fr")
    course = db.session.query(Course).one()
    page = client.get_page(f"/admin/courses/{course.id}")
    assert page.select_one("h1").text == "Cours PY101"
    assert page.select_one("#assignments-heading").text == "Devoirs"
    assert "Aucun devoir pour l’instant." in page.text
    assert submit_button(page).text == "Enregistrer"
    assert page.select_one(".breadcrumb a").text == "Tous les cours"
    assert page.find("a", string="Supprimer ce cours…") is not None

    refused = client.post_page(f"/admin/courses/{course.id}/assignments/new",
                               {"title": "", "max_score": "abc"}, status=422)
    assert refused.select_one("h1").text == "Nouveau devoir dans PY101"
    assert errors(refused) == {"title": "Saisissez un titre.",
                               "max_score": "Saisissez un nombre entier de 1 à 1000."}

    for n in range(7):
        add_course(make_session(world["coach"], f"Session {n}"), code="PY101")
    confirm = client.get_page(f"/admin/courses/{course.id}/delete")
    assert confirm.select_one("h1").text == f"Supprimer le cours PY101{NBSP}?"
    assert [li.text for li in confirm.select("ul.reasons li")] == [
        f"il est utilisé dans 7 sessions{NBSP}: Session 0, Session 1, Session 2, Session 3, "
        "Session 4 et 2 autres"]
    page = client.post_page(f"/admin/courses/{course.id}/delete", follow_redirects=True)
    assert flashes(page)[0].startswith(f"Le cours PY101 ne peut pas être supprimé{NBSP}: ")
    assert flashes(page)[0].endswith("Retirez-le d’abord de ces sessions.")


def test_a_class_and_its_members_in_french(client, world):
    speaks(world["admin"], "fr")
    user_class = db.session.query(UserClass).one()
    page = client.get_page(f"/admin/classes/{user_class.id}")
    assert page.select_one("h1").text == "Classe Sales team"
    assert page.select_one("#members-heading").text == "Membres"
    assert page.select_one("p.linked").text == "Liée à aucune session."
    assert page.select_one("label[for=username]").text == "Ajouter un membre"

    page = client.post_page(f"/admin/classes/{user_class.id}/members",
                            {"username": "nobody"}, status=422)
    assert errors(page) == {"username": (
        "Aucun utilisateur n’a le nom d’utilisateur nobody. Saisissez quelques lettres et "
        "choisissez une personne dans la liste.")}
    page = client.post_page(f"/admin/classes/{user_class.id}/members", {"username": "lea"},
                            follow_redirects=True)
    assert flashes(page) == ["Lea Learner (lea) ajouté(e) à Sales team."]


def test_the_dashboard_in_french(client, world):
    speaks(world["admin"], "fr")
    make_session(world["coach"], "Spring", starts_in=2, ends_in=20)
    page = client.get_page("/admin/")
    assert page.select_one("h1").text == "Tableau de bord"
    tiles = [" ".join(a.get_text(" ").split()) for a in page.select(".status-counts a")]
    assert tiles == ["0 Active", "1 À venir", "0 Passées", "1 Toutes les sessions"]
    assert text(page.select_one("#starting-title")) == "Commencent dans les 7 prochains jours (1)"
    assert page.select_one("#starting .dash-when").text.startswith("à partir du ")
    assert [p.text for p in page.select(".dashboard-grid .none")] == [
        "Aucune session ne se termine dans les 7 prochains jours.",
        "Chaque session en cours ou à venir a un formateur actif.",
        "Aucune inscription n’a été importée ces 30 derniers jours.",
        "Chaque message a été remis ou est en cours d’envoi."]
    assert text(page.select_one("#imports-title")) == "Imports récents (30 derniers jours)"


def test_api_tokens_in_french(client, world):
    speaks(world["admin"], "fr")
    page = client.get_page("/admin/api-tokens")
    assert page.select_one("h1").text == "Jetons d’API"
    assert text(page.select_one(".empty-tab")) == (
        "Aucun jeton pour l’instant. Créez le premier pour une intégration.")
    page = client.post_page("/admin/api-tokens/new",
                            {"name": "", "expires_on": "2020-01-01"}, status=422)
    assert page.select_one("h1").text == "Nouveau jeton d’API"
    assert page.select_one("[role=alert]").text == (
        f"Certains champs demandent votre attention{NBSP}: voir les messages ci-dessous.")
    assert page.select_one("legend").text == "Ce qu’il peut faire"
    assert "Lire les sessions, leurs cours, formateurs et accès" in page.text
    assert errors(page) == {
        "name": "Donnez un nom au jeton (l’intégration qui l’utilisera).",
        "scopes": "Choisissez au moins une chose que le jeton peut faire.",
        "expires_on": "Choisissez un jour après aujourd’hui.",
    }
    page = client.post_page("/admin/api-tokens/new", {
        "name": "HR", "scopes": ["users:read"], "expires_on": "2027-01-31"})
    assert page.select_one("h1").text == f"Jeton «{NBSP}HR{NBSP}» créé"
    assert "Authorization: Bearer <token>" in page.select_one("code").text
    listed = client.get_page("/admin/api-tokens")
    assert listed.select_one(".badge").text == "Actif"
    assert [th.text for th in listed.select("th")][:3] == ["Nom", "Propriétaire", "Droits"]


def test_the_session_list_in_french(client, world):
    speaks(world["admin"], "fr")
    make_session(world["coach"], "Spring", duration_days=5)
    page = client.get_page("/admin/sessions")
    heads = [th.get_text(" ", strip=True) for th in page.select("table.session-list th")]
    assert heads == ["Nom de la session ▲", "Catégorie", "Affichage", "Accès", "Cours",
                     "Apprenants", "Statut", "Actions"]
    assert page.select_one("caption").text == (
        "Sessions, triées par Nom de la session (ordre croissant)")
    assert page.select_one("td.col-dates + td.col-dates").text == "5 jours par apprenant"
    assert text(page.select_one(".list-export")).startswith(
        "Exporter CSV ( séparé par des virgules ) · Excel")
    empty = client.get_page("/admin/sessions?q=zzz")
    assert empty.select_one("p.empty").text == "Aucune session ne correspond à ces filtres."


def test_categories_in_spanish(client, world):
    speaks(world["admin"], "es")
    category = db.session.query(SessionCategory).one()
    page = client.get_page("/admin/categories")
    assert page.select_one("html")["lang"] == "es"
    assert page.select_one("h1").text == "Categorías de sesiones"
    assert [th.text for th in page.select("#results th")] == ["Nombre", "Sesiones"]
    page = client.post_page("/admin/categories/new", {"name": "Onboarding"}, status=422)
    assert errors(page) == {"name": "Ya existe una categoría llamada Onboarding."}
    make_session(world["coach"], "One", category_id=category.id)
    confirm = client.get_page(f"/admin/categories/{category.id}/delete")
    assert confirm.select_one("h1").text == "¿Eliminar la categoría Onboarding?"
    assert "Onboarding no se puede eliminar: la usa 1 sesión." in confirm.text
    page = client.post_page(f"/admin/categories/{category.id}/delete", follow_redirects=True)
    assert flashes(page) == ["La categoría Onboarding no se puede eliminar: la usa 1 sesión. "
                             "Muévala primero a otra categoría."]


def test_domain_messages_in_french(world):
    coach = world["coach"]
    make_session(coach, "Alpha")
    with speaking("fr"):
        assert role_change_problem(db.session, coach, "learner") == (
            f"cora est formateur de 1 session{NBSP}; seul un enseignant ou un administrateur "
            f"peut être formateur. Choisissez d’abord un autre formateur pour celle-ci.")
        with pytest.raises(tokens.TokenError) as refused:
            tokens.check_token_values("x" * 101, [], date(2028, 1, 1), date(2026, 11, 29))
        assert refused.value.errors == {
            "name": "100 caractères au plus.",
            "scopes": "Choisissez au moins une chose que le jeton peut faire.",
            "expires_on": (f"Un jeton est valable 366 jours au plus{NBSP}: choisissez un jour "
                           "plus proche."),
        }
        assert usage_reasons(CourseUsage(["A"], 1, 3)) == [
            f"il est utilisé dans 1 session{NBSP}: A", "ses devoirs ont 3 rendus"]
        assert str(tokens.SCOPES["users:read"]) == "Rechercher et lire les utilisateurs"
    assert str(tokens.SCOPES["users:read"]) == "Search and read users"
