import type { APIRequestContext, Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { freshContextPerTest } from "./browser.ts"

/*
 * Version A on a server without LiveKit (the e2e server has no LIVEKIT_* keys): the student page
 * learns it from `GET /config` without minting a token and escalations still reach the student's
 * banner; with LiveKit, the claimer's session page offers the room.
 */

const context = freshContextPerTest()

const text = async (page: Page, testId: string): Promise<string> => (await page.getByTestId(testId).textContent()) ?? ""

const field = (body: unknown, name: string): string => {
  const value: unknown = typeof body === "object" && body !== null ? Object.entries(body).find(([key]) => key === name)?.[1] : undefined
  if (typeof value !== "string") throw new Error(`${name} missing in ${JSON.stringify(body)}`)
  return value
}

/** `POST /escalate` for the page's own session, with the page's cookie (the request context shares it) and a CSRF token of that session. */
const escalate = async (request: APIRequestContext, sessionId: string, reason: string) => {
  const csrf = field(await (await request.get(`/csrf/token?session_id=${sessionId}`)).json(), "token")
  const response = await request.post("/escalate", { headers: { "X-CSRF-Token": csrf }, data: { session_id: sessionId, reason } })
  expect(response.status()).toBe(200)
  expect(JSON.stringify(await response.json())).not.toContain("token=")
}

/** The page's session id, as its student channel (`GET /session/{id}/events`) names it. */
const sessionOf = (page: Page): Promise<string> =>
  new Promise((resolve) => {
    page.on("request", (request) => {
      const match = /^\/session\/([^/]+)\/events$/.exec(new URL(request.url()).pathname)
      if (match?.[1]) resolve(decodeURIComponent(match[1]))
    })
  })

describe("Version A without LiveKit", () => {
  it("the student page says so from /config and never asks /livekit/token", async () => {
    const page = await context().newPage()
    const asked: Array<string> = []
    page.on("request", (request) => asked.push(new URL(request.url()).pathname))
    const config = page.waitForResponse((response) => new URL(response.url()).pathname === "/config")
    await page.goto("/student?v=a")
    expect(await (await config).json()).toEqual({ realtime: false, livekit: false })
    await page.getByTestId("a-unavailable").waitFor()
    expect(await text(page, "a-unavailable")).toContain("not available on this server")
    expect(await page.getByTestId("a-session").getAttribute("data-state")).toBe("unavailable")
    expect(asked.filter((path) => path === "/livekit/token")).toHaveLength(0)
  })

  it("an escalation reaches the student's banner, which says a teacher was alerted and links nowhere", async () => {
    const student = await context().newPage()
    const session = sessionOf(student)
    await student.goto("/student?v=a")
    const sessionId = await session
    // the student channel is open once the page has asked for it; the escalation comes live or as pending
    await escalate(context().request, sessionId, "Stuck on fractions")
    await student.getByTestId("escalation-banner").waitFor({ timeout: 10_000 })
    expect(await text(student, "escalation-banner")).toContain("A teacher has been alerted")
    expect(await student.getByTestId("teacher-link").count()).toBe(0)
  })
})

const json = (body: unknown) => ({ status: 200, contentType: "application/json", body: JSON.stringify(body) })

describe("Version A teacher with a LiveKit room", () => {
  it("on a server with LiveKit, the claimer's session page offers Join, which loads livekit-client and reports a room it cannot reach", async () => {
    const page = await context().newPage()
    // a signed-in teacher who claimed session "lk" on a server with LiveKit (none reachable here): the API is played by the test
    const escalation = {
      escalation_id: "esc-1",
      session_id: "lk",
      reason: "escalate_to_teacher",
      trigger: "classifier",
      category: "distress",
      severity: "standard",
      raised_at: Date.now(),
      waiting_seconds: 5,
      state: "claimed",
      claimed_by: "Ada Teacher",
      mine: true
    }
    await page.route("**/config", (route) => route.fulfill(json({ realtime: false, livekit: true })))
    await page.route("**/api/teacher/me", (route) => route.fulfill(json({ name: "Ada Teacher", email: "ada@e2e.example", role: "teacher" })))
    await page.route("**/api/teacher/escalations/events", (route) =>
      route.fulfill({ status: 200, contentType: "text/event-stream", body: `event: inbox\ndata: ${JSON.stringify({ escalations: [escalation] })}\n\n` }))
    await page.route("**/api/teacher/escalations", (route) => route.fulfill(json({ escalations: [escalation] })))
    await page.route("**/api/teacher/sessions/lk", (route) => route.fulfill(json({ session_id: "lk", transcript: [], escalations: [escalation] })))
    await page.route("**/api/teacher/sessions/lk/socket", (route) =>
      route.fulfill(json({ ws_url: "ws://127.0.0.1:9/ws/teacher/lk?token=grant", expires_in: 120 })))
    await page.route("**/api/teacher/sessions/lk/livekit", (route) =>
      route.fulfill(json({ url: "ws://127.0.0.1:9", room: "tutor-lk", token: "livekit-jwt" })))
    await page.routeWebSocket(/\/ws\/teacher\//, (socket) => {
      socket.send(JSON.stringify({ type: "connected", session_id: "lk", message: "Connected as observer." }))
    })
    await page.goto("/teacher?session=lk")
    await page.getByTestId("teacher-join-room").waitFor({ timeout: 10_000 })
    await page.getByTestId("teacher-join-room").click()
    await page.getByText("Could not join the room").waitFor({ timeout: 20_000 })
    expect(await page.getByTestId("teacher-room").getAttribute("data-state")).toBe("failed")
  })
})
