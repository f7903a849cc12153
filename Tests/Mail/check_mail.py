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

reminders = [m for m in messages if m["Subject"] != "Sign in to Podium"]
signins = [m for m in messages if m["Subject"] == "Sign in to Podium"]
assert reminders and signins, [m["Subject"] for m in messages]

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
    assert m["List-Unsubscribe"] is None, "an unsubscribe button that unsubscribes from nothing"
    assert m.get_content_type() == "multipart/alternative"
    plain = m.get_body(preferencelist=("plain",)).get_content()
    html = m.get_body(preferencelist=("html",)).get_content()
    assert "Read what customers and employees are saying" in plain and "/act/" in plain, plain
    assert "podium item fire" in plain
    assert 'href="http://127.0.0.1:' in html and "/act/" in html, html
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html, "a title was not escaped in HTML"

for m in signins:
    assert m["To"].addresses[0].addr_spec == "dana@example.com"
    plain = m.get_body(preferencelist=("plain",)).get_content()
    assert "/signin/" in plain and "15 minutes" in plain, plain

print(f"mail-check: {len(reminders)} reminder(s) and {len(signins)} sign-in email(s) parsed: headers, both parts, links")
