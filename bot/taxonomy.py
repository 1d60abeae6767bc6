"""The taxonomy as data: stages, kinds, teams (with aliases), systems, redaction patterns."""

from __future__ import annotations

import codecs
import difflib
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import ConfigError

__all__ = ["Label", "Taxonomy", "load_taxonomy", "DEFAULT_TAXONOMY_PATH"]

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "classifier" / "taxonomy.yml"
_LABEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SEPARATORS = re.compile(r"[\s_-]+")
# The keys each mapping takes: anything else is a typo that would otherwise be ignored.
_FILE_KEYS = ("version", "stages", "kinds", "teams", "systems", "redact")
_LABEL_KEYS = ("label", "description", "aliases", "words")
_REDACTION_KEYS = ("name", "pattern")
# The taxonomy file formats this Snag reads (a file without 'version' is taken as version 1).
_VERSIONS = ("1",)
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_YAML_KINDS = {
    _INT_TAG: "a number",
    "tag:yaml.org,2002:float": "a number",
    _NULL_TAG: "nothing (null)",
    "tag:yaml.org,2002:bool": "true or false",
}
# Words Snag gives a meaning of its own where labels are typed or shown: a stage, kind or team of
# that name would read as that meaning (a team `other` beside the "Other" of counts folded away).
_AUDIENCE_ALL = "a digest for `all` (or `org`, `everyone`) is the whole organisation's"
_NO_OWNER = "`own <pattern> nobody` (or `none`, `unassigned`) clears a pattern's owner"
_RESERVED = {
    "other": 'stats, `top` and digests count what too few people reported, all together, as "Other"',
    "none": "`none` means no value in `snag relabel` and in the fix-tags form",
    "null": "`null` means no value in `snag relabel`",
    "unknown": 'a report with no stage is shown as "unknown"',
    "all": _AUDIENCE_ALL,
    "org": _AUDIENCE_ALL,
    "everyone": _AUDIENCE_ALL,
    "nobody": _NO_OWNER,
    "no one": _NO_OWNER,
    "noone": _NO_OWNER,
    "no owner": _NO_OWNER,
    "unassigned": _NO_OWNER,
    "unowned": _NO_OWNER,
}
_AXIS_OF = {"stages": "stage", "kinds": "kind", "teams": "team"}


@dataclass(frozen=True)
class Label:
    label: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """Human name for the label, e.g. 'duplicate_entry' -> 'Duplicate entry'."""
        text = self.label.replace("_", " ")
        return text.upper() if len(text) <= 2 else text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Taxonomy:
    stages: tuple[Label, ...]
    kinds: tuple[Label, ...]
    teams: tuple[Label, ...]
    systems: tuple[Label, ...] = ()
    redact: tuple[tuple[str, str], ...] = ()
    source: str = "<default>"
    _titles: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stage_labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.stages)

    @property
    def kind_labels(self) -> tuple[str, ...]:
        return tuple(k.label for k in self.kinds)

    @property
    def team_labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.teams)

    def title(self, label: str | None) -> str:
        """Display name for any label of the taxonomy."""
        if label is None:
            return "unknown"
        for group in (self.stages, self.kinds, self.teams, self.systems):
            for item in group:
                if item.label == label:
                    return item.title
        return label

    def titles(self, labels: Sequence[str]) -> str:
        """Display names of several labels, comma-separated ("none" for no labels)."""
        return ", ".join(self.title(label) for label in labels) or "none"

    def find(self, axis: str, typed: str) -> str | None:
        """The label of the stage, kind or team (`axis`) that `typed` names: its label, its title or
        one of its aliases, in any case, with spaces, hyphens or underscores alike; else None."""
        return self._names(axis).get(_plain(typed))

    def closest(self, axis: str, typed: str, n: int = 2) -> tuple[str, ...]:
        """The labels of `axis` whose names are nearest to `typed`, for a "did you mean": the nearest,
        and others only when about as near (a second guess far behind the first only misleads)."""
        plain = _plain(typed)
        scores: dict[str, float] = {}
        for name, label in self._names(axis).items():
            score = difflib.SequenceMatcher(None, plain, name).ratio()
            if score >= 0.6 and score > scores.get(label, 0.0):
                scores[label] = score
        ranked = sorted(scores, key=lambda label: -scores[label])
        return tuple(label for label in ranked if scores[label] >= scores[ranked[0]] - 0.05)[:n]

    def _names(self, axis: str) -> dict[str, str]:
        """Every name of the axis's labels, plain, to its label (a label beats a title beats an alias)."""
        group = {"stage": self.stages, "kind": self.kinds, "team": self.teams}[axis]
        names = {_plain(alias): item.label for item in group for alias in item.aliases}
        names |= {_plain(item.title): item.label for item in group}
        return names | {_plain(item.label): item.label for item in group}

    def axis_of(self, label: str) -> str | None:
        """Which axis ('stage', 'kind', 'team') a label belongs to."""
        for axis, labels in (
            ("stage", self.stage_labels),
            ("kind", self.kind_labels),
            ("team", self.team_labels),
        ):
            if label in labels:
                return axis
        return None


def _plain(name: str) -> str:
    """A name compared loosely: `Duplicate entry`, `duplicate-entry` and `DUPLICATE_ENTRY` are one."""
    return " ".join(_SEPARATORS.split(name.casefold())).strip()


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and check a taxonomy file; errors name the line and the problem."""
    path = Path(path) if path else DEFAULT_TAXONOMY_PATH
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the taxonomy file {path}: {exc.strerror}.") from exc
    text = _decode(data, path)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        line, problem = _yaml_problem(exc)
        raise ConfigError(f"Taxonomy {path}{f' line {line}' if line else ''}: {problem}") from exc
    return _parse(root, str(path))


_INDENTED = (
    "this line is not indented like the lines above it. In YAML the keys of one entry stand in one "
    "column (`label:`, `description:`, `aliases:` under each other) and the entries of a list start "
    "with `- ` in one column; indent it with spaces to match its neighbours."
)
# PyYAML's words for the usual slips, and plain ones for them ("{start}": the line where the list,
# quote or key the problem is in began; "{found}": the character it names).
_YAML_SLIPS = (
    ("'\\t'", "a tab; YAML indents with spaces only: replace the tab with spaces."),
    ("tab character", "a tab; YAML indents with spaces only: replace the tab with spaces."),
    (
        "unknown escape character",
        "a backslash inside double quotes starts an escape such as \\n, and YAML knows no escape here: put the "
        "text in single quotes instead ('OAK-\\d{6}'), where a backslash is kept as it is.",
    ),
    (
        "mapping values are not allowed",
        "YAML read a colon and a space (': ') here as the start of a key. Inside a text, put the whole text "
        "in quotes (description: 'Fitters: the assembly crew'); otherwise indent this line as the keys above it.",
    ),
    (
        "could not find expected ':'",
        "line {start} has a key without a colon after it (write `key: value`), or a text carried on to the "
        "next line: keep the text on one line or put it in quotes.",
    ),
    (
        "but found '<scalar>'",
        "more text follows a value that had ended (after a closing quote or `]`?): put the whole value in "
        f"quotes; or {_INDENTED}",
    ),
    ("expected <block end>", _INDENTED),
    ("did not find expected", _INDENTED),
    ("found unexpected end of stream", "the quote opened on line {start} is never closed; close it."),
    (
        "expected ',' or ",
        "the list in [brackets] (or {braces}) that starts on line {start} is not closed, or lacks a comma "
        "between two entries (an entry holding ': ' needs quotes).",
    ),
    (
        "that cannot start any token",
        "YAML cannot read a value starting with {found} (it means something else there): put the value in quotes.",
    ),
    ("found undefined alias", "YAML reads a value starting with * as a reference: put the value in quotes."),
)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The line and, in plain words, what is wrong there: PyYAML speaks of tokens and block ends."""
    problem = str(getattr(exc, "problem", None) or exc)
    found, began = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    line = found.line + 1 if found else None
    start = str(began.line + 1 if began else line)
    said = next((said for needle, said in _YAML_SLIPS if needle in problem), f"{problem}.")
    named = re.search(r"character ('.+?')", problem)
    return line, said.replace("{start}", start).replace("{found}", named.group(1) if named else "it")


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 with or without a BOM, or UTF-16 with its BOM (as Windows Notepad saves it)."""
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        # utf-8-sig reports the position after the byte order mark it skipped
        start = exc.start + len(data) - len(exc.object)
        line = data[:start].decode(encoding, errors="replace").count("\n") + 1  # the newlines before it, plus one
        raise ConfigError(
            f"SNAG_TAXONOMY: {path} is not UTF-8 text (line {line}, byte {start + 1}); save it as UTF-8 "
            "(or UTF-16 with a byte order mark), e.g. in Notepad: Save as, Encoding: UTF-8."
        ) from exc


def _fail(source: str, node: yaml.Node | None, problem: str) -> ConfigError:
    line = f" line {node.start_mark.line + 1}" if node is not None else ""
    return ConfigError(f"Taxonomy {source}{line}: {problem}")


def _mapping(node: yaml.Node, source: str, what: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
    """The mapping's values by key; a key that is unknown or given twice fails naming its line."""
    if not isinstance(node, yaml.MappingNode):
        hint = ""
        if "label" in keys and isinstance(node, yaml.ScalarNode) and node.value.strip():  # `- finance`
            hint = (
                f" (found only '{node.value}': write `- label: {node.value}` if it is a label, or indent it "
                "like the lines above if it belongs to the entry above)"
            )
        raise _fail(source, node, f"{what} must be a mapping of keys to values{hint}.")
    out: dict[str, yaml.Node] = {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        name: str = key.value if isinstance(key, yaml.ScalarNode) else ""
        if name not in keys:
            raise _fail(
                source, key, f"unknown key {name!r}{_did_you_mean(name, keys)}; {what} takes {', '.join(keys)}."
            )
        if name in out:
            raise _fail(source, key, f"'{name}' appears twice (first on line {lines[name]}); {what} takes it once.")
        out[name], lines[name] = value, key.start_mark.line + 1
    return out


def _did_you_mean(name: str, keys: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, keys, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _strings(node: yaml.Node | None, source: str, what: str) -> tuple[str, ...]:
    """A list of words: each one text, not empty (YAML reads `123`, `null` or `yes` as no text)."""
    if node is None:
        return ()
    if isinstance(node, yaml.ScalarNode):  # `aliases: fitters, assembly team`, or nothing after the key
        written = node.value if node.tag != _NULL_TAG and node.value.strip() else "first, second"
        raise _fail(source, node, f"{what} must be a list of words in brackets: [{written}] (or leave the key out).")
    if not isinstance(node, yaml.SequenceNode) or not all(isinstance(n, yaml.ScalarNode) for n in node.value):
        raise _fail(source, node, f"{what} must be a list of words.")
    for item in node.value:
        if item.tag != _STR_TAG:
            raise _fail(
                source,
                item,
                f"{what}: {item.value!r} is not a word (YAML reads it as {_YAML_KINDS.get(item.tag, 'no text')}); "
                f"quote it ('{item.value}') if it is meant as one, or remove it.",
            )
        if not item.value.strip():
            raise _fail(source, item, f"{what}: an entry is empty; remove it.")
    return tuple(str(n.value) for n in node.value)


def _labels(root: dict[str, yaml.Node], key: str, source: str, required: bool) -> tuple[Label, ...]:
    node = root.get(key)
    if node is None:
        if required:
            raise _fail(source, None, f"the '{key}' list is missing.")
        return ()
    if not isinstance(node, yaml.SequenceNode) or (required and not node.value):
        raise _fail(source, node, f"'{key}' must be a non-empty list of labels.")
    out: list[Label] = []
    owners: dict[str, str] = {}
    for item in node.value:
        fields = _mapping(item, source, f"each entry of '{key}'", _LABEL_KEYS)
        label_node = _label_node(fields.get("label"), item, key, source)
        if any(o.label == label_node.value for o in out):
            raise _fail(source, label_node, f"label '{label_node.value}' appears twice in '{key}'.")
        label = Label(
            label=label_node.value,
            description=_text(fields.get("description"), source, f"the description of {label_node.value}"),
            aliases=_strings(fields.get("aliases"), source, f"aliases of {label_node.value}"),
            words=_strings(fields.get("words"), source, f"words of {label_node.value}"),
        )
        _claim_aliases(owners, label, fields.get("aliases"), source)
        out.append(label)
    return tuple(out)


def _label_node(node: yaml.Node | None, item: yaml.Node, key: str, source: str) -> yaml.ScalarNode:
    """An entry's label: lower_snake_case, and not a word Snag already gives a meaning (_RESERVED)."""
    if not isinstance(node, yaml.ScalarNode) or not _LABEL_RE.match(node.value):
        got = repr(node.value) if isinstance(node, yaml.ScalarNode) else _kind_of(node)
        raise _fail(source, node or item, f"each entry of '{key}' needs a 'label' in lower_snake_case (got {got}).")
    meaning = _RESERVED.get(_plain(node.value)) if key != "systems" else None
    if meaning:
        axis = _AXIS_OF[key]
        raise _fail(
            source,
            node,
            f"label '{node.value}' is a word Snag already uses: {meaning}, so a {axis} called {node.value} "
            f"would be read or shown as that; give the {axis} another label.",
        )
    return node


def _kind_of(node: yaml.Node | None) -> str:
    """What a node that is not one text is, as a person reads it."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a mapping of keys to values" if isinstance(node, yaml.MappingNode) else "nothing"


def _text(node: yaml.Node | None, source: str, what: str) -> str:
    """One text (a number is read as its digits, an empty value as no text); a list or mapping fails."""
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(
            source,
            node,
            f"{what} must be one text, not {_kind_of(node)}; write it on one line (in quotes if it holds ': ').",
        )
    return str(node.value)


def _claim_aliases(owners: dict[str, str], label: Label, node: yaml.Node | None, source: str) -> None:
    """An alias names one team (or system): the same words under two would all go to the first."""
    nodes = node.value if isinstance(node, yaml.SequenceNode) else []
    for alias, alias_node in zip(label.aliases, nodes, strict=True):
        owner = owners.setdefault(alias.casefold(), label.label)
        if owner != label.label:
            raise _fail(
                source, alias_node, f"alias '{alias}' is under both '{owner}' and '{label.label}'; keep it under one."
            )


def _redactions(root: dict[str, yaml.Node], source: str) -> tuple[tuple[str, str], ...]:
    node = root.get("redact")
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(source, node, "'redact' must be a list of {name, pattern}.")
    out = []
    for item in node.value:
        fields = _mapping(item, source, "each entry of 'redact'", _REDACTION_KEYS)
        name, pattern = fields.get("name"), fields.get("pattern")
        if not isinstance(name, yaml.ScalarNode) or not isinstance(pattern, yaml.ScalarNode):
            raise _fail(source, item, "each redaction needs a 'name' and a 'pattern'.")
        if name.tag != _STR_TAG or not _LABEL_RE.match(name.value):
            raise _fail(
                source,
                name,
                f"a redaction 'name' must be in lower_snake_case, as it becomes the placeholder [name] "
                f"(got {name.value!r}).",
            )
        try:
            compiled = re.compile(pattern.value)
        except re.error as exc:
            raise _fail(source, pattern, f"redaction pattern is not a valid regex ({exc}).") from exc
        if _matches_empty(compiled):
            raise _fail(
                source,
                pattern,
                f"redaction pattern matches the empty string ({pattern.value!r}): it would put [{name.value}] "
                "between every two characters of every report; make it match at least one character.",
            )
        out.append((str(name.value), str(pattern.value)))
    return tuple(out)


def _matches_empty(pattern: re.Pattern[str]) -> bool:
    """True when the pattern can match nothing at all: '', `\\d*`, `(ORD-)?\\d*`, `\\b`, `(?=x)`."""
    if pattern.fullmatch("") is not None:
        return True
    try:
        parser = importlib.import_module("re._parser")  # the shortest match, as the regex engine computes it
        return int(parser.parse(pattern.pattern, pattern.flags).getwidth()[0]) == 0
    except Exception:  # a private module that may change: fall back to trying a few texts
        probe = "lost ORD-12 Ab_9 [x] @.-/\n"
        return any(m.end() == m.start() for m in pattern.finditer(probe))


def _version(root: dict[str, yaml.Node], source: str) -> None:
    """Only the formats this Snag reads: `version: 1`, or no version at all."""
    node = root.get("version")
    if node is None:
        return
    if isinstance(node, yaml.ScalarNode) and node.tag in (_INT_TAG, _STR_TAG) and node.value in _VERSIONS:
        return
    problem = (
        f"version {node.value!r} is not supported" if isinstance(node, yaml.ScalarNode) else "'version' is not a number"
    )
    supported = " or ".join(_VERSIONS)
    raise _fail(
        source, node, f"{problem}; this Snag reads taxonomy version {supported} ('version: 1', or leave it out)."
    )


def _no_shared_labels(
    root: dict[str, yaml.Node], stages: tuple[Label, ...], kinds: tuple[Label, ...], source: str
) -> None:
    """A stage and a kind share the classifier's confidence keys: one label as both would lose a score."""
    clash = {s.label for s in stages} & {k.label for k in kinds}
    for item in root["kinds"].value if clash else ():
        label = next(value for key, value in item.value if key.value == "label")
        if label.value in clash:
            raise _fail(
                source, label, f"label '{label.value}' is both a stage and a kind; give one of them another label."
            )


def _parse(root: yaml.Node | None, source: str) -> Taxonomy:
    if root is None:
        raise _fail(source, None, "the file is empty.")
    fields = _mapping(root, source, "the file", _FILE_KEYS)
    _version(fields, source)
    stages = _labels(fields, "stages", source, required=True)
    kinds = _labels(fields, "kinds", source, required=True)
    _no_shared_labels(fields, stages, kinds, source)
    return Taxonomy(
        stages=stages,
        kinds=kinds,
        teams=_labels(fields, "teams", source, required=True),
        systems=_labels(fields, "systems", source, required=False),
        redact=_redactions(fields, source),
        source=source,
    )
