import type { APIRequestContext, Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { baseUrl, freshContextPerTest, open } from "./browser.ts"

/*
 * Version A on a server without LiveKit (the e2e server has no LIVEKIT_* keys): the student page
 * learns it from `GET /config` without minting a token, escalations still reach the student's
 * banner and the A teacher page over the teacher socket, and that page says there is no room.
 */

const context = freshContextPerTest()

const text = async (page: Page, testId: string): Promise<string> => (await page.getByTestId(testId).textContent()) ?? ""

const field = (body: unknown, name: string): string => {
  const value: unknown = typeof body === "object" && body !== null ? Object.entries(body).find(([key]) => key === name)?.[1] : undefined
  if (typeof value !== "string") throw new Error(`${name} missing in ${JSON.stringify(body)}`)
  return value
}

/** `POST /escalate` as a client of the API would (CSRF token first), returning its `teacher_ws_url`. */
const escalate = async (request: APIRequestContext, sessionId: string, reason: string): Promise<string> => {
  const csrf = field(await (await request.get("/csrf/token")).json(), "token")
  const response = await request.post("/escalate", {
    headers: { "X-CSRF-Token": csrf },
    data: { session_id: sessionId, reason, ws_base_url: baseUrl().replace(/^http/, "ws") }
  })
  expect(response.status()).toBe(200)
  return field(await response.json(), "teacher_ws_url")
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

  it("an escalation reaches the student's banner; its link opens the A teacher page, which shows it without a room or inject box", async () => {
    const student = await context().newPage()
    const session = sessionOf(student)
    await student.goto("/student?v=a")
    const sessionId = await session
    // the student channel is open once the page has asked for it; the escalation comes live or as pending
    await escalate(context().request, sessionId, "Stuck on fractions")
    await student.getByTestId("escalation-banner").waitFor({ timeout: 10_000 })
    expect(await text(student, "escalation-banner")).toContain(
      "A teacher has been invited to join your LiveKit room with audio and video."
    )
    expect(await text(student, "escalation-banner")).toContain("Stuck on fractions")
    const link = (await student.getByTestId("teacher-link").getAttribute("href")) ?? ""
    expect(link).toMatch(/^\/teacher\?v=a&session=[^&]+&token=.+/)

    const teacher = await open(context(), link)
    await expect.poll(() => teacher.getByTestId("teacher-session").getAttribute("data-link"), { timeout: 10_000 }).toBe("connected")
    await teacher.getByTestId("escalation-panel").waitFor({ timeout: 10_000 })
    expect(await text(teacher, "escalation-panel")).toContain("Stuck on fractions")
    expect(await teacher.getByText("Version A: Join the LiveKit room to observe with full audio/video").count()).toBe(1)
    expect(await teacher.getByText("Version A — LiveKit Teacher Access").count()).toBe(1)
    expect(await text(teacher, "teacher-no-room")).toContain("No LiveKit room to join")
    expect(await teacher.getByTestId("teacher-inject-input").count()).toBe(0)
  })

  it("a teacher token from POST /escalate (ws_base_url) connects the A teacher page to that session's escalation", async () => {
    const sessionId = `e2e-a-teacher-${Date.now()}`
    const teacherUrl = await escalate(context().request, sessionId, "Needs a human")
    expect(teacherUrl.startsWith(`${baseUrl().replace(/^http/, "ws")}/ws/teacher/${sessionId}?token=`)).toBe(true)
    const token = new URL(teacherUrl).searchParams.get("token") ?? ""
    const teacher = await open(context(), `/teacher?${new URLSearchParams({ v: "a", session: sessionId, token }).toString()}`)
    await expect.poll(() => teacher.getByTestId("teacher-session").getAttribute("data-link"), { timeout: 10_000 }).toBe("connected")
    await teacher.getByTestId("escalation-panel").waitFor({ timeout: 10_000 })
    expect(await text(teacher, "escalation-panel")).toContain("Needs a human")
    expect(await teacher.getByTestId("teacher-room").getAttribute("data-state")).toBe("no-room")
    expect(await teacher.getByTestId("teacher-inject-input").count()).toBe(0)
  })
})

describe("Version A teacher with a LiveKit invitation", () => {
  it("an escalation carrying the agent's LiveKit link offers Join, which loads livekit-client and reports a room it cannot reach", async () => {
    const page = await context().newPage()
    // the agent's escalation as the server relays it (src/agent/tokens.ts): socket link and room link; no LiveKit server here
    await page.routeWebSocket(/\/ws\/teacher\//, (socket) => {
      socket.send(JSON.stringify({ type: "connected", session_id: "lk", message: "Connected as observer." }))
      socket.send(JSON.stringify({
        type: "escalation",
        escalation_id: "esc-1",
        session_id: "lk",
        reason: "escalate_to_teacher",
        trigger: "classifier",
        teacher_ws_url: "ws://127.0.0.1:9/ws/teacher/lk?token=grant",
        livekit_url: "ws://127.0.0.1:9/?room=tutor-lk&token=livekit-jwt"
      }))
    })
    await page.goto("/teacher?v=a&session=lk&token=grant")
    await page.getByTestId("teacher-join-room").waitFor({ timeout: 10_000 })
    expect(await text(page, "teacher-room")).toContain("tutor-lk")
    await page.getByTestId("teacher-join-room").click()
    await page.getByRole("alert").waitFor({ timeout: 20_000 })
    expect(await page.getByRole("alert").textContent()).toContain("Could not join the room")
    expect(await page.getByTestId("teacher-inject-input").count()).toBe(0)
  })
})
