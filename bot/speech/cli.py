"""`python -m bot speech ...`: prepare the speech model ahead of time, transcribe a file."""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_NOT_UNDERSTOOD = 0, 1, 3


def _cmd_prepare(args: argparse.Namespace) -> int:
    from bot.settings import get_settings
    from bot.speech.model import SpeechModelError, model_label, model_source, shared_model

    settings = get_settings()
    try:
        started = time.perf_counter()
        source = model_source(settings)
        print(f"speech model: {model_label(settings)} at {source} "
              f"({time.perf_counter() - started:.1f} s to prepare)")
        if args.load:
            loaded = shared_model()
            print(f"loaded on {loaded.device}/{loaded.compute_type} in {loaded.load_seconds:.1f} s")
    except SpeechModelError as error:
        print(f"speech model not ready: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from bot.speech import heard_line, recognise
    from bot.speech.model import SpeechModelError

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return EXIT_FAILED
    try:
        transcript = recognise(path, language=args.language, beam_size=args.beam_size)
    except SpeechModelError as error:
        print(f"speech model not ready: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        data: dict[str, Any] = asdict(transcript)
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif transcript.understood:
        print(transcript.text)
        print(f"({transcript.language}, {transcript.duration_s:.1f} s of audio, confidence "
              f"{transcript.confidence:.2f}, {transcript.processing_s:.1f} s to recognise)",
              file=sys.stderr)
    else:
        print(heard_line(transcript, args.language or "en"), file=sys.stderr)
        print(f"(not understood: {transcript.reason})", file=sys.stderr)
    return EXIT_OK if transcript.understood else EXIT_NOT_UNDERSTOOD


def add_speech_commands(commands: Any) -> None:
    """Adds `speech prepare` and `speech transcribe` to bot.cli's subcommands."""
    speech = commands.add_parser("speech", help="the speech model: prepare it, transcribe a file")
    speech_commands = speech.add_subparsers(dest="speech_command", required=True,
                                            metavar="ACTION")
    prepare = speech_commands.add_parser(
        "prepare", help="join and verify the packaged Whisper base model (or check "
        "CLAIMS_ASR_MODEL) so that the first voice message need not wait")
    prepare.add_argument("--load", action="store_true", help="also load it once, timed")
    prepare.set_defaults(handler=_cmd_prepare)
    transcribe = speech_commands.add_parser(
        "transcribe", help="what the recogniser hears in an audio file (exit 3: not understood)")
    transcribe.add_argument("file")
    transcribe.add_argument("--language", choices=["zh", "en"],
                            help="the conversation's language (default: detect zh or en)")
    transcribe.add_argument("--beam-size", type=int, default=1)
    transcribe.add_argument("--json", action="store_true")
    transcribe.set_defaults(handler=_cmd_transcribe)
