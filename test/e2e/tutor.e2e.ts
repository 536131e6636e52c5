import type { Locator, Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { freshContextPerTest, open, screenshot, toneAsPcm } from "./browser.ts"

/*
 * Version B end to end on the server's local providers (no keys): Realtime is not configured, so
 * the student page runs typed questions through /orchestrate, its event stream and /tts/stream.
 */

const context = freshContextPerTest()

const text = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? ""

const attribute = async (locator: Locator, name: string): Promise<string> => (await locator.getAttribute(name)) ?? ""

interface Posted {
  readonly path: string
  readonly body: Record<string, unknown>
}

/** Every JSON POST the page makes, to check what it sent and with which session id. */
const recordPosts = (page: Page): Array<Posted> => {
  const posts: Array<Posted> = []
  page.on("request", (request) => {
    if (request.method() !== "POST") return
    const body: unknown = request.postDataJSON()
    if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      posts.push({ path: new URL(request.url()).pathname, body: Object.fromEntries(Object.entries(body)) })
    }
  })
  return posts
}

const startLocalSession = async (page: Page) => {
  await page.getByText("Start Session").click()
  await page.getByTestId("local-mode").waitFor()
  expect(await attribute(page.getByTestId("b-session"), "data-mode")).toBe("local")
}

const transcript = (page: Page) => page.getByTestId("transcript")

/** The suggested-question button (the same words also appear in the transcript once asked). */
const suggested = (page: Page, question: string) => page.getByRole("button", { name: question })

describe("Version B, local mode", () => {
  it("answers the suggested math question, plays its PCM through Web Audio and lights the real steps", async () => {
    const page = await context().newPage()
    const posts = recordPosts(page)
    await page.goto("/student?v=b")
    await startLocalSession(page)
    // Start is the B session start: the filler trade-off explains itself
    expect(await text(page.getByTestId("tradeoff-panel"))).toContain("Filler While Thinking")

    await suggested(page, "What is 25% of 80?").click()
    await expect.poll(() => text(transcript(page)), { timeout: 15_000 }).toMatch(/Math:.*\b20\b/s)
    expect(await text(transcript(page))).toContain("Student: What is 25% of 80?")

    const session = page.getByTestId("b-session")
    await expect.poll(async () => Number(await attribute(session, "data-audio-bytes")), { timeout: 15_000 }).toBeGreaterThan(0)
    // the turn ends with no stage lit once the answer has been spoken
    await expect.poll(() => page.locator("[data-active='true']").count(), { timeout: 20_000 }).toBe(0)

    const steps = posts.filter((post) => post.path === "/events" && post.body["event_name"] === "pipeline.step")
    const stepNames = steps.map((post) => JSON.stringify(post.body["attributes"]))
    expect(stepNames.join()).toContain("specialist")
    expect(stepNames.join()).toContain("tts")
    // telemetry and orchestration share one session id (the reference used two)
    const orchestrated = posts.find((post) => post.path === "/orchestrate")
    const loaded = posts.find((post) => post.body["event_name"] === "page.loaded")
    expect(orchestrated?.body["session_id"]).toBeTypeOf("string")
    expect(loaded?.body["session_id"]).toBe(orchestrated?.body["session_id"])
    await screenshot(page, "student-b")
  })

  it("a typed question is asked with Enter", async () => {
    const page = await open(context(), "/student?v=b")
    await startLocalSession(page)
    await page.getByLabel("Your question").fill("What is 25% of 80?")
    await page.getByLabel("Your question").press("Enter")
    await expect.poll(() => text(transcript(page)), { timeout: 15_000 }).toMatch(/Math:.*\b20\b/s)
    expect(await page.getByLabel("Your question").inputValue()).toBe("")
  })

  it("/config says typed mode: the text box is there before Start and asks at once", async () => {
    const page = await open(context(), "/student?v=b")
    await page.getByTestId("typed-ahead").waitFor()
    const session = page.getByTestId("b-session")
    expect(await attribute(session, "data-realtime")).toBe("false")
    expect(await attribute(session, "data-mode")).toBe("idle")
    expect(await page.getByText("Start Session").isVisible()).toBe(true)
    await page.getByLabel("Your question").fill("What is 25% of 80?")
    await page.getByLabel("Your question").press("Enter")
    await expect.poll(() => text(transcript(page)), { timeout: 15_000 }).toMatch(/Math:.*\b20\b/s)
  })

  it("a question picked before the session starts is asked when it starts", async () => {
    const page = await open(context(), "/student?v=b")
    await suggested(page, "What is 25% of 80?").click()
    expect(await text(page.getByTestId("pending-question"))).toContain("What is 25% of 80?")
    await startLocalSession(page)
    await expect.poll(() => text(transcript(page)), { timeout: 15_000 }).toMatch(/\b20\b/)
  })

  it("Stop interrupts the spoken answer (barge-in)", async () => {
    const page = await open(context(), "/student?v=b")
    // a long answer, so there is time to interrupt it
    await page.route("**/tts/stream", (route) => route.fulfill({ status: 200, contentType: "audio/pcm", body: toneAsPcm(5) }))
    await startLocalSession(page)
    await page.getByTestId("tradeoff-dismiss").click()
    await suggested(page, "What is 25% of 80?").click()
    await page.getByTestId("stop-audio").click({ timeout: 10_000 })
    await page.getByTestId("stop-audio").waitFor({ state: "detached" })
    expect(await text(page.getByTestId("tradeoff-panel"))).toContain("Barge-In / Interrupt")
    await expect.poll(() => page.locator("[data-active='true']").count(), { timeout: 5_000 }).toBe(0)
  })

  it("stays usable when the backend fails", async () => {
    const page = await open(context(), "/student?v=b")
    await page.route("**/orchestrate", (route) => route.fulfill({ status: 500, json: { detail: "boom" } }))
    await startLocalSession(page)
    await suggested(page, "What is 25% of 80?").click()
    await page.getByRole("alert").waitFor()
    expect(await text(page.getByRole("alert"))).toContain("could not answer")
    await page.unroute("**/orchestrate")
    await suggested(page, "What is 25% of 80?").click()
    await expect.poll(() => text(transcript(page)), { timeout: 15_000 }).toMatch(/Math:.*\b20\b/s)
  })
})

/** Runs in the page: lets `count` macrotasks run (a MessageChannel, which the fake clock leaves alone). */
const yieldTasks = async (count: number) => {
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      const channel = new MessageChannel()
      channel.port1.addEventListener("message", () => resolve(), { once: true })
      channel.port1.start()
      channel.port2.postMessage(null)
    })
  }
}

describe("CSRF token", () => {
  it("comes with the session on load and is refreshed, for that session, at 80 % of its TTL (240 s of 300 s)", async () => {
    const page = await context().newPage()
    await page.clock.install()
    const fetched: Array<string> = []
    page.on("request", (request) => {
      const url = new URL(request.url())
      if (url.pathname === "/csrf/token") fetched.push(url.searchParams.get("session_id") ?? "")
    })
    const opened = page.waitForResponse((response) => new URL(response.url()).pathname === "/session")
    await page.goto("/student?v=b")
    const session: unknown = await (await opened).json()
    const sessionId = typeof session === "object" && session !== null && "session_id" in session ? session.session_id : null
    // the refresh is scheduled once the page has read the token, a few tasks after the response
    // arrived; on a slow host advancing the fake clock before that would move the deadline with it
    await page.evaluate(yieldTasks, 20)
    expect(fetched).toEqual([])
    await page.clock.runFor(239_000)
    expect(fetched).toEqual([])
    await page.clock.runFor(2_000)
    await expect.poll(() => fetched).toEqual([sessionId])
  })
})

describe("Asking for a teacher", () => {
  it("the student is told a teacher was alerted, and nothing on the page leads to the teacher's side", async () => {
    const student = await open(context(), "/student?v=b")
    await startLocalSession(student)
    await student.getByTestId("ask-teacher").click()
    await student.getByTestId("escalation-banner").waitFor()
    expect(await text(student.getByTestId("tradeoff-panel"))).toContain("Teacher Escalation")
    expect(await text(student.getByTestId("escalation-banner"))).toContain("A teacher has been alerted")
    expect(await student.getByTestId("teacher-link").count()).toBe(0)
    expect(await student.content()).not.toContain("/ws/teacher/")
    await screenshot(student, "student-teacher-alerted")
  })
})

describe("Landing", () => {
  it("screenshot", async () => {
    const page = await open(context(), "/")
    await page.getByText("Architecture Comparison").click()
    await page.getByText("LiveKit JWT → audio/video room").waitFor()
    await screenshot(page, "landing")
  })
})
