"""Messages that are not reports: a greeting, thanks, a question to Snag, a bare link, "stop", and
asking to take a report back.

People talk to a bot as they talk to a colleague, and "hi there" or "thank you!" filed as friction
would count in leaders' patterns. The screen is deliberately small and conservative: a message is
set aside only when the WHOLE of it is one of these phrases, so a real one-liner that merely starts
like one ("thanks to the new rota nobody covers lunch", "hello? is anyone reading the shared
inbox") is still filed. A test holds it against every shipped training report. Nothing set aside
is stored, and the answer says how to file it anyway (`report <text>`), so nothing is lost.
Greetings and thanks are read in the languages of UK, European and US workplaces too ("hola buenos
días", "Спасибо большое", "谢谢"), with case and accents folded.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain import Reply
from bot.text import visible

__all__ = [
    "EMOJI_CODE", "aside", "points_elsewhere", "take_back", "taken_back", "asked_after", "agrees", "declines",
    "answer", "ASIDES",
]  # fmt: skip

# How Slack spells an emoji (:sob:, :+1::skin-tone-3:, two together as :sob::sob:).
EMOJI_CODE = re.compile(r"(?<![^\s:]):[a-z0-9_+'-]+:(?::skin-tone-\d:)?", re.IGNORECASE)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _phrases(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _fold(text: str) -> str:
    """Case and accents folded, so "Dziękuję", "dziekuje" and "DZIĘKUJĘ" read alike (and
    "مرحباً" as "مرحبا"): people often type without accents, or with their phone's."""
    bare = (ch for ch in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFC", "".join(bare))


def _abroad(*alternatives: str) -> str:
    """Phrases in other languages, written as people write them, folded as `_plain` folds the message."""
    return _phrases(*(re.escape(_fold(phrase)) for phrase in alternatives))


_SNAG = _phrases("snag", "bot", "you", "there", "all", "everyone", "again", "team", "friend", "mate", "world")
_NICE = _phrases(
    "ok", "okay", "great", "perfect", "cool", "nice", "awesome", "brilliant", "lovely", "super", "excellent",
    "amazing", "fab", "fantastic", "wonderful", "good", "ah", "oh", "yes", "yep",
)  # fmt: skip
_THANKS = _phrases(
    "thanks", "thank you", "thankyou", "thx", "ty", "ta", "cheers", "many thanks", "much appreciated",
    "appreciate it", "appreciated", "thank u", "thanku", "thanks so much", "thank you kindly", "thanks kindly",
)  # fmt: skip
_MORE = _phrases(
    "snag", "bot", "again", "a lot", "a million", "so much", "very much", "loads", "for that", "for this",
    "for the help", "for your help", "for helping", "for letting me know", "for the update", "for the info",
    "for the reply", "for replying", "for getting back to me", "kindly",
)  # fmt: skip
_ACK = _phrases(
    "ok", "okay", "k", "got it", "gotcha", "sounds good", "all good", "no worries", "no problem", "great",
    "perfect", "cool", "nice", "awesome", "will do", "noted", "understood", "alright", "all right", "fine",
    "sure", "yes", "yep", "yeah", "no", "nope", "bye", "goodbye", "bye bye", "see you", "see ya",
    "good night", "night", "have a nice day", "have a good day", "have a great day", "you too",
    "you're welcome", "welcome", "lol", "haha", "hah", "wow", "hmm", "hm", "oh", "ah", "yes please", "please do",
    "go ahead", "do it", "makes sense", "that makes sense", "good to know", "nice one", "great stuff",
    "good stuff", "that's all", "thats all", "that is all", "that's it", "thats it", "all done", "done",
    "good bot", "okey dokey", "okie dokie", "fair enough", "roger", "roger that", "ok then", "okay then",
    "that's great", "thats great", "that's perfect", "thats perfect", "that's helpful", "that's fine",
)  # fmt: skip
# Agreeing to something Snag asked ("yes please", "go ahead"): the confirmation `erase mine` asks for,
# when this Snag has just asked it (bot.erasing), else an aside; the erase-ish ones get the commands.
_YES = _phrases("yes", "yep", "yeah", "yup", "ok", "okay", "sure", "alright", "all right")
_ERASE_IT = _phrases(
    "confirm", "confirmed", "i confirm", "confirm erase", "confirm erasing", "confirm delete", "erase confirm",
    "erase them", "delete them", "erase them all", "delete them all", "erase it all", "delete it all",
    "erase all of them", "delete all of them",
)  # fmt: skip
_CONFIRM = re.compile(f"(?:{_YES} )?(?:please )?{_ERASE_IT}(?: please| thanks| thank you)?")
_AGREE = re.compile(
    f"{_YES}(?: please| thanks| thank you)?|(?:{_YES} )?(?:please )?{_phrases('go ahead', 'do it', 'please do')}"
    "(?: please| thanks| thank you)?"
)
_MY_REPORT = _phrases("my (?:last |latest |previous |most recent |old )?(?:report|reports|issue|issues|message|ticket)")
_VERB_BACK = _phrases(
    "delete", "erase", "remove", "undo", "cancel", "withdraw", "retract", "revoke", "scrap", "discard",
    "drop", "bin", "unsend", "wipe", "get rid of", "take back",
)  # fmt: skip
_ASK = _phrases(
    "please ", "pls ", "can you ", "could you ", "can i ", "could i ", "may i ", "i want to ", "i wanna ",
    "i'd like to ", "id like to ", "i would like to ", "i need to ", "how do i ", "how can i ",
    "is it possible to ", "let me ", "i'd like you to ", "please can you ", "can you please ", "",
)  # fmt: skip
_POLITE = _phrases(" please", " pls", " thanks", " thank you", " now", " for me", " asap", "")
_THE_LAST = _phrases(
    "that", "this", "it", "the last one", "the last report", "the last message", "my last one",
    "my last report", "my last message", "my latest report", "my latest one", "my previous report",
    "my most recent report", "my report", "the report", "that report", "this report", "my message",
    "that message", "what i just sent", "what i sent", "what i just wrote", "what i wrote",
    "the report i just sent", "the report i just made", "the report i sent", "the one i just sent",
)  # fmt: skip
_ALL_MINE = _phrases(
    "all my reports", "all of my reports", "all my messages", "all of my messages", "all my data",
    "my reports", "my data", "all of it", "everything i sent", "everything i've sent", "everything i reported",
    "everything i've reported", "everything i have sent", "everything i wrote", "all my stuff", "everything about me",
)  # fmt: skip

_HOW_ARE_YOU = _phrases(
    "how are you", "how are you doing", "how are things", "hows it going", "how's it going", "whats up", "what's up",
)  # fmt: skip
_GREETING = _phrases(
    "hi", "hello", "hey", "hiya", "heya", "howdy", "yo", "greetings", "good morning", "good afternoon",
    "good evening", "good day", "morning", "afternoon", "evening", "hi hi", "hello hello",
)  # fmt: skip
# Greetings and thanks in the languages of UK, European and US workplaces: "hola buenos días",
# "Спасибо большое" and "谢谢" are no more a report than "hi" and "thanks".
_GREETING_ABROAD = _abroad(
    "helo", "shwmae", "shw mae", "sut mae", "bore da", "prynhawn da", "noswaith dda",  # Welsh
    "cześć", "dzień dobry", "witam", "witajcie", "siema", "dobry wieczór",  # Polish
    "hola", "buenos días", "buen día", "buenas tardes", "buenas noches", "buenas", "qué tal",  # Spanish
    "olá", "oi", "bom dia", "boa tarde", "boa noite", "tudo bem",  # Portuguese
    "bonjour", "salut", "bonsoir", "coucou", "ça va",  # French
    "hallo", "guten morgen", "guten tag", "guten abend", "servus", "moin", "grüß gott", "grüezi",  # German
    "ciao", "buongiorno", "buon giorno", "buonasera", "salve",  # Italian
    "bună", "bună ziua", "bună dimineața", "bună seara",  # Romanian
    "hoi", "goedemorgen", "goedemiddag", "hej", "hei", "hejsan", "god morgen", "god morgon", "moi",  # Dutch, Nordic
    "γεια", "γεια σου", "γεια σας", "καλημέρα", "ahoj", "dobrý den", "dobrý deň", "szia", "jó napot",  # Greek, ...
    "labas", "sveiki", "labdien", "merhaba", "selam", "günaydın", "gunaydin",  # Baltic, Turkish
    "привет", "здравствуйте", "здравствуй", "добрый день", "доброе утро", "добрый вечер",  # Russian
    "привіт", "вітаю", "добрий день", "доброго дня", "добрий ранок", "здравей", "здравейте",  # Ukrainian, Bulgarian
    "مرحبا", "أهلا", "أهلا وسهلا", "السلام عليكم", "سلام", "صباح الخير", "مساء الخير",  # Arabic
    "السلام علیکم", "آداب", "salam", "salaam", "marhaba", "ahlan", "salam alaikum", "salaam alaikum",  # Urdu
    "assalamu alaikum", "assalamualaikum", "as salamu alaikum", "asalam o alaikum", "assalam o alaikum",
    "नमस्ते", "नमस्कार", "namaste", "namaskar", "sat sri akal", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "নমস্কার", "வணக்கம்",  # South Asian
    "你好", "您好", "大家好", "你们好", "早上好", "早安", "下午好", "晚上好", "嗨", "哈喽", "你好啊",  # Chinese
    "こんにちは", "おはよう", "おはようございます", "こんばんは", "안녕", "안녕하세요",  # Japanese, Korean
    "xin chào", "chào", "kumusta", "kamusta", "שלום", "היי", "בוקר טוב", "ערב טוב", "درود",  # ..., Hebrew, Persian
)  # fmt: skip
_THANKS_ABROAD = _abroad(
    "diolch", "diolch yn fawr", "diolch o galon",  # Welsh
    "dziękuję", "dziękuje", "dzięki", "dzięki wielkie", "bardzo dziękuję",  # Polish
    "gracias", "muchas gracias", "mil gracias", "muchísimas gracias",  # Spanish
    "obrigado", "obrigada", "muito obrigado", "muito obrigada", "valeu",  # Portuguese
    "merci", "merci beaucoup", "merci bien", "mille mercis",  # French
    "danke", "danke schön", "dankeschön", "danke sehr", "vielen dank", "herzlichen dank", "besten dank",  # German
    "grazie", "grazie mille", "mille grazie", "grazie tante",  # Italian
    "mulțumesc", "mersi", "mulțumesc frumos", "mersi mult",  # Romanian
    "dank je", "dank je wel", "dank u", "dank u wel", "bedankt", "hartelijk dank",  # Dutch
    "tack", "tack så mycket", "tak", "tusind tak", "takk", "tusen takk", "kiitos", "kiitos paljon",  # Nordic
    "ευχαριστώ", "ευχαριστώ πολύ", "děkuji", "díky", "ďakujem", "köszönöm", "köszi", "ačiū", "paldies",  # Greek, ...
    "teşekkürler", "teşekkür ederim", "sağ ol", "sağol", "tesekkurler",  # Turkish
    "спасибо", "большое спасибо", "спасибки", "благодарю", "благодаря", "мерси",  # Russian, Bulgarian
    "дякую", "дуже дякую", "щиро дякую",  # Ukrainian
    "شكرا", "شكرا جزيلا", "مشكور", "shukran", "shukran jazilan",  # Arabic
    "شکریہ", "بہت شکریہ", "shukriya", "bohat shukriya", "bahut shukriya",  # Urdu
    "धन्यवाद", "शुक्रिया", "बहुत धन्यवाद", "dhanyavad", "dhanyavaad", "dhanyawad",  # Hindi
    "ਧੰਨਵਾਦ", "ধন্যবাদ", "நன்றி", "આભાર",  # Punjabi, Bengali, Tamil, Gujarati
    "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "太感谢了", "谢啦", "谢了", "謝謝",  # Chinese
    "ありがとう", "ありがとうございます", "감사합니다", "고맙습니다",  # Japanese, Korean
    "cảm ơn", "cám ơn", "salamat", "maraming salamat", "תודה", "תודה רבה", "ممنون", "مرسی",
)  # fmt: skip
_MORE_ABROAD = _abroad(
    "yn fawr", "bardzo", "serdecznie", "wielkie", "por todo", "por la ayuda", "pela ajuda", "beaucoup",
    "pour tout", "schön", "sehr", "vielmals", "mille", "tante", "mult", "frumos", "wel", "paljon", "πολύ",
    "большое", "огромное", "дуже", "جزيلا", "بہت", "你", "您", "了", "רבה", "לך",
)  # fmt: skip
_SNAG_ABROAD = _abroad(
    "amigo", "amiga", "amigos", "a todos", "todos", "à tous", "tout le monde", "zusammen", "a tutti", "tutti",
    "wszystkim", "всем", "друг", "mon ami",
)  # fmt: skip
_HOW_ABROAD = _abroad(
    "cómo estás", "qué tal", "ça va", "comment ça va", "wie geht's", "wie gehts", "come stai", "como vai",
    "jak się masz", "как дела", "як справи", "ce faci",
)  # fmt: skip
_TEST = _phrases(
    "test", "testing", "just testing", "just a test", "this is a test", "this is just a test", "test message",
    "a test", "testing testing", "test test",
)  # fmt: skip
_STOP = _phrases(
    "stop", "stop it", "stop that", "stop messaging me", "stop texting me", "stop sending me messages",
    "stop bothering me", "stop pinging me",
)  # fmt: skip
_BOT = _phrases("this", "it", "snag", "you", "the bot", "this bot", "this app", "this thing", "this chat")
_WHO = _phrases(
    "manager", "managers", "boss", "lead", "team lead", "line manager", "supervisor", "leaders", "hr",
    "anyone", "anybody", "someone", "colleagues", "team",
)  # fmt: skip
_ABOUT = _phrases("this", "these", "it", "my reports?", "what i write", "what i send", "what i type", "my messages?")
_STATE = _phrases("a bot", "there", "on", "working", "live", "real", "human", "a person", "awake", "online")
_TO_DO = _phrases("use", "report", "file", "submit", "talk to", "work with", "start")
_WHAT_FOR = _phrases("a report", "an issue", "a problem", "something", "friction", "here", "things")
_HELP = _phrases(
    "(?:can you |could you |please |i need |need )?help(?: me)?(?: please)?(?: snag)?",
    f"how (?:do|can|should|would) (?:i|we) {_TO_DO}(?: {_BOT}| {_WHAT_FOR})?",
    f"how (?:does|do) {_BOT} work",
    f"what(?: is|s|'s) {_BOT}(?: for)?",
    "what (?:can|do|should|shall) (?:i|you|we) (?:do|type|say|write|report|ask|send)"
    "(?: here| with this| with you| with it| to you| for you)?",
    "what are you(?: for)?",
    "who are you",
    "what do you do",
    "what commands are there",
    "what are the commands",
    f"(?:is|are) (?:{_BOT}|my reports?|reports) (?:anonymous|private|confidential|secret)",
    f"who (?:can |will |gets to |does )?(?:see|sees|read|reads) {_ABOUT}",
    f"(?:are you|is this|is it|is snag) {_STATE}",
    "(?:does|did) (?:this|it|that) (?:work|go through)",
    f"(?:will|can|could|would|does|do) (?:my )?{_WHO} (?:see|read|find out|know about|know|find) {_ABOUT}",
    f"(?:will|can|could|would|does|do) (?:my )?{_WHO} (?:see|know|find out)"
    " (?:who wrote (?:this|it)|it was me|who i am)",
    f"how long (?:do|will|does) (?:you|snag|this|it) (?:keep|store|hold) {_ABOUT}",
    "(?:can|could|may) i (?:send|attach|add|upload) (?:a |an )?(?:photo|picture|pic|screenshot|image|file)s?",
)
_MINE = _phrases(
    f"(?:whats|what's|what is) (?:the )?(?:status|progress|latest|update)(?: (?:of|on|for|with) {_MY_REPORT})?",
    f"any (?:news|updates?|progress|feedback)(?: (?:on|about|for|with) {_MY_REPORT})?",
    f"what(?:ever)? happened (?:to|with) {_MY_REPORT}",
    "did (?:you|snag) (?:get|receive|see|save|file|record) (?:my report|my message|it|that|this|my last report)",
    f"(?:where|how) (?:is|are) {_MY_REPORT}",
    f"(?:show|list|see|view|check)(?: me)? {_MY_REPORT}",
    f"how (?:do|can) i (?:see|check|find|view|track) {_MY_REPORT}",
    f"status(?: update)?(?: (?:of|on) {_MY_REPORT})?(?: please)?",
    "(?:any )?updates?(?: please)?",
)

# Kind of aside -> the phrases that are wholly that (after lower-casing; punctuation and emoji gone).
ASIDES: dict[str, re.Pattern[str]] = {
    "greeting": re.compile(
        f"{_phrases(_GREETING, _GREETING_ABROAD)}(?: {_phrases(_GREETING, _GREETING_ABROAD)})*"
        f"(?: {_phrases(_SNAG, _SNAG_ABROAD)})?(?: {_phrases(_HOW_ARE_YOU, _HOW_ABROAD)})?"
    ),
    "confirm": _CONFIRM,
    "thanks": re.compile(
        f"(?:(?:{_NICE}|{_ACK}) )*{_phrases(_THANKS, _THANKS_ABROAD)}"
        f"(?: {_phrases(_MORE, _MORE_ABROAD, _THANKS, _THANKS_ABROAD)})*"
        f"(?: {_phrases(_SNAG, _SNAG_ABROAD)})?(?: {_ACK})*"
    ),
    "ack": re.compile(f"{_ACK}(?: {_ACK})*(?: {_THANKS})?"),
    "test": re.compile(f"{_TEST}(?: \\d+)*(?: message| please| snag| ignore)?"),
    "stop": re.compile(f"{_STOP}{_POLITE}"),
    "help": re.compile(_HELP),
    "mine": re.compile(_MINE),
}
_NEVER_MIND_WORDS = _phrases(
    "never mind", "nevermind", "nvm", "ignore that", "ignore this", "ignore it", "ignore me",
    "ignore my last message", "forget it", "forget that", "scratch that", "oops", "my bad", "sorry",
    "wrong chat", "wrong person", "please",
)  # fmt: skip
_NEVER_MIND = re.compile(f"{_NEVER_MIND_WORDS}(?: {_NEVER_MIND_WORDS})*")
_TAKE_IT_BACK = _phrases(f"{_VERB_BACK} {_THE_LAST}", "undo", "unsend", "take (?:that|it|this) back")
_BACK_LAST = re.compile(f"{_ASK}{_TAKE_IT_BACK}{_POLITE}")
_BACK_ALL = re.compile(
    f"{_ASK}{_phrases(f'{_VERB_BACK} {_ALL_MINE}', f'{_VERB_BACK} me', 'forget me', 'forget about me')}{_POLITE}"
)
# "delete 12", "undo #12", "remove my report 12": a report named by its number (the # is gone by now)
_BACK_NUMBER = re.compile(f"{_ASK}{_VERB_BACK} (?:my )?(?:report |number |report number |no )?(\\d{{1,9}}){_POLITE}")


# "status 1?", "status of #1", "what's the status of report 12", "any news on my report 12": a reporter
# asking after one report by its number (the # is gone by now). Answered, never filed: reading.py.
_NUMBERED = "(?:(?:my|the) )?(?:(?:report|ticket|issue|number|no|num) )*(\\d{1,9})"
_ABOUT_IT = _phrases("of", "on", "for", "with", "about", "to")
_ASKED_AFTER = tuple(
    re.compile(f"{form}{_POLITE}")
    for form in (
        f"(?:(?:whats|what's|what is|hows|how's|how is|wheres|where's|where is) )?(?:the )?"
        f"{_phrases('status', 'progress', 'latest', 'news', 'update', 'updates')}(?: update)?"
        f"(?: {_ABOUT_IT})? {_NUMBERED}",
        f"(?:any|got any|is there any) {_phrases('news', 'update', 'updates', 'progress', 'feedback', 'word')}"
        f"(?: {_ABOUT_IT})? {_NUMBERED}",
        f"what(?:ever)? happened (?:to|with) {_NUMBERED}",
        f"(?:where|how) (?:is|are|s) {_NUMBERED}(?: going| doing| at)?",
        f"(?:show|see|view|check)(?: me)?(?: on)? {_NUMBERED}",
    )
)
_A_REPORT = re.compile(r"\b(?:my|report|ticket|issue)\b")


def asked_after(text: str, *, status_is_theirs: bool = False) -> int | None:
    """The number of the report the whole message asks after ("status 1?", "status of #1", "what's
    the status of report 12"), else None. With `status_is_theirs` (a manager, whose `status 12 …`
    sets a pattern's status) a line starting with "status" asks after a report only when it says
    so ("status of report 12", "status of my 12"): `status 12` is their command's slip."""
    plain = _plain(text)
    found = next((m for m in (p.fullmatch(plain) for p in _ASKED_AFTER) if m), None)
    if found is None or (status_is_theirs and plain.startswith("status") and not _A_REPORT.search(plain)):
        return None
    return int(found.group(1))


def taken_back(text: str) -> int | None:
    """The number of the report the message asks to take back ("delete 12", "undo #12"), if that is all it says."""
    found = _BACK_NUMBER.fullmatch(_plain(text))
    return int(found.group(1)) if found else None


def agrees(text: str) -> bool:
    """Whether the whole message agrees to what was asked: "yes", "go ahead", "confirm erase"."""
    plain = _plain(text)
    return bool(_AGREE.fullmatch(plain) or _CONFIRM.fullmatch(plain))


# A whole line saying no to what Snag just asked ("no, keep them", "wait no!", "sorry wrong button"):
# the answer to `erase mine`'s question when it was just asked (bot.erasing), else an aside.
_DECLINE_ASIDE = (
    "actually", "wait", "hmm+", "hm", "oh", "ah", "uh", "um", "erm", "whoops", "sorry", "ok", "okay",
    "hold on", "hang on", "please", "pls", "my bad", "my mistake",
)  # fmt: skip
_DECLINE_SAID = (
    "no+", "nope", "nah", "stop", "cancel", "cancel that", "cancel it", "abort", "never ?mind", "nvm",
    "no thanks", "no thank you", "not now", "not yet", "no way", "oops", "forget it", "forget that",
    "scratch that", "(?:please )?(?:don'?t|do not)(?: (?:delete|erase|remove|wipe|do)(?: (?:them|it|that|anything"
    "|my reports|them all|all of them|it all))?)?",
    "keep (?:them|it|my reports|them all|all of them|it all|everything)", "leave (?:them|it)(?: alone)?",
    "(?:i )?(?:didn'?t|did not) (?:mean (?:that|it|to)|want (?:that|to|this))", "not what i meant",
    "(?:i )?changed my mind", "wrong (?:button|command|one|thing)",
    "i (?:pressed|clicked|hit|typed|tapped) the wrong (?:button|thing|one|command)",
)  # fmt: skip
_DECLINE_WORDS = 8  # a no is short; a longer line is something else
_DECLINE = re.compile(
    "(?:(?:{aside}) )*(?:{said})(?: (?:{aside}|{said}))*".format(
        aside="|".join(_DECLINE_ASIDE), said="|".join(_DECLINE_SAID)
    )
)


def declines(text: str) -> bool:
    """Whether the whole message says no to what was asked: "no", "cancel", "actually don't"."""
    plain = _plain(text)
    return 0 < len(plain.split()) <= _DECLINE_WORDS and _DECLINE.fullmatch(plain) is not None


def _plain(text: str) -> str:
    """Case and accents folded, curly quotes straightened, invisible characters, emoji, :shortcodes:
    and punctuation gone, spaces single."""
    text = EMOJI_CODE.sub(" ", _fold(visible(text)).replace("\u2019", "'").replace("\u2018", "'"))
    kept = "".join(ch if ch.isalnum() or ch in " '" else " " for ch in text)
    return " ".join(word.strip("'") for word in kept.split() if word.strip("'"))


# A caption that only points at what came with it or before it ("see pic", "screenshot attached",
# "as above"): nobody could act on it without the picture, and Snag keeps words, never files.
_PICTURE = _phrases(
    "pics?", "pictures?", "photos?", "images?", "screen ?shots?", "screen ?grabs?", "snips?", "snaps?", "files?",
    "attachments?", "videos?", "clips?", "docs?", "documents?", "pdfs?", "recordings?", "error(?: message)?s?",
)  # fmt: skip
_THE = _phrases("the ", "this ", "that ", "these ", "those ", "my ", "attached ", "the attached ", "")
_OF_IT = _phrases(" of (?:the |this |my )?(?:error|issue|problem|screen|message|it|this|that)", "")
_WHERE = _phrases("attached", "below", "above", "here", "enclosed", "included", "too", "as well")
_LOOK = _phrases(
    "see", "look", "look at", "look here", "have a look", "have a look at", "take a look", "take a look at",
    "check", "check out", "refer to", "view", "open", "please see", "pls see",
)  # fmt: skip
_THIS = _phrases("this", "that", "these", "it", "here", "this one", "that one", "below", "above", "attached")
_POINTS = re.compile(
    _phrases("fyi ", "please ", "pls ", "hi ", "hey ", "hello ", "ok ", "so ", "just ", "")
    + _phrases(
        f"{_LOOK}(?: {_THIS}| {_THE}{_PICTURE}{_OF_IT})?(?: {_WHERE})?",
        f"{_THE}{_PICTURE}{_OF_IT}(?: {_WHERE})?",
        "(?:same |see )?as (?:per )?(?:above|below|attached|before|the (?:pic|photo|screenshot|picture|image))",
        "check (?:this|it) out",
        "here it is",
        "here you go",
        "here you are",
        "here's (?:the|a|my) pic",
        "this (?:again|happened|happened again|keeps happening|is happening again|is what i (?:see|get))",
    )
    + _phrases(" please", " pls", " thanks", " thank you", " fyi", "")
)


def points_elsewhere(text: str) -> bool:
    """Whether the whole message only points at a picture or file, or at something said before
    ("look at this", "see pic", "pic attached", "as above"): it says nothing of its own to file."""
    return _POINTS.fullmatch(_plain(text)) is not None


def aside(text: str) -> str | None:
    """The kind of aside the whole message is (a key of ASIDES, or "link"), or None for a report."""
    if _LINK.search(text) and not _plain(_LINK.sub(" ", text)):
        return "link"
    plain = _plain(text)
    if not plain:
        return None  # emoji or punctuation only: capture asks for a sentence
    return next((kind for kind, pattern in ASIDES.items() if pattern.fullmatch(plain)), None)


def take_back(text: str) -> str | None:
    """What the message asks to take back, if that is all it says: "last" for the report just sent
    ("delete my last report", "undo that", "nevermind, ignore that"), "mine" for all of theirs."""
    plain = _plain(text)
    if _BACK_ALL.fullmatch(plain):
        return "mine"
    if _BACK_LAST.fullmatch(plain) or _NEVER_MIND.fullmatch(plain):
        return "last"
    return None


_TELL = 'tell me in a sentence what got in the way, e.g. "refund requests sit in the finance inbox for a week".'
_SAID = {
    "greeting": f"Hi! Whenever something slows you down at work, {_TELL} I'll file it, and tell you "
    "when something changes. Type `help` for what else I can do.",
    "thanks": f"You're welcome! Next time something gets in the way, {_TELL}",
    "ack": f"I'm here whenever you need me. When something gets in the way, {_TELL}",
    "confirm": "If you meant to erase your reports: type `erase mine confirm` (all) or `erase <number>` (one). "
    "Nothing was erased.",
    "test": f"I'm here and listening. To file a report, {_TELL}",
    "stop": "I only write when you message me, or to tell you that something you reported has changed. "
    "To take your reports back, type `erase mine`.",
    "help": f"I collect friction at work: {_TELL} I tag it and group it with similar reports, and leaders "
    "see what recurs. They may read the words, never who wrote them. Type `help` for what you can type.",
    "mine": "Type `mine` to see your reports and what happened to each. I also message you here when "
    "something you reported changes.",
    "link": "I got the link, but not what went wrong. Tell me in a sentence what got in the way, "
    "and add the link to it.",
}


def answer(kind: str, text: str) -> Reply:
    """The kind answer to an aside: what to do instead, and how to file it anyway."""
    anyway = f"Nothing was filed. To file it as a report anyway, type: report {text.strip()}"
    return Reply(kind="text", title=_SAID[kind], notices=(anyway,))
