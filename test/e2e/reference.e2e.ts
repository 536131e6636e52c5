import type { Locator, Page, Request } from "playwright-core"
import { describe, expect, it } from "vitest"
import { freshContextPerTest, open } from "./browser.ts"

/*
 * The reference's Playwright specs (REFERENCE_BEHAVIOUR §11.9), one `it` per test, against the real
 * server. Changed on purpose: the A token route is the server's `/livekit/token` (which says 503
 * without LiveKit) instead of a Next.js route.
 */

const context = freshContextPerTest()

const visible = (locator: Locator) => locator.waitFor({ state: "visible", timeout: 5_000 })
const absent = async (locator: Locator) => {
  await locator.waitFor({ state: "hidden", timeout: 5_000 })
  expect(await locator.isVisible()).toBe(false)
}

describe("FlowVisualizer", () => {
  it("version-a shows STT step", async () => {
    const page = await open(context(), "/student?v=a")
    await visible(page.getByTestId("flow-visualizer"))
    await visible(page.getByTestId("flow-step-stt"))
  })

  it("version-b hides STT step", async () => {
    const page = await open(context(), "/student?v=b")
    await visible(page.getByTestId("flow-visualizer"))
    await absent(page.getByTestId("flow-step-stt"))
  })

  it("version-a shows all 5 pipeline steps", async () => {
    const page = await open(context(), "/student?v=a")
    for (const step of ["stt", "orchestrator", "specialist", "guardrail", "tts"]) await visible(page.getByTestId(`flow-step-${step}`))
  })

  it("version-b shows 3 pipeline steps", async () => {
    const page = await open(context(), "/student?v=b")
    for (const step of ["specialist", "guardrail", "tts"]) await visible(page.getByTestId(`flow-step-${step}`))
    expect(await page.locator("[data-testid^='flow-step-']").count()).toBe(3)
  })
})

describe("Integration wiring", () => {
  it("clicking a question on version-a before joining shows the say-this hint", async () => {
    const page = await open(context(), "/student?v=a")
    await page.getByText("What is 25% of 80?").click()
    await visible(page.getByTestId("say-this-hint"))
    expect(await page.getByTestId("say-this-hint").textContent()).toContain("What is 25% of 80?")
  })

  it("clicking a question on version-b keeps Start Session visible", async () => {
    const page = await open(context(), "/student?v=b")
    await page.getByText("Why did World War I start?").click()
    await visible(page.getByText("Start Session"))
  })

  it("the LiveKit token route says plainly that Version A is not configured", async () => {
    // like every route that costs money it wants an open session and its CSRF token; without LiveKit it is a 503
    const opened: unknown = await (await context().request.post("/session")).json()
    const field = (name: string) => {
      const value: unknown = typeof opened === "object" && opened !== null ? Object.entries(opened).find(([key]) => key === name)?.[1] : undefined
      return typeof value === "string" ? value : ""
    }
    const response = await context().request.get(`/livekit/token?session_id=${field("session_id")}`, {
      headers: { "X-CSRF-Token": field("csrf_token"), Authorization: `Bearer ${field("token")}` }
    })
    expect(response.status()).toBe(503)
    const page = await open(context(), "/student?v=a")
    await visible(page.getByTestId("a-unavailable"))
    expect(await page.getByTestId("a-unavailable").textContent()).toContain("not available on this server")
    await page.getByText("Use Version B instead →").click()
    await page.waitForURL(/\/student\?v=b$/)
  })
})

describe("Landing page", () => {
  it("shows both versions", async () => {
    const page = await open(context(), "/")
    await visible(page.getByText("Version A — LiveKit"))
    await visible(page.getByText("Version B — OpenAI Realtime Direct"))
  })

  it("the first Start Demo link opens version A", async () => {
    const page = await open(context(), "/")
    await page.getByText("Start Demo →").first().click()
    await page.waitForURL(/\?v=a/)
  })

  it("the last Start Demo link opens version B", async () => {
    const page = await open(context(), "/")
    await page.getByText("Start Demo →").last().click()
    await page.waitForURL(/\?v=b/)
  })

  it("Architecture Comparison reveals the table", async () => {
    const page = await open(context(), "/")
    await absent(page.getByText("LiveKit JWT → audio/video room"))
    await page.getByText("Architecture Comparison").click()
    await visible(page.getByText("LiveKit JWT → audio/video room"))
  })
})

describe("Student page", () => {
  it("version-a shows its title", async () => {
    const page = await open(context(), "/student?v=a")
    await visible(page.getByText("Version A — LiveKit"))
  })

  it("version-b shows its title", async () => {
    const page = await open(context(), "/student?v=b")
    await visible(page.getByText("Version B — OpenAI Realtime"))
  })

  it("shows the suggested questions", async () => {
    const page = await open(context(), "/student?v=a")
    await visible(page.getByText("What is 25% of 80?"))
    await visible(page.getByText("Why did World War I start?"))
    expect(await page.getByTestId("suggested-question").count()).toBe(6)
  })
})

describe("Frontend observability — /events proxy", () => {
  const postedEvent = (page: Page, name: string): Promise<Request> =>
    page.waitForRequest((request) => {
      if (!request.url().endsWith("/events") || request.method() !== "POST") return false
      const body: unknown = request.postDataJSON()
      return typeof body === "object" && body !== null && "event_name" in body && body.event_name === name
    })

  const fulfilEvents = (page: Page) =>
    page.route("**/events", (route) =>
      route.request().method() === "POST" ? route.fulfill({ json: { ok: true } }) : route.continue())

  it("page load posts page.loaded with the version", async () => {
    const page = await context().newPage()
    await fulfilEvents(page)
    const loaded = postedEvent(page, "page.loaded")
    await page.goto("/student?v=b")
    expect((await loaded).postDataJSON()).toMatchObject({ event_name: "page.loaded", attributes: { version: "b" } })
  })

  it("clicking a suggested question posts question.selected", async () => {
    const page = await context().newPage()
    await fulfilEvents(page)
    await page.goto("/student?v=b")
    const selected = postedEvent(page, "question.selected")
    await page.getByTestId("suggested-question").first().click()
    expect((await selected).postDataJSON()).toMatchObject({ event_name: "question.selected", attributes: { version: "b" } })
  })
})

describe("FlowVisualizer pipeline steps", () => {
  it("version-b visualizer present", async () => {
    const page = await open(context(), "/student?v=b")
    await visible(page.getByTestId("flow-visualizer"))
  })

  it("version-a shows flow-step-stt", async () => {
    const page = await open(context(), "/student?v=a")
    await visible(page.getByTestId("flow-step-stt"))
  })

  it("version-b does not show flow-step-stt", async () => {
    const page = await open(context(), "/student?v=b")
    await visible(page.getByTestId("flow-visualizer"))
    expect(await page.getByTestId("flow-step-stt").count()).toBe(0)
  })

  it("version-b shows specialist, guardrail, tts", async () => {
    const page = await open(context(), "/student?v=b")
    for (const step of ["specialist", "guardrail", "tts"]) await visible(page.getByTestId(`flow-step-${step}`))
  })

  it("activeStep=specialist lights the specialist step only", async () => {
    const page = await open(context(), "/student?v=b&activeStep=specialist")
    await visible(page.getByTestId("flow-step-specialist"))
    expect(await page.getByTestId("flow-step-specialist").getAttribute("data-active")).toBe("true")
    expect(await page.getByTestId("flow-step-guardrail").getAttribute("data-active")).toBeNull()
    expect(await page.getByTestId("flow-step-tts").getAttribute("data-active")).toBeNull()
  })

  it("version-a activeStep=stt lights the STT step", async () => {
    const page = await open(context(), "/student?v=a&activeStep=stt")
    await visible(page.getByTestId("flow-step-stt"))
    expect(await page.getByTestId("flow-step-stt").getAttribute("data-active")).toBe("true")
  })
})

describe("TeacherObserver", () => {
  it("signed out, the teacher page asks for a sign-in link and shows no session, inject input or escalation", async () => {
    const page = await open(context(), "/teacher?session=test-sess")
    await visible(page.getByTestId("teacher-sign-in-needed"))
    expect(await page.getByTestId("teacher-inject-input").count()).toBe(0)
    expect(await page.getByTestId("escalation-panel").count()).toBe(0)
  })

  it("the student page shows no escalation banner by default", async () => {
    const page = await open(context(), "/student?v=b")
    await visible(page.getByTestId("flow-visualizer"))
    expect(await page.getByTestId("escalation-banner").count()).toBe(0)
  })
})

describe("TradeoffPanel", () => {
  const cases = [
    ["/student?v=a&tradeoff=english", /english/i],
    ["/student?v=a&tradeoff=guardrail", /guardrail/i],
    ["/student?v=b&tradeoff=filler", /filler/i],
    ["/student?v=a&tradeoff=teacher", /teacher/i]
  ] as const
  for (const [path, text] of cases) {
    it(`${path} shows the panel`, async () => {
      const page = await open(context(), path)
      const panel = page.getByTestId("tradeoff-panel")
      await visible(panel)
      expect(await panel.textContent()).toMatch(text)
    })
  }

  it("dismiss hides the panel", async () => {
    const page = await open(context(), "/student?v=a&tradeoff=english")
    await visible(page.getByTestId("tradeoff-panel"))
    await page.getByTestId("tradeoff-dismiss").click()
    await absent(page.getByTestId("tradeoff-panel"))
  })
})
