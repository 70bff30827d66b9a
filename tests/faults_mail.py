"""An email backend for the Celery worker that `tests/test_faults.py` starts and kills.

Every message becomes one file in `FAULTS_MAIL_DIR`, so the test counts what left, across
processes, exactly as it would count what an SMTP server accepted. The file `FAULTS_MAIL_GATE`
is a one-shot gate: the first send that finds it takes it (an atomic rename to `<gate>.held`,
holding this process's id and the recipients) and then hangs before the message is written,
like a stuck SMTP conversation, until the test kills the process. Sends after that pass.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class GatedFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        outbox = Path(os.environ["FAULTS_MAIL_DIR"])
        for message in email_messages:
            self._stop_at_gate(message)
            name = uuid.uuid4().hex
            scratch = outbox / f".{name}.tmp"
            scratch.write_bytes(message.message().as_bytes())
            scratch.rename(outbox / f"{name}.eml")
        return len(email_messages)

    @staticmethod
    def _stop_at_gate(message: EmailMessage) -> None:
        gate = Path(os.environ["FAULTS_MAIL_GATE"])
        held = gate.with_name(gate.name + ".held")
        try:
            gate.rename(held)
        except FileNotFoundError:
            return  # no gate, or another send took it
        held.write_text(f"{os.getpid()} {','.join(message.to)}")
        while True:  # until killed
            time.sleep(0.05)
