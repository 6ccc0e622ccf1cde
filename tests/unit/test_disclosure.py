"""Personal data in a text (server/disclosure.py), table-driven: what must be found in every
supported language, what must not be (years, dates, times, prices, counts), and the false
positives accepted on purpose."""
import pytest

from kultialogo.disclosure import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE, find, pieces

NAMES = ["Paolo Bianchi", "Olena Kovalenko", "Ахмад Карими", "احمد کریمی", "Jan de Vries"]

FOUND = [
    # phone numbers: national forms of the six countries, and international ones
    ("it", "Il suo numero è 333 123 4567, chiamatelo!", PHONE, "333 123 4567"),
    ("it", "Fisso: 0577 123456 (Siena).", PHONE, "0577 123456"),
    ("sr", "Pozovi me na 064 123 4567 posle podne.", PHONE, "064 123 4567"),
    ("sr", "Телефон: 011/123-4567.", PHONE, "011/123-4567"),
    ("nl", "Bel me op 06-12345678 of mail.", PHONE, "06-12345678"),
    ("nl", "Mijn nummer is +31 6 1234 5678.", PHONE, "+31 6 1234 5678"),
    ("uk", "Мій номер 067 123 45 67, дзвоніть.", PHONE, "067 123 45 67"),
    ("uk", "Телефон +380 67 123 4567.", PHONE, "+380 67 123 4567"),
    ("ps", "زما شمېره 0701234567 ده.", PHONE, "0701234567"),
    ("fa", "شماره من ۰۷۹۹ ۱۲۳ ۴۵۶ است", PHONE, "۰۷۹۹ ۱۲۳ ۴۵۶"),
    ("ur", "میرا نمبر 0300 1234567 ہے", PHONE, "0300 1234567"),
    ("en", "Call +92 300 1234567 after six.", PHONE, "+92 300 1234567"),
    ("en", "Call +93 70 123 4567 after six.", PHONE, "+93 70 123 4567"),
    # e-mail
    ("fr", "Écrivez à jean.dupont@example.org pour venir.", EMAIL, "jean.dupont@example.org"),
    # street addresses with house numbers
    ("it", "abita in via dei Rossi 12 e lavora lì", ADDRESS, "via dei Rossi 12"),
    ("it", "Ci vediamo in Piazza del Campo 3.", ADDRESS, "Piazza del Campo 3"),
    ("sr", "Stanujem u ul. Njegoševa 12, Beograd.", ADDRESS, "ul. Njegoševa 12"),
    ("sr", "Живим у улици Краља Петра 5.", ADDRESS, "улици Краља Петра 5"),
    ("nl", "Ik woon op de Kerkstraat 12 in Utrecht.", ADDRESS, "Kerkstraat 12"),
    ("nl", "Het is Amsterdamsestraatweg 401b.", ADDRESS, "Amsterdamsestraatweg 401b"),
    ("uk", "Я живу на вул. Шевченка, 5.", ADDRESS, "вул. Шевченка, 5"),
    ("fr", "Il habite au 12 rue de la Paix depuis mai.", ADDRESS, "12 rue de la Paix"),
    ("en", "She lives at 221B Baker Street now.", ADDRESS, "221B Baker Street"),
    ("ar", "أسكن في شارع الحمرا 12 في بيروت.", ADDRESS, "شارع الحمرا 12"),
    ("fa", "خانه ما در خیابان ولیعصر ۱۲ است", ADDRESS, "خیابان ولیعصر ۱۲"),
    ("ur", "ہم گلی نمبر 5 میں رہتے ہیں", ADDRESS, "گلی نمبر 5"),
    ("ps", "کور مو په سړک 7 کې دی", ADDRESS, "سړک 7"),
    # identity documents
    ("en", "My passport is YA1234567, please help.", ID_NUMBER, "YA1234567"),
    ("it", "Codice fiscale RSSMRA85T10A562S.", ID_NUMBER, "RSSMRA85T10A562S"),
    ("sr", "Lična karta, JMBG 0101990710006.", ID_NUMBER, "0101990710006"),
    ("ur", "میرا شناختی کارڈ 35202-1234567-1 ہے", ID_NUMBER, "35202-1234567-1"),
    ("it", "IBAN IT60 X054 2811 1010 0000 0123 456 per la colletta.", ID_NUMBER, "IT60 X054 2811 1010 0000 0123 456"),
    # full names of other members, in five scripts and languages, case and accents aside
    ("it", "Ringrazio Paolo Bianchi per l'aiuto.", NAME, "Paolo Bianchi"),
    ("uk", "Дякую, olena kovalenko!", NAME, "olena kovalenko"),
    ("sr", "Ахмад Карими нам је помогао.", NAME, "Ахмад Карими"),
    ("fa", "از احمد کریمی ممنونم.", NAME, "احمد کریمی"),
    ("nl", "Met dank aan Jan de Vries.", NAME, "Jan de Vries"),
]

# Must not be flagged: dates, years, times, prices, counts, a first name alone, "via" as "by way of".
NOT_FOUND = [
    ("en", "In 1998 we paid 1500 euros on 12.05.2023 at 10:30; 200 people came."),
    ("it", "Nel 2019 siamo arrivati in 45 persone, il 3 marzo alle 18:30, biglietto 25 euro."),
    ("en", "We walked 12 kilometres via Florence to the sea."),
    ("nl", "Op 2023-05-12 kwamen er 60 mensen; koffie kost € 2,50."),
    ("ar", "وصلنا في عام ٢٠١٥ وكنا ٤ أطفال."),
    ("uk", "Ми приїхали 24.02.2022 о 06:00."),
    ("en", "Paolo helped us, and so did Jan."),
    ("en", "Room 12 on the 3rd floor, bus number 38."),
]

# False positives accepted, on purpose: a moderator or the writer keeps them with one tap,
# while missing a real number could put someone in danger.
ACCEPTED_FALSE_POSITIVES = [
    # a long reference number shaped like a landline (a bus ticket, an order number)
    ("it", "Il biglietto numero 0577 123456 è valido.", PHONE),
    # an Italian street name used as a place, not an address ("the square of 3 bridges")
    ("it", "In piazza dei 3 ponti suonavano.", ADDRESS),
    # a flight or product code shaped like a passport number
    ("en", "We flew on AB1234567 from Kabul.", ID_NUMBER),
]


@pytest.mark.parametrize("language,text,kind,words", FOUND)
def test_personal_data_is_found(language, text, kind, words):
    spans = find(text, language, NAMES)
    assert (kind, words) in [(s.kind, s.text) for s in spans], spans
    span = next(s for s in spans if s.kind == kind)
    assert text[span.start:span.end] == words


@pytest.mark.parametrize("language,text", NOT_FOUND)
def test_ordinary_numbers_and_words_are_not_flagged(language, text):
    assert find(text, language, NAMES) == []


@pytest.mark.parametrize("language,text,kind", ACCEPTED_FALSE_POSITIVES)
def test_the_accepted_false_positives_are_what_they_say(language, text, kind):
    assert [s.kind for s in find(text, language, NAMES)] == [kind]


def test_one_story_with_everything_is_cut_into_pieces_in_order():
    text = ("Si chiama Paolo Bianchi, abita in via dei Rossi 12 e il suo numero è 333 123 4567: "
            "scrivete a paolo@example.it")
    spans = find(text, "it", NAMES)
    assert [s.kind for s in spans] == [NAME, ADDRESS, PHONE, EMAIL]
    assert "".join(words for words, _span in pieces(text, spans)) == text


def test_the_authors_own_name_is_not_flagged_when_left_out_of_the_names():
    assert find("Io sono Paolo Bianchi.", "it", names=[]) == []
