"""Demo translations: stories read in several languages, one translation waiting for review.

Written through the service (translations.service.put), so the author's and facilitators'
are published at once and a participant's waits in Milica's review queue. Safe to run again:
the same text again is "unchanged".
"""
import uuid

from ..errors import Problem
from .service import CREATED, put

# (index of the story in demo.STORIES, translator, language, title, body)
TRANSLATIONS = [
    (0, "giulia", "it", "Il primo inverno a Siena",
     "Siamo arrivati a novembre e il freddo era nuovo per noi. La nostra vicina italiana ha bussato alla porta "
     "con due coperte e ha detto: «Queste sono per i bambini». Non abbiamo capito tutte le sue parole, ma abbiamo "
     "capito tutto."),
    (0, "amina", "en", "First winter in Siena",
     "We arrived in November, and the cold was new to us. Our Italian neighbour knocked on the door with two "
     "blankets and said: \"These are for the children.\" We did not understand all her words, but we understood "
     "everything."),
    (10, "milica", "sr", "Put do Beograda",
     "Putovali smo tri dana sa dva kofera i mačkom. Na granici je volonterka dala deci topao čaj. I dalje pamtim "
     "njen osmeh."),
    (10, "oksana", "en", "The road to Belgrade",
     "We travelled for three days with two suitcases and a cat. At the border a volunteer gave the children warm "
     "tea. I still remember her smile."),
    (19, "sanne", "nl", "Mijn oma en het koken",
     "Mijn oma leerde me dat eten herinnering is. In Utrecht kookte ik maqluba voor mijn Nederlandse buren, en zij "
     "vertelden me over het gerecht van hun oma's."),
    # A participant's translation: waits for Milica in the review queue.
    (13, "oksana", "uk", "Кава в сусідів",
     "У нашому будинку тепер щонеділі ми п'ємо каву разом. Оксана приносить тістечка, Фарід — чай, а я слухаю "
     "історії, яких раніше не знала."),
]


def load_translations(people, story_id_of) -> int:
    """Add the demo translations; ``story_id_of(n)`` is the id of demo story n. Returns how many
    were added this run."""
    added = 0
    for n, translator, language, title, body in TRANSLATIONS:
        story_id: uuid.UUID = story_id_of(n)
        try:
            result, _translation = put(people[translator], story_id, language,
                                       {"title": title, "body": body, "translator_display": "name"})
        except Problem:
            continue  # the story was changed by hand since (withdrawn, hidden): leave it
        added += result == CREATED
    return added
