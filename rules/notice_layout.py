"""Reading a notice by its layout: which words are the payment service's and which the payer wrote.

A notice mixes two voices. The service states the amount, currency, transaction id, payer and kind of event; the
payer writes a note, message, description or item name. Each notice format names its service fields and its
payer-written fields (`[labels]` in rules/notice_formats/*.toml: every label that is no service field is
payer-written). The payer's blocks are found first and cut out; amount, currency, transaction id and the kind of
event are then read only from what is left, at their place in the layout: the first statement of the amount, with
every other statement of it agreeing. What the payer wrote is kept as evidence for references, nothing else.
Once a payer's block begins, its lines are the payer's until the service's next field or heading at that place: a
line inside it that looks like a label or the service's sentence is the payer's copy, never the service's word.

Layouts read: "Label: value" on one line, the label alone with its value on the next line(s), a value glued to its
label ("Transaktionscode0M885107LG310593G"), and text collapsed onto one line (`relined`: a plain part whose line
breaks were lost, an HTML part without block tags). In collapsed text the lines are put back where the service's
words show them (before a label, after a greeting or a sentence) up to the first payer's label; from there to the end
of the collapsed line nobody can tell where the payer's text ends, so what is read there is uncertain: it is used
only when the service's certain words do not say it (rules.notice_text.read_content).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rules.money import Money
from rules.money_text import Currencies, around, read_money

# What starts a line besides a service field's label: a payer's label, or a heading.
WRITTEN, HEADING = "\0written", "\0heading"
# Fields the service itself fills in; every other label a format names is written by the payer.
SERVICE_FIELDS = frozenset({"amount", "net", "fee", "currency", "payer_name", "payer_email", "payer", "txn_id"})
_TYPED_FIELDS = ("amount", "net", "fee", "txn_id")
_TEXT_FIELDS = ("currency", "payer_name", "payer_email", "payer")

# A line this long is text collapsed onto one line (a dump of a whole notice): labels are then found inside lines.
FLAT_LINE = 200
# A text longer than any notice's whole text (a few kilobytes) is no notice collapsed: it is read as it stands, so a
# hostile body costs what it cost before.
RELINE_CHARS = 30_000
FEW_LINES = 3  # a text of at most this many lines (not blank) may be collapsed however short its lines are
BLOCK_LINES = 12  # a payer's block under its label is at most this many lines
MAX_STATEMENTS = 12  # amount statements compared per notice

_LINE_START = r"^[ \t>•·]*[*_]*"
_MID_LINE = r"(?<=[\s(\]])[*_]*"
_LABEL_END = r"[*_]*(?![^\W\d_])"
# Between a label and a typed value: a colon or dash, and up to six line breaks (the value on a later line; HTML
# tables leave blank lines between a label and its cell).
_TYPED_GAP = r"[ \t]*(?:[:：]|-(?=[ \t]))?[ \t]*(?:\n[ \t]*){0,6}"
_SAME_LINE_SEPARATOR = r"[ \t]*(?:[:：]|\t|[ \t]{2,}| - )[ \t]*"
_TXN_VALUE = r"#?(?P<value>[A-Za-z0-9](?:[A-Za-z0-9_\-]{2,62}[A-Za-z0-9])?)(?![A-Za-z0-9_\-])"
# A name on the line below its label may have the address on the line below that ("Sent by\nJo Bloggs\njo@x.nz").
_EMAIL_BELOW = r"(?:\n[ \t]*[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,6}[ \t]*(?=\n|$))?"
# A colon after a label, or one the label's own pattern took ("Mitteilung von Zahler Mu:"); the label's other
# alternatives are tried when one without it matches first ("Message" before "Message de X :").
_COLON = r"(?:(?<=[:：])|[ \t]*[:：])"
_EMAIL = re.compile(r"[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,6}")
_LEAD = " \t>•·*_"  # what may stand before a label that starts its line
# A payer's label with no separator after it: only where the rest of its line is no longer label ending in a colon
# ("Message" of "Message de Jo Bloggs :" is the start of the French label, not an English one with a value).
_NOT_CUT_SHORT = r"(?![^\n]*[:：][ \t]*$)"
_RULE_LINE = re.compile(r"^[ \t]*[-=_*~]{5,}[ \t]*$")
_ID_SHAPE = re.compile(r"\d")


_FLAGS = re.IGNORECASE | re.MULTILINE


class LayoutError(ValueError):
    """A label pattern in a notice format does not compile; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Layout:
    """One service's labels, compiled for reading by layout (see the module's docstring)."""

    # Each compiled as one pattern, group f_<field> around each field's alternative, so one scan of the text finds
    # every field (groups label_<field>, value_<field>, and next_<field> for a value on the next line).
    typed: re.Pattern[str] | None  # amount, net, fee, txn_id: label, gap, a value of the field's type
    text: re.Pattern[str] | None  # currency, payer_name, payer_email, payer: a label that starts a line
    payer_written: re.Pattern[str] | None  # the payer's fields: a label that starts a line
    # Needed only for collapsed text and blocks that span lines: kept as patterns, compiled on first use (a
    # reader process compiles every format it loads, and most notices never need these).
    flat_typed_patterns: Mapping[str, str]  # typed fields inside a collapsed line
    flat_text_patterns: Mapping[str, str]  # text fields inside a collapsed line, after a colon
    flat_payer_patterns: Mapping[str, str]  # the payer's fields inside a collapsed line, after a colon
    any_label_pattern: str  # any label or heading: where a payer's block ends
    labels_pattern: str = "(?!)"  # every label and heading, bare: to tell a label from a name
    # Where a field starts inside a line (a label and its colon, or a typed label and its value), and where a
    # greeting stands: the marks of text collapsed onto one line, and where its line breaks were (`relined`).
    field_start_pattern: str = "(?!)"
    greeting_pattern: str = "(?!)"
    # A capitalised label and no colon after a space (group 1; each field's labels in a group c_<field>).
    bare_label_pattern: str = "(?!)"
    payer_start_pattern: str = "(?!)"  # a payer's label and its colon anywhere in a line
    # What may end a payer's block, at a line's start: a heading (group e__heading), a payer-written label
    # (e__payer), or a service field's label (e_<field>).
    block_end_pattern: str = "(?!)"
    # Each service field's labels at a line's start, the payer's labels (key WRITTEN) and the headings (HEADING):
    # what starts a line, when two begin alike ("Customer" and "Customer email"), is the one longest there.
    line_start_patterns: tuple[tuple[str, str], ...] = ()
    block_ends: frozenset[str] = SERVICE_FIELDS  # the service fields whose label may end a payer's block

    @property
    def block_end(self) -> re.Pattern[str]:
        return re.compile(self.block_end_pattern, _FLAGS)

    def starts_line(self, text: str, at: int) -> tuple[str, str]:
        """(what, words) of the longest label or heading that starts the line at `at`: what is the service field,
        WRITTEN or HEADING; ("", "") for none."""
        best, words = "", ""
        for name, pattern in self.line_start_patterns:
            found = re.compile(pattern, _FLAGS).match(text, at)
            if found and len(found.group("label")) > len(words):
                best, words = name, found.group("label")
        return best, " ".join(words.lower().split())

    def is_label(self, text: str) -> bool:
        """Whether `text` is, in full, one of the layout's labels ("Amount" of "Amount paid\nNZ$35.00")."""
        return re.fullmatch(self.labels_pattern, text.strip(), _FLAGS) is not None

    @property
    def any_label(self) -> re.Pattern[str]:
        return re.compile(self.any_label_pattern, _FLAGS)

    def flat_typed(self) -> dict[str, re.Pattern[str]]:
        return {field: re.compile(p, _FLAGS) for field, p in self.flat_typed_patterns.items()}

    def flat_text(self) -> dict[str, re.Pattern[str]]:
        return {field: re.compile(p, _FLAGS) for field, p in self.flat_text_patterns.items()}

    def flat_payer_written(self) -> dict[str, re.Pattern[str]]:
        return {field: re.compile(p, _FLAGS) for field, p in self.flat_payer_patterns.items()}

    @property
    def field_start(self) -> re.Pattern[str]:
        return _compiled(self.field_start_pattern)

    @property
    def bare_label(self) -> re.Pattern[str]:
        return _compiled(self.bare_label_pattern)

    @property
    def greeting(self) -> re.Pattern[str]:
        return _compiled(self.greeting_pattern)

    @property
    def payer_start(self) -> re.Pattern[str]:
        return _compiled(self.payer_start_pattern)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


def _alternatives(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def compile_layout(
    labels: Mapping[str, tuple[str, ...]],
    headings: tuple[str, ...],
    money: str,
    greetings: tuple[str, ...] = (),
    *,
    block_ends: Iterable[str] = SERVICE_FIELDS,
) -> Layout:
    """Compile a format's labels; `money` is the amount-token pattern (`Currencies.pattern`); `greetings` are the
    words a notice greets its reader with ("Hello", "Hallo", "Bonjour"), which open no payer's name; `block_ends`
    the service fields whose label may end a payer's block in this service's layouts."""

    def build(field: str, pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern, _FLAGS)
        except re.error as exc:
            raise LayoutError(f"labels.{field}: {exc}") from exc

    typed: list[str] = []
    text: list[str] = []
    payer: list[str] = []
    flat_typed: dict[str, str] = {}
    flat_text: dict[str, str] = {}
    flat_payer: dict[str, str] = {}
    for field, alternatives in labels.items():
        if not alternatives:
            continue
        build(field, _alternatives(alternatives))  # names the field whose labels do not compile
        label = f"(?P<label>{_alternatives(alternatives)}){_LABEL_END}"
        named = f"(?P<label_{field}>{_alternatives(alternatives)}){_LABEL_END}"
        if field in _TYPED_FIELDS:
            value = _TXN_VALUE if field == "txn_id" else f"(?P<value>{money})"
            typed.append(f"(?P<f_{field}>{named}{_TYPED_GAP}{value.replace('?P<value>', f'?P<value_{field}>')})")
            flat_typed[field] = f"{_MID_LINE}{label}{_TYPED_GAP}{value}"
        elif field in _TEXT_FIELDS:
            text.append(
                f"(?P<f_{field}>{named}(?:{_SAME_LINE_SEPARATOR}(?P<value_{field}>[^\\n]{{1,200}})"
                f"|[ \\t]*[:：]?[ \\t]*\\n[ \\t]*(?P<next_{field}>[^\\n]{{1,200}}{_EMAIL_BELOW})))"
            )
            flat_text[field] = f"{_MID_LINE}{label}[ \\t]*[:：][ \\t]*"
        else:
            payer.append(f"(?P<f_{field}>{named}[ \\t]*(?:[:：]|\\t|[ \\t]{{2,}}| - |{_NOT_CUT_SHORT})[ \\t]*)")
            flat_payer[field] = f"{_MID_LINE}{label}{_COLON}[ \\t]*"

    def union(parts: list[str], what: str) -> re.Pattern[str] | None:
        # The line-start test is factored out: anywhere but at a line's start, the scan moves on at once.
        return build(what, f"{_LINE_START}(?:{'|'.join(parts)})") if parts else None

    for heading in headings:
        build("headings", heading)
    for greeting in greetings:
        build("greetings", greeting)
    every = [p for alternatives in labels.values() for p in alternatives] + list(headings)
    payer_labels = [p for field, alternatives in labels.items() if field not in SERVICE_FIELDS for p in alternatives]
    typed_inside = "|".join(typed).replace("(?P<", "(?P<in_")
    # A field starts at a label and its colon, a typed label and its value, or a heading.
    # Each field's labels in a group of its own (c_<field>; typed fields in_f_<field>), so a match names its field.
    field_labels = "|".join(f"(?P<c_{field}>{_alternatives(alts)})" for field, alts in labels.items() if alts)
    field_start = f"(?:(?:{field_labels or '(?!)'}){_LABEL_END}(?=[ \t]*[:：])"
    field_start += f"|(?:{_alternatives(headings)}){_LABEL_END}" if headings else ""
    field_start += f"|{typed_inside})" if typed else ")"
    ends = [f"(?P<e_{field}>{_alternatives(p)})" for field, p in labels.items() if field in SERVICE_FIELDS and p]
    if headings:
        ends.append(f"(?P<e__heading>{_alternatives(headings)})")
    if payer_labels:
        ends.append(f"(?P<e__payer>{_alternatives(payer_labels)})")
    return Layout(
        typed=union(typed, "amount"),
        text=union(text, "payer"),
        payer_written=union(payer, "memo"),
        flat_typed_patterns=flat_typed,
        flat_text_patterns=flat_text,
        flat_payer_patterns=flat_payer,
        any_label_pattern=f"(?:{_LINE_START}|{_MID_LINE})(?:{_alternatives(every) or '(?!)'}){_LABEL_END}",
        labels_pattern=f"(?:{_alternatives(every) or '(?!)'})",
        field_start_pattern=f"(?:^|(?<=[ \t]))[*_]*(?:{field_start})",
        bare_label_pattern=f"[ \t]+((?=(?-i:[A-ZÀ-ÖØ-Þ]))(?:{field_labels or '(?!)'}){_LABEL_END})(?![ \t]*[:：])",
        # "Hello KiwiWeb Design Ltd," or "Hallo Empfänger Mu!": the greeting ends at its first comma or exclamation;
        # "Hola, KiwiWeb Design Ltd," at its second, when a name without digits stands between (in "Hello, Jo Bloggs
        # sent you $45.00" the service's sentence follows the greeting's comma).
        greeting_pattern=(
            f"(?:^|(?<=[ \t]))(?:{_alternatives(greetings)})(?![^\W\d_])"
            f"(?:[ \t]*,[ \t]*[^,!\n\d]{{1,60}}?[,!]|[^,!\n]{{0,80}}?[,!])(?=[ \t]+\\S)"
            if greetings
            else "(?!)"
        ),
        payer_start_pattern=(
            f"(?:^|{_MID_LINE})(?:{_alternatives(payer_labels)}){_LABEL_END}{_COLON}" if payer_labels else "(?!)"
        ),
        block_end_pattern=f"{_LINE_START}(?:{'|'.join(ends) or '(?!)'}){_LABEL_END}",
        block_ends=frozenset(block_ends),
        line_start_patterns=tuple(
            (name, f"{_LINE_START}(?P<label>{_alternatives(p)}){_LABEL_END}")
            for name, p in [
                *((name, p) for name, p in labels.items() if name in SERVICE_FIELDS and p),
                (WRITTEN, payer_labels),
                (HEADING, list(headings)),
            ]
            if p
        ),
    )


# ---------------------------------------------------------------------------------------------- the payer's blocks


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerBlock:
    field: str  # memo, reference, invoice, ...
    start: int  # where its label starts
    end: int  # where the payer's text ends
    value: str


def _line_bounds(body: str, at: int) -> tuple[int, int]:
    start = body.rfind("\n", 0, at) + 1
    end = body.find("\n", at)
    return start, len(body) if end < 0 else end


_LONG_LINE = re.compile(f"[^\n]{{{FLAT_LINE + 1}}}")
# The end of a sentence inside a collapsed line: after a word of two letters or more (an initial, "A. B. Smith", ends
# none), before the next word.
# Blocks of their own in a collapsed text: an image's text or a link in brackets ("[image: PayPal]", "<https://...>")
# and a rule ("-----"), which stood on lines of their own before the text collapsed.
_OWN_BLOCK = re.compile(r"\[(?:image:|https?://)[^\]\n]{0,2000}\]|<https?://[^>\n]{0,2000}>|[-=_~]{5,}")
_RULE = re.compile(r"[-=_~]{5,}")
_SENTENCE_END = re.compile(r"(?<=[^\s.][^\s.][.!?])[ \t]+(?=[^\W\d_(\[\"'“‘¡¿])")


@dataclass(frozen=True, kw_only=True, slots=True)
class Relined:
    """A notice's text with the line breaks that collapsing took away put back (each break replaces one space, so
    every position stays where it was), and the lines that are still collapsed: from a payer's label on."""

    text: str
    flat: frozenset[int] = frozenset()  # numbers of the lines read as collapsed (rules.notice_text.read_content)

    def certain(self) -> str:
        """The text without its collapsed lines: what is surely the service's or in a payer's block that ends."""
        if not self.flat:
            return self.text
        lines = self.text.split("\n")
        return "\n".join("" if number in self.flat else line for number, line in enumerate(lines))


def relined(body: str, layout: Layout) -> Relined:
    """Put back the line breaks of text collapsed onto one line (see the module's docstring). A line is collapsed
    when it is longer than FLAT_LINE, or, in a text of at most FEW_LINES lines, a field starts inside it (a label
    and its colon, a typed label and its value, a heading) or a greeting does not end it, and no payer's label starts
    it (a payer's line is theirs whole, whatever it holds)."""
    if len(body) > RELINE_CHARS:
        return Relined(text=body)
    if not _LONG_LINE.search(body) and sum(1 for line in body.split("\n") if line.strip()) > FEW_LINES:
        return Relined(text=body)  # the usual notice: its fields on lines of their own
    out: list[str] = []
    flat: set[int] = set()
    number = 0
    start = 0
    for line in body.split("\n"):
        end = start + len(line)
        pieces = _collapsed(body, layout, start, end) if line.strip() else None
        if pieces is None:
            out.append(line)
            number += 1
        else:
            text, tail = pieces
            out.append(text)
            number += text.count("\n")
            if tail:
                flat.add(number)
            number += 1
        start = end + 1
    return Relined(text="\n".join(out), flat=frozenset(flat))


def _collapsed(body: str, layout: Layout, start: int, end: int) -> tuple[str, bool] | None:
    """(the line with its breaks put back, whether it ends in a payer's collapsed tail), or None when the line is
    not collapsed."""
    long = end - start > FLAT_LINE
    if not long and layout.payer_start.match(body, start):
        return None  # "Note: ..." (a label's word alone may begin a payer's name: "Invoice Ninja Ltd sent you")
    if not long and not layout.greeting.search(body, start, end):
        # A field that starts inside the line, after a label that starts it ("Payment reference:" holds the label
        # "reference:", which starts no field of its own).
        inside = (f for f in layout.field_start.finditer(body, start, end) if body[start : f.start()].strip(_LEAD))
        if next(inside, None) is None:
            return None
    first = layout.payer_start.search(body, start, end)
    tail = first.start() if first else end
    starts = list(layout.field_start.finditer(body, start, tail))
    breaks = {found.start() for found in starts}
    # Labels each on a line of their own before the text collapsed ("Amount paid NZ$45.00 Customer jo@x.nz
    # Description INV-0042"): a capitalised label right after a typed value or an address starts a field too; a
    # payer's label so placed starts the payer's tail.
    ends = [f.end() for f in starts if field_of(f) in _TYPED_FIELDS]
    ends += [f.end() for f in _EMAIL.finditer(body, start, tail)]
    for at in sorted(ends):
        bare = layout.bare_label.match(body, at, tail)
        if bare is None:
            continue
        if field_of(bare) not in SERVICE_FIELDS:
            tail = bare.start(1)
            break
        breaks.update((bare.start(1), bare.end(1)))
    breaks.update(found.start() - 1 for found in layout.greeting.finditer(body, start, tail))
    breaks.update(found.end() for found in layout.greeting.finditer(body, start, tail))
    breaks.update(found.start() for found in _SENTENCE_END.finditer(body, start, tail))
    for found in _OWN_BLOCK.finditer(body, start, tail):
        breaks.update((found.start() - 1, found.end()))
    if tail < end:
        breaks.add(tail - 1)
    line = list(body[start:end])
    for at in breaks:
        if start <= at < end and line[at - start] in " \t":
            line[at - start] = "\n"
        elif start < at <= end and line[at - start - 1] in " \t":  # a label's start: the space before it
            line[at - start - 1] = "\n"
    return "".join(line), tail < end


def _flat_lines(body: str, flat: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """(start, end) of every line read as collapsed: the lines numbered in `flat`, and every line long enough."""
    if not flat and not _LONG_LINE.search(body):
        return []  # the usual notice: nothing to split
    out = []
    start = 0
    for number, line in enumerate(body.split("\n")):
        if len(line) > FLAT_LINE or number in flat:
            out.append((start, start + len(line)))
        start += len(line) + 1
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class _Boundary:
    """A line where a payer's block may end: a heading, a payer's label, or a service field's label."""

    at: int  # the line's start
    field: str  # the service field; "" for a heading or a payer's label
    payer_written: bool  # a payer's label
    words: str  # the label or heading as written, lower case


class _Boundaries:
    """The lines of a body that start with a label or heading; what each is, worked out only when a payer's block
    reaches one (most blocks end at a blank line and need none)."""

    def __init__(self, body: str, layout: Layout) -> None:
        self._body, self._layout = body, layout
        self._lines: list[int] | None = None
        self._known: dict[int, _Boundary | None] = {}

    @property
    def lines(self) -> list[int]:
        if self._lines is None:
            body = self._body
            found = self._layout.block_end.finditer(body)
            self._lines = sorted({body.rfind("\n", 0, f.start() + 1) + 1 for f in found})
        return self._lines

    def get(self, at: int) -> _Boundary | None:
        if at not in self._known:
            what, words = self._layout.starts_line(self._body, at) if at in self.lines else ("", "")
            self._known[at] = (
                _Boundary(
                    at=at,
                    field="" if what in (WRITTEN, HEADING) else what,
                    payer_written=what == WRITTEN,
                    words=words,
                )
                if what
                else None
            )
        return self._known[at]


def _ends_here(boundaries: _Boundaries, at: int, block_start: int, fields: frozenset[str] | None) -> bool:
    """Whether the line at `at` ends the payer's block begun at `block_start`: a payer's label does (what follows
    is the payer's too); the label of a service field in `fields` (None: any) does unless the notice labels the same
    field again later or did before the block, whatever words each label uses; a heading likewise, by its words. The
    service states each of its fields once at its place, so a copy inside the payer's text is the payer's imitation,
    and the service's own is the other."""
    here = boundaries.get(at)
    if here is None:
        return False
    if here.payer_written:
        return True
    if here.field and fields is not None and here.field not in fields:
        return False
    for line in boundaries.lines:
        if block_start <= line <= at:
            continue
        other = boundaries.get(line)
        if other is not None and other.field == here.field and (here.field or other.words == here.words):
            return False
    return True


def _block_after(
    body: str,
    position: int,
    *,
    boundaries: _Boundaries,
    block_start: int,
    block_ends: frozenset[str],
    started: bool = False,
) -> int:
    """End of a payer's block that goes on from the line after `position`: up to a blank line, a rule, a line where
    the service's next field or heading starts (`_ends_here`; once the payer's text has begun, only a field of the
    format's `block_ends`), or BLOCK_LINES lines. Blank lines straight after a label that ends
    its line are skipped (`started` is False); a note begun on the label's line ends at the first blank line."""
    end = position
    cursor = position + 1 if position < len(body) else position
    lines = 0
    while cursor < len(body) and lines < BLOCK_LINES:
        stop = body.find("\n", cursor)
        stop = len(body) if stop < 0 else stop
        line = body[cursor:stop]
        if not line.strip():
            if started or lines >= 2:
                break
            lines += 1
            cursor = stop + 1
            continue
        if _RULE_LINE.match(line) or _ends_here(boundaries, cursor, block_start, block_ends if started else None):
            break
        started = True
        end = stop
        lines += 1
        cursor = stop + 1
    return end


def payer_blocks(
    body: str, layout: Layout, flat: frozenset[int] = frozenset(), stated: frozenset[str] = frozenset()
) -> list[PayerBlock]:
    """Where the payer's own text is: each payer-written label and the value after it (the rest of its line and
    the lines the payer went on to write; or, when the label ends its line, the lines below; or, in a collapsed
    line, up to the next field). A line inside it that looks like a label or the service's sentence is the payer's:
    the block ends only where the service writes its next field (see `_block_after`). `flat` numbers the lines read
    as collapsed (`Relined.flat`); `stated` names the service's fields the notice has already stated where it is
    sure: in a collapsed line such a field's label ends no payer's block (the service states each once; a second
    "Amount: $30.00" after a payer's label is the payer's)."""
    blocks: list[PayerBlock] = []
    boundaries: _Boundaries | None = None
    for found in layout.payer_written.finditer(body) if layout.payer_written else ():
        field = (found.lastgroup or "f_memo")[2:]
        line_start, line_end = _line_bounds(body, found.start())
        if line_end - line_start > FLAT_LINE or (flat and body.count("\n", 0, line_start) in flat):
            continue  # a collapsed line: read below, up to the next label
        rest = body[found.end() : line_end].strip(" \t*")
        if boundaries is None:
            boundaries = _Boundaries(body, layout)
        # A note begun on its label's line may go on over the next lines (a payer can type line breaks): they are
        # the payer's too, up to a blank line or the service's next field.
        end = _block_after(
            body,
            line_end,
            boundaries=boundaries,
            block_start=line_start,
            block_ends=layout.block_ends,
            started=bool(rest),
        )
        blocks.append(PayerBlock(field=field, start=found.start(), end=end, value=_tidy(body[found.end() : end])))
    for line_start, line_end in _flat_lines(body, flat):
        bare = layout.payer_written.match(body, line_start) if flat and layout.payer_written else None
        if (
            bare is not None
            and body.count("\n", 0, line_start) in flat
            and not layout.payer_start.match(body, line_start)
        ):
            # A collapsed tail that starts at a payer's label with no colon ("... pi_3Ab Description INV-0042").
            field = (bare.lastgroup or "f_memo")[2:]
            end = _flat_block_end(body, layout, bare.end(), line_end, stated)
            blocks.append(PayerBlock(field=field, start=line_start, end=end, value=_tidy(body[bare.end() : end])))
        for field, pattern in layout.flat_payer_written().items():
            for found in pattern.finditer(body, line_start, line_end):  # "Label: value" alone: a word is no label
                # Up to where the next field starts (a label and its colon, a typed value, a heading): a label's
                # word alone ("Description: Invoice INV-0874") starts none.
                end = _flat_block_end(body, layout, found.end(), line_end, stated)
                blocks.append(
                    PayerBlock(field=field, start=found.start(), end=end, value=_tidy(body[found.end() : end]))
                )
    blocks.sort(key=lambda b: (b.start, -b.end))
    return blocks


def _flat_block_end(body: str, layout: Layout, start: int, line_end: int, stated: frozenset[str]) -> int:
    after = next((f for f in layout.field_start.finditer(body, start, line_end) if field_of(f) not in stated), None)
    rule = _RULE.search(body, start, line_end)
    return min(after.start() if after else line_end, rule.start() if rule else line_end, start + 300)


def field_of(found: re.Match[str]) -> str:
    """The field a `Layout.field_start` match starts ("" for a heading)."""
    name = found.lastgroup or next((n for n, v in found.groupdict().items() if v is not None and n[:2] == "c_"), "")
    return name[5:] if name.startswith("in_f_") else name[2:] if name.startswith("c_") else ""


def without_payer_text(body: str, blocks: list[PayerBlock]) -> str:
    """The body with every payer's block cut out (its line breaks kept, so lines still start where they did): the
    service's words alone."""
    if not blocks:
        return body
    parts = []
    position = 0
    for block in blocks:
        if block.end <= position:
            continue
        start = max(block.start, position)
        parts.append(body[position:start])
        parts.append("\n" * body.count("\n", start, block.end))
        position = block.end
    parts.append(body[position:])
    return "".join(parts)


def _tidy(value: str) -> str:
    return " ".join(value.split()).strip("\"'“”‘’*").strip()


# ---------------------------------------------------------------------------------------------- service fields


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    """One place the service states a field: where, how it was found, and the text."""

    field: str
    position: int
    text: str
    source: str  # "sentence" or "label <label>"


def typed_statements(service_text: str, layout: Layout, flat: frozenset[int] = frozenset()) -> list[Statement]:
    """Every labelled amount, fee, net amount and transaction id: labels that start a line (one scan), and labels
    inside a collapsed line."""
    out: list[Statement] = []
    counted: dict[str, int] = {}

    def take(field: str, label: str, value: str, start: int, end: int) -> None:
        counted[field] = counted.get(field, 0) + 1
        if counted[field] > MAX_STATEMENTS or (field == "txn_id" and not _ID_SHAPE.search(value)):
            return
        shown = value if field == "txn_id" else around(service_text, start, end)
        out.append(Statement(field=field, position=start, text=shown, source=f"label {' '.join(label.split())!r}"))

    for hit in layout.typed.finditer(service_text) if layout.typed else ():
        field = (hit.lastgroup or "f_amount")[2:]
        take(field, hit.group(f"label_{field}"), hit.group(f"value_{field}"), *hit.span(f"value_{field}"))
    collapsed = _flat_lines(service_text, flat)
    if collapsed:
        for field, pattern in layout.flat_typed().items():
            for start, end in collapsed:
                for hit in pattern.finditer(service_text, start, end):
                    take(field, hit.group("label"), hit.group("value"), *hit.span("value"))
    out.sort(key=lambda s: s.position)
    return list({(s.field, s.position): s for s in out}.values())


def text_fields(service_text: str, layout: Layout, flat: frozenset[int] = frozenset()) -> dict[str, str]:
    """The first value of each text-valued service field (payer, currency), on its own line or collapsed."""
    values: dict[str, tuple[int, str]] = {}
    collapsed = _flat_lines(service_text, flat)
    for found in layout.text.finditer(service_text) if layout.text else ():
        field = (found.lastgroup or "f_payer")[2:]
        if field in values or any(start <= found.start() <= end for start, end in collapsed):
            continue  # a collapsed line's value runs to the next label, not to the line's end: read below
        value = (found.group(f"value_{field}") or found.group(f"next_{field}") or "").strip()
        if value and not layout.any_label.match(value):
            values[field] = (found.start(), value)
    for line_start, line_end in collapsed:
        for field, pattern in layout.flat_text().items():
            if field in values:
                continue
            hit = pattern.search(service_text, line_start, line_end)
            if hit:
                after = layout.field_start.search(service_text, hit.end(), line_end)
                end = min(after.start() if after else line_end, hit.end() + 200)
                values[field] = (hit.start(), service_text[hit.end() : end].strip())
    return {field: value for field, (_, value) in values.items()}


_PAYER_FIELDS = ("payer", "payer_name", "payer_email")


def without_payer_names(service_text: str, layout: Layout) -> str:
    """The service's text with the payer's name and address under its payer labels blanked ("Sent by\n<name>"): the
    service writes the label, but the name is the payer's to choose, so it never states an amount or a kind of
    mail ("Sent by\nYou received a payment of $30.00 NZD from Pay"). Same length: positions stay where they were."""
    spans = []
    for found in layout.text.finditer(service_text) if layout.text else ():
        field = (found.lastgroup or "f_payer")[2:]
        if field not in _PAYER_FIELDS:
            continue
        group = f"value_{field}" if found.group(f"value_{field}") is not None else f"next_{field}"
        value = found.group(group) or ""
        if value.strip() and not layout.any_label.match(value.strip()):
            spans.append(found.span(group))
    if not spans:
        return service_text
    chars = list(service_text)
    for start, end in spans:
        for at in range(start, end):
            if chars[at] != "\n":
                chars[at] = " "
    return "".join(chars)


@dataclass(frozen=True, kw_only=True, slots=True)
class AmountReading:
    """The amount paid as the service states it: the first statement of the gross amount, every other one agreeing.
    Net and fee are told apart; when only a net amount and a fee are stated, their sum is the amount paid."""

    money: Money | None
    number: Decimal | None = None  # the amount, even when its currency could not be taken
    problem: str = ""
    assumed_currency: bool = False
    shown: str = ""  # the text it was read from
    where: str = ""  # the sentence or label it was read from


def amount_paid(
    gross: list[Statement],
    net: list[Statement],
    fee: list[Statement],
    currencies: Currencies,
    *,
    currency_field: str = "",
    bare_symbols: Mapping[str, str] | None = None,
    home_currency: str = "",
) -> AmountReading:
    def read(statement: Statement) -> AmountReading:
        got = read_money(
            statement.text,
            currencies,
            currency_field=currency_field,
            bare_symbols=bare_symbols,
            home_currency=home_currency,
        )
        return AmountReading(
            money=got.money,
            number=got.amount,
            problem=got.problem,
            assumed_currency=got.assumed_currency,
            shown=statement.text,
            where=statement.source,
        )

    if gross:
        readings = [read(statement) for statement in gross[: MAX_STATEMENTS + 1]]
        first = readings[0]
        if first.number is None:
            return first
        for other in readings[1:]:
            differs = other.number is not None and other.number != first.number
            currencies_differ = (
                other.money is not None and first.money is not None and other.money.currency != first.money.currency
            )
            if differs or currencies_differ:
                return AmountReading(
                    money=None,
                    number=first.number,
                    problem=f"the notice states the amount twice, differently: {first.shown!r} ({first.where}) and "
                    f"{other.shown!r} ({other.where})",
                )
        if first.money is None:
            # The first statement has no currency of its own ("$25.40"); a later one of the same amount may name it.
            named = next((r for r in readings[1:] if r.money is not None and not r.assumed_currency), None)
            if named is not None:
                return named
        return first
    if net:
        paid = read(net[0])
        if paid.money is None or not fee:
            return paid
        charged = read(fee[0])
        if charged.money is None or charged.money.currency != paid.money.currency:
            return AmountReading(money=None, problem=f"the fee {fee[0].text!r} cannot be added to {net[0].text!r}")
        total = Money(amount=paid.money.amount + charged.money.amount, currency=paid.money.currency)
        return AmountReading(
            money=total, number=total.amount, shown=f"{net[0].text} + fee {fee[0].text}", where="net and fee"
        )
    return AmountReading(money=None, problem="no amount stated")
