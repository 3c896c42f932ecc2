"""Lenient X12 tokenizer, segment writer and envelope checks.

Delimiters are always taken from the ISA header, so a file can be a single
line, one segment per line (``\\n`` or ``\\r\\n``), with or without a trailing
newline. A segment is a list of strings whose first item is the segment ID.

Every X12 reader of the plugin (835 import, and the envelope check run on 837 files) splits text
here, so this is where a control character inside a segment (NUL, a stray line break within an
element...) refuses the file, naming the segment and element. Whitespace between segments is
allowed; so is a control character the ISA itself declares as a delimiter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ISA_LENGTH = 106  # fixed width of the ISA segment, terminator included
_WHITESPACE = " \t\r\n\f\v\ufeff"
_CONTROLS = "\x00-\x1f\x7f-\x9f"  # C0, DEL and C1: never data in X12
_CONTROL_NAMES = {"\x00": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return", "\x7f": "DEL"}

Element = str | Sequence[str]


class X12SyntaxError(ValueError):
    """Raised when text cannot be read as X12 at all (no ISA, bad delimiters...)."""


@dataclass(frozen=True)
class Delimiters:
    """The four X12 separators declared by an ISA segment."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


def detect_delimiters(text: str) -> Delimiters:
    """Read the delimiters from the ISA at the start of ``text``.

    The element separator is the character after ``ISA``, the component
    separator is ISA16 and the segment terminator is the character right after
    ISA16. The ISA is located by counting separators rather than by fixed
    positions, so a slightly malformed (not fixed-width) ISA is still readable.
    """
    start = _skip_whitespace(text)
    if not text.startswith("ISA", start):
        found = text[start:start + 20].strip() or "an empty file"
        raise X12SyntaxError(f"Not an X12 file: it must start with an ISA segment, found {found!r}.")
    if len(text) < start + 4:
        raise X12SyntaxError("The ISA segment is cut short; the file is incomplete.")
    element = text[start + 3]
    if element.isalnum() or element in _WHITESPACE:
        raise X12SyntaxError(f"The ISA element separator {element!r} is not usable as a delimiter.")
    position = start + 3
    for _ in range(15):
        position = text.find(element, position + 1)
        if position < 0:
            raise X12SyntaxError("The ISA segment has fewer than 16 elements; the file is incomplete.")
    # position is now the separator in front of ISA16.
    if len(text) < position + 3:
        raise X12SyntaxError("The ISA segment ends before its segment terminator.")
    component = text[position + 1]
    terminator = text[position + 2]
    repetition = text[start:position].split(element)[11]
    if len(repetition) != 1 or repetition.isalnum():
        repetition = ""  # 4010 files carry the standards ID "U" in ISA11, not a separator
    delimiters = Delimiters(
        element=element,
        component=component,
        repetition=repetition,
        segment=terminator,
    )
    _check_distinct(delimiters)
    return delimiters


def _check_distinct(delimiters: Delimiters) -> None:
    chosen = {"element separator": delimiters.element, "component separator (ISA16)": delimiters.component,
              "segment terminator": delimiters.segment}
    if delimiters.repetition:
        chosen["repetition separator (ISA11)"] = delimiters.repetition
    seen: dict[str, str] = {}
    for name, char in chosen.items():
        if char.isalnum() or char == " ":
            raise X12SyntaxError(f"The ISA declares {char!r} as {name}; "
                                 f"a delimiter cannot be a letter, digit or space.")
        if char in seen:
            raise X12SyntaxError(f"The ISA uses {char!r} both as {seen[char]} and as {name}.")
        seen[char] = name


def _skip_whitespace(text: str) -> int:
    index = 0
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def tokenize(text: str) -> tuple[list[list[str]], Delimiters]:
    """Split X12 text into segments, each a list of element strings.

    Whitespace around segments (line breaks, indentation, a trailing newline)
    is ignored, and empty segments are skipped. Raises ``X12SyntaxError`` when
    the text has no usable ISA header, a segment has no valid segment ID, or a
    segment holds a control character that is not one of the declared separators
    (the message names the segment, the element and the character's position).
    """
    delimiters = detect_delimiters(text)
    control = _control_pattern(delimiters)
    segments: list[list[str]] = []
    for raw in text.split(delimiters.segment):
        raw = raw.strip(_WHITESPACE)
        if not raw:
            continue
        found = control.search(raw)
        if found:
            raise _control_error(len(segments) + 1, raw, found.start(), delimiters.element)
        elements = raw.split(delimiters.element)
        tag = elements[0]
        if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.isupper()):
            raise X12SyntaxError(
                f"Segment {len(segments) + 1} does not start with a segment ID: {raw[:40]!r}."
            )
        segments.append(elements)
    return segments, delimiters


def _control_pattern(delimiters: Delimiters) -> re.Pattern:
    """Control characters that may not appear inside a segment; the ISA's own separators excepted
    (a few senders declare control characters as separators)."""
    declared = "".join(sorted({delimiters.element, delimiters.component, delimiters.repetition} - {""}))
    return re.compile(f"(?![{re.escape(declared)}])[{_CONTROLS}]")


def _control_error(number: int, raw: str, index: int, separator: str) -> X12SyntaxError:
    """The refusal of a segment holding a control character at ``index``, naming segment and element."""
    char = raw[index]
    element = raw.count(separator, 0, index)
    offset = index - raw.rfind(separator, 0, index)
    tag = raw.split(separator, 1)[0]
    where = (f"Segment {number} ({tag}), element {tag}{element:02d}" if element
             else f"Segment {number}, in its segment ID")
    code = f"U+{ord(char):04X}"
    name = f"{_CONTROL_NAMES[char]}, {code}" if char in _CONTROL_NAMES else code
    return X12SyntaxError(
        f"{where}, character {offset}: a control character ({name}) inside the data. "
        f"X12 values hold printable text only, so the file was refused; ask the sender for a clean copy.")


def join_segments(
    segments: Iterable[Sequence[Element]],
    delimiters: Delimiters = Delimiters(),
    line_break: str = "\n",
) -> str:
    """Write segments as X12 text, one terminator (plus ``line_break``) per segment.

    An element may be a string or a sequence of components, which is joined
    with the component separator. Trailing empty elements and components are
    dropped, as X12 requires.
    """
    out: list[str] = []
    for segment in segments:
        values = [_element_text(value, delimiters.component) for value in segment]
        while len(values) > 1 and not values[-1]:
            values.pop()
        out.append(delimiters.element.join(values) + delimiters.segment + line_break)
    return "".join(out)


def _element_text(value: Element, component: str) -> str:
    if isinstance(value, str):
        return value
    parts = list(value)
    while parts and not parts[-1]:
        parts.pop()
    return component.join(parts)


def segment_count_problem(control_number: str, declared: str, counted: int) -> str | None:
    """Describe an SE01 segment count that does not match the counted segments, else None."""
    if _as_int(declared) == counted:
        return None
    return (f"Transaction {control_number}: the SE trailer says it holds {declared or 'no'} segments, "
            f"but {counted} were counted from ST to SE.")


def validate_envelope(text: str) -> list[str]:
    """Check the ISA/IEA, GS/GE and ST/SE envelopes of an X12 interchange.

    Verifies the fixed-width ISA, the control numbers that trailers must
    repeat, and the counts they declare (IEA01, GE01, SE01). Returns a list of
    problems in plain English; an empty list means the envelope is sound.
    """
    try:
        segments, delimiters = tokenize(text)
    except X12SyntaxError as error:
        return [str(error)]
    return envelope_problems(text, segments, delimiters)


def envelope_problems(text: str, segments: list[list[str]], delimiters: Delimiters) -> list[str]:
    """``validate_envelope`` for text already split by ``tokenize`` (so a reader splits a file once)."""
    return _isa_problems(text, segments[0], delimiters) + _EnvelopeWalker(segments).walk()


def _isa_problems(text: str, isa: list[str], delimiters: Delimiters) -> list[str]:
    problems: list[str] = []
    start = _skip_whitespace(text)
    length = text.find(delimiters.segment, start) - start + 1
    if length != ISA_LENGTH:
        problems.append(f"The ISA segment is {length} characters long; it must be exactly {ISA_LENGTH} "
                        f"(sender and receiver IDs padded to 15 characters).")
    if len(isa) != 17:
        problems.append(f"The ISA segment has {len(isa) - 1} elements; it must have 16.")
        return problems
    if not (len(isa[13]) == 9 and isa[13].isdecimal()):
        problems.append(f"ISA13 control number {isa[13]!r} must be exactly 9 digits.")
    if isa[12] != "00501":
        problems.append(f"ISA12 version {isa[12]!r} is not 00501 (X12 5010).")
    if isa[15] not in ("P", "T"):
        problems.append(f"ISA15 usage indicator {isa[15]!r} must be P (production) or T (test).")
    return problems


class _EnvelopeWalker:
    """Walks segments once, matching each header with its trailer."""

    def __init__(self, segments: list[list[str]]) -> None:
        self.segments = segments
        self.problems: list[str] = []
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.st: list[str] | None = None
        self.groups = 0
        self.transactions = 0
        self.st_numbers: set[str] = set()
        self.segments_in_st = 0

    def walk(self) -> list[str]:
        for segment in self.segments:
            handler = getattr(self, "_on_" + segment[0], None)
            if self.st is not None:
                self.segments_in_st += 1
            if handler is not None:
                handler(segment)
            elif self.st is None:
                self.problems.append(f"Segment {segment[0]} appears outside of a transaction (ST...SE).")
        if self.st is not None:
            self.problems.append(f"Transaction {get_element(self.st, 2)} has no SE trailer.")
        if self.gs is not None:
            self.problems.append(f"Functional group {get_element(self.gs, 6)} has no GE trailer.")
        if self.isa is not None:
            self.problems.append(f"Interchange {get_element(self.isa, 13)} has no IEA trailer.")
        return self.problems

    def _on_ISA(self, segment: list[str]) -> None:
        if self.isa is not None:
            self.problems.append(f"Interchange {get_element(self.isa, 13)} has no IEA trailer before the next ISA.")
        self.isa, self.groups = segment, 0

    def _on_IEA(self, segment: list[str]) -> None:
        if self.isa is None:
            self.problems.append("IEA trailer found without a matching ISA.")
            return
        control = get_element(self.isa, 13)
        if get_element(segment, 2) != control:
            self.problems.append(f"IEA02 {get_element(segment, 2)!r} does not match ISA13 {control!r}.")
        if _as_int(get_element(segment, 1)) != self.groups:
            self.problems.append(f"Interchange {control}: IEA01 says {get_element(segment, 1) or 'no'} functional "
                                 f"groups, but {self.groups} were found.")
        self.isa = None

    def _on_GS(self, segment: list[str]) -> None:
        if self.gs is not None:
            self.problems.append(f"Functional group {get_element(self.gs, 6)} has no GE trailer before the next GS.")
        self.gs, self.transactions = segment, 0
        self.st_numbers = set()
        self.groups += 1

    def _on_GE(self, segment: list[str]) -> None:
        if self.gs is None:
            self.problems.append("GE trailer found without a matching GS.")
            return
        control = get_element(self.gs, 6)
        if get_element(segment, 2) != control:
            self.problems.append(f"GE02 {get_element(segment, 2)!r} does not match GS06 {control!r}.")
        if _as_int(get_element(segment, 1)) != self.transactions:
            self.problems.append(f"Functional group {control}: GE01 says {get_element(segment, 1) or 'no'} "
                                 f"transactions, but {self.transactions} were found.")
        self.gs = None

    def _on_ST(self, segment: list[str]) -> None:
        if self.st is not None:
            self.problems.append(f"Transaction {get_element(self.st, 2)} has no SE trailer before the next ST.")
        if self.gs is None:
            self.problems.append(f"Transaction {get_element(segment, 2)} is not inside a functional group (GS...GE).")
        control = get_element(segment, 2)
        if control in self.st_numbers:
            self.problems.append(f"Transaction control number {control} is used twice in the same group.")
        if not (4 <= len(control) <= 9):
            self.problems.append(f"ST02 control number {control!r} must be 4 to 9 characters long.")
        self.st_numbers.add(control)
        version = get_element(segment, 3)
        if version and self.gs is not None and version != get_element(self.gs, 8):
            self.problems.append(f"Transaction {control}: ST03 {version!r} differs from "
                                 f"GS08 {get_element(self.gs, 8)!r}.")
        self.st, self.segments_in_st = segment, 1
        self.transactions += 1

    def _on_SE(self, segment: list[str]) -> None:
        if self.st is None:
            self.problems.append("SE trailer found without a matching ST.")
            return
        control = get_element(self.st, 2)
        if get_element(segment, 2) != control:
            self.problems.append(f"SE02 {get_element(segment, 2)!r} does not match ST02 {control!r}.")
        problem = segment_count_problem(control, get_element(segment, 1), self.segments_in_st)
        if problem:
            self.problems.append(problem)
        self.st = None


def get_element(segment: Sequence[str], index: int) -> str:
    """Element ``index`` of a segment, or '' when the segment is shorter."""
    return segment[index] if index < len(segment) else ""


def _as_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdecimal() else None
