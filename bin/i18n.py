#!/usr/bin/env python
"""Rebuild the Yishi translation catalogues (zh_Hant, en) from the Simplified-Chinese source.

Usage (from anywhere; re-run whenever strings change):

    .venv/bin/python bin/i18n.py            # extract, fill, check, compile, print counts
    .venv/bin/python bin/i18n.py --strict   # ... and exit 1 if anything is left untranslated
    .venv/bin/python bin/i18n.py --missing-json /tmp/todo.json   # new msgids, for the glossary

Steps:
 1. `manage.py makemessages -l zh_Hant -l en --no-obsolete` (domain django; also djangojs when
    our own JavaScript calls gettext()).
 2. Fill the entries (clearing any fuzzy flag):
    - zh_Hant: derived entirely from the msgid, every run: OpenCC (config s2tw: Traditional
      characters in the common Taiwan glyph standard, without Taiwan phrase substitution such as
      社区 -> 社群), then the "phrases" fixes of `locale/zh_Hant_overrides.json` (OpenCC output ->
      correct text, applied in order, e.g. 記名錶決 -> 記名表決), or a whole "messages" entry
      there (msgid -> Traditional, or [form] for a plural entry). Do not edit zh_Hant/django.po by
      hand: the next run regenerates it; put corrections in the overrides file.
    - en: `locale/en_glossary.json` (msgid -> English, or [singular, plural] for plural entries)
      is the master: it always wins over the .po. msgids missing from it are printed and left
      untranslated (Django then shows the Chinese source).
    Keys for entries with a context (pgettext) are "context\\u0004msgid", as in .mo files.
 3. Check every translated entry: placeholders (%(name)s, %d, {name}, {{ n }}), HTML tags and
    leading/trailing newlines must match the msgid exactly; any mismatch fails loudly (exit 2).
 4. `msgfmt --check`, then `manage.py compilemessages`, and print per-language counts.

Needs the dev-only tool OpenCC: `.venv/bin/pip install opencc-python-reimplemented`
(pyproject dev extra "opencc-python-reimplemented"), and GNU gettext (msgfmt, msgmerge, msgcat).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
GLOSSARY = LOCALE / "en_glossary.json"
ZH_HANT_OVERRIDES = LOCALE / "zh_Hant_overrides.json"
OPENCC_CONFIG = "s2tw"
IGNORES = [".venv/*", "tests/*", "bench/*", "static/vendor/*", "staticfiles/*", "node_modules/*"]
JS_ROOTS = ["static", "templates", "projects", "deliberation", "notifications"]
JS_SKIP = ("static/vendor/", "staticfiles/", "node_modules/", ".venv/")
PLURAL_FORMS = {
    "zh_Hant": "nplurals=1; plural=0;",  # as in Django's own zh_Hant catalogue
    "en": "nplurals=2; plural=(n != 1);",
}
LANGUAGE_NAMES = {"zh_Hant": "Traditional Chinese", "en": "English"}
CTX_SEP = "\x04"


class I18nError(Exception):
    """A problem that must stop the pipeline (printed without a traceback)."""


# --- PO files ---------------------------------------------------------------------------------

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(s: str, where: str) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise I18nError(f"{where}: expected a quoted string, got {s!r}")
    body, out, i = s[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _quote(s: str) -> str:
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    return '"' + s.replace("\n", "\\n") + '"'


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)  # raw "#..." lines except "#," and "#|"
    flags: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)  # raw "#|" lines (fuzzy's old msgid)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}{CTX_SEP}{self.msgid}"

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        if self.fuzzy:
            return False
        if self.msgid_plural is None:
            return self.msgstr != ""
        return bool(self.msgstr_plural) and all(v != "" for v in self.msgstr_plural.values())

    def clear_fuzzy(self) -> None:
        self.flags = [f for f in self.flags if f != "fuzzy"]
        self.previous = []

    def references(self) -> str:
        refs = " ".join(c[2:].strip() for c in self.comments if c.startswith("#:"))
        return refs[:100]


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    cur = Entry()
    started = False  # cur has a keyword line
    field_name: str | None = None
    plural_index = 0

    def flush() -> None:
        nonlocal cur, started, field_name
        if started:
            entries.append(cur)
        elif cur.comments or cur.flags or cur.previous:
            raise I18nError(f"{path}: comments without an entry at the end of a block")
        cur, started, field_name = Entry(), False, None

    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{n}"
        line = raw.rstrip("\n")
        if not line.strip():
            flush()
            continue
        if line.startswith("#"):
            if started:
                flush()
            if line.startswith("#,"):
                cur.flags += [f.strip() for f in line[2:].split(",") if f.strip()]
            elif line.startswith("#|"):
                cur.previous.append(line)
            elif line.startswith("#~"):
                raise I18nError(f"{where}: obsolete entry left over (makemessages --no-obsolete?)")
            else:
                cur.comments.append(line)
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)\s+(\".*\")\s*$", line)
        if m:
            kw, value = m.group(1), _unquote(m.group(3), where)
            if kw in ("msgctxt", "msgid") and started and field_name not in (None, "msgctxt"):
                flush()  # a new entry without a blank line in between
            started = True
            if kw.startswith("msgstr["):
                field_name, plural_index = "msgstr_plural", int(m.group(2))
                cur.msgstr_plural[plural_index] = value
            else:
                field_name = kw
                setattr(cur, kw, value)
            continue
        if line.lstrip().startswith('"') and field_name:
            value = _unquote(line, where)
            if field_name == "msgstr_plural":
                cur.msgstr_plural[plural_index] += value
            else:
                setattr(cur, field_name, (getattr(cur, field_name) or "") + value)
            continue
        raise I18nError(f"{where}: cannot parse {line!r}")
    flush()
    return entries


def write_po(path: Path, entries: list[Entry]) -> None:
    out: list[str] = []
    for e in entries:
        out += e.comments
        if e.flags:
            out.append("#, " + ", ".join(e.flags))
        out += e.previous
        if e.msgctxt is not None:
            out.append("msgctxt " + _quote(e.msgctxt))
        out.append("msgid " + _quote(e.msgid))
        if e.msgid_plural is not None:
            out.append("msgid_plural " + _quote(e.msgid_plural))
            for i in sorted(e.msgstr_plural):
                out.append(f"msgstr[{i}] " + _quote(e.msgstr_plural[i]))
        elif e.is_header:
            out.append('msgstr ""')
            out += [_quote(line) for line in e.msgstr.splitlines(keepends=True)]
        else:
            out.append("msgstr " + _quote(e.msgstr))
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")
    # Re-wrap exactly as msgmerge does, so the next makemessages run produces no diff noise.
    run(["msgcat", "--width=79", "-o", str(path), str(path)])


# --- Checks -----------------------------------------------------------------------------------

_TEMPLATE_VAR = re.compile(r"\{\{\s*[\w.|:\"' ]+?\s*\}\}")
_PERCENT = re.compile(
    r"%%|%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsab]"
)
_BRACE = re.compile(r"\{\{|\}\}|\{[A-Za-z_0-9.\[\]]*(?:![rsa])?(?::[^{}]*)?\}")
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")


def placeholders(s: str) -> tuple[Counter[str], list[str], Counter[str], Counter[str]]:
    """(named tokens, positional %-tokens in order, HTML tag names, template vars)."""
    template_vars = Counter(re.sub(r"\s+", "", t) for t in _TEMPLATE_VAR.findall(s))
    rest = _TEMPLATE_VAR.sub("", s)
    named: Counter[str] = Counter()
    positional: list[str] = []
    for m in _PERCENT.finditer(rest):
        tok = m.group(0)
        if tok == "%%":
            continue
        if m.group("name") is not None:
            named[tok] += 1
        else:
            positional.append(tok)
    for tok in _BRACE.findall(rest):
        if tok not in ("{{", "}}"):
            named[tok] += 1
    tags = Counter(t.lower() for t in _TAG.findall(rest))
    return named, positional, tags, template_vars


def check_pair(source: str, translation: str) -> list[str]:
    problems = []
    a, b = placeholders(source), placeholders(translation)
    labels = ("placeholders", "positional placeholders (order matters)", "HTML tags", "{{ vars }}")
    for label, x, y in zip(labels, a, b, strict=True):
        if x != y:
            problems.append(f"{label} differ: source {_show(x)} vs translation {_show(y)}")
    for edge, test in (("leading", str.startswith), ("trailing", str.endswith)):
        if test(source, "\n") != test(translation, "\n"):
            problems.append(f"{edge} newline differs")
    return problems


def _show(x: Collection[str]) -> str:
    return str(sorted(x.elements()) if isinstance(x, Counter) else x)


def check_entry(e: Entry, lang: str) -> list[str]:
    if not e.translated or e.is_header:
        return []
    problems = []
    if e.msgid_plural is None:
        problems += check_pair(e.msgid, e.msgstr)
    else:
        for i, s in sorted(e.msgstr_plural.items()):
            # msgstr[0] follows the singular where a language has two forms; with one form
            # (Chinese) the only form stands for every n, so it matches the plural msgid.
            src = e.msgid if (i == 0 and lang == "en") else e.msgid_plural
            problems += [f"msgstr[{i}]: {p}" for p in check_pair(src, s)]
    return problems


# --- Filling ----------------------------------------------------------------------------------


def load_json(path: Path, what: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise I18nError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise I18nError(f"{path}: must be a JSON object of msgid -> {what}")
    return data


def opencc_converter() -> Any:
    try:
        import opencc  # a dev-only tool: imported only when the pipeline runs
    except ImportError:
        raise I18nError(
            "OpenCC is missing. It is a dev-only tool for the zh_Hant catalogue:\n"
            "    .venv/bin/pip install opencc-python-reimplemented\n"
            '(pyproject.toml [project.optional-dependencies] dev: "opencc-python-reimplemented")'
        ) from None
    return opencc.OpenCC(OPENCC_CONFIG)


@dataclass
class Report:
    filled: int = 0
    missing: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def fill_zh_hant(entries: list[Entry], report: Report, overrides: dict[str, Any]) -> None:
    cc = opencc_converter()
    phrases = overrides.get("phrases", {})
    messages = overrides.get("messages", {})
    if not isinstance(phrases, dict) or not isinstance(messages, dict):
        raise I18nError(
            f"{ZH_HANT_OVERRIDES}: expected {{'phrases': {{...}}, 'messages': {{...}}}}"
        )

    def convert(text: str) -> str:
        out = cc.convert(text)
        for wrong, right in phrases.items():
            out = out.replace(wrong, right)
        return out

    for e in entries:
        if e.is_header:
            continue
        override = messages.get(e.key)
        if override is not None:
            value = override if isinstance(override, str) else override[0]
        else:
            # One plural form in Chinese: it is the plural msgid's text (placeholders included).
            value = convert(e.msgid_plural if e.msgid_plural is not None else e.msgid)
        current = e.msgstr_plural.get(0, "") if e.msgid_plural is not None else e.msgstr
        if current != value or e.fuzzy:
            _set(e, [value])
            report.filled += 1


def fill_en(entries: list[Entry], report: Report, glossary: dict[str, Any]) -> None:
    for e in entries:
        if e.is_header:
            continue
        value = glossary.get(e.key)
        if value is None:
            if not e.translated:
                report.missing.append(e)
            continue
        if e.msgid_plural is None:
            if not isinstance(value, str):
                report.problems.append(f"glossary {e.key!r}: expected a string, got {value!r}")
                continue
            forms = [value]
        else:
            if not (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, str) for v in value)
            ):
                report.problems.append(
                    f"glossary {e.key!r}: a plural entry needs [singular, plural], got {value!r}"
                )
                continue
            forms = value
        if any(not f.strip() for f in forms):
            report.problems.append(f"glossary {e.key!r}: empty translation")
            continue
        current = (
            [e.msgstr] if e.msgid_plural is None else [e.msgstr_plural.get(i, "") for i in range(2)]
        )
        if current != forms or e.fuzzy:
            _set(e, forms)
            report.filled += 1


def _set(e: Entry, forms: list[str]) -> None:
    if e.msgid_plural is None:
        e.msgstr = forms[0]
    else:
        e.msgstr_plural = dict(enumerate(forms))
    e.clear_fuzzy()


def fix_header(entries: list[Entry], lang: str, domain: str, changed: bool) -> None:
    header = next((e for e in entries if e.is_header), None)
    if header is None:
        raise I18nError(f"{lang}/{domain}.po has no header entry")
    header.clear_fuzzy()
    header.comments = [
        f"# Yishi — {LANGUAGE_NAMES[lang]} catalogue ({domain}).",
        "# Source language: Simplified Chinese (zh-hans). Maintained by bin/i18n.py:",
        (
            f"# generated with OpenCC ({OPENCC_CONFIG}); corrections go in locale/zh_Hant_overrides.json."
            if lang == "zh_Hant"
            else "# English from locale/en_glossary.json (edit that file, not this one)."
        ),
        "#",
    ]
    fields: dict[str, str] = {}
    for line in header.msgstr.splitlines():
        k, _, v = line.partition(":")
        fields[k.strip()] = v.strip()
    fields["Project-Id-Version"] = "yishi"
    if changed or fields.get("PO-Revision-Date", "YEAR").startswith("YEAR"):
        fields["PO-Revision-Date"] = (
            dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M%z")
        )
    fields["Last-Translator"] = (
        f"bin/i18n.py (OpenCC {OPENCC_CONFIG})"
        if lang == "zh_Hant"
        else "bin/i18n.py (en_glossary.json)"
    )
    fields["Language-Team"] = LANGUAGE_NAMES[lang]
    fields["Language"] = lang
    fields["Content-Type"] = "text/plain; charset=UTF-8"
    fields["Plural-Forms"] = PLURAL_FORMS[lang]
    header.msgstr = "".join(f"{k}: {v}\n" for k, v in fields.items())


def fix_plural_slots(entries: list[Entry], lang: str) -> None:
    n = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[lang]).group(1))  # type: ignore[union-attr]
    for e in entries:
        if e.msgid_plural is not None:
            e.msgstr_plural = {i: e.msgstr_plural.get(i, "") for i in range(n)}


# --- Driver -----------------------------------------------------------------------------------


def run(cmd: list[str], capture: bool = False) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise I18nError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}{proc.stdout}"
        )
    if proc.stderr.strip() and not capture:
        print(proc.stderr.rstrip(), file=sys.stderr)
    return proc.stdout + (proc.stderr if capture else "")


def has_js_strings() -> bool:
    pattern = re.compile(r"\b(n?p?gettext|gettext_noop|interpolate)\s*\(")
    for root in JS_ROOTS:
        for path in (ROOT / root).rglob("*.js"):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(JS_SKIP) and pattern.search(path.read_text(errors="replace")):
                return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-extract", action="store_true", help="do not run makemessages")
    parser.add_argument("--strict", action="store_true", help="exit 1 if anything is untranslated")
    parser.add_argument(
        "--missing-json",
        type=Path,
        help='write untranslated en msgids here ({msgid: ""} or ["", ""] for plurals)',
    )
    parser.add_argument(
        "--show-stale", action="store_true", help="list glossary keys no longer used"
    )
    args = parser.parse_args()

    for tool in ("msgfmt", "msgmerge", "msgcat", "xgettext"):
        if shutil.which(tool) is None:
            raise I18nError(f"GNU gettext tool {tool!r} not found (apt-get install gettext)")
    opencc_converter()  # fail early, before touching any file
    glossary = load_json(GLOSSARY, "English")
    overrides = load_json(ZH_HANT_OVERRIDES, "Traditional Chinese")
    python = sys.executable
    domains = ["django"] + (["djangojs"] if has_js_strings() else [])

    if not args.skip_extract:
        for domain in domains:
            cmd = [python, "manage.py", "makemessages", "-d", domain, "-l", "zh_Hant", "-l", "en"]
            cmd += [a for ign in IGNORES for a in ("--ignore", ign)] + ["--no-obsolete", "-v0"]
            run(cmd)

    failures: list[str] = []
    missing_all: dict[str, str | list[str]] = {}
    used_keys: set[str] = set()
    summary: list[str] = []
    for domain in domains:
        for lang in ("zh_Hant", "en"):
            po = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
            if not po.exists():
                raise I18nError(f"{po} was not produced by makemessages")
            entries = parse_po(po)
            keys = [e.key for e in entries if not e.is_header]
            dupes = [k for k, c in Counter(keys).items() if c > 1]
            if dupes:
                raise I18nError(f"{po}: duplicate msgids {dupes}")
            used_keys |= set(keys)
            fix_plural_slots(entries, lang)
            report = Report()
            if lang == "zh_Hant":
                fill_zh_hant(entries, report, overrides)
            else:
                fill_en(entries, report, glossary)
            for e in entries:
                report.problems += [
                    f"{e.key!r} ({e.references()}): {p}" for p in check_entry(e, lang)
                ]
            if report.problems:
                failures += [f"{lang}/{domain}: {p}" for p in report.problems]
                continue  # leave the file as makemessages wrote it
            fix_header(entries, lang, domain, changed=report.filled > 0)
            write_po(po, entries)
            stats = run(
                ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture=True
            )
            summary.append(f"{lang:8} {domain:9} filled/updated {report.filled:4}; {stats.strip()}")
            for e in report.missing:
                missing_all[e.key] = "" if e.msgid_plural is None else ["", ""]
                print(f"UNTRANSLATED {lang}/{domain}: {e.key!r}  ({e.references()})")

    if failures:
        print(
            "\nPLACEHOLDER/FORMAT MISMATCHES — fix the glossary or the .po, nothing compiled:",
            file=sys.stderr,
        )
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 2

    run(
        [
            python,
            "manage.py",
            "compilemessages",
            "-v0",
            "--ignore",
            ".venv/*",
            "--ignore",
            "staticfiles/*",
        ]
    )
    stale = sorted(set(glossary) - used_keys)
    print("\n".join(summary))
    print(
        f"glossary: {len(glossary)} entries, {len(stale)} no longer used"
        + (" (--show-stale)" if stale else "")
    )
    if args.show_stale:
        for k in stale:
            print(f"  STALE {k!r}")
    if args.missing_json:
        args.missing_json.write_text(
            json.dumps(missing_all, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {len(missing_all)} untranslated msgids to {args.missing_json}")
    if missing_all:
        print(
            f"{len(missing_all)} msgids have no English yet: add them to {GLOSSARY.relative_to(ROOT)}"
        )
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except I18nError as exc:
        print(f"i18n: {exc}", file=sys.stderr)
        sys.exit(2)
