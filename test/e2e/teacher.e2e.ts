import type { BrowserContext, Locator, Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { evaluateNumber, freshContextPerTest, MOBILE, newContext, open, screenshot, teacherLinks } from "./browser.ts"

/*
 * The teacher's side end to end, on the real server (embedded database, local providers): teachers
 * made with the CLI sign in with their one-time links, a student's message escalates, the inbox
 * shows it live, one teacher claims it and works with the session, another cannot.
 */

const context = freshContextPerTest()

/** Another person's browser (own cookies), in the same Chromium. */
const another = (viewport?: { width: number; height: number }): Promise<BrowserContext> => {
  const browser = context().browser()
  if (browser === null) throw new Error("the test's context has no browser")
  return newContext(browser, viewport)
}

const text = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? ""

/** Signs the context's browser in with a one-time link, as a teacher clicking it would. */
const signIn = async (browser: BrowserContext, link: string): Promise<Page> => {
  const page = await open(browser, link)
  await page.getByTestId("teacher-sign-in-button").click()
  await page.waitForURL(/\/teacher$/)
  await page.getByTestId("teacher-signed-in").waitFor()
  return page
}

/** The page's student session id, as `POST /session` gave it. */
const openStudentPage = async (browser: BrowserContext): Promise<{ page: Page; sessionId: string }> => {
  const page = await browser.newPage()
  const opened = page.waitForResponse((response) => new URL(response.url()).pathname === "/session")
  await page.goto("/student?v=b")
  const body: unknown = await (await opened).json()
  const sessionId = typeof body === "object" && body !== null && "session_id" in body && typeof body.session_id === "string"
    ? body.session_id
    : ""
  await page.getByText("Start Session").click()
  await page.getByTestId("local-mode").waitFor()
  return { page, sessionId }
}

const ask = async (page: Page, question: string) => {
  const box = page.getByTestId("student-question-input")
  await box.fill(question)
  await box.press("Enter")
}

const itemOf = (inbox: Page, sessionId: string) => inbox.locator(`[data-testid="inbox-item"][data-session="${sessionId}"]`)

describe("a teacher in the loop", () => {
  it("signs in, sees a disclosure live, claims it, reads and messages the session; a second teacher cannot; audited", async () => {
    const ada = await signIn(context(), teacherLinks().ada)
    const studentContext = await another()
    const bobContext = await another()
    try {
      const { page: student, sessionId } = await openStudentPage(studentContext)
      await ask(student, "my dad hits me when he is drunk and i am scared to go home")
      await student.getByTestId("escalation-banner").waitFor({ timeout: 15_000 })
      expect(await text(student.getByTestId("escalation-banner"))).toContain("A teacher has been alerted")
      // nothing on the student's page leads to the teacher's side
      expect(await student.content()).not.toContain("/ws/teacher/")

      // live, without a reload: the inbox's event stream brings it
      const item = itemOf(ada, sessionId)
      await item.waitFor({ timeout: 1_000 })
      expect(await item.getAttribute("data-severity")).toBe("urgent")
      expect(await item.getAttribute("data-state")).toBe("open")
      await screenshot(ada, "teacher-inbox")

      await item.getByTestId("inbox-claim").click()
      await item.getByTestId("inbox-open").click()
      await ada.waitForURL(/\/teacher\?session=/)
      await expect.poll(() => ada.getByTestId("teacher-session").getAttribute("data-link"), { timeout: 10_000 }).toBe("connected")
      await expect.poll(() => text(ada.getByTestId("transcript")), { timeout: 10_000 }).toContain("my dad hits me")
      await expect.poll(() => text(student.getByTestId("escalation-banner")), { timeout: 10_000 }).toContain("A teacher has joined")

      await ada.getByTestId("teacher-inject-input").fill("I'm Ms Ada, I'm here with you. You did the right thing.")
      await ada.getByTestId("teacher-inject-submit").click()
      await expect.poll(() => text(student.getByTestId("transcript")), { timeout: 10_000 }).toContain("I'm Ms Ada, I'm here with you.")
      await screenshot(ada, "teacher-session")

      // a second teacher sees who has it, cannot claim it and cannot open the session
      const bob = await signIn(bobContext, teacherLinks().bob)
      const seenByBob = itemOf(bob, sessionId)
      await seenByBob.waitFor({ timeout: 5_000 })
      expect(await text(seenByBob)).toContain("Ada Teacher")
      expect(await seenByBob.getByTestId("inbox-claim").count()).toBe(0)
      const refused = await bob.request.post(`/api/teacher/escalations/${await seenByBob.getAttribute("data-escalation")}/claim`)
      expect(refused.status()).toBe(409)
      await bob.goto(`/teacher?session=${sessionId}`)
      await bob.getByTestId("teacher-not-claimed").waitFor()
      expect(await text(bob.locator("body"))).not.toContain("my dad hits me")

      // the safeguarding lead sees who did what with the child's session
      const lead = await signIn(context(), teacherLinks().lead)
      const audit = await lead.request.get(`/api/teacher/sessions/${sessionId}/audit`)
      expect(audit.status()).toBe(200)
      const entries: unknown = await audit.json()
      const actions = typeof entries === "object" && entries !== null && "entries" in entries && Array.isArray(entries.entries)
        ? entries.entries.map((entry: unknown) => typeof entry === "object" && entry !== null && "action" in entry ? entry.action : null)
        : []
      expect(actions).toEqual(expect.arrayContaining(["claim", "read", "inject"]))
      expect(JSON.stringify(entries)).toContain("Ada Teacher")
      expect(JSON.stringify(entries)).not.toContain("Bob Teacher")
    } finally {
      await studentContext.close()
      await bobContext.close()
    }
  })

  it("a used or forged sign-in link is refused with a way forward; signed out, /teacher asks for a link", async () => {
    const page = await open(context(), "/teacher")
    await page.getByTestId("teacher-sign-in-needed").waitFor()
    expect(await page.getByTestId("inbox").count()).toBe(0)
    const forged = await open(context(), "/teacher/sign-in#00000000-0000-4000-8000-000000000000.forged")
    await forged.getByTestId("teacher-sign-in-button").click()
    await forged.getByTestId("teacher-sign-in-error").waitFor()
    expect(await forged.getByTestId("teacher-sign-in-error").getAttribute("data-reason")).toBe("link-invalid")
  })

  it("the demo teacher of a fresh embedded server signs in with the link from the start-up log", async () => {
    const page = await signIn(context(), teacherLinks().demo)
    expect(await text(page.getByTestId("teacher-signed-in"))).toContain("Demo Teacher")
    await page.getByTestId("teacher-sign-out").click()
    await page.getByTestId("teacher-sign-in-needed").waitFor()
  })

  it("the inbox fits a phone", async () => {
    const phone = await another(MOBILE)
    try {
      const page = await signIn(phone, teacherLinks().adaPhone)
      const overflow = await evaluateNumber(page, "document.documentElement.scrollWidth - document.documentElement.clientWidth")
      expect(overflow).toBeLessThanOrEqual(0)
      await screenshot(page, "mobile-teacher-inbox")
    } finally {
      await phone.close()
    }
  })
})
