"""Kazakh readers who take calls hear Kazakh: audio from the library's text-to-speech
service (a fake on 127.0.0.1), cached and played with <Play>; the library's recorded
prompts when the service is down; Twilio's Russian voice last. The card says which.
Calls go through the real twilio client to the fake Twilio, as in test_outbox_twilio."""
import datetime
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from backend.notifications.models import Message
from backend.notifications.sending import messages_send_due, messages_sweep
from backend.notifications.services import message_enqueue
from backend.orders.messages import visit_reminders_send
from tests.factories import UserFactory
from tests.fake_server import LocalServer
from tests.notifications.conftest import local, reader_with_phone, scheduled_order

pytestmark = pytest.mark.urls("tests.notifications.urls")

PUBLIC = "https://kniga03.test"
PLAY = re.compile(r"<Play>([^<]+)</Play>")
# The card is read in the site's language, Russian.
KK_MONTHS = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
             "қыркүйек", "қазан", "қараша", "желтоқсан")
KK_WEEKDAYS = ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")
PHRASES = ("сәлеметсіз_бе", "бұл_кітапхана", "кітап_03_қызметі",
           "еріктінің_келуін_еске_саламыз", "күні", "уақыты",
           "келуді_ауыстыру_үшін_кітапханаға_қоңырау_шалыңыз")


class FakeTts(LocalServer):
    """A text-to-speech service: POST {text, language, voice} → audio/mpeg. Keeps every
    request; `down` makes it answer 503."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.down = False
        self.audio = b"ID3\x04fake-kazakh-speech"
        super().__init__()

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append({"path": urlsplit(self.path).path,
                                          "type": self.headers.get("Content-Type"), **body})
                    down = fake.down
                status, kind, data = ((503, "text/plain", b"busy") if down
                                      else (200, "audio/mpeg", fake.audio))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture
def fake_tts(settings, tmp_path):
    fake = FakeTts().start()
    settings.TTS_URL = fake.url + "/speak"
    settings.TTS_TIMEOUT = 2
    settings.TTS_VOICE = "aigul"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VOICE_PROMPTS_DIR = ""
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def voice_settings(settings, fake_twilio, fake_tts):
    settings.TWILIO_WEBHOOK_BASE_URL = PUBLIC
    return settings


@pytest.fixture
def prompts(settings, tmp_path):
    """The library's recordings: numbers 0-59, months, weekdays and the phrases of the
    reminder; each clip's bytes name it."""
    folder = tmp_path / "prompts" / "kk"
    folder.mkdir(parents=True)
    for name in (*map(str, range(60)), *KK_MONTHS, *KK_WEEKDAYS, *PHRASES):
        (folder / f"{name}.mp3").write_bytes(b"ID3clip:" + name.encode())
    settings.VOICE_PROMPTS_DIR = str(tmp_path / "prompts")
    return folder


def remind(branch, day):
    evening = local(day - datetime.timedelta(days=1), 18)
    visit_reminders_send(now=evening, branch=branch)
    messages_send_due(now=evening)
    return evening


def kazakh_caller(branch, **kwargs):
    return reader_with_phone(branch, language="kk", contact_channel="voice",
                             first_name="Әлия", patronymic="Сериковна", **kwargs)


def fetched(url: str):
    """Fetch a <Play> address as Twilio would (no sign-in)."""
    assert url.startswith(PUBLIC + "/media/voice/")
    return Client().get(url[len(PUBLIC):])


def card_texts(reader) -> tuple[str, str]:
    admin = Client()
    admin.force_login(UserFactory(role="librarian", is_staff=True))
    desk = Client()
    desk.force_login(UserFactory(role="operator"))
    page = admin.get(f"/admin/readers/reader/{reader.pk}/change/")
    card = desk.get(f"/desk/readers/{reader.pk}/")
    assert page.status_code == card.status_code == 200
    return page.content.decode(), card.content.decode()


def test_kazakh_reader_who_takes_calls_hears_kazakh_audio(voice_settings, fake_twilio,
                                                          fake_tts, branch_kz, visit_day):
    reader = kazakh_caller(branch_kz)
    scheduled_order(reader, visit_day)
    remind(branch_kz, visit_day)

    assert len(fake_tts.requests) == 1
    asked = fake_tts.requests[0]
    assert (asked["path"], asked["type"], asked["language"], asked["voice"]) == (
        "/speak", "application/json", "kk", "aigul")
    assert "Әлия Сериковна" in asked["text"]
    assert "Еріктінің келуін еске саламыз" in asked["text"]
    assert "10:00–13:00" in asked["text"]

    twiml = fake_twilio.calls[0]["_twiml"]
    assert "<Say" not in twiml
    urls = PLAY.findall(twiml)
    assert len(urls) == 2 and urls[0] == urls[1]  # said twice
    assert re.fullmatch(PUBLIC + r"/media/voice/[0-9a-f]{64}\.mp3", urls[0])
    response = fetched(urls[0])
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert b"".join(response.streaming_content) == fake_tts.audio

    message = Message.objects.get(reader=reader)
    assert (message.language, message.voice_mode, message.status) == ("kk", "tts", "sent")
    admin, desk = card_texts(reader)
    assert '<div class="readonly">аудио на казахском</div>' in admin
    assert "Звонки: аудио на казахском" in desk


def test_the_same_text_is_spoken_once_and_played_from_the_cache(voice_settings, fake_twilio,
                                                                 fake_tts, branch_kz):
    now = timezone.now()
    readers = [kazakh_caller(branch_kz) for _ in range(2)]
    for reader in readers:
        message_enqueue(event_key=f"test:{reader.pk}", template="visit_tomorrow",
                        to=str(reader.phones.get().number), text="Ертең келеміз.",
                        language="kk", channel="voice", reader=reader, quiet_hours=False,
                        now=now)
    messages_send_due(now=now)
    assert len(fake_tts.requests) == 1
    assert len(fake_twilio.calls) == 2
    first, second = (PLAY.findall(call["_twiml"]) for call in fake_twilio.calls)
    assert first == second and first
    fake_tts.audio = b"ID3other"  # a changed voice would be asked again; the same is not
    fake_tts.down = True
    assert b"".join(fetched(first[0]).streaming_content) == b"ID3\x04fake-kazakh-speech"


def test_tts_down_stitches_the_librarys_recorded_prompts(voice_settings, fake_twilio,
                                                         fake_tts, prompts, branch_kz,
                                                         visit_day):
    fake_tts.down = True
    reader = kazakh_caller(branch_kz)
    scheduled_order(reader, visit_day, window=("10:00", "13:30"))
    remind(branch_kz, visit_day)

    assert len(fake_tts.requests) == 1  # it was asked, and answered 503
    twiml = fake_twilio.calls[0]["_twiml"]
    assert "<Say" not in twiml
    urls = PLAY.findall(twiml)
    once = urls[:len(urls) // 2]
    assert urls == once + once  # said twice
    heard = [b"".join(fetched(url).streaming_content).decode().removeprefix("ID3clip:")
             for url in once]
    # The name is left out: nobody records every reader's name.
    assert heard == [
        "сәлеметсіз_бе", "бұл_кітапхана", "кітап_03_қызметі",
        "еріктінің_келуін_еске_саламыз", "күні", str(visit_day.day),
        KK_MONTHS[visit_day.month - 1], KK_WEEKDAYS[visit_day.weekday()],
        "уақыты", "10", "13", "30",
        "келуді_ауыстыру_үшін_кітапханаға_қоңырау_шалыңыз",
    ]
    assert Message.objects.get(reader=reader).voice_mode == "prompts"
    admin, desk = card_texts(reader)
    assert '<div class="readonly">записанные фразы на казахском</div>' in admin
    assert "Звонки: записанные фразы на казахском" in desk


def test_no_speech_and_a_missing_clip_fall_back_to_the_russian_voice(
        voice_settings, fake_twilio, fake_tts, prompts, branch_kz, visit_day):
    fake_tts.down = True
    (prompts / "уақыты.mp3").unlink()  # one word of the reminder was never recorded
    reader = kazakh_caller(branch_kz)
    scheduled_order(reader, visit_day)
    remind(branch_kz, visit_day)

    twiml = fake_twilio.calls[0]["_twiml"]
    assert "<Play" not in twiml
    assert '<Say language="ru-RU" loop="2">' in twiml
    assert "Здравствуйте, Әлия Сериковна" in twiml
    assert "Напоминаем о визите волонтёра" in twiml
    months_ru = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                 "сентября", "октября", "ноября", "декабря")
    assert f"{visit_day.day} {months_ru[visit_day.month - 1]}" in twiml
    message = Message.objects.get(reader=reader)
    assert (message.language, message.voice_mode) == ("kk", "say")
    admin, desk = card_texts(reader)
    assert '<div class="readonly">русский голос (аудио на казахском нет)</div>' in admin
    assert "Звонки: русский голос (аудио на казахском нет)" in desk


def test_tts_that_does_not_answer_in_time_is_not_waited_for(voice_settings, fake_twilio,
                                                            fake_tts, branch_kz, visit_day):
    release = threading.Event()

    class Hanging(FakeTts):
        def _handler_class(self):
            class Handler(BaseHTTPRequestHandler):
                def log_message(self, *args):
                    pass

                def do_POST(self):  # noqa: N802 - the http.server API
                    release.wait(5)

            return Handler

    hanging = Hanging().start()
    voice_settings.TTS_URL = hanging.url
    voice_settings.TTS_TIMEOUT = 0.3
    try:
        reader = kazakh_caller(branch_kz)
        scheduled_order(reader, visit_day)
        remind(branch_kz, visit_day)
    finally:
        release.set()
        hanging.stop()
    assert "ru-RU" in fake_twilio.calls[0]["_twiml"]
    assert Message.objects.get(reader=reader).voice_mode == "say"


def test_russian_reader_is_called_with_twilios_voice_and_no_audio(voice_settings, fake_twilio,
                                                                  fake_tts, branch_kz,
                                                                  visit_day):
    reader = reader_with_phone(branch_kz, language="ru", contact_channel="voice")
    scheduled_order(reader, visit_day)
    remind(branch_kz, visit_day)
    assert fake_tts.requests == []
    assert '<Say language="ru-RU" loop="2">' in fake_twilio.calls[0]["_twiml"]
    assert Message.objects.get(reader=reader).voice_mode == "say"
    admin, desk = card_texts(reader)
    assert "Звонки: русский голос<" in desk
    assert '<div class="readonly">русский голос</div>' in admin


def test_without_a_public_address_twilio_could_fetch_audio_from_the_call_says_russian(
        voice_settings, fake_twilio, fake_tts, branch_kz, visit_day):
    voice_settings.TWILIO_WEBHOOK_BASE_URL = ""
    reader = kazakh_caller(branch_kz)
    scheduled_order(reader, visit_day)
    remind(branch_kz, visit_day)
    assert fake_tts.requests == []
    assert "ru-RU" in fake_twilio.calls[0]["_twiml"]


def test_card_says_nothing_about_calls_before_the_first(db, branch_kz):
    reader = kazakh_caller(branch_kz)
    admin, desk = card_texts(reader)
    assert "Звонки:" not in desk
    assert "<label>Звонки:</label>" in admin
    assert not any(f'<div class="readonly">{said}' in admin
                   for said in ("аудио", "записанные", "русский голос"))


def test_only_cached_audio_is_served_by_its_name(settings, tmp_path, client):
    media = tmp_path / "media"
    (media / "voice").mkdir(parents=True)
    (media / "private").mkdir()
    settings.MEDIA_ROOT = str(media)
    name = "ab" * 32
    (media / "voice" / f"{name}.mp3").write_bytes(b"ID3audio")
    (media / "voice" / f"{name}.wav").write_bytes(b"RIFFaudio")
    other = "cd" * 32
    (media / "private" / f"{other}.mp3").write_bytes(b"PRIVATE-BYTES")
    (media / "secret.mp3").write_bytes(b"PRIVATE-BYTES")

    found = client.get(f"/media/voice/{name}.mp3")
    assert found.status_code == 200
    assert b"".join(found.streaming_content) == b"ID3audio"
    wav = client.get(f"/media/voice/{name}.wav")
    assert (wav.status_code, wav["Content-Type"]) == (200, "audio/wav")
    assert client.head(f"/media/voice/{name}.mp3").status_code == 200
    assert client.post(f"/media/voice/{name}.mp3").status_code == 405

    for path in (f"/media/voice/{'ef' * 32}.mp3",  # no such file
                 f"/media/voice/{other}.mp3",  # a file elsewhere under MEDIA_ROOT
                 f"/media/voice/{name.upper()}.mp3",
                 f"/media/voice/{name}.txt",
                 "/media/voice/",
                 "/media/voice/../secret.mp3",
                 "/media/voice/..%2Fsecret.mp3",
                 f"/media/voice/..%2Fprivate%2F{other}.mp3",
                 f"/media/voice/%2E%2E/private/{other}.mp3",
                 "/media/secret.mp3"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"PRIVATE-BYTES" not in response.content


def test_the_sweep_deletes_call_audio_older_than_a_week(settings, tmp_path, client, db):
    media = tmp_path / "media"
    (media / "voice").mkdir(parents=True)
    settings.MEDIA_ROOT = str(media)
    settings.VOICE_AUDIO_KEEP_DAYS = 7
    old, fresh = "0a" * 32, "0b" * 32
    for name in (old, fresh):
        (media / "voice" / f"{name}.mp3").write_bytes(b"ID3speech")
    eight_days_ago = (timezone.now() - datetime.timedelta(days=8)).timestamp()
    os.utime(media / "voice" / f"{old}.mp3", (eight_days_ago, eight_days_ago))
    assert messages_sweep()["audio_deleted"] == 1
    assert client.get(f"/media/voice/{old}.mp3").status_code == 404
    assert client.get(f"/media/voice/{fresh}.mp3").status_code == 200
