"""The emails Podium sent, as a mail reader sees them: read from the Maildir a real SMTP server
(aiosmtpd) wrote, parsed by Python's `email` package (the oracle). Run by scripts/mail-check.

    check_mail.py MAILDIR EXPECTED_COUNT
"""

import email
import email.policy
import hashlib
import mailbox
import sys
import time

maildir, expected = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while True:  # wait for the server to have written them, never a fixed delay
    messages = [email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in mailbox.Maildir(maildir)]
    if len(messages) >= expected or time.monotonic() > deadline:
        break
    time.sleep(0.05)
assert len(messages) == expected, f"{len(messages)} messages arrived, expected {expected}"
# Every line within RFC 5322's recommended 78 characters: encoded-words are folded.
for message in (m.as_bytes() for m in mailbox.Maildir(maildir)):
    long = [line for line in message.split(b"\n") if len(line.rstrip(b"\r")) > 78]
    assert not long, f"lines over 78 characters: {long[:2]}"

signins = [m for m in messages if m["Subject"] == "Sign in to Podium"]
digests = [m for m in messages if m["Subject"].startswith("Your Podium digest")]
reminders = [m for m in messages if m not in signins and m not in digests]
assert reminders and signins and len(digests) == 1, [m["Subject"] for m in messages]

for m in reminders:
    # Headers decoded (RFC 2047): the name and the title people typed, whole.
    assert m["To"].addresses[0].display_name == "Dána Ōkafor 山田", m["To"]
    assert m["To"].addresses[0].addr_spec == "dana@example.com", m["To"]
    assert m["From"].addresses[0].addr_spec == "podium@example.com", m["From"]
    subject = m["Subject"]
    assert 'Dána\'s roadmap: “open” <b>now</b> 🚀' in subject and ", due " in subject, subject
    assert "\n" not in subject
    # The idempotency key is visible, and Message-ID is derived from it: a resend threads.
    key = m["X-Podium-Idempotency-Key"]
    assert key and key.endswith(":dana"), key
    assert m["Message-ID"] == f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@podium>", m["Message-ID"]
    # List-Unsubscribe leads to where a person chooses how Podium reaches them.
    assert m["List-Unsubscribe"].startswith("<http://127.0.0.1:"), m["List-Unsubscribe"]
    assert m["List-Unsubscribe"].endswith("/inbox#reach>"), m["List-Unsubscribe"]
    assert m.get_content_type() == "multipart/alternative"
    plain = m.get_body(preferencelist=("plain",)).get_content()
    html = m.get_body(preferencelist=("html",)).get_content()
    assert "Read what customers and employees are saying" in plain and "/act/" in plain, plain
    assert "podium item fire" in plain
    assert 'href="http://127.0.0.1:' in html and "/act/" in html, html
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html, "a title was not escaped in HTML"

for m in digests:
    # One message for Lee instead of a reminder each: his item, its page, and where to change it.
    assert m["To"].addresses[0].addr_spec == "lee@example.com", m["To"]
    assert m["Subject"] == "Your Podium digest: 1 item" or m["Subject"].startswith("Your Podium digest: 1 item,"), m["Subject"]
    plain = m.get_body(preferencelist=("plain",)).get_content()
    assert "Lee's first practice post" in plain and "/items/" in plain, plain
    assert "/inbox#reach" in plain, plain
    assert m["X-Podium-Idempotency-Key"].startswith("digest-lee-"), m["X-Podium-Idempotency-Key"]

for m in signins:
    assert m["To"].addresses[0].addr_spec == "dana@example.com"
    plain = m.get_body(preferencelist=("plain",)).get_content()
    assert "/signin/" in plain and "15 minutes" in plain, plain

print(
    f"mail-check: {len(reminders)} reminder(s), {len(digests)} digest and {len(signins)} sign-in email(s) parsed:"
    " headers, both parts, links"
)
