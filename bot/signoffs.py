"""Sign-offs: the writer's own name in a quoted report ("Thanks, Priya (night sister)", "— Sam",
"I'm Priya from the night team") becomes [name], as the redactor does for other identifiers.

Leaders may read a few reports word for word (the digest's "In their words", `pattern <id>`), and
a reporter is never named to them; people still sign off politely. Only the shapes that name the
writer are touched, and a name must look like one where it stands:

- at the very end after a closing word ("thanks", "cheers", "regards"; "from", "signed", "love",
  "xx" at the start of a sentence) or a dash: one to three names, lower case too ("thanks priya",
  "- priya", "— Dr Evans");
- at the very end after the last full stop, comma or line break (". Priya", "Priya, night
  sister"), in brackets ("(Priya, ward 4)") or before kisses ("Priya xx"): capitalised names only;
- a self-introduction: "my name is priya", and "I'm Priya", "this is Priya", "Priya here" only
  where what follows reads as the end of an introduction ("from", "on", "here", a comma...), so
  "I'm Waiting for IT" and "I'm Stuck in the queue" stay as typed.

What may follow a closing name is a role ("(night sister)", ", Band 5, ward 2", "from stores") and
kisses; the role goes with the name. A word is never a name when it is a common English word
("- Nightmare", ". Typical"), a day, month, place, language, product, company or organisation
("- Android", "thanks Microsoft"), or a word of the taxonomy's team and system names; initials and
all-capitals words only after a closing word ("Thanks, JP", "Thanks, MARY"). "Sent from my iPhone"
names nobody and stays. The text is stored as written, so the person's own `mine` still shows
what they typed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from bot.errors import ConfigError
from bot.taxonomy import load_taxonomy

__all__ = ["NAME", "scrub", "names_writer", "plain_first"]

NAME = "[name]"
T = TypeVar("T")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that never name the writer wherever they stand: function words, greetings, closing words,
# the people one thanks as a group, fillers that follow "thanks".
_BASIC = _words(
    """
    i me my mine myself we us our ours you your yours he him his she her hers they them their theirs
    it its a an the this that these those some any all both each every either neither no none not nor
    and but or so yet if then than as because since until while though tho although unless whether
    of to in on at by for from with without within into onto about above below over under after before
    between through during against among around off out up down again also just only still even ever never
    always too very here there where when why how what which who whom whose whatever whoever however
    am is are was were be been being do does did done have has had having can could will would shall
    should might must ok okay yes yeah yep no nope nah hi hello hey hiya morning evening afternoon
    night dear thanks thank thankyou thanx thx ty cheers regards rgds best love signed ta
    everyone everybody anyone anybody someone somebody nobody noone team teams guys folks people
    gang crew mate mates pal buddy boss hun babe sir madam ladies lads gents all both
    anyway anyways lol lmao haha x xx xxx xxxx advance much lot lots loads heaps million bunch god goodness heavens
    im ive id youre theyre dont cant wont isnt doesnt didnt thats whats theres hes shes
    lord mum dad nan gran brother sis management company trust council board universe world sender sent
    """
)
# Common English words that start a sentence, close a complaint ("… again. Typical"), follow
# "I'm" ("I'm Sorry", "I'm Stuck") or follow a dash ("- urgent"): never taken as a name in the
# weaker positions (a lone closing word, a dash, a full stop, "I'm").
_COMMON = _words(
    """
    again typical classic brilliant great fantastic lovely wonderful marvellous perfect excellent
    superb amazing awesome cool nice fine fab good bad sad mad weird odd strange funny awful terrible
    horrible dreadful shocking appalling disgraceful useless hopeless pointless rubbish nonsense joke
    shambles disgrace nightmare madness chaos mayhem carnage insane crazy bonkers mental daft stupid
    silly pathetic ridiculous unbelievable unreal incredible unacceptable embarrassing annoying
    frustrating exhausting tiring scary worrying honestly seriously literally basically clearly
    obviously apparently surely naturally genuinely really actually definitely probably maybe perhaps
    sigh ugh argh urgh meh ffs fml smh omg wtf tbh imo fyi asap urgent urgently help please pls plz
    sorry glad happy unhappy tired stuck fed done new back part full sure unsure aware unable able
    afraid alone only busy free late early lost sick ill unwell exhausted knackered shattered gutted
    livid furious angry cross annoyed upset worried scared nervous concerned confused baffled puzzled
    amazed shocked surprised disappointed frustrated struggling drowning swamped snowed overwhelmed
    understaffed short told asked meant supposed sat stood based covering working waiting trying
    going getting doing having being now currently today tonight tomorrow yesterday weekly daily
    monthly yearly still soon later sometime sometimes often usually every single whole same other
    another next last first second third one two three four five six seven eight nine ten twice once
    nothing something anything everything nowhere somewhere anywhere everywhere time times day days
    week weeks month months year years hour hours minute minutes progress priorities productivity
    efficiency teamwork bureaucracy genius priceless standard sorted fixed resolved closed escalated
    pending ongoing update updates thoughts ideas suggestions advice answers answer question solution
    problem problems issue issues thing things stuff fun wow whoops oops yikes blimey bloody damn
    cheers thanks lol idk dunno whatever anyway regardless though however also plus
    night day late early agency bank band grade senior junior deputy acting temp locum trainee
    apprentice student lead head chief assistant support staff nurse nurses sister matron doctor
    doctors consultant registrar porter porters cleaner driver drivers manager supervisor admin
    receptionist agent agents operator advisor adviser engineer technician officer clerk
    wrong spelt spelled missing listed showing shown gone removed used never always
    english british irish scottish welsh european asian african american
    patient patients customer customers client clients tenant tenants member members public user users
    service services reception pharmacy pathology radiology theatres theatre maternity outpatients
    admissions discharge estates facilities transport security logistics warehouse dispatch accounts finance payroll
    office store shop branch depot site unit ward block gate terminal room bay zone level floor
    building dock door line platform station lane aisle desk front back head main north south east
    west central city town county region area district hospital clinic surgery school college
    system systems app computer computers printer printers phone phones laptop email emails portal
    network wifi internet server software hardware tech technology pension knife wise once
    daughter son wife husband partner family kids children baby
    road rd street st avenue ave lane close drive way row court crescent gardens grove hill hillside view
    place square terrace walk green park meadow farm acre brook tree birch elm oak cherry flat flats
    house home homes tower cottage estate co ltd plc inc llp
    """
)
# Proper nouns that are not a person: days, months, seasons, holidays, places, languages, and the
# products, companies and organisations people name in reports ("- Android", "thanks Microsoft").
_PROPER = _words(
    """
    monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
    fridays saturdays sundays mon tue tues wed thu thur thurs fri sat sun
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec spring autumn winter
    christmas xmas easter ramadan eid diwali hanukkah bank holiday halloween
    uk gb england scotland wales ireland britain europe eu us usa america india pakistan nigeria
    spain france germany italy poland portugal romania dubai peru tenerife jersey orkney midlands
    london manchester birmingham leeds liverpool bristol sheffield glasgow edinburgh cardiff belfast
    dublin newcastle nottingham leicester coventry bradford hull plymouth southampton portsmouth
    brighton oxford cambridge york reading norwich exeter swansea aberdeen dundee derby stoke luton
    harrogate whitby perth hatfield holyhead alicante faro heathrow gatwick stansted
    arabic polish bengali punjabi urdu hindi gujarati tamil somali kurdish sorani pashto dari farsi
    romani nepali chinese mandarin cantonese tigrinya amharic wolof dinka sylheti portuguese spanish
    french german italian romanian russian ukrainian turkish lithuanian latvian indian pakistani
    microsoft google apple amazon android iphone ipad ios windows mac macbook office excel word
    outlook teams slack zoom sharepoint onedrive onenote azure aws gmail chrome edge firefox safari
    whatsapp facebook instagram linkedin twitter tiktok youtube dropbox docusign adobe acrobat pdf
    stripe paypal shopify ebay etsy ricoh zebra xerox canon epson hp dell lenovo cisco avaya genesys
    mitel vodafone bt ee o2 sky virgin openreach tesco sainsbury sainsburys asda morrisons aldi lidl
    spar waitrose ocado argos dpd dhl ups fedex evri hermes yodel parcelforce royal mail uber
    deliveroo securitas serco capita mitie sodexo compass iss workday sap oracle sage xero quickbooks
    kronos rotacloud deputy allocate healthroster epic cerner emis systmone lorenzo trakcare datix
    jira confluence servicenow zendesk freshdesk hubspot salesforce dynamics asana trello notion miro
    citrix vpn okta authenticator mimecast sophos mcafee paxton tableau powerbi qlik bullhorn civica
    northgate idox liquidlogic mosaic arbor sims bromcom parentpay tapestry famly plunet locata
    justgiving moneyhelper familyman genesys nhs hmrc dwp dvla ofsted cqc ofgem ofwat tfl brexit
    covid corona barclays barclaycard hsbc lloyds natwest santander nationwide halifax monzo starling visa
    mastercard amex worldpay sumup klarna honeywell siemens bosch philips baxter stryker arjo invacare otis kone
    schindler stannah biffa veolia suez costa starbucks greggs pret nespresso dyson karcher
    """
)
# Titles that may open a name ("Dr Evans", "Nurse Priya"), never a name by themselves.
_TITLES = _words("dr mr mrs ms miss mx prof nurse sister rev cllr sgt")
# Names ending like a past participle ("Ahmed" is not "Based"), let through the verb rule below.
_NAMES_LIKE_VERBS = _words("ahmed mohammed mohamed muhammed muhammad hamed javed majed khaled alfred fred ted ned")
# Words that make a phrase a clause rather than a role ("Sam, can you look at this" is not a role).
_CLAUSE = _words(
    """
    i you we he she they it me us him them this that these there here what why how who when where which
    can could would will should shall may might must is are was were be been am do does did have has had
    not no never please pls if but because so then just still again is isnt cant dont wont didnt doesnt
    """
)
_VERB_ENDINGS = ("ing", "ed", "ness", "ment", "tion", "sion", "ful", "less", "ous", "able", "ible")

_PLAIN_WORD = re.compile(r"[^\W\d_]+")


@functools.cache
def _taxonomy_words() -> tuple[frozenset[str], frozenset[str]]:
    """(words in team and system names and labels, every word in the taxonomy), lower case.

    The first are organisations one may thank ("thanks Finance", "- Salesforce"); the second
    also hold the stage and kind cue words, common words of the domain."""
    try:
        taxonomy = load_taxonomy()
    except ConfigError:
        return frozenset(), frozenset()
    named: set[str] = set()
    every: set[str] = set()
    for axis in (taxonomy.stages, taxonomy.kinds, taxonomy.teams, taxonomy.systems):
        for label in axis:
            phrases = (label.label.replace("_", " "), *label.aliases)
            words = {w for p in phrases for w in _PLAIN_WORD.findall(p.lower()) if len(w) > 1}
            every |= words | {w for p in label.words for w in _PLAIN_WORD.findall(p.lower()) if len(w) > 1}
            if axis is taxonomy.teams or axis is taxonomy.systems:
                named |= words
    return frozenset(named), frozenset(every)


_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\.?"
_TOKEN = re.compile(_WORD)
_GAP = re.compile(r"[ \t]+")
# A capitalised word, with the inner capitals names have ("McDonald", "DeShawn", "O'Neill",
# "Jean-Luc") but not those of products and acronyms ("OneDrive", "HoD", "DfE").
_VOWEL = re.compile(r"[aeiouy]")
_NAME_PART = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|O)?[^\W\d_a-z][^\W\d_A-Z]*")


def _capitalised(word: str) -> bool:
    parts = re.split(r"['’-]", word)
    if len(parts) > 1 and len(parts[0]) == 1 and parts[0].isupper():  # O'Brien, D'Souza
        parts = parts[1:]
    head_ok = bool(_NAME_PART.fullmatch(parts[0])) and any(c.islower() for c in parts[0])
    rest_ok = all(_NAME_PART.fullmatch(p) or p.islower() for p in parts[1:])
    return head_ok and rest_ok


def _looks_like_verb(key: str) -> bool:
    """Waiting, Frustrated, Hopeless, Embarrassment: word endings a first name rarely has."""
    return len(key) >= 5 and key.endswith(_VERB_ENDINGS) and key not in _NAMES_LIKE_VERBS


def _is_name(word: str, *, closing: bool, lower: bool, first: bool) -> bool:
    """Whether `word` may be (part of) a name where it stands.

    `closing`: right after a closing word, where initials count ("Thanks, JP") and so does a
    capitalised word of the taxonomy's cues ("Thanks, Bill"); elsewhere those and verb forms
    ("- Waiting") are not names. `lower`: a lower-case word may be a name ("thanks priya")."""
    bare = word.rstrip(".")
    key = bare.lower()
    named, every = _taxonomy_words()
    if not bare or key in _BASIC or key in _PROPER or key in _TITLES or key in named:
        return False
    if key in _COMMON or bare.endswith(("'s", "’s", "s'", "s’")):
        return False  # "- Nightmare", ". Typical"; "Priya's shift": a possessive goes on to its noun
    if len(bare) == 1:  # an initial: "thx J", "J. Smith"; X is a kiss, A and I are words
        return bare.isupper() and bare not in "AIX"
    if len(bare) == 2 and bare.isalpha() and (bare.isupper() or (lower and bare.islower())):
        return closing  # initials after a closing word ("Thanks, JP", "thanks jp"); elsewhere IT, HR
    if not _VOWEL.search(unicodedata.normalize("NFD", key)):
        return False  # "Rd", "Ks", "NHS": abbreviations, not names
    if bare.isupper():  # "Thanks, MARY"; elsewhere an all-capitals word is an acronym
        return closing and bare.isalpha() and len(bare) > 3
    if _capitalised(bare):
        return (closing and first) or not (key in every or (first and _looks_like_verb(key)))
    return lower and bare.isalpha() and bare.islower() and not (key in every or _looks_like_verb(key))


def _names_at(text: str, start: int, *, closing: bool = False, lower: bool = False) -> int:
    """The end of one to three names (after an optional title) from `start`, or `start`."""
    end, taken, titled = start, 0, False
    while taken < 3:
        gap = _GAP.match(text, end) if taken or titled else None
        at = gap.end() if gap else end
        token = _TOKEN.match(text, at)
        if token is None:
            break
        word = token.group()
        if not taken and not titled and word.rstrip(".").lower() in _TITLES and word[0].isupper():
            end, titled = token.end(), True  # "Dr Evans": the title goes with the name
            continue
        if not _is_name(word, closing=closing, lower=lower, first=not taken):
            break
        end, taken = token.end(), taken + 1
    if not taken:
        return start
    if taken == 1 and not closing and len(text[start:end].rstrip(".")) == 1:
        return start  # an initial alone ("- A") is a list item or a grade, not a name
    return end


# What may follow a closing name: a role, kisses, an emoji, a full stop. Nothing that reads as
# another sentence: "Priya (night sister, ward 4)", "Sam, Band 5, ward 4", "Priya from nights".
_EMOJI = "[\u2600-\u27bf\U0001f300-\U0001faff\ufe0f]"
_END = re.compile(rf"(?:[\s.!)]|\b[xX]{{1,3}}\b|[:;]-?[)DpP(]|{_EMOJI})*\Z")
_BRACKET = re.compile(r"[ \t]*\([^()\n]{1,80}\)")
_ROLE_SEP = re.compile(r"[ \t]*(?:[,/|\-–—\n]+[ \t]*|[ \t](?:from|at|on|in|of)[ \t]+)", re.IGNORECASE)
_ROLE_WORDS = re.compile(r"[^\s,/|\-–—.!?():;]+(?:[ \t&+]+[^\s,/|\-–—.!?():;]+){0,5}")


def _role_end(text: str, start: int) -> int:
    """The end of a role after a name ("(HCA)", ", night sister, ward 4"), or `start` when none."""
    end = start
    for _ in range(4):
        bracket = _BRACKET.match(text, end)
        if bracket:
            end = bracket.end()
            continue
        sep = _ROLE_SEP.match(text, end)
        words = _ROLE_WORDS.match(text, sep.end()) if sep else None
        if sep is None or words is None or len(words.group()) > 50:
            break
        if any(w.lower().strip("'’") in _CLAUSE or "'" in w or "’" in w for w in words.group().split()):
            break  # "Sam, can you look at it": a sentence to someone, not a role
        end = words.end()
    return end


def _closing_at(text: str, start: int, *, closing: bool, lower: bool, until: re.Pattern[str] = _END) -> int | None:
    """Where the name from `start` begins the text's last words (name, role, then `until`), the end
    of what to replace (name and role); None when the text goes on."""
    name_end = _names_at(text, start, closing=closing, lower=lower)
    if name_end == start:
        return None
    role_end = _role_end(text, name_end)
    for end in (role_end, name_end):
        if until.match(text, end):
            return end
    return None


def _replace(text: str, start: int, end: int) -> str:
    return text[:start] + NAME + text[end:]


# A closing word: "Thanks, Priya", "Kind regards - Sam", "cheers priya", ". From Priya", "xx Priya".
_CLOSING = re.compile(
    r"(?:^|(?<=[\s.,!?;:()\-–—]))(?P<word>(?:many|kind|best|warm|warmest|with)\s+(?:thanks|regards|wishes)"
    r"|thanks|thank\s+you|thankyou|thank\s+u|thanx|cheers|regards|rgds|thx|thnx|ty|ta|best|all\s+the\s+best"
    r"|take\s+care|speak\s+soon|talk\s+soon|(?:lots\s+of\s+)?love|from|signed|sent\s+by|[xX]{1,3})"
    r"(?:\s+(?:again|so\s+much|a\s+lot|in\s+advance))?(?P<sep>[\s,.!:;\-–—]+)",
    re.IGNORECASE,
)
# Closing words that are also ordinary words ("an email from Priya", "I'd love Sam to"): only at
# the start of a sentence or line, or after a dash.
_SENTENCE_WORDS = re.compile(r"(?:(?:lots\s+of\s+)?love|from|signed|sent\s+by|best|ta|ty|[xX]{1,3})", re.I)


def _starts_sentence(text: str, at: int) -> bool:
    """Whether `at` begins the text, a sentence, a line, or what follows a dash."""
    before = text[:at].rstrip(" \t")
    if not before or before[-1] in ".!?;:)\n":
        return True
    return before[-1] in "-–—~" and before.rstrip("-–—~")[-1:] in ("", " ", "\t", "\n")


def _closing(text: str) -> str:
    for m in _CLOSING.finditer(text):
        if _SENTENCE_WORDS.fullmatch(m.group("word")) and not _starts_sentence(text, m.start()):
            continue
        end = _closing_at(text, m.end(), closing=True, lower=True)
        if end is not None:
            return _replace(text, m.end(), end)
    return text


# A dash or slash, then the name at the very end: "… meds late — Sam", "- priya (nights)", "/Priya".
_DASH = re.compile(r"(?<=\s)(?:--?|–|—|~|/)[ \t]*")


def _dash(text: str) -> str:
    for m in _DASH.finditer(text):
        if not text[: m.start()].strip():
            continue  # a report that starts with a dash is a list, not a signature
        end = _closing_at(text, m.end(), closing=False, lower=True)
        if end is not None:
            return _replace(text, m.end(), end)
    return text


# The last words on their own after a full stop, comma, line break, smiley or kisses' owner:
# ". Priya", ". Priya Sharma, Band 5", ", Priya", "again :) Priya", "Priya xx", "(Priya, ward 4)".
_BARE = re.compile(rf"(?:(?<=[.!?,…])|(?<=[:;][)D])|(?<=[:;]-[)D])|(?<={_EMOJI}))[ \t]+|\n[ \t]*|(?<=\s)\([ \t]*")
# After an extension to ring at the end: "ring me on ext 4412 Priya" ("ward 4 Cardiology" is no name).
_AFTER_EXTENSION = re.compile(r"\b(?:ext|extn|extension|x)\.?[ \t]*\d{2,6}[ \t]+", re.IGNORECASE)
_BEFORE_KISSES = re.compile(r"(?:^|\s)((?:\S+[ \t]+){0,2}\S+)[ \t]+[xX]{1,3}\W*\Z")
_IN_BRACKETS = re.compile(r"[ \t]*\)" + _END.pattern)


def _bare(text: str) -> str:
    starts = [(m.end(), m.group().lstrip().startswith("(")) for m in _BARE.finditer(text)]
    starts += [(m.end(), False) for m in _AFTER_EXTENSION.finditer(text)]
    kisses = _BEFORE_KISSES.search(text)
    if kisses:  # "… again Priya xx": the words before the kisses may be a name
        starts += [(kisses.start(1) + w.start(), False) for w in re.finditer(r"\S+", kisses.group(1))]
    for start, bracketed in sorted(starts):
        if not text[:start].strip(" \t(").strip():
            continue
        end = _closing_at(text, start, closing=False, lower=False, until=_IN_BRACKETS if bracketed else _END)
        if end is not None:
            return _replace(text, start, end)
    return text


# A self-introduction. "my name is" takes a lower-case name; the others take a capitalised name
# followed by the end of an introduction: "I'm Priya from ward 4", "this is Sam, dispatch",
# "it's Priya again", "Priya here - …"; never "I'm Waiting for IT".
_MY_NAME = re.compile(r"\bmy\s+name\s+is|\bmy\s+name['’]s", re.IGNORECASE)
_GREETING = r"\b(?:hi|hello|hey|hiya|morning|evening|afternoon)(?:[ \t]+(?:all|everyone|team|guys|folks))?[\s,!.]+"
_I_AM = re.compile(r"\b(?:I['’]?m|I[ \t]+am)(?=[ \t])", re.IGNORECASE)
_THIS_IS = re.compile(
    rf"(?:^|(?<=[.!?\n])[ \t]*|{_GREETING})(?:this[ \t]+is|it['’]?s|its|it[ \t]+is)(?=[ \t])", re.IGNORECASE
)
_HERE = re.compile(rf"(?:^|(?<=[.!?\n])[ \t]*|{_GREETING})(?=\S)", re.IGNORECASE)
_INTRO_END = re.compile(r"[ \t]*(?:[,.!:;\-–—(]|\b(?:from|in|on|at|here|and|again|with)\b|\Z)", re.IGNORECASE)
_HERE_END = re.compile(r"[ \t]+here\b(?=[ \t]*(?:[,.!:;\-–—(]|\b(?:from|in|on|at|again|with)\b|\Z))", re.I)
# The writer naming themselves in brackets, first name and surname: "I (Priya Shah) reissued it"
# ("I (Midwife) was asked", "Phase I (Pilot)" name nobody).
_SELF_BRACKET = re.compile(r"(?:\bI|\b[Mm][Ee]|\b[Mm]yself)[ \t]*\([ \t]*")


def _intro(text: str) -> str:
    found: list[tuple[int, int]] = []
    for m in _MY_NAME.finditer(text):
        gap = _GAP.match(text, m.end())
        if gap:
            end = _names_at(text, gap.end(), closing=False, lower=True)
            if end > gap.end():
                found.append((gap.end(), end))
    for pattern, until in ((_I_AM, _INTRO_END), (_THIS_IS, _INTRO_END), (_HERE, _HERE_END)):
        for m in pattern.finditer(text):
            gap = _GAP.match(text, m.end())
            start = gap.end() if gap else m.end()
            end = _names_at(text, start)
            if end > start and until.match(text, end):
                found.append((start, end))
    for m in _SELF_BRACKET.finditer(text):
        end = _names_at(text, m.end())
        if len(text[m.end() : end].split()) >= 2 and re.match(r"[ \t]*\)", text[end:]):
            found.append((m.end(), end))
    out, done = [], 0
    for start, end in sorted(set(found)):
        if start >= done:
            out += [text[done:start], NAME]
            done = end
    return "".join(out) + text[done:]


def scrub(text: str) -> str:
    """The text with the writer's own name in a sign-off or self-introduction replaced by [name]."""
    return _bare(_dash(_closing(_intro(text))))


def names_writer(text: str) -> bool:
    """True when the text carries a sign-off or self-introduction that `scrub` would replace."""
    return scrub(text) != text


def plain_first(items: Iterable[T], n: int, text: Callable[[T], str]) -> list[T]:
    """Up to n items, those whose text names nobody first; the chosen keep the order given."""
    ranked = sorted(enumerate(items), key=lambda pair: names_writer(text(pair[1])))[:n]
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])]
