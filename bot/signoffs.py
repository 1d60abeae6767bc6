"""Sign-offs: the writer's own name in a quoted report ("Thanks, Priya (night sister)", "— Sam",
"I'm Priya from the night team") becomes [name], as the redactor does for other identifiers.

Leaders may read a few reports word for word (the digest's "In their words", `pattern <id>`), and
a reporter is never named to them; people still sign off politely. Only the shapes that name the
writer are touched, and a name must look like one where it stands:

- at the very end after a closing word ("thanks", "cheers", "regards"; "from", "signed", "love",
  "xx" at the start of a sentence) or a dash: one to three names, lower case too ("thanks priya",
  "- priya", "— Dr Evans"); after a closing word also two people ("Thanks, Priya and Sam") and
  letters after the name ("Thanks, Dr Priya Patel MBBS");
- at the very end after the last full stop, comma or line break (". Priya", "Priya, night
  sister"), in brackets ("(Priya, ward 4)") or before kisses ("Priya xx"): capitalised names only;
- a self-introduction: "my name is priya", and "I'm Priya", "this is Priya", "Priya here" only
  where what follows reads as the end of an introduction ("from", "on", "here", a comma...), so
  "I'm Waiting for IT" and "I'm Stuck in the queue" stay as typed; the name after "it's me (again)"
  or "me again" ("its me again, Priya on nights"), in brackets after "me" opening a sentence ("me
  (dave, nights) - …"), and opening the report before "again" or "from"/"on" a shift or team
  ("Sam again: …", "Priya (nights) again - …", "Dave from tills - …");
- a lower-case name in an introduction only before "here" or "from"/"on" a shift, team or numbered
  place ("this is dave on tills", "hi its priya from the late shift", "its priya here"), or a
  comma after a greeting or "it's me" ("hi its priya, …"); a word that says how things are is
  never a name there ("its dead again", "its quiet here", "im behind on tills", "its temps on nights");
- after "sent from my <device>": "sent from my iphone, karen", "Sent from my iPhone Karen Jones";
- opening the report before a colon or a dash, capitalised names only, a role in brackets or after
  a comma allowed ("Priya Patel - …", "Priya: …", "Priya (finance) - …", "Priya P, nights: …",
  "Priya Patel, Finance Assistant: …", a title that names a job), and
  after "From" or "Reported by" also before a comma ("From Priya: …", "Reported by Priya Patel, …");
  a report opens with its topic that way too, so a word that heads one ("Toner: none left", "Water
  Leak - ward 4") or a plural ("Gloves - none in medium") is never a name there;
- "reported by" and capitalised names in brackets ("(reported by Priya)", "(reported by Sam,
  nights)") or at the very end (", reported by Priya Patel").

A reply under a report is stored after it, joined by "; also: " (bot.editing.ALSO): each part is
read as a message of its own, so a sign-off before a reply, or an introduction opening one, is
found where it stands ("… Thanks, Priya; also: it happened again").

What may follow a closing name is a role ("(night sister)", ", Band 5, ward 2", "from stores"),
kisses and emoji, Unicode ("🙏") or as Slack sends them (":pray:", ":+1::skin-tone-3:"), which also
stand where a comma would ("cheers :beers: Sam"); the role goes with the name. A word is never a
name when it is a common English word ("- Nightmare", ". Typical"), a day, month, place, language,
product, company or organisation ("- Android", "thanks Microsoft"), or a word of the taxonomy's
team and system names; initials and all-capitals words only after a closing word ("Thanks, JP",
"Thanks, MARY"). Names in other scripts count too ("Thanks, Сергей", "Спасибо, Сергей", "谢谢，王伟",
"— محمد"); one without capitals (Chinese, Arabic, Hebrew) is read by where it stands, as a lower-case
name is: after a closing word or a dash, never after a full stop or opening a report, and a Chinese
one as two to four characters. "Sent from my iPhone" names nobody and stays. The text is stored
as written, so the person's own `mine` still shows what they typed.

The taxonomy is the one Snag runs with (SNAG_TAXONOMY, and after `reload` the new one): its team
labels and aliases end an introduction ("Priya from pharm here"), its team and system names are
never a name ("Thanks Pharm"). Every caller passes it; None reads the shipped taxonomy's words, for
the tests and the benchmark, where no running taxonomy is at hand.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import ConfigError
from bot.taxonomy import Taxonomy, load_taxonomy

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
    спасибо благодарю все всем вам ευχαριστώ ευχαριστω όλους όλοι 谢谢 多谢 感谢 谢了 大家 各位 شكرا للجميع תודה לכולם
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
# Things and shifts of a workplace that open a report ("Tills again: ...", "Charger again - bay 4",
# "its temps on nights"): never a name.
_WORKPLACE = _words(
    """
    till tills checkout checkouts charger chargers label labels pallet pallets cages bins lift lifts
    heating aircon rota rotas overtime staffing vans lorry lorries trucks doors alarm alarms fridge
    fridges freezer freezers coffee toilet toilets parking tannoy hoist hoists trolley trolleys
    badges rosters roster temp temps sickness training uniform uniforms locker lockers canteen cover
    relief bleep pager pagers radio radios cctv nights lates earlies twilight twilights weekends
    weekend mornings afternoons evenings nightshift dayshift shift shifts hca hcas rgn rmn rn tl tls
    asm agm wrapper forklifts scanners printers picker pickers packer packers loader loaders sorter
    sorters runner runners chef chefs cook cooks kp waiter waitress barista bartender steward stewards
    carer carers midwife midwives paramedic pharmacist physio guard guards warden wardens excuse typo
    typos brevity autocorrect
    """
)
# How a place, a thing or the day is, and the words that say so ("its dead again", "its quiet here",
# "im behind on tills", "this is different on nights", "its config, …"): where a name would stand
# in an introduction these name nobody. Only the introductions that take a lower-case name, or open
# the report with one ("Sam again:"), look them up; a sign-off is read as before.
_STATES = _words(
    """
    dead broken frozen slow quiet empty offline online cold hot warm boiling freezing dark wet flooded
    jammed locked open shut heaving rammed packed hectic manic chaotic bedlam worse worst better fine
    alright gone over mine yours ours theirs nuts grim bleak dire dismal deserted filthy dirty messy
    noisy loud crowded dusty icy humid stuffy sweltering roasting baking tropical arctic solo alone
    alive awake asleep home away outside inside upstairs downstairs here there van cage keys
    able absent active actual available awkward behind beyond big bigger biggest blank boring brand
    brief bright brutal busier busiest calm careful casual certain cheap cheaper cheapest clean clear
    clever close closer closest common complete complex constant correct costly crap critical crucial
    current deep different difficult dodgy double dry due dull easier easiest easy endless enough entire
    equal essential exact expensive extra fair fairly fake false familiar far fast faster fastest firm
    flat foggy formal former frequent fresh friendly further general gentle genuine global grand green
    grey guilty half handy hard harder hardest harsh healthy heavy helpful hidden high higher highest
    idle illegal important impossible inevitable informal internal invalid irrelevant key kind large
    larger largest later latest lazy legal less light likely limited little live local lonely long
    longer longest loose low lower lowest lucky major manual massive mean minor minimal mixed modern
    moderate more most much narrow nasty natural near nearly necessary negative neutral normal obvious
    official old older oldest optional ordinary overdue overnight own painful past permanent personal
    physical plain pleasant plenty poor popular positive possible powerful pretty previous primary
    private proper proud provisional public pure quick quicker quickest random rare raw ready real
    reasonable recent regular relevant remote responsible right risky rough round rude safe secure
    separate serious shallow sharp shorter shy silent similar simple slight slower small smaller smart
    smooth soft solid sore sound spare special split stable steady steep sticky stiff straight strict
    strong structural subtle sudden sufficient suitable super sweet tall temporary thick thin tidy tight
    tiny tough true ugly unclear unfair unknown unlikely unpaid unsafe unusual vague valid various vast
    virtual visible vital weak worth worthy young automatic known import display column conduct
    config calc consumer corrections highways membership risks billings arrangers weds thurs tues
    tragic shambolic pandemonium gridlock payday stocktake peak rush lunchtime teatime midnight murder
    hell hellish bananas farcical comical laughable criminal savage wild wicked woeful abysmal
    atrocious diabolical absurd frantic nonstop unworkable lunch breakfast dinner tea supper brunch
    black white red blue yellow orange pink purple brown sale sales promo
    """
)
# Word endings of the lower-case words above that first names do not have ("arrangers", "billings",
# "structural", "massive", "closest"), each with the shortest word it is read in.
_LOWER_ENDINGS = (
    ("ers", 6),
    ("ings", 5),
    ("ments", 6),
    ("tions", 6),
    ("sions", 6),
    ("ness", 5),
    ("ism", 5),
    ("ists", 5),
    ("ship", 6),
    ("ships", 6),
    ("ics", 5),
    ("ive", 7),
    ("al", 8),
    ("ure", 6),
    ("est", 7),
    ("ly", 7),
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


@dataclass(frozen=True)
class _Vocabulary:
    """What a taxonomy tells the scrubber.

    `named`: words in team and system names and labels, organisations one may thank ("thanks
    Finance", "- Salesforce"); `every`: every word in the taxonomy, those and the stage and kind
    cue words, common words of the domain; `from_shift`: "from" or "on" a shift, one of its teams
    (by label or alias) or a numbered place, ending an introduction; `comma_shift`: the same after
    a comma ("Priya P, nights: …")."""

    named: frozenset[str]
    every: frozenset[str]
    from_shift: re.Pattern[str]
    comma_shift: re.Pattern[str]


@functools.lru_cache(maxsize=8)
def _vocabulary(taxonomy: Taxonomy | None) -> _Vocabulary:
    """The scrubber's words of this taxonomy (None: the shipped one), worked out once per taxonomy."""
    if taxonomy is None:
        try:
            taxonomy = load_taxonomy()
        except ConfigError:
            return _Vocabulary(frozenset(), frozenset(), _from_shift(()), _from_shift((), _COMMA))
    named: set[str] = set()
    every: set[str] = set()
    for axis in (taxonomy.stages, taxonomy.kinds, taxonomy.teams, taxonomy.systems):
        for label in axis:
            phrases = (label.label.replace("_", " "), *label.aliases)
            words = {w for p in phrases for w in _PLAIN_WORD.findall(p.lower()) if len(w) > 1}
            every |= words | {w for p in label.words for w in _PLAIN_WORD.findall(p.lower()) if len(w) > 1}
            if axis is taxonomy.teams or axis is taxonomy.systems:
                named |= words
    teams = {phrase for team in taxonomy.teams for phrase in (team.label.replace("_", " "), *team.aliases)}
    return _Vocabulary(frozenset(named), frozenset(every), _from_shift(teams), _from_shift(teams, _COMMA))


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
    head_ok = parts[0][:1].isupper() and bool(_NAME_PART.fullmatch(parts[0])) and any(c.islower() for c in parts[0])
    rest_ok = all(_NAME_PART.fullmatch(p) or p.islower() for p in parts[1:])
    return head_ok and rest_ok


def _latin(key: str) -> bool:
    """Whether the letters of `key` are Latin ones (with accents), the only ones the vowel rule reads."""
    return all(c < "\u0250" for c in key if c.isalpha())


# Chinese characters, and the particles that end a phrase but never a name ("修好了", "好吗").
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAN_PARTICLES = frozenset("了吗呢吧啊的过着么嘛呀哦啦")


def _caseless_name(word: str) -> bool:
    """Whether a word of a script without capitals (Chinese, Arabic, Hebrew) may be a name: Chinese,
    written without spaces, only as two to four characters not ending in a particle."""
    if _HAN.search(word):
        return 2 <= len(word) <= 4 and word[-1] not in _HAN_PARTICLES
    return len(word) >= 2


# Cyrillic has capitals, but phones and people often leave names in lower case ("спасибо. сергей"):
# a lower-case Cyrillic word is read as a capitalised one where it is one of these common first
# names (Russian, Ukrainian, with their everyday short forms). Names that are also everyday words
# (вера, надежда, любовь, роман, лев, слава, роза, лилия, лада) are left out: they count only
# capitalised or where any lower-case name does. After such a name, a lower-case word ending as
# surnames and patronymics do ("сергей иванов", "ольга петровна") is part of it.
_CYRILLIC_NAMES = _words(
    """
    александр саша шура алексей алёша алеша андрей андрюша антон артём артем артур борис вадим
    валентин валерий василий вася виктор витя виталий владимир володя вова владислав влад вячеслав
    геннадий гена георгий глеб григорий гриша даниил данил данила денис дмитрий дима евгений женя
    егор иван ваня игорь илья кирилл константин костя максим матвей михаил миша никита николай
    коля олег павел паша пётр петр петя родион руслан семён семен сергей серёжа сережа серега
    станислав стас степан тимофей тимур фёдор федор федя юрий юра ярослав богдан тарас остап назар
    олександр олексій дмитро андрій сергій юрій василь микола петро іван ігор віталій
    александра алла алёна алена алина алиса анастасия настя анна аня ангелина валентина валя
    валерия варвара галина галя дарья даша диана евгения екатерина катя елена лена елизавета лиза
    жанна зоя ирина ира карина кристина ксения ксюша лариса людмила люда маргарита рита мария маша
    наталья наталия наташа нина оксана ольга оля полина светлана света софия софья соня таисия
    тамара татьяна таня ульяна юлия юля яна олена наталія марія ганна ірина тетяна катерина
    світлана
    """
)
_CYRILLIC_SURNAME = re.compile(
    r"[а-яёіїєґ]{2,}(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|енко|ук|юк|чук|ич|ович|евич"
    r"|овна|евна|ична|инична|ян|дзе|швили|ых|их)"
)


def _lower_cyrillic_name(word: str, *, first: bool) -> bool:
    """Whether a lower-case Cyrillic word reads as a capitalised name: a common first name, or after
    one a surname or patronymic ("сергей иванов")."""
    if not word.islower() or not re.fullmatch(r"[а-яёіїєґ'’-]+", word):
        return False
    return word in _CYRILLIC_NAMES or (not first and _CYRILLIC_SURNAME.fullmatch(word) is not None)


def _looks_like_verb(key: str) -> bool:
    """Waiting, Frustrated, Hopeless, Embarrassment: word endings a first name rarely has."""
    return len(key) >= 5 and key.endswith(_VERB_ENDINGS) and key not in _NAMES_LIKE_VERBS


def _is_name(word: str, vocab: _Vocabulary, *, closing: bool, lower: bool, first: bool) -> bool:
    """Whether `word` may be (part of) a name where it stands.

    `closing`: right after a closing word, where initials count ("Thanks, JP") and so does a
    capitalised word of the taxonomy's cues ("Thanks, Bill"); elsewhere those and verb forms
    ("- Waiting") are not names. `lower`: a lower-case word may be a name ("thanks priya")."""
    bare = word.rstrip(".")
    key = bare.lower()
    named, every = vocab.named, vocab.every
    if not bare or key in _BASIC or key in _PROPER or key in _TITLES or key in named:
        return False
    if key in _COMMON or key in _WORKPLACE or bare.endswith(("'s", "’s", "s'", "s’")):
        return False  # "- Nightmare", ". Typical"; "Priya's shift": a possessive goes on to its noun
    if bare.lower() == bare.upper():  # 王伟, محمد, דוד: no capitals to go by, so only where it stands
        return lower and _caseless_name(bare)
    if len(bare) == 1:  # an initial: "thx J", "J. Smith"; X is a kiss, A and I are words
        return bare.isupper() and bare not in "AIX"
    if len(bare) == 2 and bare.isalpha() and (bare.isupper() or (lower and bare.islower())):
        return closing  # initials after a closing word ("Thanks, JP", "thanks jp"); elsewhere IT, HR
    if _latin(key) and not _VOWEL.search(unicodedata.normalize("NFD", key)):
        return False  # "Rd", "Ks", "NHS": abbreviations, not names (Сергей has no Latin vowel)
    if bare.isupper():  # "Thanks, MARY"; elsewhere an all-capitals word is an acronym
        return closing and bare.isalpha() and len(bare) > 3
    if _capitalised(bare) or _lower_cyrillic_name(bare, first=first):
        return (closing and first) or not (key in every or (first and _looks_like_verb(key)))
    return lower and bare.isalpha() and bare.islower() and not (key in every or _looks_like_verb(key))


def _names_at(text: str, start: int, vocab: _Vocabulary, *, closing: bool = False, lower: bool = False) -> int:
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
        if not _is_name(word, vocab, closing=closing, lower=lower, first=not taken):
            break
        end, taken = token.end(), taken + 1
    if not taken:
        return start
    if taken == 1 and not closing and len(text[start:end].rstrip(".")) == 1:
        return start  # an initial alone ("- A") is a list item or a grade, not a name
    return end


# What may follow a closing name: a role, kisses, an emoji, a full stop. Nothing that reads as
# another sentence: "Priya (night sister, ward 4)", "Sam, Band 5, ward 4", "Priya from nights".
# An emoji is Unicode (Teams, phones: "🙏") or as Slack sends it, a shortcode: ":pray:", ":100:",
# a skin tone as another after it (":+1::skin-tone-3:"). Never the colon of "Note:" or "10:30:45".
_EMOJI_CHAR = "[\u2600-\u27bf\U0001f300-\U0001faff\ufe0f]"
_SHORTCODE = r"(?<!\d):[a-z0-9_+'-]{1,100}:"
_EMOJI = rf"(?:{_EMOJI_CHAR}|{_SHORTCODE})"
_END = re.compile(rf"(?:[\s.!)。！）]|\b[xX]{{1,3}}\b|[:;]-?[)DpP(]|{_EMOJI})*\Z")
_BRACKET = re.compile(r"[ \t]*\([^()\n]{1,80}\)")
_ROLE_SEP = re.compile(r"[ \t]*(?:[,，、/|\-–—\n]+[ \t]*|[ \t](?:from|at|on|in|of)[ \t]+)", re.IGNORECASE)
_ROLE_WORDS = re.compile(r"[^\s,，、。/|\-–—.!?():;]+(?:[ \t&+]+[^\s,，、。/|\-–—.!?():;]+){0,5}")


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


# After a closing word's name: another person ("Thanks, Priya and Sam") and the letters that follow
# a name ("Dr Priya Patel MBBS", "Sam Jones RGN", "Ann Lee BSc(Hons)"): two capitals or more.
_AND = re.compile(r"[ \t]+(?:and|&)[ \t]+", re.IGNORECASE)
_POST_NOMINALS = re.compile(
    r"(?:[ \t]+(?=[^\W\d_]*[A-Z][^\W\d_]*[A-Z])[A-Z][^\W\d_]{1,7}(?:\([A-Za-z]{2,8}\))?){1,4}(?![\w'’-])"
)


def _closing_names_end(text: str, end: int, vocab: _Vocabulary, *, lower: bool) -> int:
    """The end of the names after a closing word that end at `end`, with a second person after
    "and" and the letters after a name."""
    joined = _AND.match(text, end)
    if joined:
        second = _names_at(text, joined.end(), vocab, closing=True, lower=lower)
        end = second if second > joined.end() else end
    letters = _POST_NOMINALS.match(text, end)
    return letters.end() if letters else end


def _closing_at(
    text: str, start: int, vocab: _Vocabulary, *, closing: bool, lower: bool, until: re.Pattern[str] = _END
) -> int | None:
    """Where the name from `start` begins the text's last words (name, role, then `until`), the end
    of what to replace (name and role); None when the text goes on."""
    name_end = _names_at(text, start, vocab, closing=closing, lower=lower)
    if name_end == start:
        return None
    if closing:
        name_end = _closing_names_end(text, name_end, vocab, lower=lower)
    role_end = _role_end(text, name_end)
    for end in (role_end, name_end):
        if until.match(text, end):
            return end
    return None


def _replace(text: str, start: int, end: int) -> str:
    return text[:start] + NAME + text[end:]


# A closing word: "Thanks, Priya", "Kind regards - Sam", "cheers priya", ". From Priya", "xx Priya".
_CLOSING = re.compile(
    r"(?:^|(?<=[\s.,!?;:()\-–—。，！？；：、،]))(?P<word>(?:many|kind|best|warm|warmest|with)\s+(?:thanks|regards|wishes)"
    r"|thanks|thank\s+you|thankyou|thank\s+u|thanx|cheers|regards|rgds|thx|thnx|ty|ta|best|all\s+the\s+best"
    r"|take\s+care|speak\s+soon|talk\s+soon|(?:lots\s+of\s+)?love|from|signed|sent\s+by|[xX]{1,3}"
    r"|спасибо|благодарю|с\s+уважением|谢谢|多谢|感谢|谢了|شكرا\u064b?|תודה(?:\s+רבה)?|ευχαριστώ|ευχαριστω)"
    rf"(?:\s+(?:again|so\s+much|a\s+lot|in\s+advance))?(?P<sep>(?:{_EMOJI}|[\s,.!:;\-–—。，！：；、،])+)",
    re.IGNORECASE,
)
# Closing words that are also ordinary words ("an email from Priya", "I'd love Sam to"): only at
# the start of a sentence or line, or after a dash.
_SENTENCE_WORDS = re.compile(r"(?:(?:lots\s+of\s+)?love|from|signed|sent\s+by|best|ta|ty|[xX]{1,3})", re.I)


_LOOK_BACK = 64  # characters looked back for what a word follows; a longer run of spaces breaks like a line


def _starts_sentence(text: str, at: int) -> bool:
    """Whether `at` begins the text, a sentence, a line, or what follows a dash."""
    before = text[max(0, at - _LOOK_BACK) : at].rstrip(" \t")  # a window: each match looks back, never the whole text
    if not before or before[-1] in ".!?;:)\n":
        return True
    return before[-1] in "-–—~" and before.rstrip("-–—~")[-1:] in ("", " ", "\t", "\n")


def _closing(text: str, vocab: _Vocabulary) -> str:
    for m in _CLOSING.finditer(text):
        if _SENTENCE_WORDS.fullmatch(m.group("word")) and not _starts_sentence(text, m.start()):
            continue
        end = _closing_at(text, m.end(), vocab, closing=True, lower=True)
        if end is not None:
            return _replace(text, m.end(), end)
    return text


# A dash or slash, then the name at the very end: "… meds late — Sam", "- priya (nights)", "/Priya".
_DASH = re.compile(r"(?<=\s)(?:--?|–|—|~|/)[ \t]*")


def _dash(text: str, vocab: _Vocabulary) -> str:
    first = len(text) - len(text.lstrip())  # where the words start
    for m in _DASH.finditer(text):
        if m.start() <= first:
            continue  # a report that starts with a dash is a list, not a signature
        end = _closing_at(text, m.end(), vocab, closing=False, lower=True)
        if end is not None:
            return _replace(text, m.end(), end)
    return text


# The last words on their own after a full stop, comma, line break, smiley, emoji or kisses' owner:
# ". Priya", ". Priya Sharma, Band 5", ", Priya", "again :) Priya", "again :pray: Priya", "Priya xx",
# "(Priya, ward 4)".
_BARE = re.compile(
    rf"(?:(?<=[.!?,…])|(?<=[:;][)D])|(?<=[:;]-[)D])|(?<={_EMOJI_CHAR})|{_SHORTCODE})[ \t]+|\n[ \t]*|(?<=\s)\([ \t]*"
)
# After an extension to ring at the end: "ring me on ext 4412 Priya" ("ward 4 Cardiology" is no name).
_AFTER_EXTENSION = re.compile(r"\b(?:ext|extn|extension|x)\.?[ \t]*\d{2,6}[ \t]+", re.IGNORECASE)
_BEFORE_KISSES = re.compile(rf"(?:^|\s)((?:\S+[ \t]+){{0,2}}\S+)[ \t]+[xX]{{1,3}}(?:{_SHORTCODE}|\W)*\Z")
_IN_BRACKETS = re.compile(rf"(?:[ \t]|{_EMOJI})*\)" + _END.pattern)  # "(Priya, ward 4 :pray:)"


def _bare(text: str, vocab: _Vocabulary) -> str:
    starts = [(m.end(), m.group().lstrip().startswith("(")) for m in _BARE.finditer(text)]
    starts += [(m.end(), False) for m in _AFTER_EXTENSION.finditer(text)]
    kisses = _BEFORE_KISSES.search(text)
    if kisses:  # "… again Priya xx": the words before the kisses may be a name
        starts += [(kisses.start(1) + w.start(), False) for w in re.finditer(r"\S+", kisses.group(1))]
    words = re.search(r"[^\s(]", text)  # the first character that is neither space nor bracket
    for start, bracketed in sorted(starts):
        if words is None or words.start() >= start:
            continue
        end = _closing_at(text, start, vocab, closing=False, lower=False, until=_IN_BRACKETS if bracketed else _END)
        if end is not None:
            return _replace(text, start, end)
    return text


# A self-introduction. "my name is" takes a lower-case name; the others take a capitalised name
# followed by the end of an introduction: "I'm Priya from ward 4", "this is Sam, dispatch",
# "it's Priya again", "Priya here - …"; never "I'm Waiting for IT".
_MY_NAME = re.compile(r"\bmy\s+name\s+is|\bmy\s+name['’]s", re.IGNORECASE)
_GREETING = r"\b(?:hi|hello|hey|hiya|morning|evening|afternoon)(?:[ \t]+(?:all|everyone|team|guys|folks))?[\s,!.]+"
_SENTENCE = r"(?:^|(?<=[.!?\n])[ \t]*)"
_I_AM = re.compile(r"\b(?:I['’]?m|I[ \t]+am)(?=[ \t])", re.IGNORECASE)
_THIS_IS = re.compile(
    rf"(?:{_SENTENCE}|(?P<greeting>{_GREETING}))(?:this[ \t]+is|it['’]?s|its|it[ \t]+is)(?=[ \t])", re.IGNORECASE
)
_GREETED = re.compile(rf"{_SENTENCE}[ \t]*{_GREETING}\Z", re.IGNORECASE)
_HERE = re.compile(rf"(?:{_SENTENCE}|{_GREETING})(?=\S)", re.IGNORECASE)
_INTRO_END = re.compile(r"[ \t]*(?:[,.!:;\-–—(]|\b(?:from|in|on|at|here|and|again|with)\b|\Z)", re.IGNORECASE)
_HERE_END = re.compile(
    r"(?:[ \t]*\([^()\n]{1,40}\))?[ \t]+here\b(?=[ \t]*(?:[,.!:;\-–—(]|\b(?:from|in|on|at|again|with)\b|\Z))", re.I
)
# The writer naming themselves in brackets, first name and surname: "I (Priya Shah) reissued it"
# ("I (Midwife) was asked", "Phase I (Pilot)" name nobody).
_SELF_BRACKET = re.compile(r"(?:\bI|\b[Mm][Ee]|\b[Mm]yself)[ \t]*\([ \t]*")
# "it's me again, Priya on nights", "its me - Sam here", "me again, priya from nights": the name
# after "it's me" or "me again" opening a sentence.
_ITS = r"(?:it['’]?s|its|it[ \t]+is)"
_ITS_ME = re.compile(
    rf"(?:{_SENTENCE}|{_GREETING})(?:{_ITS}[ \t]+me(?:[ \t]+again)?|me[ \t]+again)"
    r"(?:(?P<mark>[ \t]*[,:\-–—]+[ \t]*)|[ \t]+)",
    re.IGNORECASE,
)
_ITS_ME_END = re.compile(r"[ \t]*(?:[,.!:;\-–—(]|\b(?:here|again)\b|\Z)", re.IGNORECASE)
# "me (dave, nights) - …", "its me (Priya) again": a name in brackets after "me" opening a sentence,
# a role after it in the brackets.
_ME_BRACKET = re.compile(rf"(?:{_SENTENCE}|{_GREETING}|\b{_ITS}[ \t]+)me(?:[ \t]+again)?[ \t]*\([ \t]*", re.IGNORECASE)
_BRACKET_ROLE_END = re.compile(r"[ \t]*(?:[,/;\-–—][^()\n]{0,60})?\)")
# The start of the report (after a greeting): "Sam again: …", "Priya (nights) again - …",
# "Priya on nights: …", "Dave from tills - …".
_OPENING = re.compile(rf"\A[ \t]*(?:{_GREETING})?", re.IGNORECASE)
_AGAIN_END = re.compile(r"(?:[ \t]*\([^()\n]{1,40}\))?[ \t]+again\b(?=[ \t]*(?:[,:;!\-–—(]|\.(?!\w)|\Z))", re.I)
# Where a lower-case name may end an introduction: "its priya here, …", "this is dave on tills",
# "im priya from the late shift"; after a greeting also a comma ("hi its priya, …").
_LOWER_HERE_END = re.compile(r"[ \t]+here\b(?=[ \t]*(?:[,.!:;\-–—(\n]|\bagain\b|\Z))", re.IGNORECASE)
_MARK_END = re.compile(r"[ \t]*[,:\-–—(]")
_ITS_ME_MARK_END = re.compile(r"[ \t]*(?:[,:\-–—(]|[.!]*[ \t]*\Z)")
_SHIFT = (
    r"(?:nights?|days?|lates?|earlies|early|twilights?|weekends?|mornings?|afternoons?|evenings?|nightshift"
    r"|dayshift|tills?|checkouts?|(?:[^\W\d_]+[ \t]+){0,2}(?:shifts?|team|crew|desk|rota))"
)
_PLACE_NUMBER = (
    r"(?:ward|bay|store|branch|depot|site|unit|gate|dock|till|desk|zone|floor|line|aisle|room|block|team)"
    r"[ \t]+[^\W_]{1,5}"
)
_AFTER_SHIFT = r"(?=[ \t]*(?:[,.!:;\-–—()\n]|\Z|\b(?:and|here|again)\b))"


_FROM_OR_ON = r"[ \t]+(?:from|on)[ \t]+"
_COMMA = r"[ \t]*,[ \t]*"


def _from_shift(names: Iterable[str], lead: str = _FROM_OR_ON) -> re.Pattern[str]:
    """After a name: from or on (or `lead`), then a shift, a team (one of `names`, the taxonomy's
    team labels and aliases) or a numbered place, then the end of the introduction ("from the late
    shift,", "on tills", "from ward 4", "from pharm")."""
    teams = "|".join(re.escape(a).replace(r"\ ", r"[ \t]+") for a in sorted(names, key=len, reverse=True))
    body = "|".join(p for p in (_PLACE_NUMBER, _SHIFT, teams) if p)
    return re.compile(rf"{lead}(?:(?:the|our|my)[ \t]+)?(?:{body}){_AFTER_SHIFT}", re.IGNORECASE)


# First names that end like the words of _LOWER_ENDINGS.
_NAMES_LIKE_WORDS = _words("kimberly kimberley beverly beverley conal")


def _how_things_are(word: str) -> bool:
    """Whether `word` describes a place, a thing or the day rather than naming someone ("dead",
    "quiet", "behind", "permanently", "arrangers")."""
    key = word.rstrip(".").lower()
    if key in _STATES:
        return True
    return (
        word.islower()
        and key not in _NAMES_LIKE_WORDS
        and any(key.endswith(ending) and len(key) >= shortest for ending, shortest in _LOWER_ENDINGS)
    )


def _name_end(text: str, start: int, end: int) -> int:
    """`end`, or `start` when the first of the names from `start` says how things are ("its dead
    again", "im behind on tills"); a surname after it is not looked up ("Priya Young")."""
    first = re.match(r"\S+", text[start:end])
    return start if first is None or _how_things_are(first.group()) else end


def _lower_intro(text: str, start: int, vocab: _Vocabulary, *, mark: re.Pattern[str] | None = None) -> int:
    """The end of a lower-case name from `start` that ends an introduction ("priya here", "dave on
    tills", or one that `mark` matches after it: "priya,", "priya ("), or `start`."""
    end = _name_end(text, start, _names_at(text, start, vocab, lower=True))
    if end == start:
        return start
    if _LOWER_HERE_END.match(text, end) or vocab.from_shift.match(text, end) or (mark and mark.match(text, end)):
        return end
    return start


def _name_then(text: str, start: int, vocab: _Vocabulary, *ends: re.Pattern[str]) -> int:
    """The end of a capitalised name from `start` followed by one of `ends`, or `start`."""
    end = _name_end(text, start, _names_at(text, start, vocab))
    if end > start and any(e.match(text, end) for e in ends):
        return end
    return start


def _intro(text: str, vocab: _Vocabulary) -> str:
    found: list[tuple[int, int]] = []
    for m in _MY_NAME.finditer(text):
        gap = _GAP.match(text, m.end())
        if gap:
            end = _names_at(text, gap.end(), vocab, closing=False, lower=True)
            if end > gap.end():
                found.append((gap.end(), end))
    for pattern, until in ((_I_AM, _INTRO_END), (_THIS_IS, _INTRO_END), (_HERE, _HERE_END)):
        for m in pattern.finditer(text):
            gap = _GAP.match(text, m.end())
            start = gap.end() if gap else m.end()
            end = _names_at(text, start, vocab)
            if end > start and until.match(text, end):
                found.append((start, end))
            elif pattern is not _HERE:  # "this is dave on tills", "hi its priya, …"
                greeted = pattern is _THIS_IS and m.group("greeting") is not None
                greeted = greeted or bool(_GREETED.search(text, 0, m.start()))
                end = _lower_intro(text, start, vocab, mark=_MARK_END if greeted else None)
                if end > start:
                    found.append((start, end))
    for m in _SELF_BRACKET.finditer(text):
        end = _names_at(text, m.end(), vocab)
        if len(text[m.end() : end].split()) >= 2 and re.match(r"[ \t]*\)", text[end:]):
            found.append((m.end(), end))
    for m in _ITS_ME.finditer(text):
        end = _name_then(text, m.end(), vocab, _ITS_ME_END, vocab.from_shift)
        if end == m.end() and m.group("mark"):
            end = _lower_intro(text, m.end(), vocab, mark=_ITS_ME_MARK_END)
        if end > m.end():
            found.append((m.end(), end))
    for m in _ME_BRACKET.finditer(text):
        end = _name_end(text, m.end(), _names_at(text, m.end(), vocab, lower=True))
        if end > m.end() and _BRACKET_ROLE_END.match(text, end):
            found.append((m.end(), end))
    opening = _OPENING.match(text)
    if opening:  # after a greeting a name is whom it greets ("Hi, Tom from sales: …") unless "again"
        greeted = opening.group().strip() != ""
        end = _name_then(text, opening.end(), vocab, _AGAIN_END, *(() if greeted else (vocab.from_shift,)))
        if end > opening.end():
            found.append((opening.end(), end))
    found += _signed_opening(text, vocab) + _reported_by(text, vocab)
    out, done = [], 0
    for start, end in sorted(set(found)):
        if start >= done:
            out += [text[done:start], NAME]
            done = end
    return "".join(out) + text[done:]


# Words that head a report as its topic ("Toner: none left", "Water Leak - ward 4", "Reminder: …"),
# where a name would open it before a colon or a dash: never a name there.
_TOPICS = _words(
    """
    note notes reminder reminders feedback edit summary example subject context background info
    information fyi ps nb re query request requests complaint incident report alert warning notice
    important heads update reason result outcome question topic point issue problem priority action
    water power electricity gas heat fire smoke alarm leak leaks flood damp mould pest noise smell dust
    waste rubbish recycling bin food drink drinks fuel toner paper ink laundry linen bedding bed van car
    bus train taxi lift kiosk machine menu lunch salary pay mileage travel absence leave parking stock
    post mail boiler battery charger meter tablet button screen monitor printer scanner template form
    certificate passport insurance mortgage schedule deadline upgrade discount hotel venue event
    airline airport police funeral sample slot batch lab scheme supplier vendor broker lender landlord
    contractor provider employer solicitor interpreter child parent resident tenant visitor caller
    donor volunteer supporter claimant storage archive backup password login access safety hygiene
    cleaning catering kitchen bar cafe restaurant shower toilet window door roof wall floor ceiling
    corridor stairs garage garden yard fence gate budget invoice receipt refund payment payslip tax
    handover rota roster uniform equipment delivery collection returns ward bay dock till
    buyer seller lady woman man guy kid person customer trade developer plot gift hospitality bag grant
    medical offer probate premium age legacy permit ramp assistance annual joint hardship emergency bulk
    international promoter season export lottery furniture reference sponsor sponsorship preschool
    payout overseas asbestos insurer assessor death pensioner linguist meal remortgage paint allergen
    recall ombudsman source outreach search guarantor stage coffin coach loyalty conference tour project
    distributor cargo charter voucher photos reseller gym broadband proposal widow community accident
    dietitian prison press bench wheelchair tribunal counter exam disability farmer storm builder
    homeowner damage loan hospice teacher library market divorce hearse pool carrier tool underwriter
    employee scam puppy magazine advertiser freelancer lounge aircraft bond excess cabin arrival belt
    stretcher usage feature webinar release forecast energy retail prize respite nappy formula snow
    toddler task sanitiser mop hoover checklist meat sandwich nursery judge juror defendant chair
    implant dentist keyboard dispute item appeal wallet seat passenger pump pilot sprinkler supermarket
    rail asset vehicle router transcript translator tanker sewer patrol footage pub handset hostel
    bedroom bathroom plumber valuer clearance questionnaire draft bundle counsel disposal
    """
)
# First names that end like a plural ("James: …" is a name, "Gloves: …" a topic).
_NAMES_LIKE_PLURALS = _words(
    "james charles agnes miles giles jules frances ines mercedes dolores les wes rhys gladys dilys emrys lars hans"
)


def _heads_a_topic(text: str, start: int, end: int) -> bool:
    """Whether the words from `start` to `end` opening a report read as its topic: a word that heads
    one, or a first that is plural ("Gloves", "Deliveries") or ends like a word ("Citizenship")."""
    words = [w.rstrip(".").lower() for w in text[start:end].split()]
    first = words[0] if words else ""
    plural = first.endswith("s") and not first.endswith(("ss", "us", "is", "os", "as"))
    ending = any(first.endswith(e) and len(first) >= shortest for e, shortest in _LOWER_ENDINGS)  # "Citizenship"
    if any(w in _TOPICS for w in words) or (plural and first not in _NAMES_LIKE_PLURALS):
        return True
    return ending and first not in _NAMES_LIKE_WORDS


# A name opening the report before a colon or a dash, a role in brackets or after a comma between:
# "Priya Patel - …", "Priya: …", "Priya (finance) - …", "Priya P, nights: …"; after "From" or
# "Reported by" (a greeting before them) also before a comma: "From Priya, …".
_BY = re.compile(r"(?:from|reported[ \t]+by)[ \t]+", re.IGNORECASE)
_ROLE_BRACKET = re.compile(r"[ \t]*\([^()\n]{1,40}\)")
_OPENING_MARK = re.compile(r"[ \t]*:(?=\s)|[ \t]*(?:--?|–|—)(?=[ \t])")
_BY_MARK = re.compile(r"[ \t]*[:,](?=\s)|[ \t]*(?:--?|–|—)(?=[ \t])")
# A job title after a comma ("Priya Patel, Finance Assistant: …", "Sam, senior porter - …"): one to
# five words, one of them naming a job, each a job word, a team's or capitalised ("Sarah, quick
# one: …" and "Sam, ask the manager: …" are no job title).
_COMMA_ROLE = re.compile(r"[ \t]*,[ \t]*[^\W\d_]+(?:[ \t]+(?:&[ \t]+)?[^\W\d_]+){0,4}")
_JOBS = _words(
    """
    assistant manager lead leader officer administrator admin coordinator supervisor
    director executive analyst accountant bookkeeper clerk controller advisor adviser consultant
    specialist engineer technician nurse sister matron doctor porter cleaner driver receptionist
    agent operator apprentice trainee intern rep representative secretary buyer planner chef cook
    hca rgn pa head partner associate auditor cashier caretaker caseworker handler paralegal
    solicitor teacher midwife pharmacist carer worker
    """
)
_JOB_WORDS = _JOBS | _words("senior junior deputy acting principal chief trainee team of and for the")


def _names_a_job(words: list[str]) -> bool:
    """Whether one of the words names a job ("Assistant", "porters")."""
    return any(w.lower() in _JOBS or w.lower().rstrip("s") in _JOBS for w in words)


def _job_title_end(text: str, end: int, vocab: _Vocabulary) -> int | None:
    """The end of a job title after a comma from `end` ("Priya Patel, Finance Assistant"), or None."""
    role = _COMMA_ROLE.match(text, end)
    if role is None:
        return None
    words = re.findall(r"[^\W\d_]+", role.group())
    keys = [w.lower() for w in words]
    if not _names_a_job(words):
        return None
    ok = all(w[0].isupper() or k in _JOB_WORDS or k in vocab.named for w, k in zip(words, keys, strict=True))
    return role.end() if ok else None


def _signed_opening(text: str, vocab: _Vocabulary) -> list[tuple[int, int]]:
    """Where the name of a signed opening is: [(start, end)] or []."""
    opening = _OPENING.match(text)
    if opening is None:
        return []
    by = _BY.match(text, opening.end())
    if by is None and opening.group().strip():
        return []  # after a greeting a name is whom it greets ("Hi Sam - …")
    start = by.end() if by else opening.end()
    end = _name_end(text, start, _names_at(text, start, vocab))
    if end == start or _heads_a_topic(text, start, end):
        return []
    # A job title next to a name picks out one person in a small team: it goes with the name
    # ("Priya Patel, Finance Assistant: …" and "Priya (night sister) - …" become "[name]: …",
    # "[name] - …"); a team or shift stays ("[name] (finance) - …", "[name], nights: …").
    mark = _BY_MARK if by else _OPENING_MARK
    job = _job_title_end(text, end, vocab)
    if job is not None and mark.match(text, job):
        return [(start, job)]
    bracket = _ROLE_BRACKET.match(text, end)
    if bracket and _names_a_job(re.findall(r"[^\W\d_]+", bracket.group())) and mark.match(text, bracket.end()):
        return [(start, bracket.end())]
    role = bracket or vocab.comma_shift.match(text, end) or vocab.from_shift.match(text, end)
    return [(start, end)] if mark.match(text, role.end() if role else end) else []


# "reported by" and capitalised names in brackets, a role after them ("(reported by Priya)", "(reported
# by Sam, nights)", "(reported by Sam on nights)"), or at the very end ("…, reported by Priya Patel").
_REPORTED_BY = re.compile(r"(?P<bracket>\([ \t]*)?\breported[ \t]+by[ \t]+", re.IGNORECASE)
_CLOSE_BRACKET = re.compile(r"[ \t]*\)")


def _reported_by(text: str, vocab: _Vocabulary) -> list[tuple[int, int]]:
    """Where the names after "reported by" in brackets or at the very end are."""
    found = []
    for m in _REPORTED_BY.finditer(text):
        if m.group("bracket"):
            end = _name_end(text, m.end(), _names_at(text, m.end(), vocab))
            shift = vocab.from_shift.match(text, end)
            if end > m.end() and (
                _BRACKET_ROLE_END.match(text, end) or (shift and _CLOSE_BRACKET.match(text, shift.end()))
            ):
                found.append((m.end(), end))
        else:
            last = _closing_at(text, m.end(), vocab, closing=False, lower=False)
            if last is not None:
                found.append((m.end(), last))
    return found


# "sent from my iPhone, Karen Jones", "sent from my samsung galaxy karen": a device's own footer,
# then the name. "Sent from my iPhone" alone names nobody and stays.
_SENT_FROM = re.compile(r"\bsent[ \t]+from[ \t]+my[ \t]+", re.IGNORECASE)
_DEVICE = _words(
    """
    iphone ipad ipod android samsung galaxy pixel huawei xiaomi oneplus motorola moto nokia oppo sony
    xperia blackberry htc lg honor realme vivo fairphone doro apple google phone mobile smartphone
    tablet handset cell cellphone work personal company new old pro max plus ultra mini lite note edge
    fold flip se air watch s xr xs
    """
)
_DEVICE_WORD = re.compile(r"[^\W_][\w.+-]*")
_UNKNOWN_DEVICE = re.compile(r"[^\s,\-–—|/:]+(?:[ \t]+[^\s,\-–—|/:]+){0,2}")
_DEVICE_MARK = re.compile(r"[ \t]*(?:[,:\-–—|/]|\n)[ \t\n]*")


def _device_end(text: str, start: int) -> int:
    """The end of a known device's name from `start` ("iPhone", "Samsung Galaxy S22", "work phone"),
    or `start`."""
    end = start
    while True:
        gap = _GAP.match(text, end) if end > start else None
        word = _DEVICE_WORD.match(text, gap.end() if gap else end)
        if word is None or not (word.group().lower() in _DEVICE or any(c.isdigit() for c in word.group())):
            return end
        end = word.end()


def _sent_from(text: str, vocab: _Vocabulary) -> str:
    for m in _SENT_FROM.finditer(text):
        device_end = _device_end(text, m.end())
        if device_end > m.end():  # a known device, then a comma, dash, line break or space: "iPhone Karen"
            gap = _DEVICE_MARK.match(text, device_end) or _GAP.match(text, device_end)
        else:  # another of one to three words, then a comma, dash or line break: "Fairphone 4, karen"
            words = _UNKNOWN_DEVICE.match(text, m.end())
            gap = _DEVICE_MARK.match(text, words.end()) if words else None
        end = _closing_at(text, gap.end(), vocab, closing=True, lower=True) if gap else None
        if gap and end is not None:
            return _replace(text, gap.end(), end)
    return text


def scrub(text: str, taxonomy: Taxonomy | None) -> str:
    """The text with the writer's own name in a sign-off or self-introduction replaced by [name],
    read with the words of `taxonomy`, the one Snag runs with (None: the shipped one)."""
    return _scrub(text, _vocabulary(taxonomy))


def _scrub(text: str, vocab: _Vocabulary) -> str:
    """Each message of the text scrubbed on its own: the report, then each reply added under it
    after ALSO, where a sign-off ends a message and an introduction opens one."""
    from bot.editing import ALSO  # here, not above: bot.editing reaches this module by way of bot.cards

    return ALSO.join(_scrub_message(part, vocab) for part in text.split(ALSO))


def _scrub_message(text: str, vocab: _Vocabulary) -> str:
    return _bare(_dash(_closing(_sent_from(_intro(text, vocab), vocab), vocab), vocab), vocab)


def names_writer(text: str, taxonomy: Taxonomy | None) -> bool:
    """True when the text carries a sign-off or self-introduction that `scrub` would replace."""
    return scrub(text, taxonomy) != text


def plain_first(items: Iterable[T], n: int, text: Callable[[T], str], taxonomy: Taxonomy | None) -> list[T]:
    """Up to n items, those whose text names nobody first; the chosen keep the order given."""
    vocab = _vocabulary(taxonomy)
    ranked = sorted(enumerate(items), key=lambda pair: _scrub(text(pair[1]), vocab) != text(pair[1]))[:n]
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])]
