import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchBrowser, newContext, toneAsPcm } from "./browser.ts"

/*
 * Version B with Realtime, without OpenAI: a second page plays OpenAI's side of the WebRTC call
 * (SDP answer, a tone as the voice, the `oai-events` channel), the SDP POST to api.openai.com is
 * routed to it, and `/session/token` answers as a configured server would. The rest — CSRF,
 * /orchestrate, the job's events, the student's transcript — is the real server on local providers.
 */

/** OpenAI's side of the call, in the helper page. */
const FAKE_OPENAI = `
window.fakeOpenAI = {
  events: [],
  async answer(offer) {
    const peer = new RTCPeerConnection()
    peer.addEventListener("datachannel", (event) => {
      this.channel = event.channel
      event.channel.addEventListener("message", (message) => {
        const received = JSON.parse(message.data)
        this.events.push(received)
        // a response is "speaking" for 50 ms, so the page may ask for the next one
        if (received.type === "response.create") {
          event.channel.send(JSON.stringify({ type: "response.created" }))
          setTimeout(() => event.channel.send(JSON.stringify({ type: "response.done" })), 50)
        }
      })
    })
    await peer.setRemoteDescription({ type: "offer", sdp: offer })
    const context = new AudioContext()
    const tone = context.createOscillator()
    const voice = context.createMediaStreamDestination()
    tone.connect(voice)
    tone.start()
    peer.addTrack(voice.stream.getAudioTracks()[0], voice.stream)
    await peer.setLocalDescription(await peer.createAnswer())
    await new Promise((resolve) => {
      if (peer.iceGatheringState === "complete") return resolve()
      peer.addEventListener("icegatheringstatechange", () => peer.iceGatheringState === "complete" && resolve())
    })
    this.peer = peer
    return peer.localDescription.sdp
  },
  send(event) {
    this.channel.send(JSON.stringify(event))
  }
}`

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

const eventsSeen = async (openai: Page): Promise<Array<Record<string, unknown>>> => {
  const raw: unknown = await openai.evaluate("JSON.stringify(fakeOpenAI.events)")
  const parsed: unknown = JSON.parse(String(raw))
  return Array.isArray(parsed) ? parsed.filter(isRecord) : []
}

const fillerRequests = (events: ReadonlyArray<Record<string, unknown>>) =>
  events.filter((event) =>
    event["type"] === "response.create" && isRecord(event["response"]) &&
    String(event["response"]["instructions"]).includes("short filler")
  )

let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  browser = await launchBrowser()
  context = await newContext(browser)
})
afterAll(async () => {
  await browser.close()
})

describe("Version B with Realtime (OpenAI played by a second page)", () => {
  it("tool call → backend answer; fillers only while waiting; the voice is muted under the answer; barge-in stops it", async () => {
    const openai = await context.newPage()
    await openai.goto("/health")
    await openai.addScriptTag({ content: FAKE_OPENAI })

    const page = await context.newPage()
    const sdpRequests: Array<{ url: string; authorization: string; contentType: string }> = []
    await page.route("**/session/token?*", (route) =>
      route.fulfill({
        json: { client_secret: { value: "ek_e2e", expires_at: 4_102_444_800 }, session_id: "ignored", model: "gpt-realtime-e2e", voice: "alloy" }
      }))
    await page.route("https://api.openai.com/v1/realtime/calls?*", async (route) => {
      const request = route.request()
      const headers = request.headers()
      sdpRequests.push({ url: request.url(), authorization: headers["authorization"] ?? "", contentType: headers["content-type"] ?? "" })
      const answer: unknown = await openai.evaluate(`fakeOpenAI.answer(${JSON.stringify(request.postData() ?? "")})`)
      await route.fulfill({ status: 201, contentType: "application/sdp", body: String(answer) })
    })
    // a slow backend: the 500 and 1500 ms fillers are due before the answer, the 3000 ms one is not
    await page.route("**/orchestrate", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_800))
      await route.continue()
    })
    await page.route("**/tts/stream", (route) => route.fulfill({ status: 200, contentType: "audio/pcm", body: toneAsPcm(2) }))

    await page.goto("/student?v=b")
    const session = page.getByTestId("b-session")
    await page.getByText("Start Session").click()
    await expect.poll(() => session.getAttribute("data-mode"), { timeout: 15_000 }).toBe("realtime")
    expect(sdpRequests).toEqual([{
      url: "https://api.openai.com/v1/realtime/calls?model=gpt-realtime-e2e",
      authorization: "Bearer ek_e2e",
      contentType: "application/sdp"
    }])
    expect(await session.getAttribute("data-voice")).toBe("live")

    await openai.evaluate(`fakeOpenAI.send({
      type: "response.output_item.done",
      item: { type: "function_call", name: "dispatch_to_orchestrator", call_id: "call_e2e", arguments: JSON.stringify({ student_text: "What is 25% of 80?" }) }
    })`)
    await expect.poll(async () => (await page.getByTestId("transcript").textContent()) ?? "", { timeout: 15_000 }).toMatch(/Math:.*\b20\b/s)
    await expect.poll(() => session.getAttribute("data-voice"), { timeout: 10_000 }).toBe("muted")

    const answered = (await eventsSeen(openai)).find((event) =>
      event["type"] === "conversation.item.create" && isRecord(event["item"]) && event["item"]["type"] === "function_call_output"
    )
    expect(answered?.["item"]).toMatchObject({ call_id: "call_e2e" })
    expect(JSON.stringify(answered)).toContain("20")

    // the student talks over the answer: it stops, the voice comes back, the panel explains
    await openai.evaluate(`fakeOpenAI.send({ type: "input_audio_buffer.speech_started" })`)
    await expect.poll(() => session.getAttribute("data-voice"), { timeout: 5_000 }).toBe("live")
    expect((await page.getByTestId("tradeoff-panel").textContent()) ?? "").toContain("Barge-In")

    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(fillerRequests(await eventsSeen(openai))).toHaveLength(2)
    // the voice is asked for nothing but the fixed fillers: no free-form check-in after the answer
    const asked = (await eventsSeen(openai)).filter((event) => event["type"] === "response.create" && isRecord(event["response"]))
    expect(asked).toHaveLength(2)

    // hanging up is not mistaken for a dropped call
    await page.getByText("Disconnect").click()
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await session.getAttribute("data-mode")).toBe("idle")
  })
})
