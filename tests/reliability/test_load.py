"""Load: 20 gradio_client sessions ask questions for 60 s against the real app (`rag serve`) on 127.0.0.1.

Asserts 0 failed requests, that every answer is the one its own question gets on a quiet server (same cited files in
the same order, same text: no cross-talk between sessions, including follow-ups that depend on each session's own
history), and bounded server memory growth. Prints and writes p50/p95 latency, request count and RSS to
test-output/load.json. RAG_LOAD_SECONDS shortens the run for a quick local try; CI runs the full LOAD_SECONDS.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from rag.answering.assistant import Assistant, Conversation, Turn
from reliability_helpers import PY, REPO, cli_env, copy_corpus, make_settings
from tests.conftest import free_port

pytestmark = pytest.mark.slow

LOAD_SECONDS = 60
SESSIONS = 20
FOLLOW_UP_EVERY = 3      # every third question in a session is followed by a follow-up that needs its history
REQUEST_TIMEOUT = 120.0  # seconds; a request slower than this counts as failed
# The model (about 180 MB) is loaded before the first RSS reading. What may still grow is per-session state (each
# conversation keeps its turns: a few KB per answer, about 2 MB for the ~400 answers of a minute here), Gradio's
# session and queue bookkeeping, and malloc arenas for the 4 queue workers. Measured: 9-15 MB. A leak of 0.25 MB
# per request would pass the limit within the minute.
RSS_GROWTH_LIMIT_MB = 100
OUT = REPO / "test-output"

ARTICLES = {
    "010_oman_turtles.txt": """سلاحف البحر الخضراء تعود إلى شاطئ رأس الجنز في سلطنة عمان

مسقط - 3 مارس 2025

سجلت محمية رأس الجنز في سلطنة عمان هذا الموسم وصول 6200 سلحفاة خضراء إلى الشاطئ لوضع بيضها.
وقال مدير المحمية إن عدد أعشاش السلاحف الخضراء ارتفع بنسبة 12 في المئة مقارنة بالموسم الماضي.
وأضاف أن المحمية ستفتح مركزا جديدا للزوار يشرح دورة حياة السلاحف البحرية.
""",
    "011_buraydah_dates.txt": """مهرجان التمور في مدينة بريدة يستقبل 48 ألف زائر

بريدة - 14 سبتمبر 2025

اختتم مهرجان التمور في مدينة بريدة دورته الجديدة يوم الأحد، وأعلنت اللجنة المنظمة أن المهرجان استقبل 48 ألف زائر خلال عشرة أيام.
وقال رئيس اللجنة المنظمة إن مهرجان التمور في مدينة بريدة عرض أكثر من 300 صنف من التمور من مزارع منطقة القصيم.
وأضاف أن مبيعات المهرجان بلغت 52 مليون ريال، وأن الدورة المقبلة ستقام في الموعد نفسه من العام القادم.
""",
    "012_tunis_book_fair.txt": """معرض تونس الدولي للكتاب يبيع 210 آلاف كتاب

تونس - 5 مايو 2025

أعلنت إدارة معرض تونس الدولي للكتاب أن دور النشر المشاركة باعت 210 آلاف كتاب خلال أيام المعرض.
وشاركت في المعرض 320 دار نشر من 28 دولة، وكانت إيطاليا ضيف شرف الدورة.
وقالت مديرة المعرض إن كتب الأطفال والروايات المترجمة كانت الأكثر مبيعا هذا العام.
""",
    "013_aqaba_desalination.txt": """الأردن يبدأ بناء محطة تحلية مياه البحر في العقبة

العقبة - 20 يناير 2025

وضعت الحكومة الأردنية حجر الأساس لمحطة تحلية مياه البحر في العقبة بكلفة تبلغ 2.5 مليار دولار.
وقال وزير المياه إن المحطة ستنتج 300 مليون متر مكعب من المياه الصالحة للشرب سنويا عند اكتمالها.
وستنقل المياه المحلاة عبر خط أنابيب طوله 450 كيلومترا من العقبة إلى عمّان.
""",
}
REAL = ["003_311d5706b071db88.txt", "004_bc119a91e0d0aa00.txt"]
QUESTIONS = [  # (the file the answer must cite first, a question that stands alone)
    ("010_oman_turtles.txt", "كم سلحفاة خضراء وصلت إلى شاطئ رأس الجنز في سلطنة عمان؟"),
    ("010_oman_turtles.txt", "How many green turtles arrived at the Ras al Jinz beach in Oman during the nesting season?"),
    ("011_buraydah_dates.txt", "كم عدد زوار مهرجان التمور في مدينة بريدة؟"),
    ("011_buraydah_dates.txt", "How many visitors came to the date festival in the Saudi city of Buraydah?"),
    ("012_tunis_book_fair.txt", "كم كتابا بيع في معرض تونس الدولي للكتاب؟"),
    ("012_tunis_book_fair.txt", "How many books were sold at the Tunis International Book Fair?"),
    ("013_aqaba_desalination.txt", "ما كلفة بناء محطة تحلية مياه البحر في مدينة العقبة الأردنية؟"),
    ("013_aqaba_desalination.txt", "How much will the Aqaba seawater desalination plant cost?"),
    ("003_311d5706b071db88.txt",
     "في إطار أي منظمة تجري روسيا مشاورات لحماية دول آسيا الوسطى من الإرهاب القادم من أفغانستان؟"),
    ("003_311d5706b071db88.txt",
     "Within how many months did the US-Taliban agreement provide for the withdrawal of foreign forces?"),
    ("004_bc119a91e0d0aa00.txt", "Which outlet published the report on Russia secretly negotiating with the Taliban?"),
    ("004_bc119a91e0d0aa00.txt",
     "ما نسبة أعضاء طالبان الفاعلين الذين يؤيدون تنظيم الدولة الإسلامية وفق تقديرات قوات الأمن الأفغانية؟"),
]
FOLLOW_UP = {"ar": "ومتى حدث ذلك؟", "en": "And when did that happen?"}  # joined with the session's last question
_META = re.compile(r'class="rag-meta" dir="ltr">([^<]*)</div>')



def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _lang(question: str) -> str:
    return "ar" if re.search(r"[\u0600-\u06FF]", question) else "en"


def _reply(result) -> tuple[str, list[str]]:
    """(answer text, cited files in citation order) from the /ask API's outputs."""
    chat, sources = result[0], result[1]
    content = chat[-1]["content"]
    text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
    return text, [meta.split(" · ")[-1].strip() for meta in _META.findall(sources)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`rag serve` in its own process (extractive engine) on a free port, over a six-article index."""
    root = tmp_path_factory.mktemp("load")
    corpus = copy_corpus(root / "corpus", REAL)
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    common = ["--corpus", str(corpus), "--store", str(root / "store")]
    r = subprocess.run([PY, "-m", "rag", "index", "--json", *common], env=cli_env(), capture_output=True, text=True,
                       timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total_articles"] == 6
    port = free_port()
    (root / "gradio-tmp").mkdir()
    env = cli_env(GRADIO_TEMP_DIR=str(root / "gradio-tmp"), GRADIO_ANALYTICS_ENABLED="False")
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen([PY, "-m", "rag", "serve", "--port", str(port), "--engine", "extractive", *common],
                            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (root / "server.log").read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the app did not answer within 120 s"
            time.sleep(0.5)
        yield proc, url
    finally:
        proc.kill()
        proc.wait(timeout=30)
        log.close()


def test_questions_stand_alone(tmp_path):
    """The load test's references assume a question's answer does not depend on what the session asked before."""
    assistant = Assistant(make_settings(tmp_path, tmp_path / "corpus"))
    earlier = Conversation([Turn("سؤال سابق عن موضوع آخر", None)])
    for _, question in QUESTIONS:
        assert assistant.condense(question, earlier) == question, question
    for follow_up in FOLLOW_UP.values():
        assert assistant.condense(follow_up, earlier) != follow_up


def test_twenty_sessions_for_a_minute(server):
    from gradio_client import Client

    proc, url = server
    seconds = float(os.environ.get("RAG_LOAD_SECONDS") or LOAD_SECONDS)

    # Reference answers from one quiet session (this also loads the model before the first RSS reading).
    quiet = Client(url, verbose=False)
    reference, follow_reference = {}, {}
    for target, question in QUESTIONS:
        text, cited = _reply(quiet.predict(question, [], api_name="/ask"))
        assert cited and cited[0] == target, (question, cited)
        assert 'class="rag-cite"' in text, text
        reference[question] = (text, cited)
        text, cited = _reply(quiet.predict(FOLLOW_UP[_lang(question)], [], api_name="/ask"))
        assert cited and cited[0] == target, (question, "follow-up", cited)
        follow_reference[question] = (text, cited)
    rss_before = _rss_mb(proc.pid)

    latencies: list[float] = []
    failures: list[str] = []
    per_target: dict[str, int] = {}
    guard = threading.Lock()
    connected, go, deadline = threading.Semaphore(0), threading.Event(), [0.0]

    def ask(client, question: str, expected: tuple[str, list[str]], label: str) -> None:
        t0 = time.perf_counter()
        try:
            text, cited = _reply(client.submit(question, [], api_name="/ask").result(timeout=REQUEST_TIMEOUT))
            problem = None
            if cited != expected[1]:
                problem = f"cited {cited}, expected {expected[1]}"
            elif text != expected[0]:
                problem = f"answer differs from the quiet-server answer: {text[:200]!r}"
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        with guard:
            latencies.append(elapsed)
            if problem:
                failures.append(f"{label} {question[:60]!r}: {problem}")
            else:
                per_target[expected[1][0]] = per_target.get(expected[1][0], 0) + 1

    def session(i: int) -> None:
        client = None
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # noqa: BLE001
            with guard:
                failures.append(f"session {i} could not connect: {exc}")
        connected.release()
        go.wait()
        step = 0
        while client is not None and time.monotonic() < deadline[0]:
            _, question = QUESTIONS[(i + step) % len(QUESTIONS)]  # sessions ask about different articles at once
            ask(client, question, reference[question], f"session {i}")
            if step % FOLLOW_UP_EVERY == FOLLOW_UP_EVERY - 1 and time.monotonic() < deadline[0]:
                ask(client, FOLLOW_UP[_lang(question)], follow_reference[question], f"session {i} follow-up of")
            step += 1

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(SESSIONS)]
    for t in threads:
        t.start()
    for _ in threads:
        assert connected.acquire(timeout=180), "sessions did not connect within 180 s"
    t_start = time.monotonic()
    deadline[0] = t_start + seconds
    go.set()
    for t in threads:
        t.join(timeout=max(0.0, deadline[0] - time.monotonic()) + 2 * REQUEST_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "a session hung"
    wall = time.monotonic() - t_start
    rss_after = _rss_mb(proc.pid)
    assert proc.poll() is None, "the server died under load"

    latencies.sort()
    figures = {
        "sessions": SESSIONS, "seconds": seconds, "wall_seconds": round(wall, 1), "requests": len(latencies),
        "failed": len(failures), "requests_per_second": round(len(latencies) / wall, 2),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(statistics.quantiles(latencies, n=20)[18], 3) if len(latencies) > 1 else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1), "rss_growth_limit_mb": RSS_GROWTH_LIMIT_MB,
        "answers_per_target": dict(sorted(per_target.items())), "engine": "extractive", "cpus": os.cpu_count(),
        "first_failures": failures[:10],
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\nload:", json.dumps({k: v for k, v in figures.items() if k != "first_failures"}, ensure_ascii=False))

    assert not failures, f"{len(failures)} of {len(latencies)} requests failed, e.g.:\n" + "\n".join(failures[:10])
    assert len(latencies) >= SESSIONS, figures
    assert set(per_target) == {target for target, _ in QUESTIONS}, per_target
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_MB, figures
