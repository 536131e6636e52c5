import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { evaluateNumber, launchBrowser, MOBILE, newContext, open, screenshot } from "./browser.ts"

let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  browser = await launchBrowser()
  context = await newContext(browser, MOBILE)
})
afterAll(async () => {
  await browser.close()
})

const noHorizontalScroll = async (page: Page) => {
  const overflow = await evaluateNumber(page, "document.documentElement.scrollWidth - document.documentElement.clientWidth")
  expect(overflow).toBeLessThanOrEqual(0)
}

describe("Mobile layout smoke tests (375×812)", () => {
  it("landing shows the heading and both versions, without horizontal scroll", async () => {
    const page = await open(context, "/")
    await page.getByRole("heading", { name: "Voice AI Tutor" }).waitFor()
    await page.getByText("Version A — LiveKit").waitFor()
    await page.getByText("Version B — OpenAI Realtime Direct").waitFor()
    await noHorizontalScroll(page)
    // the comparison table scrolls inside its own box, never the page
    await page.getByText("Architecture Comparison").click()
    await page.getByText("LiveKit JWT → audio/video room").waitFor()
    await noHorizontalScroll(page)
    await screenshot(page, "mobile-landing")
  })

  it("version-a student page shows the flow visualizer", async () => {
    const page = await open(context, "/student?v=a")
    await page.getByTestId("flow-visualizer").waitFor()
    await noHorizontalScroll(page)
  })

  it("version-b student page shows the flow visualizer and the questions", async () => {
    const page = await open(context, "/student?v=b&tradeoff=filler")
    await page.getByTestId("flow-visualizer").waitFor()
    await page.getByText("Try asking...").waitFor()
    await noHorizontalScroll(page)
    await screenshot(page, "mobile-student-b")
  })

  it("teacher pages fit (signed out, and the sign-in page)", async () => {
    const page = await open(context, "/teacher")
    await page.getByTestId("teacher-sign-in-needed").waitFor()
    await noHorizontalScroll(page)
    const signIn = await open(context, "/teacher/sign-in#00000000-0000-4000-8000-000000000000.not-a-real-link")
    await signIn.getByTestId("teacher-sign-in-button").waitFor()
    await noHorizontalScroll(signIn)
    await screenshot(signIn, "mobile-teacher-sign-in")
  })
})
