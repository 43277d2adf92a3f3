#!/usr/bin/env python3
"""Build benchmark of portalgen (python3 standard library only).

Generates a synthetic workspace (default: 500 organizations x 2 plans = 1,000 plan slugs,
locales de + en, 30 help articles per locale), then measures in the same run:

  full    `portalgen build` into a fresh output folder: wall time, peak RSS
  noop    `portalgen build` again, nothing changed: wall time, peak RSS, "0 files written"
  floor   the time merely to create the same folders and files (benches/floor.rs, compiled
          with rustc -O): every file of an untimed reference build (without dist/.portalgen),
          each with its size in bytes (contents do not change the kernel's work); only mkdir +
          write timed, with as many threads as CPUs and with one more (the faster of the two is
          the round's floor: the build also runs one worker more than CPUs)
  check   `portalgen check`: load and render everything, write nothing (where the time goes)
  hugo    Hugo (Debian package `hugo`) on equivalent markdown pages, side by side with a
          portalgen build of the same number of help article pages (default ~20,000), and,
          with enough RAM, at the full size too; plus Hugo's second run (does it rewrite?)
  zola    only noted: it is not a Debian package; skipped when `zola` is not on PATH

and prints the figures with the ratios against the targets:
  full build / floor <= 1.5, portalgen pages/s >= 2x Hugo, no-op < 1 s, peak RSS < 500 MB.
A machine-readable summary goes to benches/results/latest.json (git-ignored).

Usage (from anywhere):
  python3 benches/build_bench.py                    # the working tree, full size, 5 rounds
  python3 benches/build_bench.py --rev HEAD         # a commit, archived and built in the work folder
  python3 benches/build_bench.py --orgs 10 --repeat 1 --settle 0   # smoke run, seconds
  python3 benches/build_bench.py --help

Every timed step starts after `sync`, so writeback of the previous step's output does not land
in the next one. Rounds are interleaved so noise from other processes hits all steps alike, and
alternate their order (odd rounds: full, no-op, the two floors; even rounds: the floors first;
check last), because every step leaves 1.3 GB more in the page cache and the first step
of a run has the emptiest machine. The build is compared with the floor of the same round
(full_i / floor_i, median of the rounds), besides medians and minima; "other CPU" shows how much
CPU time the rest of the machine used during each step. Nothing is deleted between timed steps,
and on ext4 without a journal the run first waits 370 s: see settle().
"""

from __future__ import annotations

import argparse
import colorsys
import datetime
import html
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
SOURCE = REPO  # where themes/ and help/ come from: this checkout, or an archived --rev
TIME = "/usr/bin/time"

CPUS = os.cpu_count() or 1
# The floor's thread counts: one per CPU, and one more, as portalgen's build runs (a thread that
# waits in the file system leaves its CPU to the others); each round's floor is the faster.
FLOOR_THREADS = (CPUS, CPUS + 1)

TARGETS = {
    "full_over_floor_max": 1.5,
    "pages_per_s_vs_hugo_min": 2.0,
    "noop_s_max": 1.0,
    "peak_rss_mb_max": 500.0,
}


# --------------------------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


def rmtree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


TRASH: Path | None = None  # set by main(): <workdir>/trash
FLOOR_COPIES: list = []  # trees the floor wrote, now in the trash


def discard(path: Path) -> Path | None:
    """Moves a used tree out of the way without deleting it (see settle()); returns where to."""
    if not path.exists():
        return None
    TRASH.mkdir(parents=True, exist_ok=True)
    dest = TRASH / f"{len(list(TRASH.iterdir())):03d}-{path.name}"
    path.rename(dest)
    return dest


def settle(seconds: float) -> None:
    """sync, then wait until files deleted before now no longer slow down creating new ones.

    On ext4 without a journal (fs/ext4/ialloc.c: find_inode_bit, recently_deleted), every new
    inode allocation skips, one by one, the free inodes of its block group that were deleted less
    than 60 s ago, or 360 s when their inode table block is dirty, which it is again as soon as
    new inodes are written next to them: creating 80,000 files within minutes of deleting 80,000
    costs several times the normal kernel time. So the benchmark deletes nothing between timed
    steps (used trees are renamed into trash/ and removed at the end) and waits once after setup.
    Deletes by other processes on the same file system still count; "other CPU" shows some of
    that, and rerunning right after a previous run's cleanup is what the wait is for."""
    os.sync()
    if seconds > 0:
        log(f"settling {seconds:.0f} s (sync done; lets recent deletes age out, see settle())")
        time.sleep(seconds)


def cpu_busy_seconds() -> float:
    """CPU seconds spent non-idle on the whole machine (all cores) since boot."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = sum(values[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def mem_free_mb() -> int:
    """MemFree of /proc/meminfo: memory the kernel can hand out without reclaiming page cache."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemFree:"):
                return int(line.split()[1]) // 1024
    return -1


def timed(cmd, cwd=None) -> dict:
    """Runs `cmd` under /usr/bin/time: wall (s), peak RSS (MB), own and other CPU seconds, and
    the free memory it started with (with less than the ~1.3 GB a full build writes, the kernel
    reclaims page cache while writing, which shows as more system time)."""
    os.sync()
    free_mb = mem_free_mb()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        busy0 = cpu_busy_seconds()
        t0 = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-f", "%e %M %U %S", "-o", tf.name, *map(str, cmd)],
            cwd=cwd,
            text=True,
            capture_output=True,
        )
        wall = time.perf_counter() - t0
        busy = cpu_busy_seconds() - busy0
        fields = tf.read().split()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}")
    _, rss_kb, user, system = fields[-4:]
    own_cpu = float(user) + float(system)
    return {
        "wall_s": round(wall, 4),
        "peak_rss_mb": round(int(rss_kb) / 1024, 1),
        "cpu_s": round(own_cpu, 2),
        "user_s": float(user),
        "sys_s": float(system),
        "other_cpu_s": round(max(0.0, busy - own_cpu), 2),
        "mem_free_mb_before": free_mb,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }


def med(values):
    return statistics.median(values) if values else None


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


# --------------------------------------------------------------------------------------------
# the machine


def ext4_without_journal(device, fstype) -> bool:
    """ext4 lists a mounted file system's journal under /proc/fs/jbd2/<dev>-8."""
    if fstype != "ext4" or not device:
        return False
    name = os.path.basename(device)
    try:
        return not any(j.startswith(name + "-") for j in os.listdir("/proc/fs/jbd2"))
    except OSError:
        return False


PAGE_REPORTING = Path("/sys/module/page_reporting/parameters")


def free_page_reporting() -> dict | None:
    """Whether this (virtual) machine hands free memory back to its host (virtio-balloon free page
    reporting): the host then takes the memory away, and the next first touch of such a page is a
    fault on the host, which the guest sees as kernel time of whoever touches it. A step that
    fills 1.3 GB of page cache from such memory spends seconds more in the kernel than the same
    step on memory that was still in use (copy_folio_from_iter_atomic and memset, see
    BENCHMARKS.md), so kernel time here varies from step to step with the state of the memory,
    for the floor as much as for the build."""
    def read(name):
        try:
            return (PAGE_REPORTING / name).read_text().strip()
        except OSError:
            return None
    order = read("page_reporting_order")
    if order is None:
        return None
    reported = read("reported_kib")
    return {"order": int(order), "reported_gb_since_boot": round(int(reported) / 1024 / 1024, 1)
            if reported else None}


def machine_info(workdir: Path) -> dict:
    def first(cmd):
        try:
            return subprocess.run(cmd, text=True, capture_output=True).stdout.strip()
        except OSError:
            return None

    cpu = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    df = first(["df", "--output=source,fstype", str(workdir)])
    source, fstype = (df.splitlines()[-1].split() + [None, None])[:2] if df else (None, None)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "workdir": str(workdir),
        "workdir_device": source,
        "workdir_fs": fstype,
        "rustc": first(["rustc", "--version"]),
        "hugo": first(["hugo", "version"]) if shutil.which("hugo") else None,
        "zola": first(["zola", "--version"]) if shutil.which("zola") else None,
        "ext4_without_journal": ext4_without_journal(source, fstype),
        "free_page_reporting": free_page_reporting(),
        "loadavg_at_start": loadavg(),
        "portalgen_commit": first(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "portalgen_uncommitted_files": len(
            (first(["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "Cargo.toml",
                    "themes"]) or "").splitlines()
        ),
    }


# --------------------------------------------------------------------------------------------
# the synthetic workspace

STEMS = [
    "Lumen", "Nord", "Solar", "Volta", "Elb", "Rhein", "Alpen", "Küsten", "Wald", "Hafen",
    "Stern", "Blitz", "Licht", "Wind", "Quell", "Berg", "Fluss", "Heide", "Moor", "Sonnen",
    "Ost", "West", "Süd", "Mittel", "Neu",
]
PLACES = [
    "Aachen", "Bremen", "Celle", "Dessau", "Erfurt", "Fulda", "Gera", "Halle", "Ilmenau", "Jena",
    "Kassel", "Lübeck", "Mainz", "Neuss", "Oldenburg", "Passau", "Quedlinburg", "Rostock",
    "Siegen", "Trier", "Ulm", "Verden", "Wismar", "Xanten", "Zwickau",
]


def hsl_hex(h: float, s: float, l: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, l, s)
    return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


def org_record(i: int) -> dict:
    stem = STEMS[i % len(STEMS)]
    place = PLACES[(i // len(STEMS)) % len(PLACES)]
    lap = i // (len(STEMS) * len(PLACES))
    oid = f"{stem.lower().replace('ü', 'ue').replace('ö', 'oe').replace('ä', 'ae')}-{place.lower().replace('ü', 'ue')}"
    name = f"{stem}strom {place}"
    if lap:
        oid += f"-{lap + 1}"
        name += f" {lap + 1}"
    hue = (i * 0.618033988749895) % 1.0
    phone_tail = f"{1000 + i:04d}"
    return {
        "index": i,
        "id": oid,
        "name": f"{name} GmbH",
        "short": name,
        "plans": [(oid, f"{name} Dynamisch"), (f"{oid}-business", f"{name} Business")],
        "colors": {
            "primary": hsl_hex(hue, 0.75, 0.36),
            "on_primary": "#ffffff",
            "accent": hsl_hex(hue + 0.42, 0.65, 0.32),
            "background": hsl_hex(hue, 0.35, 0.965),
            "surface": "#ffffff",
            "text": hsl_hex(hue, 0.45, 0.10),
            "muted": hsl_hex(hue, 0.15, 0.38),
        },
        "radius": f"{(i % 5) * 3 + 2}px",
        "email": f"hilfe@{oid}.example",
        "phone": f"+49 {30 + i % 60} 5550 {phone_tail}",
        "phone_link": f"+49{30 + i % 60}5550{phone_tail}",
        "url": f"https://www.{oid}.example/kontakt",
        "hours": {"de": "Mo–Fr 8–18 Uhr", "en": "Mon–Fri 8 am–6 pm"}
        if i % 2 == 0
        else {"de": "Mo–Do 8–17 Uhr, Fr 8–14 Uhr", "en": "Mon–Thu 8 am–5 pm, Fri 8 am–2 pm"},
    }


def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def tenant_yaml(o: dict) -> str:
    c = o["colors"]
    lines = [
        f"# {o['name']}: synthetic tenant {o['index']} of the build benchmark.",
        "organization:",
        f"  name: {q(o['name'])}",
        "theme: default",
        "plans:",
    ]
    for n, (slug, pname) in enumerate(o["plans"]):
        lines += [f"  - slug: {slug}", f"    name: {q(pname)}"]
        if n == 1 and o["index"] % 4 == 0:
            lines.append(f"    domain: portal.{slug}.example")
    lines += ["brand:", "  colors:"]
    lines += [f"    {k}: {q(v)}" for k, v in c.items()]
    lines += [
        f"  logo: {o['id']}/logo.svg",
        f"  logo_alt: {q(o['short'])}",
        f"  favicon: {o['id']}/favicon.svg",
        f"  radius: {o['radius']}",
        "locales:",
        "  available: [de, en]",
        "  default: de",
        "support:",
        f"  email: {q(o['email'])}",
        f"  phone: {q(o['phone'])}",
        f"  url: {q(o['url'])}",
        "  hours:",
        f"    de: {q(o['hours']['de'])}",
        f"    en: {q(o['hours']['en'])}",
        "legal:",
        f"  imprint: \"https://www.{o['id']}.example/impressum\"",
        f"  privacy: \"https://www.{o['id']}.example/datenschutz\"",
    ]
    if o["index"] % 3 != 2:
        lines.append(f"  terms: \"https://www.{o['id']}.example/agb\"")
    if o["index"] % 2 == 0:
        lines += ["embed:", f"  allow: [\"https://www.{o['id']}.example\"]"]
    if o["index"] % 5 == 0:
        lines += ["strings:", "  en:", '    "route.help.nav": "Help & contact"']
    return "\n".join(lines) + "\n"


def logo_svg(o: dict) -> str:
    c = o["colors"]
    initials = "".join(w[0] for w in o["short"].split()[:2]).upper()
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 48" width="200" height="48" '
        f'role="img" aria-labelledby="{o["id"]}-logo-title">\n'
        f'  <title id="{o["id"]}-logo-title">{html.escape(o["short"])}</title>\n'
        f'  <rect x="2" y="4" width="40" height="40" rx="{o["radius"][:-2]}" fill="{c["primary"]}"/>\n'
        f'  <text x="22" y="31" text-anchor="middle" font-size="18" font-weight="700" '
        f'fill="{c["on_primary"]}">{html.escape(initials)}</text>\n'
        f'  <text x="52" y="31" font-family="Inter, Helvetica, Arial, sans-serif" font-size="17" '
        f'fill="{c["text"]}">{html.escape(o["short"])}</text>\n'
        "</svg>\n"
    )


def favicon_svg(o: dict) -> str:
    c = o["colors"]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">\n'
        f'  <rect width="32" height="32" rx="8" fill="{c["primary"]}"/>\n'
        f'  <path d="M18.5 4 L8.5 18.5 H15 L13 28 L23.5 13.5 H17 Z" fill="{c["accent"]}"/>\n'
        "</svg>\n"
    )


# ---- help articles


class Source:
    """One of the repository's help articles, cut into reusable pieces."""

    FOOTNOTE_DEF = re.compile(r"^\[\^([^\]]+)\]:\s*(.*)$")

    def __init__(self, path: Path, n: int):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        self.id = path.stem
        self.folder = path.parent.name
        self.n = n
        meta = {}
        for line in front.splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
        self.title = json.loads(meta["title"]) if meta["title"].startswith('"') else meta["title"]
        self.category = (
            json.loads(meta["category"]) if meta["category"].startswith('"') else meta["category"]
        )
        self.order = int(meta.get("order", "0") or 0)
        self.keywords = [k.strip() for k in meta.get("keywords", "[]").strip("[]").split(",") if k.strip()]
        self.footnotes = {}
        kept = []
        for line in body.splitlines():
            m = self.FOOTNOTE_DEF.match(line)
            if m:
                self.footnotes[m.group(1)] = m.group(2)
            else:
                kept.append(line)
        body = "\n".join(kept).strip()
        # Unique footnote labels per source, so pieces of several articles can be combined.
        body = re.sub(r"\[\^([^\]]+)\]", lambda m: f"[^s{n}-{m.group(1)}]", body)
        self.footnotes = {f"s{n}-{k}": v for k, v in self.footnotes.items()}
        parts = re.split(r"(?m)^(?=## )", body)
        self.intro = parts[0].strip()
        self.sections = [p.strip() for p in parts[1:] if p.strip()]
        self.has_table = "\n|" in body


TEXT = {
    "de": {
        "variants": ["Häufige Fragen", "Im Detail", "Tipps und Hinweise", "Schritt für Schritt"],
        "glance": "Auf einen Blick",
        "cols": ("Thema", "Wo im Portal", "Mehr dazu"),
        "where": ["Übersicht", "Rechnungen", "Verbrauch", "Tarif", "Konto", "Aufträge", "Hilfe"],
        "related": "Verwandte Artikel",
        "contact": "Noch Fragen?",
        "contact_text": (
            "Das Service-Team von {{ org.name }} hilft Ihnen gern weiter. Schreiben Sie uns an "
            "[{{ support.email }}](mailto:{{ support.email }}) oder rufen Sie uns an unter "
            "[{{ support.phone }}](tel:{{ support.phone_link }}) – erreichbar {{ support.hours }}.[^kontakt] "
            "Alle weiteren Kontaktwege finden Sie auf [unserer Kontaktseite]({{ support.url }})."
        ),
        "contact_note": (
            "Bitte halten Sie Ihre Kundennummer bereit. Anfragen zu {{ plan.name }} beantworten wir "
            "in der Regel innerhalb von zwei Werktagen."
        ),
        "steps": [
            "Melden Sie sich im Portal von {{ plan.name }} an.",
            "Öffnen Sie den passenden Bereich im Menü.",
            "Prüfen Sie Ihre Angaben und bestätigen Sie mit **Speichern**.",
            "Sie erhalten eine Bestätigung per E-Mail.",
        ],
        "steps_title": "So gehen Sie vor",
    },
    "en": {
        "variants": ["Frequently asked questions", "In detail", "Tips and notes", "Step by step"],
        "glance": "At a glance",
        "cols": ("Topic", "Where in the portal", "Read more"),
        "where": ["Overview", "Invoices", "Consumption", "Tariff", "Account", "Orders", "Help"],
        "related": "Related articles",
        "contact": "Any questions?",
        "contact_text": (
            "The {{ org.name }} service team is happy to help. Write to "
            "[{{ support.email }}](mailto:{{ support.email }}) or call us on "
            "[{{ support.phone }}](tel:{{ support.phone_link }}) – available {{ support.hours }}.[^contact] "
            "You will find every other way to reach us on [our contact page]({{ support.url }})."
        ),
        "contact_note": (
            "Please have your customer number at hand. We usually answer questions about "
            "{{ plan.name }} within two working days."
        ),
        "steps": [
            "Sign in to the {{ plan.name }} portal.",
            "Open the matching section in the menu.",
            "Check your details and confirm with **Save**.",
            "You will receive a confirmation by e-mail.",
        ],
        "steps_title": "How to do it",
    },
}

WORD = re.compile(r"\S+")


def words(text: str) -> int:
    return len(WORD.findall(text))


def article_plan(sources_by_locale: dict, count: int) -> list:
    """Article ids and the choices made for each, the same in every locale (so they translate)."""
    n = len(next(iter(sources_by_locale.values())))
    plan = []
    for k in range(count):
        v = k // n
        src = k % n
        aid = sources_by_locale["de"][src].id if v == 0 else f"{sources_by_locale['de'][src].id}-{v + 1}"
        plan.append({"k": k, "v": v, "src": src, "id": aid})
    return plan


def make_article(locale: str, sources: list, entry: dict, plan: list) -> str:
    t = TEXT[locale]
    n = len(sources)
    k, v = entry["k"], entry["v"]
    src = sources[entry["src"]]
    title = src.title if v == 0 else f"{src.title} – {t['variants'][(v - 1) % len(t['variants'])]}"
    keywords = src.keywords + [t["variants"][k % len(t["variants"])].lower()]
    target = 400 + (k * 97) % 400  # 400..799 words, varied per article

    others = [p for p in plan if p["id"] != entry["id"]]
    related = [others[(k * 3 + j * 5) % len(others)] for j in range(3)] if others else []

    def link(p):
        return f"[{sources[p['src']].title}](../{p['id']}/)"

    sections = src.sections[v % max(1, len(src.sections)):] + src.sections[: v % max(1, len(src.sections))]
    pieces = [src.intro]
    # A table on every page (the tariff article has its own).
    if not src.has_table:
        rows = [f"| {t['cols'][0]} | {t['cols'][1]} | {t['cols'][2]} |", "|---|---|---|"]
        for j, kw in enumerate(src.keywords[:5] or [src.title]):
            target_article = related[j % len(related)] if related else entry
            rows.append(
                f"| {kw[:1].upper() + kw[1:]} | {t['where'][(k + j) % len(t['where'])]} | {link(target_article)} |"
            )
        pieces.append(f"## {t['glance']}\n\n" + "\n".join(rows))
    pieces += sections
    # Numbered steps with a custom heading id.
    steps = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(t["steps"]))
    pieces.append(f"### {t['steps_title']} {{#{entry['id']}-steps}}\n\n{steps}")
    # Borrowed sections from other articles until the target length.
    borrowed = []
    for j in range(1, n):
        other = sources[(entry["src"] + j * 5 + v) % n]
        if other is not src:
            borrowed += [(other, s) for s in other.sections]
    footnote_srcs = [src]
    tail = [
        f"## {t['contact']}\n\n{t['contact_text']}\n\n{t['contact_note']}",
        f"### {t['related']}\n\n" + "\n".join(f"- {link(p)}" for p in related),
    ]
    base = words("\n\n".join(pieces + tail))
    start = (k * 7) % max(1, len(borrowed))
    for other, s in borrowed[start:] + borrowed[:start]:
        if base >= target:
            break
        if base + words(s) > 760:  # footnote definitions follow

            continue
        pieces.append(s)
        footnote_srcs.append(other)
        base += words(s)
    body = "\n\n".join(pieces + tail)
    # Footnote definitions for every reference used.
    defs = {}
    for s in footnote_srcs:
        defs.update(s.footnotes)
    label = "kontakt" if locale == "de" else "contact"
    defs[label] = (
        "Außerhalb der Servicezeiten erreichen Sie uns per E-Mail; {{ org.name }} antwortet am nächsten Werktag."
        if locale == "de"
        else "Outside service hours, reach us by e-mail; {{ org.name }} replies on the next working day."
    )
    used = [l for l in defs if f"[^{l}]" in body]
    body += "\n\n" + "\n".join(f"[^{l}]: {defs[l]}" for l in used)
    front = [
        "---",
        f"title: {q(title)}",
        f"category: {q(src.category)}",
        f"order: {src.order + 100 * v}",
        f"keywords: [{', '.join(keywords)}]",
        "---",
    ]
    return "\n".join(front) + "\n" + body + "\n"


def load_sources() -> dict:
    out = {}
    for locale in ("de", "en"):
        files = sorted((SOURCE / "help" / locale).rglob("*.md"), key=lambda p: p.stem)
        out[locale] = [Source(p, i) for i, p in enumerate(files)]
    ids = {loc: [s.id for s in srcs] for loc, srcs in out.items()}
    if ids["de"] != ids["en"]:
        raise SystemExit("help/de and help/en do not have the same article ids")
    return out


def generate_help(dest: Path, articles: int) -> tuple[list, dict]:
    """Writes help/<locale>/<category-folder>/<id>.md; returns the article plan and the texts."""
    sources = load_sources()
    plan = article_plan(sources, articles)
    texts = {}
    for locale, srcs in sources.items():
        for entry in plan:
            folder = srcs[entry["src"]].folder
            md = make_article(locale, srcs, entry, plan)
            path = dest / locale / folder / f"{entry['id']}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(md, encoding="utf-8")
            texts[(locale, entry["id"])] = md
    return plan, texts


def generate_workspace(dest: Path, orgs: int, articles: int) -> dict:
    rmtree(dest)
    shutil.copytree(SOURCE / "themes", dest / "themes")
    records = [org_record(i) for i in range(orgs)]
    tenants = dest / "tenants"
    for o in records:
        (tenants / o["id"]).mkdir(parents=True)
        (tenants / f"{o['id']}.yaml").write_text(tenant_yaml(o), encoding="utf-8")
        (tenants / o["id"] / "logo.svg").write_text(logo_svg(o), encoding="utf-8")
        (tenants / o["id"] / "favicon.svg").write_text(favicon_svg(o), encoding="utf-8")
    plan, texts = generate_help(dest / "help", articles)
    wc = [words(t.split("---\n", 2)[2]) for t in texts.values()]
    return {
        "path": dest,
        "orgs": records,
        "slugs": sum(len(o["plans"]) for o in records),
        "articles": plan,
        "texts": texts,
        "article_words": {"min": min(wc), "median": med(wc), "max": max(wc)},
    }


# --------------------------------------------------------------------------------------------
# portalgen


SUMMARY = re.compile(r"built (\d+) slug\(s\).*?: (\d+) files written, (\d+) unchanged")


def portalgen_check(binary: Path, ws: Path) -> dict:
    """`portalgen check`: loads, validates and renders every bundle in memory, writes nothing."""
    r = timed([binary, "check"], cwd=ws)
    r["summary"] = r["stdout"].strip().splitlines()[-1] if r["stdout"].strip() else ""
    del r["stdout"], r["stderr"]
    return r


def portalgen_build(binary: Path, ws: Path, out: Path, jobs: int | None = None) -> dict:
    cmd = [binary]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    cmd += ["build", "--out", out]
    r = timed(cmd, cwd=ws)
    m = SUMMARY.search(r["stdout"])
    if not m:
        raise SystemExit(f"unexpected portalgen output:\n{r['stdout']}\n{r['stderr']}")
    r["summary"] = r["stdout"].strip().splitlines()[-1]
    r["slugs"], r["files_written"], r["files_unchanged"] = map(int, m.groups())
    r["warnings"] = r["stderr"].count("warning")
    del r["stdout"], r["stderr"]
    return r


HELP_PAGE = re.compile(r"^[^/]+/help/[^/]+/[^/]+/index\.html$")


def list_output(out: Path) -> dict:
    """Every file of a build output, without the build state in .portalgen/."""
    files = []
    for root, dirs, names in os.walk(out):
        rel_root = os.path.relpath(root, out)
        if rel_root == ".":
            dirs[:] = [d for d in dirs if d != ".portalgen"]
        for name in names:
            files.append(name if rel_root == "." else f"{rel_root}/{name}")
    files.sort()
    html_files = [f for f in files if f.endswith(".html")]
    return {
        "files": files,
        "count": len(files),
        "html": len(html_files),
        "help_articles": sum(1 for f in html_files if HELP_PAGE.match(f)),
        "bytes": sum((out / f).stat().st_size for f in files),
        "dirs": len({os.path.dirname(f) for f in files}),
    }


def check_disk_space(workdir: Path, output: dict, args, hugo: bool) -> None:
    """Stops before the timed steps if the trees they keep (nothing is deleted until the end,
    see settle()) would not fit: per round a full build and two floor copies, a --jobs 1 build,
    and with Hugo about a third of the full size per side-by-side run and the full-size site."""
    trees = 3 * args.repeat + (0 if args.no_jobs1 else 1)
    if hugo:
        trees += 2 * args.repeat // 3 + 2
    needed = trees * output["bytes"] * 1.15  # folders and inode tables on top of the bytes
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise SystemExit(
            f"not enough disk space in {workdir}: the run keeps about {trees} trees of "
            f"{output['bytes'] / 1e9:.1f} GB until the end ({needed / 1e9:.0f} GB), "
            f"{free / 1e9:.0f} GB free; use --repeat, --no-hugo or --workdir elsewhere"
        )


def run_floor(floor_bin: Path, list_file: Path, src: Path, dest: Path, threads: int) -> dict:
    """Runs the floor program; `seconds` is its timed mkdir+write phase. `process_*` describe the
    whole process (reading every file's size first included), `other_cpu_s` the rest of the
    machine."""
    discard(dest)
    r = timed([floor_bin, list_file, src, dest, threads])
    result = json.loads(r["stdout"])
    result.update(
        process_wall_s=r["wall_s"], process_cpu_s=r["cpu_s"], process_peak_rss_mb=r["peak_rss_mb"],
        other_cpu_s=r["other_cpu_s"], mem_free_mb_before=r["mem_free_mb_before"],
    )
    FLOOR_COPIES.append(discard(dest))
    return result


# --------------------------------------------------------------------------------------------
# Hugo


PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")


def fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def hugo_layout_from(page: str) -> str:
    """A Hugo base template made from one portalgen help article page, so both write pages of
    the same size and structure: the rendered article becomes {{ .Content }}."""
    start = page.index('<div class="prose">')
    start = page.index("\n", start) + 1
    end = page.index("\n  </div>\n</article>", start)
    head, tail = page[:start], page[end:]
    assert "{{" not in head and "{{" not in tail
    # The page title and the breadcrumb title come from the content's front matter.
    title = re.search(r'<h1 class="help-article__title"[^>]*>(.*?)</h1>', head).group(1)
    category = re.search(r'<p class="help-article__category">(.*?)</p>', head).group(1)
    path = re.search(r'<a href="([^"]*)" aria-current="page" lang=', head).group(1)
    head = (
        head.replace(title, "{{ .Title }}")
        .replace(f">{category}<", ">{{ .Params.category }}<")
        .replace(f'href="{path}" aria-current="page" lang=', 'href="{{ .RelPermalink }}" aria-current="page" lang=')
    )
    return head + '{{ block "main" . }}{{ end }}' + tail


def generate_hugo_site(dest: Path, ws_info: dict, slugs_wanted: int, layout_page: str) -> int:
    """content/<slug>/<locale>/<id>.md for the first `slugs_wanted` plan slugs: the same help
    articles with each plan's placeholder values filled in, one page per portalgen help article
    page. Returns the number of content pages."""
    discard(dest)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "config.toml").write_text(
        'baseURL = "https://bench.example/"\n'
        'title = "portalgen bench"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "section", "home"]\n'
        "[markup.goldmark.parser.attribute]\n"
        "title = true\n",
        encoding="utf-8",
    )
    (dest / "layouts" / "_default" / "baseof.html").write_text(hugo_layout_from(layout_page))
    (dest / "layouts" / "_default" / "single.html").write_text(
        '{{ define "main" }}{{ .Content }}{{ end }}\n'
    )
    (dest / "layouts" / "_default" / "list.html").write_text('{{ define "main" }}{{ end }}\n')
    count = 0
    slugs = [(o, slug, pname) for o in ws_info["orgs"] for slug, pname in o["plans"]][:slugs_wanted]
    for o, slug, pname in slugs:
        for locale in ("de", "en"):
            values = {
                "org.name": o["name"],
                "plan.name": pname,
                "support.email": o["email"],
                "support.phone": o["phone"],
                "support.phone_link": o["phone_link"],
                "support.url": o["url"],
                "support.hours": o["hours"][locale],
            }
            folder = dest / "content" / slug / locale
            folder.mkdir(parents=True)
            for entry in ws_info["articles"]:
                md = ws_info["texts"][(locale, entry["id"])]
                (folder / f"{entry['id']}.md").write_text(fill(md, values), encoding="utf-8")
                count += 1
    return count


def hugo_build(site: Path, public: Path, fresh: bool) -> dict:
    if fresh:
        discard(public)
        discard(site / "resources")
        discard(site / ".hugo-cache")
    started_ns = time.time_ns()
    r = timed(
        ["hugo", "--quiet", "--source", site, "--destination", public,
         "--cacheDir", site / ".hugo-cache"]
    )
    pages = rewritten = 0
    for root, _, names in os.walk(public):
        for name in names:
            if name.endswith(".html"):
                pages += 1
                if os.stat(os.path.join(root, name)).st_mtime_ns >= started_ns:
                    rewritten += 1
    r["html_pages"] = pages
    r["html_rewritten"] = rewritten
    del r["stdout"], r["stderr"]
    return r


# --------------------------------------------------------------------------------------------
# main


def build_rev(rev: str, workdir: Path, target_dir: Path) -> tuple[Path, str]:
    """Archives commit `rev` of this repository into the work folder and builds it there."""
    global SOURCE
    commit = run(["git", "-C", REPO, "rev-parse", "--verify", f"{rev}^{{commit}}"],
                 capture_output=True).stdout.strip()
    src = workdir / f"src-{commit[:10]}"
    src.mkdir()
    log(f"git archive {commit[:10]} into {src}")
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", commit], stdout=subprocess.PIPE)
    run(["tar", "-x", "-C", src], stdin=archive.stdout)
    if archive.wait():
        raise SystemExit(f"git archive {commit} failed")
    # Archived files carry the commit's time; make them newer than the seeded artifacts below so
    # cargo rebuilds portalgen itself (and only that).
    now = time.time()
    for root, _, names in os.walk(src):
        for name in names:
            os.utime(os.path.join(root, name), (now, now))
    target = workdir / "target"
    if (target_dir / "release").is_dir():
        log("seeding the build with target/release (compiled dependencies)")
        shutil.copytree(target_dir / "release", target / "release", symlinks=True)
    log(f"cargo build --release (in {src})")
    run(["cargo", "build", "--release", "--quiet"], cwd=src,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    SOURCE = src
    return target / "release" / "portalgen", commit


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--orgs", type=int, default=int(os.environ.get("BENCH_ORGS", 500)),
                    help="organizations, 2 plan slugs each (default 500 = 1,000 slugs)")
    ap.add_argument("--articles", type=int, default=int(os.environ.get("BENCH_ARTICLES", 30)),
                    help="help articles per locale (default 30)")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 5)),
                    help="repetitions of every timed step (default 5; medians reported)")
    ap.add_argument("--compare-slugs", type=int, default=None,
                    help="plan slugs of the side-by-side run with Hugo "
                         "(default: enough for ~20,000 help pages, at most all)")
    ap.add_argument("--hugo-full", choices=["auto", "yes", "no"], default="auto",
                    help="also run Hugo at the full size (auto: when RAM >= 16 GB)")
    ap.add_argument("--no-hugo", action="store_true", help="skip Hugo entirely")
    ap.add_argument("--no-jobs1", action="store_true", help="skip the single-thread (-j1) full build")
    ap.add_argument("--after-delete", action="store_true",
                    help="also time a full build and the floor each right after rm -rf of a tree "
                         "of the same size (the everyday `rm -rf dist && portalgen build`); adds "
                         "two settle periods")
    ap.add_argument("--settle", type=float, default=None,
                    help="seconds to wait (after sync) before measuring, so earlier deletes are "
                         "out of ext4's recently-deleted-inode window (default: 370 on ext4 "
                         "without a journal, else 5; 0 for smoke runs); env BENCH_SETTLE")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where to generate (default: a temporary folder); removed at the end "
                         "unless --keep")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--no-cargo-build", action="store_true",
                    help="use the existing target/release/portalgen")
    ap.add_argument("--binary", type=Path, default=None,
                    help="benchmark this portalgen executable instead (implies --no-cargo-build; "
                         "themes/ and help/ still come from this checkout)")
    ap.add_argument("--rev", default=None,
                    help="benchmark a commit instead of the working tree: `git archive` it into "
                         "the work folder and build it there (themes/ and help/ from it too)")
    ap.add_argument("--results", type=Path, default=BENCHES / "results" / "latest.json")
    args = ap.parse_args()

    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is needed (Debian package `time`)")

    # 1. Tools.
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="portalgen-bench-"))).resolve()
    if args.workdir and workdir.exists() and any(workdir.iterdir()):
        log(f"clearing {workdir}")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = (args.binary or target_dir / "release" / "portalgen").resolve()
    commit = None
    if args.rev:
        binary, commit = build_rev(args.rev, workdir, target_dir)
    elif not args.no_cargo_build and not args.binary:
        log("cargo build --release")
        run(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    if not binary.exists():
        raise SystemExit(f"{binary} not found")
    if not args.no_hugo and not shutil.which("hugo"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            log("installing hugo (apt-get install -y hugo)")
            if subprocess.run(["apt-get", "install", "-y", "-q", "hugo"], capture_output=True).returncode:
                run(["apt-get", "update", "-q"], capture_output=True)
                run(["apt-get", "install", "-y", "-q", "hugo"], capture_output=True)
        if not shutil.which("hugo"):
            log("hugo is not available: the Hugo comparison is skipped")
    have_hugo = not args.no_hugo and shutil.which("hugo") is not None
    zola = shutil.which("zola")
    if not zola:
        log("zola is not on PATH (not a Debian package): the Zola comparison is skipped")
    else:
        log(f"zola found at {zola}, but this benchmark has no Zola site generator yet: skipped")

    global TRASH
    TRASH = workdir / "trash"
    machine = machine_info(workdir)
    if commit:
        machine["portalgen_commit"] = f"{commit[:7]} (--rev {args.rev})"
        machine["portalgen_uncommitted_files"] = 0
    elif args.binary:
        machine["portalgen_commit"] = f"{binary} (--binary); themes/help of {machine['portalgen_commit']}"
    if args.settle is None:
        env = os.environ.get("BENCH_SETTLE")
        args.settle = float(env) if env else (370.0 if machine["ext4_without_journal"] else 5.0)
    floor_bin = workdir / "floor"
    log("rustc -O benches/floor.rs")
    run(["rustc", "-O", "--edition", "2021", BENCHES / "floor.rs", "-o", floor_bin])

    results = {
        "command": "python3 benches/build_bench.py " + " ".join(sys.argv[1:]),
        "machine": machine,
        "config": {"orgs": args.orgs, "articles": args.articles, "repeat": args.repeat,
                   "binary": str(binary),
                   "settle_s": args.settle},
        "targets": TARGETS,
        "zola": "not on PATH, skipped" if not zola else "on PATH, no site generator: skipped",
    }

    try:
        # 2. The workspaces (the side-by-side one too, so nothing is generated between steps).
        log(f"generating {args.orgs} orgs x 2 plans, 2 locales x {args.articles} articles")
        ws = generate_workspace(workdir / "ws", args.orgs, args.articles)
        results["workspace"] = {"slugs": ws["slugs"], "article_words": ws["article_words"]}
        log(f"workspace: {ws['slugs']} slugs, article words {ws['article_words']}")
        cmp_ws = None
        if have_hugo:
            per_slug = 2 * args.articles
            cmp_slugs = args.compare_slugs or max(1, min(ws["slugs"], round(20000 / per_slug)))
            cmp_orgs = (min(cmp_slugs, ws["slugs"]) + 1) // 2
            cmp_slugs = min(cmp_orgs * 2, ws["slugs"])
            if cmp_orgs == args.orgs:
                cmp_ws = ws
            else:
                log(f"side by side: workspace of {cmp_orgs} orgs = {cmp_slugs} slugs")
                cmp_ws = generate_workspace(workdir / "ws-cmp", cmp_orgs, args.articles)

        dist = workdir / "dist"
        list_file = workdir / "files.txt"

        # 3. Full build, no-op, floor: interleaved repetitions. Nothing is deleted between the
        # steps (used trees are renamed into trash/), see settle(). Every step leaves 1.3 GB more
        # in the page cache, so later steps run with less free memory: the order alternates
        # (odd rounds build first, even rounds the floor first) so that neither side always
        # gets the emptier machine, and each round's build is compared with that round's floor.
        full, noop, floor_cpus, floor_more, check = [], [], [], [], []

        def build_steps():
            discard(dist)
            r = portalgen_build(binary, ws["path"], dist)
            full.append(r)
            log(f"  full build {r['wall_s']:.2f} s, {r['peak_rss_mb']} MB, cpu {r['cpu_s']} s "
                f"(user {r['user_s']}, sys {r['sys_s']}), other cpu {r['other_cpu_s']} s, "
                f"{r['mem_free_mb_before']} MB free before: {r['summary']}")
            r = portalgen_build(binary, ws["path"], dist)
            if r["files_written"] != 0 or "0 files written" not in r["summary"]:
                raise SystemExit(f"the no-op rebuild wrote files: {r['summary']}")
            noop.append(r)
            log(f"  no-op {r['wall_s']:.3f} s, {r['peak_rss_mb']} MB: {r['summary']}")

        def floor_steps():
            for threads, runs in zip(FLOOR_THREADS, (floor_cpus, floor_more)):
                f = run_floor(floor_bin, list_file, reference, workdir / "floor-out", threads)
                runs.append(f)
                log(f"  floor {f['seconds']:.2f} s with {threads} threads ({f['files_per_s']:,.0f} "
                    f"files/s, sys {f['sys_s']} s, {f['mem_free_mb_before']} MB free before, other "
                    f"cpu {f['other_cpu_s']} s)")

        # The floor writes the files of a build: one untimed build first gives their list.
        reference = workdir / "reference"
        log("reference build (untimed): the files the floor writes")
        portalgen_build(binary, ws["path"], reference)
        output = list_output(reference)
        list_file.write_text("\n".join(output["files"]) + "\n")
        log(f"  output: {output['count']} files ({output['html']} html, "
            f"{output['help_articles']} help articles), {output['dirs']} folders, "
            f"{output['bytes'] / 1e6:.0f} MB")
        check_disk_space(workdir, output, args, cmp_ws is not None)
        settle(args.settle)
        for rep in range(args.repeat):
            build_first = rep % 2 == 0
            log(f"round {rep + 1}/{args.repeat}: {'build, then floor' if build_first else 'floor, then build'}")
            for steps in (build_steps, floor_steps) if build_first else (floor_steps, build_steps):
                steps()
            floor = min(floor_cpus[-1]["seconds"], floor_more[-1]["seconds"])
            log(f"  full / floor this round: {full[-1]['wall_s'] / floor:.2f}")
            c = portalgen_check(binary, ws["path"])
            check.append(c)
            log(f"  check (render everything, write nothing) {c['wall_s']:.2f} s, cpu {c['cpu_s']} s, "
                f"{c['peak_rss_mb']} MB: {c['summary']}")
        jobs1 = None
        if not args.no_jobs1:
            discard(dist)
            log("full build with --jobs 1")
            jobs1 = portalgen_build(binary, ws["path"], dist, jobs=1)
            log(f"  {jobs1['wall_s']:.2f} s, {jobs1['peak_rss_mb']} MB, cpu {jobs1['cpu_s']} s")
        del output["files"]
        results["portalgen"] = {"output": output, "full": full, "noop": noop, "full_jobs1": jobs1,
                                "check": check}
        results["floor"] = {"threads": list(FLOOR_THREADS), "cpus": floor_cpus,
                            "cpus_plus_1": floor_more}

        # 4. Hugo.
        hugo = {}
        if have_hugo:
            cmp_dist = workdir / "dist-cmp"
            site = workdir / "hugo-site"
            public = workdir / "hugo-public"
            page = None
            pg_cmp, hugo_runs = [], []
            for rep in range(args.repeat):
                discard(cmp_dist)
                pg_cmp.append(portalgen_build(binary, cmp_ws["path"], cmp_dist))
                log(f"  portalgen {cmp_slugs} slugs: {pg_cmp[-1]['wall_s']:.2f} s, {pg_cmp[-1]['peak_rss_mb']} MB")
                if page is None:
                    # A portalgen page gives Hugo's layout its frame.
                    first = cmp_ws["orgs"][0]["plans"][0][0]
                    page = (cmp_dist / first / "help" / "en" / cmp_ws["articles"][0]["id"]
                            / "index.html").read_text()
                    pages = generate_hugo_site(site, cmp_ws, cmp_slugs, page)
                    log(f"hugo site: {pages} content pages")
                hugo_runs.append(hugo_build(site, public, fresh=True))
                log(f"  hugo {pages} pages: {hugo_runs[-1]['wall_s']:.2f} s, {hugo_runs[-1]['peak_rss_mb']} MB")
            cmp_out = list_output(cmp_dist)
            del cmp_out["files"]
            second = hugo_build(site, public, fresh=False)
            log(f"  hugo second run: {second['wall_s']:.2f} s, rewrote {second['html_rewritten']} of {second['html_pages']} pages")
            sample = next(public.rglob("index.html"))
            hugo["side_by_side"] = {
                "slugs": cmp_slugs,
                "portalgen": {"output": cmp_out, "full": pg_cmp},
                "hugo": {"content_pages": pages, "runs": hugo_runs, "second_run": second,
                         "sample_page_bytes": sample.stat().st_size},
            }
            full_size = args.hugo_full == "yes" or (
                args.hugo_full == "auto" and machine["ram_gb"] >= 16 and cmp_slugs < ws["slugs"]
            )
            if full_size:
                site = workdir / "hugo-site-full"
                pages = generate_hugo_site(site, ws, ws["slugs"], page)
                log(f"hugo at full size: {pages} content pages (one run)")
                r = hugo_build(site, public, fresh=True)
                log(f"  hugo {pages} pages: {r['wall_s']:.2f} s, {r['peak_rss_mb']} MB")
                second_full = hugo_build(site, public, fresh=False)
                log(f"  hugo second run: {second_full['wall_s']:.2f} s, rewrote "
                    f"{second_full['html_rewritten']} of {second_full['html_pages']} pages")
                hugo["full_size"] = {"content_pages": pages, "run": r, "second_run": second_full}
        results["hugo"] = hugo or None

        # 5. The everyday `rm -rf dist && portalgen build`: on ext4 without a journal, inodes
        # freed in the last 60 s (360 s while their inode table block is dirty) are skipped one
        # by one by every new allocation, so creating files right after deleting many is slow.
        if args.after_delete:
            after = {}
            settle(args.settle)
            log("after rm -rf: full build right after deleting the previous full output")
            t0 = time.perf_counter()
            shutil.rmtree(dist)
            after["rm_s"] = round(time.perf_counter() - t0, 2)
            after["full"] = portalgen_build(binary, ws["path"], dist)
            log(f"  rm {after['rm_s']} s, then {after['full']['wall_s']:.2f} s, cpu {after['full']['cpu_s']} s")
            settle(args.settle)
            log(f"after rm -rf: floor ({CPUS} threads) right after deleting an earlier copy of the same size")
            t0 = time.perf_counter()
            shutil.rmtree(FLOOR_COPIES.pop())
            after["floor_rm_s"] = round(time.perf_counter() - t0, 2)
            after["floor"] = run_floor(floor_bin, list_file, dist, workdir / "floor-out", CPUS)
            log(f"  rm {after['floor_rm_s']} s, then {after['floor']['seconds']:.2f} s "
                f"({after['floor']['files_per_s']:,.0f} files/s)")
            results["after_delete"] = after
    finally:
        # Removed before anything is logged: with a full disk, writing the log fails too.
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            log("removed the work folder")

    machine["loadavg_at_end"] = loadavg()
    summarize(results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {args.results}")
    return 0


def summarize(results: dict) -> None:
    pg = results["portalgen"]
    out = pg["output"]
    full_t = [r["wall_s"] for r in pg["full"]]
    noop_t = [r["wall_s"] for r in pg["noop"]]
    rss_full = [r["peak_rss_mb"] for r in pg["full"]]
    rss_noop = [r["peak_rss_mb"] for r in pg["noop"]]
    fc = [r["seconds"] for r in results["floor"]["cpus"]]
    fm = [r["seconds"] for r in results["floor"]["cpus_plus_1"]]
    floor_t = [min(a, b) for a, b in zip(fc, fm)]  # each round's floor
    html_pages = out["html"]
    s = {
        "slugs": pg["full"][0]["slugs"],
        "files": out["count"],
        "html_pages": html_pages,
        "help_article_pages": out["help_articles"],
        "folders": out["dirs"],
        "mb": round(out["bytes"] / 1e6, 1),
        "full_s_median": med(full_t),
        "full_s_min": min(full_t),
        "full_cpu_s_median": round(med([r["cpu_s"] for r in pg["full"]]), 2),
        "full_other_cpu_s_median": round(med([r["other_cpu_s"] for r in pg["full"]]), 2),
        "full_jobs1_s": pg["full_jobs1"]["wall_s"] if pg["full_jobs1"] else None,
        "noop_s_median": med(noop_t),
        "noop_s_max": max(noop_t),
        "peak_rss_mb_full_max": max(rss_full),
        "peak_rss_mb_noop_max": max(rss_noop),
        "floor_threads": results["floor"]["threads"],
        "floor_s_median": med(floor_t),
        "floor_s_min": min(floor_t),
        "floor_cpus_s_median": med(fc),
        "floor_cpus_plus_1_s_median": med(fm),
        "floor_files_per_s": round(out["count"] / med(floor_t)),
        "full_files_per_s": round(out["count"] / med(full_t)),
        "full_pages_per_s": round(html_pages / med(full_t)),
    }
    s["check_s_median"] = med([r["wall_s"] for r in pg["check"]])
    s["cpu_breakdown"] = {
        "full_user_s": med([r["user_s"] for r in pg["full"]]),
        "full_sys_s": med([r["sys_s"] for r in pg["full"]]),
        "check_user_s": med([r["user_s"] for r in pg["check"]]),
        "check_sys_s": med([r["sys_s"] for r in pg["check"]]),
        "floor_cpus_user_s": med([r.get("user_s") for r in results["floor"]["cpus"]]),
        "floor_cpus_sys_s": med([r.get("sys_s") for r in results["floor"]["cpus"]]),
        "floor_cpus_plus_1_sys_s": med([r.get("sys_s") for r in results["floor"]["cpus_plus_1"]]),
    }
    s["full_over_floor_rounds"] = [round(b / f, 2) for b, f in zip(full_t, floor_t)]
    s["full_over_floor"] = round(med([b / f for b, f in zip(full_t, floor_t)]), 2)
    s["full_over_floor_of_medians"] = round(s["full_s_median"] / s["floor_s_median"], 2)
    s["full_over_floor_best"] = round(s["full_s_min"] / s["floor_s_min"], 2)
    checks = {
        "full_over_floor": max(s["full_over_floor"], s["full_over_floor_best"])
        <= TARGETS["full_over_floor_max"],
        "noop_under_1s": s["noop_s_max"] < TARGETS["noop_s_max"],
        "peak_rss_under_500mb": max(s["peak_rss_mb_full_max"], s["peak_rss_mb_noop_max"])
        < TARGETS["peak_rss_mb_max"],
    }
    h = results.get("hugo") or {}
    if "side_by_side" in h:
        sb = h["side_by_side"]
        pg_t = med([r["wall_s"] for r in sb["portalgen"]["full"]])
        hu_t = med([r["wall_s"] for r in sb["hugo"]["runs"]])
        s["cmp_slugs"] = sb["slugs"]
        s["cmp_portalgen_s"] = pg_t
        s["cmp_portalgen_html_pages"] = sb["portalgen"]["output"]["html"]
        s["cmp_portalgen_help_pages"] = sb["portalgen"]["output"]["help_articles"]
        s["cmp_portalgen_pages_per_s"] = round(sb["portalgen"]["output"]["html"] / pg_t)
        s["cmp_portalgen_help_pages_per_s"] = round(sb["portalgen"]["output"]["help_articles"] / pg_t)
        s["cmp_portalgen_rss_mb"] = max(r["peak_rss_mb"] for r in sb["portalgen"]["full"])
        s["cmp_hugo_pages"] = sb["hugo"]["content_pages"]
        s["cmp_hugo_s"] = hu_t
        s["cmp_hugo_pages_per_s"] = round(sb["hugo"]["content_pages"] / hu_t)
        s["cmp_hugo_rss_mb"] = max(r["peak_rss_mb"] for r in sb["hugo"]["runs"])
        s["cmp_hugo_second_s"] = sb["hugo"]["second_run"]["wall_s"]
        s["cmp_hugo_second_rewrote"] = f"{sb['hugo']['second_run']['html_rewritten']}/{sb['hugo']['second_run']['html_pages']}"
        s["cmp_speedup"] = round(s["cmp_portalgen_pages_per_s"] / s["cmp_hugo_pages_per_s"], 2)
        s["cmp_speedup_help_only"] = round(s["cmp_portalgen_help_pages_per_s"] / s["cmp_hugo_pages_per_s"], 2)
        checks["pages_per_s_2x_hugo"] = s["cmp_speedup"] >= TARGETS["pages_per_s_vs_hugo_min"]
    if "full_size" in h:
        fs = h["full_size"]
        s["hugo_full_pages"] = fs["content_pages"]
        s["hugo_full_s"] = fs["run"]["wall_s"]
        s["hugo_full_rss_mb"] = fs["run"]["peak_rss_mb"]
        s["hugo_full_pages_per_s"] = round(fs["content_pages"] / fs["run"]["wall_s"])
        s["hugo_full_second_s"] = fs["second_run"]["wall_s"]
        s["hugo_full_second_rewrote"] = f"{fs['second_run']['html_rewritten']}/{fs['second_run']['html_pages']}"
        s["full_speedup_vs_hugo"] = round(s["full_pages_per_s"] / s["hugo_full_pages_per_s"], 2)
        s["full_speedup_vs_hugo_help_only"] = round(
            (s["help_article_pages"] / s["full_s_median"]) / s["hugo_full_pages_per_s"], 2
        )
    ad = results.get("after_delete")
    if ad:
        s["after_rm_full_s"] = ad["full"]["wall_s"]
        s["after_rm_full_cpu_s"] = ad["full"]["cpu_s"]
        s["after_rm_floor_s"] = ad["floor"]["seconds"]
        s["after_rm_full_over_floor"] = round(ad["full"]["wall_s"] / ad["floor"]["seconds"], 2)
    results["summary"] = s
    results["checks"] = checks

    m = results["machine"]
    print()
    print(f"portalgen build benchmark — {m['date']}")
    print(f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, "
          f"{m['workdir_fs']} on {m['workdir_device']}, {m['rustc']}")
    print(f"         {m['hugo'] or 'hugo: not available'}; zola: {results['zola']}")
    print(f"         ext4 without journal: {'yes' if m['ext4_without_journal'] else 'no'} "
          f"(settled {results['config']['settle_s']:.0f} s before measuring); "
          f"portalgen {m['portalgen_commit']}, {m['portalgen_uncommitted_files']} uncommitted file(s) in src/ themes/")
    print(f"         load average {m['loadavg_at_start']} at start, {m['loadavg_at_end']} at end")
    if m.get("free_page_reporting"):
        print(f"         free page reporting to the host: on (order {m['free_page_reporting']['order']}), "
              f"so kernel time varies with the state of the memory (see free_page_reporting())")
    print(f"workspace: {s['slugs']} slugs × 2 locales × {results['config']['articles']} articles "
          f"(article words {results['workspace']['article_words']})")
    print(f"output: {s['files']:,} files ({s['html_pages']:,} html pages, {s['help_article_pages']:,} "
          f"help articles) in {s['folders']:,} folders, {s['mb']:,} MB")
    n = results["config"]["repeat"]
    print()
    rows = [
        ("step", f"median of {n} (s)", "min (s)", "peak RSS (MB)", "files/s or pages/s"),
        ("full build (default jobs)", fmt(s["full_s_median"]), fmt(s["full_s_min"]), fmt(s["peak_rss_mb_full_max"], 0),
         f"{s['full_files_per_s']:,} files/s, {s['full_pages_per_s']:,} pages/s"),
        ("full build (--jobs 1, 1 run)", fmt(s["full_jobs1_s"]), "", "", ""),
        ("no-op rebuild", fmt(s["noop_s_median"], 3), fmt(min(noop_t), 3), fmt(s["peak_rss_mb_noop_max"], 0),
         "0 files written"),
        ("check: render all, write nothing", fmt(s["check_s_median"]), fmt(min(r["wall_s"] for r in pg["check"])),
         fmt(max(r["peak_rss_mb"] for r in pg["check"]), 0), ""),
        (f"floor: mkdir+write, {FLOOR_THREADS[0]} threads", fmt(s["floor_cpus_s_median"]), fmt(min(fc)), "",
         f"{round(s['files'] / s['floor_cpus_s_median']):,} files/s"),
        (f"floor: mkdir+write, {FLOOR_THREADS[1]} threads", fmt(s["floor_cpus_plus_1_s_median"]), fmt(min(fm)), "",
         f"{round(s['files'] / s['floor_cpus_plus_1_s_median']):,} files/s"),
        ("floor: the faster of the two", fmt(s["floor_s_median"]), fmt(s["floor_s_min"]), "",
         f"{s['floor_files_per_s']:,} files/s"),
    ]
    if "cmp_slugs" in s:
        rows += [
            (f"side by side: portalgen {s['cmp_slugs']} slugs", fmt(s["cmp_portalgen_s"]), "",
             fmt(s["cmp_portalgen_rss_mb"], 0),
             f"{s['cmp_portalgen_pages_per_s']:,} pages/s ({s['cmp_portalgen_html_pages']:,} html; "
             f"{s['cmp_portalgen_help_pages_per_s']:,}/s help only)"),
            (f"side by side: hugo {s['cmp_hugo_pages']:,} pages", fmt(s["cmp_hugo_s"]), "",
             fmt(s["cmp_hugo_rss_mb"], 0), f"{s['cmp_hugo_pages_per_s']:,} pages/s"),
            ("  hugo second run (unchanged)", fmt(s["cmp_hugo_second_s"]), "", "",
             f"rewrote {s['cmp_hugo_second_rewrote']} pages"),
        ]
    if "hugo_full_pages" in s:
        rows += [
            (f"hugo full size {s['hugo_full_pages']:,} pages (1 run)", fmt(s["hugo_full_s"]), "",
             fmt(s["hugo_full_rss_mb"], 0), f"{s['hugo_full_pages_per_s']:,} pages/s"),
            ("  hugo second run (unchanged)", fmt(s["hugo_full_second_s"]), "", "",
             f"rewrote {s['hugo_full_second_rewrote']} pages"),
        ]
    if "after_rm_full_s" in s:
        rows += [
            ("after rm -rf: full build (1 run)", fmt(s["after_rm_full_s"]), "", "",
             f"{round(s['files'] / s['after_rm_full_s']):,} files/s, cpu {s['after_rm_full_cpu_s']} s"),
            (f"after rm -rf: floor, {CPUS} threads", fmt(s["after_rm_floor_s"]), "", "",
             f"{round(s['files'] / s['after_rm_floor_s']):,} files/s"),
        ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    for i, r in enumerate(rows):
        print("  ".join(str(c).ljust(widths[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print("targets:")
    print(f"  full build / floor               {s['full_over_floor']:.2f} median of the rounds "
          f"{s['full_over_floor_rounds']} (best against best {s['full_over_floor_best']:.2f}, "
          f"median against median {s['full_over_floor_of_medians']:.2f})"
          f"   target <= {TARGETS['full_over_floor_max']}   {'PASS' if checks['full_over_floor'] else 'MISS'}")
    if "cmp_speedup" in s:
        print(f"  pages/s vs Hugo (side by side)   {s['cmp_speedup']:.2f}x (help articles only: "
              f"{s['cmp_speedup_help_only']:.2f}x)   target >= {TARGETS['pages_per_s_vs_hugo_min']}x   "
              f"{'PASS' if checks['pages_per_s_2x_hugo'] else 'MISS'}")
    else:
        print("  pages/s vs Hugo                  not measured (no hugo)")
    if "full_speedup_vs_hugo" in s:
        print(f"  pages/s vs Hugo (full size)      {s['full_speedup_vs_hugo']:.2f}x (help articles only: "
              f"{s['full_speedup_vs_hugo_help_only']:.2f}x)   (for reference)")
    print(f"  no-op rebuild                    {s['noop_s_max']:.3f} s (slowest of {n})   target < "
          f"{TARGETS['noop_s_max']} s   {'PASS' if checks['noop_under_1s'] else 'MISS'}")
    print(f"  peak RSS                         {max(s['peak_rss_mb_full_max'], s['peak_rss_mb_noop_max']):.0f} MB"
          f"   target < {TARGETS['peak_rss_mb_max']:.0f} MB   {'PASS' if checks['peak_rss_under_500mb'] else 'MISS'}")
    if "after_rm_full_over_floor" in s:
        print(f"  (after rm -rf of the previous output: full / floor {s['after_rm_full_over_floor']:.2f}; not the target)")
    print(f"  zola: {results['zola']}")
    cb = s["cpu_breakdown"]
    print()
    print("where the CPU time goes (medians, CPU seconds over both cores):")
    print(f"  full build  user {cb['full_user_s']:.2f}  sys {cb['full_sys_s']:.2f}")
    print(f"  check       user {cb['check_user_s']:.2f}  sys {cb['check_sys_s']:.2f}   (load + render + hash, no writes)")
    print(f"  floor -t{FLOOR_THREADS[0]}   user {cb['floor_cpus_user_s']:.2f}  sys {cb['floor_cpus_sys_s']:.2f}   (mkdir + write only)")
    print(f"  other processes used {s['full_other_cpu_s_median']} CPU-s during the median full build "
          f"(portalgen itself: {s['full_cpu_s_median']} CPU-s)")
    print()


if __name__ == "__main__":
    sys.exit(main())
