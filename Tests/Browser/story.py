"""The coaching story in a real browser (headless chromium through Selenium), against a live
`podium serve` that scripts/browser-check started. Each step waits for what it needs (a page,
an element, a message) and never sleeps for a fixed time. Screenshots go to $SHOTS.

Run it through scripts/browser-check, which sets PODIUM, WORK, SHOTS, DATABASE_URL and
PODIUM_PUBLIC_URL.
"""

import datetime
import icalendar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

PODIUM = os.environ["PODIUM"]
WORK = os.environ["WORK"]
SHOTS = os.environ["SHOTS"]
BASE = os.environ["PODIUM_PUBLIC_URL"]
WAIT = 60  # seconds: an upper bound on a loaded machine, never a delay


def podium(*args, now=None):
    """Runs a podium command; returns its standard output."""
    env = dict(os.environ)
    if now:
        env["PODIUM_NOW"] = now
    done = subprocess.run([PODIUM, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise AssertionError(f"podium {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


def item(item_id):
    return json.loads(podium("item", "show", str(item_id), "--json"))


def messages(person, count=1):
    """The JSON messages in a person's channel, once there are at least `count`."""
    path = os.path.join(WORK, f"{person}.jsonl")
    if count == 0 and not os.path.exists(path):
        return []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as lines:
                found = [json.loads(line) for line in lines if line.strip()]
            if len(found) >= count:
                return found
        time.sleep(0.05)  # polling a file for a condition, bounded by WAIT
    raise AssertionError(f"{person} never received {count} message(s)")


class Person:
    """One person's browser."""

    def __init__(self, handle, width=1280, height=900):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en-US"]:
            options.add_argument(flag)
        self.handle = handle
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, WAIT)

    def open(self, path):
        self.driver.get(path if path.startswith("http") else BASE + path)
        self.wait.until(seen.presence_of_element_located((By.TAG_NAME, "main")))

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    def press(self, label):
        """Presses the button that says `label`, and waits until the page it leads to has loaded:
        the old page's window carries a mark that a new page's does not."""
        button = self.driver.find_element(By.XPATH, f"//button[normalize-space()={json.dumps(label)}]")
        self.driver.execute_script("window.podiumOldPage = true")
        button.click()

        def loaded(driver):
            try:
                return driver.execute_script(
                    "return window.podiumOldPage === undefined && document.readyState === 'complete'")
            except WebDriverException:  # between pages
                return False

        self.wait.until(loaded)
        self.wait.until(seen.presence_of_element_located((By.TAG_NAME, "main")))

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def sign_in(self):
        """Asks for a sign-in link, finds it in the person's own channel, opens it, confirms."""
        before = len(messages(self.handle, 0))
        self.open("/signin")
        self.driver.find_element(By.ID, "handle").send_keys(self.handle)
        self.press("Send me a sign-in link")
        assert "a sign-in link is on its way" in self.text(), self.text()
        link = messages(self.handle, before + 1)[-1]["link"]
        self.open(link)
        assert "Sign in as" in self.text() and "Opening it did nothing" in self.text(), self.text()
        self.press(self.driver.find_element(By.TAG_NAME, "button").text)
        assert self.driver.current_url == BASE + "/inbox", self.driver.current_url
        return self

    def session_post(self, path, form):
        """A POST with this browser's session cookie but without the page's form token, as a
        page of another site would send it."""
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())
        request = urllib.request.Request(
            BASE + path, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def quit(self):
        self.driver.quit()


def step(text):
    print(f"browser: {text}", flush=True)


def main():
    now = datetime.datetime.now(datetime.timezone.utc)
    post = int(podium("item", "create", "exec-post", "--title", "Why we are opening our roadmap", "--as", "carol",
                      "--participant", "executive=dana", "--participant", "coach=sam").split()[0])
    podium("item", "fire", str(post), "start_draft", "--as", "dana")
    hostile = int(podium("item", "create", "exec-post", "--title", '<script>alert("owned")</script> & a <b>bold</b> claim',
                         "--as", "carol", "--participant", "executive=dana", "--participant", "coach=sam").split()[0])
    private = int(podium("item", "create", "exec-post", "--title", "Lee's private draft", "--as", "carol",
                         "--participant", "executive=lee", "--participant", "coach=sam").split()[0])

    step("Dana signs in with a link from her own channel and sees her tasks")
    dana = Person("dana").sign_in()
    inbox = dana.text()
    assert "Why we are opening our roadmap" in inbox and "Submit for private review" in inbox, inbox
    assert "America/New_York" in inbox, "times are not in her zone"
    assert '<script>alert("owned")</script> & a <b>bold</b> claim' in inbox, "a title was not shown as text"
    try:
        dana.driver.switch_to.alert
        raise AssertionError("a title ran as script")
    except NoAlertPresentException:
        pass
    assert "Lee's private draft" not in inbox, "another person's item is listed"
    dana.shot("inbox")
    # The same session on a phone-sized window (a second link within a minute is not sent).
    phone = Person("dana", 390, 844)
    phone.open("/signin")
    for cookie in dana.driver.get_cookies():
        phone.driver.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/"})
    phone.open("/inbox")
    assert "Why we are opening our roadmap" in phone.text(), phone.text()
    phone.shot("inbox-phone")
    phone.quit()

    step("another person's item is not found, and says nothing of what it holds")
    dana.open(f"/items/{private}")
    assert "Not found" in dana.text() and "Lee" not in dana.text(), dana.text()

    step("Dana submits her draft with the fields the transition asks for")
    dana.open(f"/items/{post}")
    form = dana.driver.find_element(By.ID, "act-submit")
    form.find_element(By.NAME, "body").send_keys(
        "We are opening our product roadmap. What should we build next?")
    publish = form.find_element(By.NAME, "publish_at")
    # Four days ahead at 09:00 on Dana's wall clock; zoneinfo says what instant that is.
    local = (now + datetime.timedelta(days=4)).astimezone(zoneinfo.ZoneInfo("America/New_York")).replace(
        hour=9, minute=0, second=0, microsecond=0)
    dana.driver.execute_script("arguments[0].value = arguments[1]", publish, local.strftime("%Y-%m-%dT%H:%M"))
    dana.shot("item")
    dana.press("Submit for private review")
    assert "Done: Submit for private review." in dana.text(), dana.text()
    shown = item(post)
    assert shown["stage"] == "private_review", shown["stage"]
    expected = local.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shown["data"]["publish_at"] == expected, f"{shown['data']['publish_at']} is not 09:00 in New York ({expected})"

    step("Dana's calendar feed, read by icalendar: her deadline and the planned publish date")
    dana.open("/inbox")
    dana.press("Make a calendar feed")
    address = next(line for line in dana.text().splitlines() if "/calendar/" in line).strip()
    with urllib.request.urlopen(address) as answer:
        assert answer.headers["Content-Type"].startswith("text/calendar"), answer.headers["Content-Type"]
        calendar = icalendar.Calendar.from_ical(answer.read())
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    publish = events.get("Publish: Why we are opening our roadmap")
    assert publish is not None, list(events)
    assert publish.decoded("DTSTART") == local.astimezone(datetime.timezone.utc), publish.decoded("DTSTART")
    assert str(publish["URL"]) == f"{BASE}/items/{post}", publish["URL"]
    hostile_due = [e for s, e in events.items() if s.startswith('Due: <script>alert("owned")</script>')]
    assert hostile_due and "Read what customers" in str(hostile_due[0]["DESCRIPTION"]), list(events)
    dana.open("/inbox")
    dana.press("End my calendar feeds")
    try:
        urllib.request.urlopen(address)
        raise AssertionError("an ended feed still answers")
    except urllib.error.HTTPError as error:
        assert error.code == 404, error.code

    step("Sam sends it back with a comment from the item page")
    sam = Person("sam").sign_in()
    assert "Why we are opening our roadmap" in sam.text(), sam.text()
    sam.open(f"/items/{post}")
    form = sam.driver.find_element(By.ID, "act-request_changes")
    form.find_element(By.NAME, "comment").send_keys("Lead with what customers told us; end with a question.")
    sam.press(form.find_element(By.TAG_NAME, "button").text)
    assert item(post)["stage"] == "draft", item(post)["stage"]

    step("a form without the session's token changes nothing")
    revision = item(post)["revision"]
    assert sam.session_post(f"/items/{post}/transitions/request_changes", {"revision": revision}) == 403
    assert dana.session_post(f"/items/{post}/comments", {"text": "forged"}) == 403
    assert item(post)["revision"] == revision, "a forged form changed the item"

    step("Dana revises and resubmits; her own page offers her no approval")
    dana.open(f"/items/{post}")
    assert "Lead with what customers told us" in dana.text(), dana.text()
    form = dana.driver.find_element(By.ID, "act-submit")
    body = form.find_element(By.NAME, "body")
    body.clear()
    body.send_keys("Customers told us they plan a year ahead with us. So our roadmap is now public. What is missing?")
    dana.press("Submit for private review")
    assert not dana.driver.find_elements(By.ID, "act-approve"), "Dana was offered her own approval"

    step("an hour before the review is due: the worker sends Sam a reminder with a link to approve")
    # An hour before the review is due (a day before publishing): the reminder two hours before
    # is due, whatever the time of day the story runs (now + 3 days fell before it when the
    # story ran between midnight in New York and noon UTC).
    due = local.astimezone(datetime.timezone.utc) - datetime.timedelta(days=1)
    later = (due - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(podium("worker", "--once", now=later).strip())
    sent = [m for m in messages("sam") if m.get("kind") in ("reminder", "escalation") and m.get("link")]
    assert sent, f"no reminder with a link reached Sam: {messages('sam')}"
    reminder = sent[0]
    assert reminder["command"] == f"podium item fire {post} approve --as sam", reminder["command"]
    revision = item(post)["revision"]
    sam.driver.delete_all_cookies()
    sam.open(reminder["link"])
    page = sam.text()
    assert "Opening this link changed nothing" in page and "Customers told us" in page, page
    sam.shot("link-confirmation")
    assert item(post)["revision"] == revision, "opening the link acted"
    sam.press("Approve for publishing")
    assert "Done: Approve for publishing" in sam.text(), sam.text()
    history = json.loads(podium("item", "history", str(post), "--json"))
    assert history[-1]["transition"] == "approve" and history[-1]["via"] == "link", history[-1]

    step("a second use of the link, and a tampered link, are refused")
    sam.open(reminder["link"])
    assert "used already" in sam.text(), sam.text()
    token = reminder["link"].rsplit("/", 1)[1]
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    sam.open(f"/act/{tampered}")
    assert "not one Podium made" in sam.text(), sam.text()
    # The same entries (not their seconds in the stage, which grow while the clock runs).
    entries = [h["id"] for h in json.loads(podium("item", "history", str(post), "--json"))]
    assert entries == [h["id"] for h in history], "a refused link wrote history"

    step("Carol's console: the board, then a dead task retried after a dry run")
    rows = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", os.environ["DATABASE_URL"], "-c",
         f"update tasks set status = 'dead', last_error = 'webhook answered 503' "
         f"where id = (select min(id) from tasks where item_id = {hostile} and status = 'pending') returning id"],
        capture_output=True, text=True, check=True).stdout.split()
    dead = int(rows[0])
    carol = Person("carol").sign_in()
    assert dana.session_post("/console/fix", {"action": "cancel", "item": post}) == 403, "a forged fix passed"
    dana.open("/console")
    assert "Not yours to do" in dana.text(), dana.text()
    carol.open("/console")
    assert "Private review" in carol.text() or "private" in carol.text().lower(), carol.text()
    carol.shot("console")
    carol.open("/console/stuck")
    assert "is dead" in carol.text(), carol.text()
    reason = carol.driver.find_element(By.ID, f"retry-reason-{hostile}")
    reason.send_keys("the receiver is back")
    carol.press("Preview retry")
    assert f"retry task {dead}" in carol.text(), carol.text()
    carol.shot("console-preview")
    tasks = json.loads(podium("tasks", "list", "--status", "dead", "--json"))
    assert any(t["id"] == dead for t in tasks), "the dry run changed the task"
    carol.press("Confirm")
    assert "Retried 1 task(s)" in carol.text(), carol.text()
    tasks = json.loads(podium("tasks", "list", "--status", "dead", "--json"))
    assert not any(t["id"] == dead for t in tasks), "the task is still dead"
    fixes = [h for h in json.loads(podium("item", "history", str(hostile), "--json")) if h["kind"] == "task"]
    assert fixes and fixes[-1]["actor"] == "carol" and fixes[-1]["via"] == "web", fixes
    assert fixes[-1]["comment"].endswith(": the receiver is back"), fixes

    step("reports: bars on one scale, so +100% is twice as long as +50%")
    podium("item", "fire", str(post), "published", "--as", "dana", "--set", "url=https://social.example/dana/roadmap")
    weeks = [(-14, 1000, 200, 500), (-7, 1000, 200, 500), (7, 1500, 400, 550), (14, 1500, 400, 550)]
    for days, sent, replies, likes in weeks:
        day = (now + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        podium("item", "metrics", str(post), "--messages", str(sent), "--replies", str(replies), "--likes", str(likes),
               "--at", day, "--as", "carol", now=(now + datetime.timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    carol.open("/console/reports")
    widths = {}
    for row in carol.driver.find_elements(By.CSS_SELECTOR, ".bars > div[role=listitem]"):
        bar = row.find_element(By.XPATH, "following-sibling::div[1]//*[local-name()='rect']")
        widths[row.text] = float(bar.get_attribute("width"))
    assert widths["dana: replies"] == 2 * widths["dana: messages"], widths  # +100% and +50%
    assert widths["dana: likes"] < widths["dana: messages"], widths  # +10%
    carol.shot("reports")

    step("Lee is away and names Carol; Carol finds Lee's work on her own page and does it for Lee")
    lee = Person("lee").sign_in()
    back = (now + datetime.timedelta(days=5)).strftime("%Y-%m-%d")
    until = lee.driver.find_element(By.NAME, "until")
    lee.driver.execute_script("arguments[0].value = arguments[1]", until, back)  # a date input, locale-free
    lee.driver.find_element(By.NAME, "delegate").send_keys("carol")
    lee.press("I'll be away")
    assert "Carol Diaz (carol) stands in for you." in lee.text(), lee.text()
    carol.open("/inbox")
    page = carol.text()
    assert "You stand in for Lee Park (lee)" in page and "For Lee Park (lee), who is away" in page, page
    carol.shot("stand-in")
    section = carol.driver.find_element(By.XPATH, f"//a[@href='/items/{private}']/ancestor::section")
    carol.press(section.find_element(By.TAG_NAME, "button").text)
    entry = json.loads(podium("item", "history", str(private), "--json"))[-1]
    assert entry["actor"] == "carol" and entry.get("on_behalf_of") == "lee", entry

    step("Lee is back: Carol no longer stands in; Lee chooses a daily digest")
    lee.open("/inbox")
    lee.press("I'm back")
    carol.open("/inbox")
    assert "You stand in for" not in carol.text(), carol.text()
    lee.driver.find_element(By.CSS_SELECTOR, "input[name=delivery][value=digest]").click()
    at = lee.driver.find_element(By.NAME, "digest_at")
    lee.driver.execute_script("arguments[0].value = arguments[1]", at, "07:45")
    lee.press("Save")
    person = [a for a in json.loads(podium("actor", "list", "--json")) if a["handle"] == "lee"][0]
    assert person["delivery"] == "digest" and person["digest_at"] == "07:45", person

    step("signing out ends the session")
    dana.open("/inbox")
    dana.press("Sign out")
    dana.open("/inbox")
    assert dana.driver.current_url.startswith(BASE + "/signin"), dana.driver.current_url

    for person in (dana, sam, carol, lee):
        person.quit()
    step("the story passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"browser: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
