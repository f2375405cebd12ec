"""Make the screenshots of docs/reports.md from a real report of a demo class.

    .venv/bin/python tools/report_screenshots.py docs/img

A class of five plays billing_double_charge through the real Recorder over five weeks (each
trainee with their own habits, most improving), then `defuse report` writes the HTML and
the PDF; headless Chromium photographs sections of the page, pdftoppm the PDF's summary page.
Needs the Debian packages chromium and poppler-utils.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from playthrough import BY_THE_BOOK, play  # noqa: E402
from simulator.cli import main as defuse  # noqa: E402
from simulator.store import Store  # noqa: E402

HOSTILE = ["quick_see!", "calm_down"]
JUMPY = ["breathe_listen", "keep_listening", "jump_fix", "ask_now", "found_it", "just_do_it", "goodbye", "next_caller"]
CLASS = {
    "Amira Haddad": [JUMPY, BY_THE_BOOK, BY_THE_BOOK, BY_THE_BOOK, BY_THE_BOOK, BY_THE_BOOK],
    "Ben Okafor": [HOSTILE, HOSTILE, JUMPY, HOSTILE, JUMPY, JUMPY],
    "Cleo Martin": [JUMPY, JUMPY, JUMPY, JUMPY, BY_THE_BOOK, JUMPY],
    "Dmitri Volkov": [HOSTILE, JUMPY, JUMPY, BY_THE_BOOK, JUMPY, BY_THE_BOOK],
    "Eun-ji Park": [JUMPY, JUMPY, BY_THE_BOOK, JUMPY, BY_THE_BOOK, BY_THE_BOOK],
}
SECTIONS = {"report-grid.png": ["grid-ten_step"], "report-progress.png": ["trainees", "weeks"]}


def build_class(path: Path) -> None:
    with Store(path) as store:
        for week in range(6):
            for n, (name, plays) in enumerate(CLASS.items()):
                rec = play(store, name, plays[week])
                day = date(2026, 10, 5) + timedelta(weeks=week, days=n % 3)
                when = f"{day.isoformat()}T{9 + n:02d}:{10 * n:02d}:00Z"
                with store.conn:
                    store.conn.execute("UPDATE sessions SET started_at=? WHERE id=?", (when, rec.session_id))
        play(store, "Ben Okafor", ["breathe_listen", "keep_listening"], finish=False)


def shoot(html: Path, keep: list[str], out: Path, width: int = 1100, height: int = 900) -> None:
    page = html.read_text(encoding="utf-8")
    hide = "main > :not(" + "):not(".join("#" + k for k in keep) + ") { display: none !important; } main { padding-top: 12px; }" if keep else ""
    cut = html.with_name(out.stem + ".html")
    cut.write_text(re.sub(r"</style>", hide + "\n</style>", page, count=1), encoding="utf-8")
    profile = tempfile.mkdtemp()
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run(
        [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={out}", cut.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    shutil.rmtree(profile, ignore_errors=True)


def main(folder: str) -> int:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db, html, pdf = Path(tmp) / "class.sqlite3", Path(tmp) / "class.html", Path(tmp) / "ben.pdf"
        build_class(db)
        assert defuse(["report", "--db", str(db), "--format", "html", "-o", str(html)]) == 0
        assert defuse(["report", "--db", str(db), "--format", "pdf", "-o", str(pdf), "--trainee", "Ben Okafor"]) == 0
        shoot(html, [], target / "report.png", height=1000)
        shoot(html, SECTIONS["report-grid.png"], target / "report-grid.png", height=620)
        shoot(html, SECTIONS["report-progress.png"], target / "report-progress.png", height=820)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target / "report-pdf-summary")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "img")))
