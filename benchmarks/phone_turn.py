"""Phone-turn latency: from the moment Twilio's recording callback reaches us at the end of a 5 s
caller utterance to our TwiML reply, through the whole real path: signed webhook, recording
fetched from the local Twilio stand-in, recognised by the speech model, the Rasa and action
servers, the recording deleted at the stand-in (no consent), TwiML built.

With `--mode stream` (or `both`) it also measures the streamed call (Media Streams,
channels/twilio_voice_stream.py) as the caller hears it: from the caller's last word (the last
loud frame the stand-in sends, in real time) to the first audio frame of our reply, endpointing
(800 ms of silence), recognition, the dialogue and rendering the first part of the reply
included. For <Record> turns the same span is Twilio's 3 s silence timeout plus the callback's
time (Twilio's own <Say> start is not counted, so that figure is a lower bound).

Starts its own servers against a freshly seeded temporary store (nothing else needs to run),
makes one call per turn (language, consent, then one 5 s English utterance as 8 kHz mu-law),
after warm-up turns that are not counted. Prints a table and the median and p95; writes
results/phone_turn.json.

    .venv/bin/python benchmarks/phone_turn.py [--turns 10] [--warmup 2] [--out FILE]
        [--mode record|stream|both]

Target (issue #6): median <= 2.5 s with Whisper base int8 on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Mapping

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name, percentile  # noqa: E402
from rasa_server.launcher import Servers  # noqa: E402
from tests.standins.twilio import TwilioStandIn  # noqa: E402
from tests.support.audio import speak  # noqa: E402
from tests.support.e2e import E2E_AGENTS_PHONE, find_model, seed_database  # noqa: E402

OUT = ROOT / "results" / "phone_turn.json"
UTTERANCE_SECONDS = 5.0
SILENCE_SECONDS = 3.0  # <Record timeout>: what ends a recorded turn (VoiceConfig.silence_seconds)
# Things callers say, each about five seconds at espeak-ng's 150 words a minute.
SENTENCES = [
    "I want to report a claim, my car was hit in a parking lot yesterday",
    "Which documents do I need to send for a hospital claim, please tell me",
    "I would like to know where my claim is and when it will be paid",
    "What does the deductible on my car insurance policy mean exactly",
    "I want to make a complaint about how slowly my claim was handled",
    "My kitchen pipe burst last night and the floor is badly damaged",
    "Can you tell me what the waiting period on my medical policy is",
    "I fell down the stairs at work and broke my wrist this morning",
    "The payment for my claim has not arrived yet, can you check it",
    "I disagree with the decision on my claim and I want it reviewed",
]
CREDENTIALS = "channels.twilio_voice.TwilioVoiceInput: {}\n"
STAGES = ("fetch", "recognise", "dialogue", "total")  # the server's Server-Timing header


@dataclass
class TurnResult:
    turn: int
    sentence: str
    audio_s: float
    reply_s: float  # measured by the caller: request sent -> TwiML received
    server: Dict[str, float]  # the server's own account (Server-Timing): fetch, recognise...
    understood: bool
    reply: str


def five_seconds(text: str) -> bytes:
    """`text` spoken, padded or cut to exactly UTTERANCE_SECONDS, as an 8 kHz mu-law WAV."""
    wav = speak(text, "wav", pad_seconds=0.0)
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "pipe:0", "-af",
         f"apad=whole_dur={UTTERANCE_SECONDS},atrim=0:{UTTERANCE_SECONDS}",
         "-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1"],
        input=wav, check=True, capture_output=True)
    return result.stdout


def said(twiml: ET.Element) -> List[str]:
    return [el.text or "" for el in twiml.iter("Say")]


class Caller:
    def __init__(self, servers: Servers, twilio: TwilioStandIn) -> None:
        self.base = servers.rasa_url
        self.twilio = twilio

    def post(self, url: str, call_sid: str, **params: str
             ) -> tuple[ET.Element, float, Dict[str, float]]:
        url = url if url.startswith("http") else self.base + url
        form = {"CallSid": call_sid, "AccountSid": self.twilio.account_sid,
                "From": "+8613800000009", "To": "+862195500", "CallStatus": "in-progress",
                **params}
        started = time.perf_counter()
        answer = self.twilio.signed_post(url, form, timeout=120)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text[:300]}")
        return ET.fromstring(answer.content), elapsed, server_timing(answer.headers)

    def one_turn(self, audio: bytes) -> tuple[ET.Element, float, Dict[str, float]]:
        """A new call: English, no consent, then one recorded turn; the turn is timed."""
        call_sid = "CA" + uuid.uuid4().hex
        menu, _, _ = self.post("/webhooks/twilio_voice/webhook", call_sid,
                               CallStatus="ringing")
        consent, _, _ = self.post(menu.find("Gather").get("action"), call_sid, Digits="2")
        ready, _, _ = self.post(consent.find("Gather").get("action"), call_sid, Digits="2")
        recording_sid = "RE" + uuid.uuid4().hex
        url = self.twilio.add_recording(recording_sid, audio)
        return self.post(ready.find("Record").get("action"), call_sid, RecordingUrl=url,
                         RecordingSid=recording_sid, RecordingDuration=str(int(UTTERANCE_SECONDS)))


    def stream_turn(self, pcm: bytes) -> tuple[float, List[str]]:
        """A new streamed call: English, no consent, then one turn said on the stream; returns
        seconds from the last word to the first reply audio, and the reply's first parts."""
        import asyncio

        from tests.standins.twilio_media import MediaStream

        call_sid = "CA" + uuid.uuid4().hex
        menu, _, _ = self.post("/webhooks/twilio_voice/webhook?stream=1", call_sid,
                               CallStatus="ringing")
        ready, _, _ = self.post(menu.find("Gather").get("action"), call_sid, Digits="2")
        stream = ready.find("Connect/Stream")
        params = {p.get("name"): p.get("value") for p in stream.iter("Parameter")}

        async def turn() -> tuple[float, List[str]]:
            async with MediaStream(self.twilio, stream.get("url"), call_sid, params,
                                   speed=1.0) as line:
                await line.say(pcm)
                try:
                    latency = await line.first_audio()
                except RuntimeError:
                    if not (line.closed_at and line.last_word_at):
                        raise
                    # Put through to a person (or the call ended): the stream closes and
                    # Twilio goes on to our <Dial>/<Say>; the turn is timed to the close.
                    return line.closed_at - line.last_word_at[-1], ["(stream ended: put through)"]
                return latency, await line.reply(quiet=0.2, timeout=5)

        return asyncio.run(turn())


def spoken_pcm(text: str) -> bytes:
    """`text` spoken, as 8 kHz 16-bit PCM with no silence after the last word."""
    from bot.phone.codec import resample, wav_pcm

    pcm, rate = wav_pcm(speak(text, "wav", pad_seconds=0.0))
    return resample(pcm, rate)


def server_timing(headers: Mapping[str, str]) -> Dict[str, float]:
    """Seconds per stage from a Server-Timing header ("fetch;dur=12, recognise;dur=1800")."""
    stages: Dict[str, float] = {}
    for part in headers.get("Server-Timing", "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name and duration:
            stages[name] = float(duration) / 1000
    return stages


def machine() -> Dict[str, object]:
    from bot.settings import get_settings
    from bot.speech import model_label

    settings = get_settings()
    cpu = cpu_name(platform.processor() or platform.machine())
    # Other work on the machine shows in the figures: the load is printed with them.
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": os.getloadavg(),
            "python": platform.python_version(),
            "speech_model": model_label(settings), "device": settings.asr_device,
            "compute_type": settings.asr_compute_type}


def run(turns: int, warmup: int, mode: str = "record") -> Dict[str, object]:
    clips = [(sentence, five_seconds(sentence)) for sentence in SENTENCES]
    pcms = [spoken_pcm(sentence) for sentence in SENTENCES] if mode != "record" else []
    with tempfile.TemporaryDirectory(prefix="phone-turn-") as tmp, TwilioStandIn() as twilio:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'claims.db'}"
        seed_database(db_url, work / "var")
        credentials = work / "credentials.yml"
        credentials.write_text(CREDENTIALS, encoding="utf-8")
        env = {"CLAIMS_DB_URL": db_url, "CLAIMS_VAR_DIR": str(work / "var"),
               "RASA_TELEMETRY_ENABLED": "false", "TWILIO_ACCOUNT_SID": twilio.account_sid,
               "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_API_BASE": twilio.base_url,
               "CLAIMS_AGENTS_PHONE": E2E_AGENTS_PHONE,
               "CLAIMS_AGENT_HOURS": "00:00-00:00"}  # agents always in: not the time of day
        print("starting the servers...", flush=True)
        with Servers(find_model(), credentials=credentials, env=env,
                     log_dir=work / "logs") as servers:
            caller = Caller(servers, twilio)
            streamed: List[Dict[str, object]] = []
            if mode != "record":
                for index in range(warmup + turns):
                    latency, parts = caller.stream_turn(pcms[index % len(pcms)])
                    label = "warm-up" if index < warmup else "stream"
                    print(f"{label} turn {index + 1}: last word -> first reply audio "
                          f"{latency:.2f} s ({' '.join(parts)[:50]})", flush=True)
                    if index >= warmup:
                        streamed.append({"sentence": SENTENCES[index % len(SENTENCES)],
                                         "latency_s": latency, "reply": " ".join(parts)[:70]})
            if mode == "stream":
                return {"machine": machine(), "stream": stream_summary(streamed)}
            for index in range(warmup):  # the model's first run, Rasa's first message
                _, elapsed, _ = caller.one_turn(clips[index % len(clips)][1])
                print(f"warm-up turn {index + 1}: {elapsed:.2f} s", flush=True)
            results: List[TurnResult] = []
            for index in range(turns):
                sentence, audio = clips[index % len(clips)]
                twiml, elapsed, server = caller.one_turn(audio)
                texts = said(twiml)
                understood = not any(t.startswith("Sorry, I didn't catch") for t in texts)
                results.append(TurnResult(index + 1, sentence, UTTERANCE_SECONDS, elapsed,
                                          server, understood, " ".join(texts)[:70]))
                print(f"turn {index + 1}: {elapsed:.2f} s", flush=True)
    latencies = [r.reply_s for r in results]
    stages = {stage: statistics.median(r.server.get(stage, 0.0) for r in results)
              for stage in STAGES}
    return {"machine": machine(), "stream": stream_summary(streamed) if streamed else None,
            "record_silence_s": SILENCE_SECONDS,
            "utterance_s": UTTERANCE_SECONDS, "warmup_turns": warmup,
            "median_s": statistics.median(latencies), "p95_s": percentile(latencies, 95),
            "min_s": min(latencies), "max_s": max(latencies), "median_stage_s": stages,
            "turns": [asdict(r) for r in results]}


def stream_summary(turns: List[Dict[str, object]]) -> Dict[str, object]:
    latencies = [float(t["latency_s"]) for t in turns]
    return {"median_s": statistics.median(latencies), "p90_s": percentile(latencies, 90),
            "min_s": min(latencies), "max_s": max(latencies), "turns": turns}


def print_stream(report: Dict[str, object]) -> None:
    stream = report.get("stream")
    if not stream:
        return
    print("\nStreamed turn (Media Streams): caller's last word -> first audio of the reply "
          "(endpointing included)")
    print(f"median {stream['median_s']:.2f} s   p90 {stream['p90_s']:.2f} s   "
          f"min {stream['min_s']:.2f} s   max {stream['max_s']:.2f} s   "
          f"over {len(stream['turns'])} turns (target: median <= 1.5 s)")


def print_table(report: Dict[str, object]) -> None:
    print_stream(report)
    if "turns" not in report:
        return
    m = report["machine"]
    print(f"\nPhone turn: end of a {report['utterance_s']:.0f} s utterance (recording callback "
          f"received) -> our TwiML reply")
    print(f"machine: {m['cpu']}, {m['cores']} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in m['load_average'])}; model {m['speech_model']} "
          f"{m['device']}/{m['compute_type']}")
    print(f"\n{'turn':>4}  {'reply s':>7}  " + "  ".join(f"{s:>9}" for s in STAGES)
          + "  heard  what the caller said -> first words of the reply")
    for turn in report["turns"]:
        heard = "yes" if turn["understood"] else "no"
        stages = "  ".join(f"{turn['server'].get(s, 0.0):>9.2f}" for s in STAGES)
        print(f"{turn['turn']:>4}  {turn['reply_s']:>7.2f}  {stages}  {heard:<5}"
              f"  {turn['sentence'][:40]} -> {turn['reply'][:40]}")
    medians = "  ".join(f"{report['median_stage_s'][s]:>9.2f}" for s in STAGES)
    print(f"{'med':>4}  {report['median_s']:>7.2f}  {medians}")
    print(f"\nmedian {report['median_s']:.2f} s   p95 {report['p95_s']:.2f} s   "
          f"min {report['min_s']:.2f} s   max {report['max_s']:.2f} s   "
          f"(target: median <= 2.5 s)")
    record = [SILENCE_SECONDS + t["reply_s"] for t in report["turns"]]
    print(f"<Record> turn, caller's last word -> reply TwiML ({SILENCE_SECONDS:.0f} s silence "
          f"timeout + the above; Twilio's <Say> start not counted): median "
          f"{statistics.median(record):.2f} s   p90 {percentile(record, 90):.2f} s")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--mode", choices=("record", "stream", "both"), default="both")
    args = parser.parse_args(argv)
    report = run(args.turns, args.warmup, args.mode)
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
