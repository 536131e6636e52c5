import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { mkdirSync } from "node:fs"
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest"

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string
    /** one-time sign-in paths (`/teacher/sign-in#…`), each good for one sign-in */
    teacherLinks: { ada: string; bob: string; lead: string; adaPhone: string; demo: string }
  }
}

/** The system Chromium; nothing here may download a browser. */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })

export const baseUrl = (): string => inject("baseUrl")

export const teacherLinks = () => inject("teacherLinks")

export const DESKTOP = { width: 1280, height: 900 } as const
export const MOBILE = { width: 375, height: 812 } as const

export const newContext = (browser: Browser, viewport: { width: number; height: number } = DESKTOP): Promise<BrowserContext> =>
  browser.newContext({
    baseURL: baseUrl(),
    viewport,
    ...(viewport.width < 500 ? { isMobile: true, hasTouch: true } : {})
  })

/**
 * One browser for the test file and a fresh context (cookies, storage) for every test; the
 * returned function gives the running test's context.
 */
export const freshContextPerTest = (viewport?: { width: number; height: number }): (() => BrowserContext) => {
  let browser: Browser | undefined
  let context: BrowserContext | undefined
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    if (browser !== undefined) context = await newContext(browser, viewport)
  })
  afterEach(async () => {
    await context?.close()
  })
  return () => {
    if (context === undefined) throw new Error("the browser context exists only inside a test")
    return context
  }
}

export const open = async (context: BrowserContext, path: string): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(path)
  return page
}

export const SCREENSHOTS = "test-results/screenshots"

export const screenshot = async (page: Page, name: string): Promise<void> => {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true })
}

/** A value the page computed, checked here instead of trusted by a cast. */
export const evaluateNumber = async (page: Page, expression: string): Promise<number> => {
  const value: unknown = await page.evaluate(expression)
  if (typeof value !== "number") throw new Error(`${expression} gave ${String(value)}, not a number`)
  return value
}

/** `seconds` of a 440 Hz tone as the server speaks: PCM16 LE mono 24 kHz. */
export const toneAsPcm = (seconds: number): Buffer => {
  const samples = Math.round(seconds * 24_000)
  const pcm = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8_000 * Math.sin((2 * Math.PI * 440 * i) / 24_000)), i * 2)
  return pcm
}
