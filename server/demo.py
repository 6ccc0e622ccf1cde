"""Demo content: three communities, their people and about thirty stories.

Safe to run more than once: accounts and communities are matched by name, stories by a
fixed UUID (uuid5), so a second run finds everything in place and changes nothing.
"""
import uuid
from datetime import timedelta

from sqlalchemy import select

from .accounts.auth import hash_password
from .accounts.models import ROLE_FACILITATOR, ROLE_PARTICIPANT, Account, Membership
from .communities.models import Community
from .database import write_transaction
from .extensions import db
from .revisions import RevisionBlock
from .stories import service as stories
from .stories.models import Story
from .stories.schema import validate_content
from .timeutil import utcnow

DEMO_PASSWORD = "kultialogo-demo"
_NS = uuid.UUID("5d1c3a52-8f0e-4a47-9a43-1c0d4b7e2a11")

COMMUNITIES = [
    ("siena", {"en": "Siena", "it": "Siena", "ar": "سيينا"}, "it",
     "Due Ponti Islamic Centre and neighbours, Siena."),
    ("belgrade", {"en": "Belgrade", "it": "Belgrado", "ar": "بلغراد"}, "sr",
     "Newcomers and hosts in Belgrade."),
    ("utrecht", {"en": "Utrecht", "it": "Utrecht", "ar": "أوترخت"}, "nl",
     "Storytelling circle in Utrecht."),
]

# username, display name, community, role
PEOPLE = [
    ("giulia", "Giulia Ferri", "siena", ROLE_FACILITATOR),
    ("amina", "Amina", "siena", ROLE_PARTICIPANT),
    ("yusuf", "Yusuf", "siena", ROLE_PARTICIPANT),
    ("marco", "Marco", "siena", ROLE_PARTICIPANT),
    ("milica", "Milica Jovanović", "belgrade", ROLE_FACILITATOR),
    ("oksana", "Oksana", "belgrade", ROLE_PARTICIPANT),
    ("farid", "Farid", "belgrade", ROLE_PARTICIPANT),
    ("sanne", "Sanne de Vries", "utrecht", ROLE_FACILITATOR),
    ("daniel", "Daniel", "utrecht", ROLE_PARTICIPANT),
    ("layla", "Layla", "utrecht", ROLE_PARTICIPANT),
]

# author, community, language, visibility, status, title, body
STORIES = [
    ("amina", "siena", "ar", "public", "published", "أول شتاء في سيينا",
     "وصلنا في نوفمبر، وكان البرد جديدًا علينا. جارتنا الإيطالية طرقت الباب ومعها بطانيتان وقالت: «هذا من أجل الأطفال». لم نفهم كل كلماتها، لكننا فهمنا كل شيء."),
    ("yusuf", "siena", "ar", "public", "published", "الخبز الذي يجمعنا",
     "في المركز نخبز الخبز كل جمعة. يأتي الجيران ليتعلموا، ونتعلم منهم كلمات جديدة. الخبز لا يحتاج إلى ترجمة."),
    ("marco", "siena", "it", "public", "published", "La prima assemblea",
     "Eravamo quasi duecento al Centro Due Ponti. Non sapevo cosa aspettarmi, poi un bambino mi ha offerto un dattero e abbiamo parlato di calcio per mezz'ora."),
    ("giulia", "siena", "it", "public", "published", "Raccontare per conoscersi",
     "Nei laboratori di narrazione ognuno porta un oggetto da casa. Una chiave, una foto, un profumo. Da lì nascono storie che nessuno aveva mai chiesto di ascoltare."),
    ("amina", "siena", "ar", "community", "published", "مدرسة ابنتي",
     "أول يوم في المدرسة بكت ابنتي لأنها لم تفهم المعلمة. بعد شهر عادت تغني أغنية إيطالية. الوسيطة الثقافية ساعدتنا كثيرًا."),
    ("marco", "siena", "it", "community", "published", "Il doposcuola",
     "Il martedì aiuto i ragazzi con i compiti di matematica. Loro mi insegnano qualche parola di arabo: ormai so contare fino a venti."),
    ("yusuf", "siena", "en", "facilitators", "published", "About the housing office",
     "I want the facilitators to know that the housing office asked us for documents we do not have. Maybe the mediation service can help other families too."),
    ("amina", "siena", "it", "public", "pending", "Il mercato del sabato",
     "Al mercato la signora del banco delle verdure ora mi saluta per nome. Le ho portato dei biscotti al sesamo."),
    ("marco", "siena", "it", "public", "pending", "Campo estivo",
     "Al campo estivo abbiamo cucinato insieme: pasta al pomodoro e riso con le lenticchie. Nessuno ha lasciato niente nel piatto. "
     # Waiting for review with a (made-up) phone number: the review queue marks it and offers to remove it (#17).
     "Chi vuole cucinare con noi la prossima volta mi chiami al 333 765 4321."),
    ("yusuf", "siena", "ar", "community", "rejected", "رقم هاتفي",
     "هذه قصة فيها رقم هاتفي الكامل وعنوان بيتي."),
    ("oksana", "belgrade", "uk", "public", "published", "Дорога до Белграда",
     "Ми їхали три дні з двома валізами і котом. На кордоні волонтерка дала дітям теплий чай. Я досі пам'ятаю її усмішку."),
    ("oksana", "belgrade", "uk", "community", "published", "Мова, схожа на нашу",
     "Сербська мова здається знайомою, але слова часто означають інше. Я сказала «пивниця», а мене відправили в бар, а не в підвал."),
    ("farid", "belgrade", "fa", "public", "published", "چای و گفتگو",
     "هر پنجشنبه در مرکز چای می‌نوشیم و از شهرهایمان می‌گوییم. همسایه صرب ما حالا چای را با هل می‌نوشد."),
    ("milica", "belgrade", "sr", "public", "published", "Kafa kod komšija",
     "U našoj zgradi sada svake nedelje pijemo kafu zajedno. Oksana donosi kolače, Farid čaj, a ja slušam priče koje ranije nisam znala."),
    ("milica", "belgrade", "sr", "public", "published", "Radionica priča",
     "Na radionici smo pričali o prvom danu u novom gradu. Svi smo imali isti strah i istu radost, samo na različitim jezicima."),
    ("farid", "belgrade", "en", "public", "pending", "Learning to ride a bike",
     "My neighbour taught me to ride a bicycle along the Danube. I fell twice. Now I ride to my language course every morning."),
    ("oksana", "belgrade", "uk", "facilitators", "published", "Про роботу",
     "Хочу попросити допомоги з пошуком роботи. У мене диплом медсестри, але його тут не визнають."),
    ("farid", "belgrade", "fa", "community", "pending", "خانه جدید",
     "بالاخره یک آپارتمان کوچک پیدا کردیم. پنجره‌اش رو به رودخانه است."),
    ("daniel", "utrecht", "en", "public", "published", "Rain and bicycles",
     "Everyone told me it rains all the time in Utrecht. Nobody told me people cycle through it anyway, with umbrellas."),
    ("layla", "utrecht", "ar", "public", "published", "جدتي والطبخ",
     "علمتني جدتي أن الطعام ذاكرة. في أوترخت طبخت المقلوبة لجيراني الهولنديين، فأخبروني عن طبق جداتهم."),
    ("sanne", "utrecht", "nl", "public", "published", "Verhalen in de bibliotheek",
     "Elke maand vertellen nieuwkomers en buurtbewoners een verhaal in de bibliotheek. Vorige keer luisterden er zestig mensen."),
    ("daniel", "utrecht", "en", "community", "published", "My first Dutch sentence",
     "My first full Dutch sentence was at the bakery: 'Mag ik twee broodjes, alstublieft?' The baker clapped."),
    ("layla", "utrecht", "ar", "community", "published", "دروس اللغة",
     "اللغة الهولندية صعبة، لكن المعلمة صبورة. نضحك كثيرًا عندما نخطئ في النطق."),
    ("sanne", "utrecht", "en", "public", "published", "Why we listen",
     "We started the storytelling circle because people kept saying nobody asked about their lives before they arrived. Now we ask."),
    ("daniel", "utrecht", "en", "public", "pending", "The canal in winter",
     "Last winter the canal froze for two days and the whole neighbourhood went skating. I borrowed skates from a stranger."),
    ("layla", "utrecht", "ar", "public", "pending", "صديقتي الجديدة",
     "تعرفت على صديقة في الحديقة. أطفالنا يلعبون معًا ونحن نتعلم لغة بعضنا."),
    ("sanne", "utrecht", "nl", "facilitators", "published", "Planning zomerkamp",
     "Voor het zomerkamp hebben we nog twee begeleiders nodig die Arabisch of Dari spreken."),
    ("giulia", "siena", "en", "public", "published", "What the assembly taught us",
     "At the January assembly families told us what they need: help with school forms, a place for teenagers, and more evenings like this one."),
    ("marco", "siena", "it", "public", "published", "La partita di calcio",
     "Sabato abbiamo giocato una partita: siriani, senegalesi e senesi mescolati. Nessuno ricorda il risultato."),
    ("oksana", "belgrade", "en", "public", "published", "A letter to my old street",
     "Dear street, I miss your chestnut trees. Belgrade has them too. I think you would like each other."),
]


def demo_story_id(n: int) -> uuid.UUID:
    story_id = uuid.uuid5(_NS, f"demo-story-{n}")
    # uuid5 ids are version 5; the contract asks clients for v4/v7, so mark them v4.
    return uuid.UUID(bytes=story_id.bytes[:6] + bytes([0x40 | (story_id.bytes[6] & 0x0F)]) + story_id.bytes[7:])


def _account(username, display_name, is_admin=False, password_hash=None):
    account = db.session.scalar(select(Account).where(Account.username == username))
    if account is None:
        account = Account(username=username, display_name=display_name, is_admin=is_admin,
                          password_hash=password_hash)
        db.session.add(account)
        db.session.flush()
    return account


def load_demo(reset: bool = False) -> str:
    """Create the demo data; returns a summary that says how to sign in."""
    password_hash = hash_password(DEMO_PASSWORD)  # hash once: argon2 is slow on purpose
    with write_transaction():
        if reset:
            for story in db.session.scalars(select(Story)):
                db.session.delete(story)
            db.session.flush()
        communities = {}
        for slug, names, language, description in COMMUNITIES:
            community = db.session.scalar(select(Community).where(Community.slug == slug))
            if community is None:
                community = Community(slug=slug, names=names, default_language=language, description=description)
                db.session.add(community)
                db.session.flush()
            communities[slug] = community
        admin = _account("admin", "Site admin", is_admin=True, password_hash=password_hash)
        people = {}
        for username, display_name, slug, role in PEOPLE:
            account = _account(username, display_name, password_hash=password_hash)
            if account.role_in(communities[slug].id) is None:
                # Joined over the last ten weeks (the dashboard's "people who joined").
                joined = utcnow() - timedelta(days=(len(people) * 8) % 75, hours=len(people))
                account.memberships.append(Membership(community_id=communities[slug].id, role=role, created_at=joined))
                db.session.flush()
            people[username] = account

        from .events.demo import load_events  # late: each domain's demo loads only when the demo is loaded
        new_events, told_at = load_events(communities, people, admin)

        revs = RevisionBlock(db.session)
        cache = stories.Communities()
        created = 0
        now = utcnow()
        for n, (author, slug, language, visibility, status, title, body) in enumerate(STORIES):
            story_id = demo_story_id(n)
            content = validate_content({"title": title, "body": body, "language": language, "community": slug,
                                        "visibility": visibility, "author_display": "name" if n % 3 else "pseudonym",
                                        "event": told_at.get(title)})
            with db.session.begin_nested():
                outcome = stories.upsert(people[author], story_id, content, revs=revs, communities=cache)
            if outcome.result == stories.CREATED:
                created += 1
                story = db.session.get(Story, story_id)  # the row itself (upsert answers with the values)
                # Spread over the last eleven weeks, so the dashboard has something to show.
                story.received_at = story.updated_at = now - timedelta(days=(n * 5) % 77, hours=n)
                if story.status != status:
                    story.status = status
                    story.ever_published = status == "published"
                    if status == "rejected":
                        story.moderation_reason = "Please remove your phone number and address."
                    story.revision = revs.next()
        revs.flush()
    # Reported stories (one in the reports queue, one hidden by reports) and reasons.
    from .moderation.demo import load_moderation  # late: as load_events above
    load_moderation(people, {slug: people[u] for u, _n, slug, role in PEOPLE if role == ROLE_FACILITATOR})
    # A story told by voice alone and one with a photo.
    from .media.demo import load_media  # late: as load_events above
    load_media(people, {slug: people[u] for u, _n, slug, role in PEOPLE if role == ROLE_FACILITATOR})
    # Stories read in several languages (an Arabic story in Italian and English), one waiting.
    from .translations.demo import load_translations  # late: as load_events above
    load_translations(people, demo_story_id)
    # A mediator in Siena, and a mother's request about school enrolment, answered.
    from .help.demo import load_help  # late: as load_events above
    load_help(people, communities)
    # Replies and reactions under the first stories, one reply waiting for review.
    from .replies.demo import load_replies  # late: as load_events above
    load_replies(people, demo_story_id)
    return (f"Demo content ready: {created} new stories ({len(STORIES)} in the demo), {new_events} new events.\n"
            + accounts_table())


def accounts_table() -> str:
    """The demo accounts and their roles, to sign in with (printed by `kultialogo demo` and
    `kultialogo run --demo`)."""
    rows = [("admin", "site admin")] + [(u, f"{role} in {c}") for u, _, c, role in PEOPLE]
    width = max(len(u) for u, _ in rows)
    return "\n".join([f"Demo accounts, all with the password {DEMO_PASSWORD}:"]
                     + [f"  {u.ljust(width)}  {what}" for u, what in rows])
