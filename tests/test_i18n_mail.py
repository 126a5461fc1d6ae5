"""E-mails, the outbox, passwords, the profile and the calendar feed in French (and in
Spanish): every kind of message a French recipient gets reads in French (subject, text
and html parts, footer, unsubscribe link, invitation), the outbox in its reader's
language, password advice and link problems, the profile and its refused forms (422)."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar
from sqlalchemy import select

from portal import clock, mailer
from portal.domain import enrolment, grading, journal, logins, notify, password_links, sessions
from portal.domain.language import speaking
from portal.domain.passwords import NO_PASSWORD, password_problem
from portal.extensions import db
from portal.models import (
    Assignment,
    OutboxMessage,
    Submission,
)
from tests.conftest import TEST_PASSWORD
from tests.test_messages import spring_world

NBSP = "\u00a0"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
# Words of the English templates and subjects that no French message may show.
ENGLISH = re.compile(r"\b(Hello|Your|your|the|The|Stop these|Open the|times in|Access|"
                     r"Courses|coach|Session portal|hand-in|enrolled|graded|password)\b")


@pytest.fixture
def spring(make_user):
    return spring_world(make_user, language="fr")


def messages(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def deliver(now, cache=None):
    for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        if message.status == "queued" and message.next_try_at <= now:
            notify.render(db.session, message, now=now, cache=cache)
            message.status, message.sent_at = "sent", now
    db.session.commit()


def html_text(message) -> str:
    return re.sub(r"[ \t\r\n]+", " ", BeautifulSoup(message.html_body, "html.parser").get_text())


def assert_french(message):
    """Nothing English left in the subject, the text part or the html part's text."""
    for part in (message.subject, message.text_body, html_text(message)):
        assert ENGLISH.search(re.sub(r"http\S+", "", part)) is None, part
    assert "Portail des sessions" in message.text_body
    assert "Portail des sessions" in html_text(message)


def welcome(spring):
    enrolment.enrol_users(db.session, spring["session"].id, [spring["lea"].id],
                          by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver(NOW)
    return messages(notify.WELCOME)[0]


def test_the_welcome_message_in_french(spring):
    message = welcome(spring)
    assert message.subject == "Bienvenue dans Spring"
    text = message.text_body
    assert text.startswith("Bonjour Léa,\n")
    assert f"Vous êtes inscrit à la session de formation «{NBSP}Spring{NBSP}»." in text
    assert (f"Accès{NBSP}: 4 janv. à 09:00 – 1 févr. 2027 (heures de Europe/Paris)") in text
    assert f"Cours{NBSP}:\n" in text and "SP-1 Basics" in text
    assert f"Formateur référent{NBSP}: Cora Coach" in text
    assert f"Ouvrir la session{NBSP}: http://" in text
    assert "L’invitation jointe ajoute vos dates d’accès à votre calendrier." in text
    assert f"Ne plus recevoir ces messages{NBSP}: http://" in text
    page = BeautifulSoup(message.html_body, "html.parser")
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("strong").text == "Spring"
    assert [a.text for a in page.select("a")][-1] == "Ne plus recevoir ces messages"
    assert "Ouvrir la session" in [a.text for a in page.select("a")]
    assert_french(message)
    invitation = Calendar.from_ical(message.ics)
    [event] = invitation.walk("VEVENT")
    assert event["ORGANIZER"].params["CN"] == "Portail des sessions"
    assert str(event["DESCRIPTION"]).startswith(f"Votre accès à la session «{NBSP}Spring")


def test_a_batch_writes_each_invitation_in_its_recipients_language(spring, make_user):
    """One invitation file is shared by a batch's recipients: not across languages."""
    ben = make_user("ben", first_name="Ben", timezone="Europe/Paris")
    enrolment.enrol_users(db.session, spring["session"].id, [spring["lea"].id, ben.id],
                          by=journal.SYSTEM, now=NOW)
    db.session.commit()
    batch = list(db.session.scalars(select(OutboxMessage)))
    cache = notify.RenderCache()
    cache.prepare(db.session, batch)
    deliver(NOW, cache)
    by_user = {m.user_id: m for m in messages(notify.WELCOME)}
    assert "Votre accès à la session" in by_user[spring["lea"].id].ics
    assert "Your access to the session" in by_user[ben.id].ics
    assert by_user[ben.id].subject == "Welcome to Spring"


def test_new_dates_and_a_cancelled_invitation_in_french(spring):
    s, lea = spring["session"], spring["lea"]
    welcome(spring)
    sessions.update_session(db.session, s, {"access_end": datetime(2027, 2, 3, 23, 0,
                                                                  tzinfo=UTC)},
                            expected_version=s.version, by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver(NOW + timedelta(minutes=11))
    [changed] = messages(notify.DATES_CHANGED)
    assert changed.subject == f"Spring{NBSP}: nouvelles dates"
    assert "Les dates de la session de formation «" in changed.text_body
    assert f"Votre accès désormais{NBSP}: 4 janv. à 09:00 – 3 févr. 2027" in changed.text_body
    assert "L’invitation jointe met à jour l’événement dans votre calendrier." in html_text(
        changed)
    assert_french(changed)

    enrolment.unenrol_user(db.session, s.id, lea.id, by=journal.SYSTEM,
                           now=NOW + timedelta(days=1))
    db.session.commit()
    deliver(NOW + timedelta(days=1))
    [cancelled] = messages(notify.INVITATION_CANCELLED)
    assert cancelled.subject == f"Spring{NBSP}: vous n’êtes plus inscrit"
    assert (f"Vous n’êtes plus inscrit à la session de formation «{NBSP}Spring{NBSP}»."
            in cancelled.text_body)
    assert "L’annulation jointe retire son événement de votre calendrier." in html_text(
        cancelled)
    assert_french(cancelled)


def test_the_grade_released_message_in_french(spring):
    s, lea, course = spring["session"], spring["lea"], spring["course"]
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    assignment = Assignment(course_id=course.id, title="Essai", max_score=20)
    db.session.add(assignment)
    db.session.flush()
    submission = Submission(session_id=s.id, assignment_id=assignment.id, user_id=lea.id,
                            answer="Le mien")
    db.session.add(submission)
    db.session.commit()
    grading.save_grade(db.session, submission, Decimal("17"), "Bien",
                       by=journal.Actor(spring["coach"].id, "Cora Coach"), now=NOW)
    db.session.commit()
    deliver(NOW)
    [released] = messages(notify.GRADE_RELEASED)
    assert released.subject == f"Spring{NBSP}: votre travail a été noté"
    assert (f"Votre rendu «{NBSP}Essai{NBSP}» dans Basics (Spring) a été noté."
            in released.text_body)
    assert "Voir votre note et le retour du formateur" in [
        a.text for a in BeautifulSoup(released.html_body, "html.parser").select("a")]
    assert_french(released)


def test_the_reminders_in_french(spring):
    s, lea, coach, course = spring["session"], spring["lea"], spring["coach"], spring["course"]
    s.remind_days_before_end = 3
    s.coach_end, s.coach_remind_days_before_end = s.access_end, 3
    assignment = Assignment(course_id=course.id, title="Essai", max_score=20)
    db.session.add(assignment)
    db.session.commit()
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.add(Submission(session_id=s.id, assignment_id=assignment.id, user_id=lea.id,
                              answer="Le mien"))
    db.session.commit()
    deliver(NOW)
    at = s.access_end - timedelta(days=3)
    notify.run_schedule(db.session, now=at)
    db.session.commit()
    deliver(at)
    [reminder] = messages(notify.REMINDER)
    assert reminder.subject == f"Spring{NBSP}: votre accès prend bientôt fin"
    assert (f"Votre accès à la session de formation «{NBSP}Spring{NBSP}» prend fin dans "
            f"3 jours{NBSP}: 1 févr. 2027 est votre dernier jour (heures de Europe/Paris)."
            in reminder.text_body)
    assert f"Rendez ce qui est encore ouvert d’ici là{NBSP}: http://" in reminder.text_body
    assert "Rendez ce qui est encore ouvert d’ici là." in html_text(reminder)
    assert_french(reminder)

    [to_coach] = messages(notify.COACH_REMINDER)
    assert to_coach.to_address == coach.email
    assert to_coach.subject == f"Spring{NBSP}: 1 rendu à noter"
    assert "Votre accès de formateur à «" in to_coach.text_body
    assert f"1 rendu de vos cours attend une note{NBSP}: http://" in to_coach.text_body
    assert f"1 rendu de vos cours attend une note{NBSP}: ouvrir la session." in html_text(
        to_coach)
    assert_french(to_coach)


def test_the_set_password_message_in_french(spring):
    lea = spring["lea"]
    lea.password_hash = NO_PASSWORD
    db.session.commit()
    notify.queue_set_password_links(db.session, [lea.id], now=NOW)
    db.session.commit()
    deliver(NOW)
    [message] = messages(notify.SET_PASSWORD)
    assert message.subject == "Choisissez votre mot de passe pour le portail des sessions"
    text = message.text_body
    assert "Un compte a été créé pour vous sur le portail des sessions." in text
    assert f"Nom d’utilisateur{NBSP}: lea" in text
    assert f"Choisissez votre mot de passe ici{NBSP}:" in text
    assert ("Le lien fonctionne une seule fois et pendant 7 jours, jusqu’au 6 déc. 2026 à "
            "13:00 (heures de Europe/Paris).") in text
    assert "Choisissez votre mot de passe" in [
        a.text for a in BeautifulSoup(message.html_body, "html.parser").select("a")]
    assert_french(message)


def test_a_spanish_welcome_message(spring):
    spring["lea"].language = "es"
    db.session.commit()
    message = welcome(spring)
    assert message.subject == "Bienvenido a Spring"
    assert message.text_body.startswith("Hola, Léa:\n")
    assert "Está inscrito en la sesión de formación «Spring»." in message.text_body
    assert "Tutor de la sesión: Cora Coach" in message.text_body
    assert "Dejar de recibir estos mensajes" in html_text(message)


# --- the outbox ---------------------------------------------------------------------


@pytest.fixture
def outbox_admin(client, make_user, frozen_now):
    make_user("ada", role="admin", first_name="Ada", last_name="Admin", language="fr")
    client.login("ada")
    return client


def add_message(status, last_error="", kind=notify.WELCOME):
    message = OutboxMessage(kind=kind, idempotency_key=f"{kind}:{status}:{last_error}",
                            message_id=f"<{status}@example.org>", status=status, tries=1,
                            next_try_at=NOW, created_at=NOW, to_address="bob@example.org",
                            subject="", text_body="", html_body="", last_error=last_error)
    db.session.add(message)
    db.session.commit()
    return message


def test_the_outbox_in_french(outbox_admin):
    add_message("cancelled", notify.TURNED_OFF)
    add_message("failed", "550 5.1.1 No such mailbox")
    add_message("queued", mailer.NO_STARTTLS)
    page = outbox_admin.get_page("/admin/outbox")
    assert page.select_one("h1").text == "Boîte d’envoi"
    assert [o.text for o in page.select("#status option")] == [
        "Tous les statuts", "En attente", "En cours d’envoi", "Envoyé", "Échec", "Non envoyé"]
    assert page.select_one("#kind option").text == "Tous les types"
    assert "Bienvenue à l’inscription" in [o.text for o in page.select("#kind option")]
    assert [th.text for th in page.select("thead th")] == [
        "Message", "Destinataire", "Session", "Statut", "Mis en file"]
    errors = [e.text for e in page.select("small.error")]
    assert "Le destinataire a désactivé ces messages." in errors
    assert "550 5.1.1 No such mailbox" in errors  # the server's own words
    assert (f"Le serveur SMTP ne propose pas STARTTLS{NBSP}; le mot de passe n’est pas "
            "envoyé en clair.") in errors
    assert "essai n° 2" in page.select_one(".col-status").parent.parent.text

    empty = outbox_admin.get_page("/admin/outbox?status=sending")
    assert "Aucun message ne correspond à ces filtres." in empty.text


def test_an_outbox_message_and_sending_it_again_in_french(outbox_admin):
    message = add_message("cancelled", notify.UNENROLLED)
    page = outbox_admin.get_page(f"/admin/outbox/{message.id}")
    assert page.select_one("h1").text == "Bienvenue à l’inscription"
    assert page.select_one(".flash-error").text == "L’apprenant n’est plus inscrit."
    assert page.select_one("#headers-title").text == "En-têtes"
    assert [dt.text for dt in page.select("dt")][:2] == ["Destinataire", "Objet"]
    assert "(rédigé à l’envoi)" in page.text
    assert page.select_one("form[action$=retry] button").text == "Le renvoyer maintenant"
    outbox_admin.post(f"/admin/outbox/{message.id}/retry")
    page = outbox_admin.get_page(f"/admin/outbox/{message.id}")
    assert (f"Le message est en attente{NBSP}: le service d’envoi l’envoie dans la minute."
            in page.select_one(".flash").text)


def test_the_worker_and_mailer_reasons_in_french():
    with speaking("fr"):
        assert str(notify.REASONS[notify.NOTHING_TO_GRADE]) == "Il ne reste rien à noter."
        assert mailer.failure_text(f"{mailer.DISCONNECTED}timed out") == (
            f"Le serveur de messagerie a coupé la connexion{NBSP}: timed out")
        assert mailer.failure_text("451 4.7.1 Try later") is None


# --- passwords, logins, the profile ---------------------------------------------------


def test_password_advice_in_french_and_spanish():
    with speaking("fr"):
        assert password_problem("short") == "Utilisez au moins 10 caractères."
        assert password_problem("password1234") == (
            "C’est un mot de passe très courant. Ajoutez un ou deux mots. Les mots peu "
            "courants sont meilleurs.")
        advice = password_problem("zoe.quinn@example.org", ["zoe.quinn@example.org"])
        assert advice.startswith("Ce mot de passe est facile à deviner.")
        assert re.search(r"[A-Za-z]+ (is|are|the|word)\b", advice) is None
    with speaking("es"):
        assert password_problem("password1234").startswith("Es una contraseña muy común.")


def test_logins_in_french_words():
    with speaking("fr"):
        assert logins.duration_words(timedelta(hours=8)) == "8 heures"
        assert logins.duration_words(timedelta(seconds=1)) == "1 seconde"
        assert logins.describe_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") == (
            "Firefox sous Linux")
        assert logins.describe_agent("") == "Un navigateur inconnu"


@pytest.fixture
def lea_fr(client, make_user, frozen_now):
    lea = make_user("lea", first_name="Lea", last_name="Learner", language="fr")
    client.login("lea")
    return lea


def test_the_profile_in_french(client, lea_fr):
    page = client.get_page("/profile")
    assert page.select_one("h1").text == "Profil"
    assert [h.text for h in page.select("h2")] == [
        "Vos informations", "Langue", "Fuseau horaire", "Notifications", "Mot de passe",
        "Calendrier"]
    assert page.select_one("legend").text == "M’envoyer un e-mail"
    assert (page.select_one("label[for=kind-welcome]").text.strip()
            == "Quand je suis inscrit à une session de formation")
    assert page.select_one("label[for=current_password]").text == "Mot de passe actuel"
    assert "Le fuseau du portail" in page.select_one("#timezone")["placeholder"]
    assert page.select_one("#logins-title").text == "Où vous êtes connecté"
    assert "cet appareil" in page.select_one("#logins").text
    assert "Un navigateur inconnu" in page.select_one("#logins dt").text


def test_a_refused_password_change_in_french(client, lea_fr):
    page = client.post_page("/profile/password", {
        "current_password": "", "new_password": "password1234",
        "confirm_password": "password1235"}, status=422)
    assert page.select_one("#current_password-error").text == (
        "Saisissez votre mot de passe actuel.")
    assert page.select_one("#confirm_password-error").text == (
        "Les deux nouveaux mots de passe diffèrent.")
    page = client.post_page("/profile/password", {
        "current_password": TEST_PASSWORD, "new_password": "password1234",
        "confirm_password": "password1234"}, status=422)
    assert page.select_one("#new_password-error").text.startswith(
        "C’est un mot de passe très courant.")
    page = client.post_page("/profile/password", {
        "current_password": "wrong one", "new_password": "quartz xylophone meadow",
        "confirm_password": "quartz xylophone meadow"}, status=422)
    assert page.select_one("#current_password-error").text == (
        "Ce n’est pas votre mot de passe actuel.")


def test_profile_messages_in_french(client, lea_fr):
    response = client.post("/profile/notifications", data={"kinds": [notify.REMINDER]})
    page = client.get_page(response.headers["Location"])
    assert page.select_one(".flash").text == "Votre choix de messages est enregistré."
    client.post("/profile/timezone", data={"timezone": "Asia/Tokyo"})
    page = client.get_page("/profile")
    assert page.select_one(".flash").text == (
        "Les heures sont désormais affichées dans le fuseau Asia/Tokyo.")


def test_the_profile_in_spanish(client, lea_fr):
    lea_fr.language = "es"
    db.session.commit()
    page = client.get_page("/profile")
    assert page.select_one("h1").text == "Perfil"
    assert page.select_one("#password-title").text == "Contraseña"
    assert page.select_one("#logins-title").text == "Dónde ha iniciado sesión"
    client.post("/profile/timezone", data={"timezone": "Asia/Tokyo"})
    page = client.get_page("/profile")
    assert page.select_one(".flash").text == "Las horas se muestran ahora en Asia/Tokyo."


def test_the_personal_calendar_is_named_in_its_owners_language(client, lea_fr):
    url = client.get_page("/profile").select_one("#feed-url")["value"]
    client.logout()
    calendar = Calendar.from_ical(client.get(url.removeprefix("http://localhost")).data)
    assert str(calendar["X-WR-CALNAME"]) == "Sessions de Lea Learner"


# --- the set-password page ------------------------------------------------------------

FRENCH = {"Accept-Language": "fr"}


@pytest.fixture
def zoe(make_user, frozen_now):
    user = make_user("zoe.quinn", first_name="Zoe", last_name="Quinn")
    user.password_hash = NO_PASSWORD
    db.session.commit()
    return user


def link(app, user) -> str:
    token = password_links.make_token(user, secret_key=app.config["SECRET_KEY"],
                                      now=clock.now())
    return f"/set-password/{token}"


def test_the_set_password_page_in_french(app, client, zoe):
    url = link(app, zoe)
    page = client.get_page(url, headers=FRENCH)
    assert page.select_one("h1").text == "Choisissez votre mot de passe"
    assert page.select_one("label[for=password]").text == "Nouveau mot de passe"
    assert page.select_one("button[type=submit]").text == (
        "Enregistrer mon mot de passe et me connecter")
    page = client.post_page(url, {"password": "quartz xylophone meadow", "repeat": "other"},
                            status=422, headers=FRENCH)
    assert page.select_one("#password-error").text == (
        f"Les deux mots de passe diffèrent{NBSP}: saisissez deux fois le même mot de passe.")
    page = client.post_page(url, {"password": "", "repeat": ""}, status=422, headers=FRENCH)
    assert page.select_one("#password-error").text == "Choisissez un mot de passe."


def test_a_link_that_no_longer_works_in_french(app, client, zoe, frozen_now):
    url = link(app, zoe)
    frozen_now(clock.now() + password_links.LIFETIME + timedelta(minutes=1))
    response = client.get(url, headers=FRENCH)
    page = BeautifulSoup(response.data, "html.parser")
    assert response.status_code == 410
    assert page.select_one("h1").text == "Ce lien ne fonctionne pas"
    assert page.select_one("[role=alert]").text == (
        f"Ce lien a expiré{NBSP}: les liens fonctionnent pendant 7 jours. Demandez-en un "
        "nouveau à un administrateur du portail.")
    assert page.select_one("article a").text == "Aller à la page de connexion"


def test_the_unsubscribe_page_speaks_its_persons_language(client, lea_fr):
    client.logout()
    url = f"/unsubscribe/{notify.unsubscribe_token(lea_fr.id, notify.WELCOME)}"
    page = client.get_page(url)  # no login, no French browser: Léa's own language
    assert page.select_one("html")["lang"] == "fr"
    assert page.select_one("article p").text == (
        f"Ne plus recevoir les messages «{NBSP}quand je suis inscrit à une session de "
        f"formation{NBSP}»{NBSP}?")
    page = client.post_page(url)
    assert page.select_one("[role=status]").text.startswith(f"C’est fait{NBSP}: vous ne")
