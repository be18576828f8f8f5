"""A real SMTP server for QeP's mail tests (Debian's python3-aiosmtpd).

Usage: python3 smtp_capture.py PORT OUTPUT.jsonl
Every message received is parsed by Python's email library and appended to OUTPUT as one
JSON object per line (envelope, decoded subject and text body, a few headers).
"""
import email
import json
import sys
import time
from email import policy

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "auto_submitted": msg["Auto-Submitted"],
            "message_id": msg["Message-ID"],
            "mime_version": msg["MIME-Version"],
            "date": msg["Date"],
            "reply_to": msg["Reply-To"],
            "content_type": msg.get_content_type(),
            "body": body.get_content() if body is not None else "",
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted"


if __name__ == "__main__":
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Capture(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
