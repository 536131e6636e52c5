import { decodeJson, type Decoder } from "../lib/decode.ts"
import { ApiError, csrf, ensureOk, errorDetail, postProtected, readJson } from "./http.ts"
import {
  Escalated,
  GuardrailEvent,
  JobCreated,
  JobStatus,
  LiveKitToken,
  OpenedSession,
  RealtimeToken,
  SentenceEvent,
  ServerFeatures
} from "./messages.ts"

type Attribute = string | number | boolean

/** Browser telemetry (`POST /events`): fire-and-forget, a failure never reaches the UI. */
export const trackEvent = (sessionId: string, eventName: string, attributes: Record<string, Attribute>): void => {
  void fetch("/events", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: sessionId, event_name: eventName, attributes }),
    keepalive: true
  }).catch(() => undefined)
}

/**
 * Opens the page's session: the server sets its credential as an HttpOnly cookie (sent with every
 * same-origin request, event streams included) and gives the first CSRF token of the session.
 */
export const openSession = async (): Promise<string> => {
  const opened = await readJson(await fetch("/session", { method: "POST" }), OpenedSession)
  csrf.start(opened.session_id, opened.csrf_token, opened.csrf_ttl)
  return opened.session_id
}

/** What `POST /session/token` gave: an ephemeral Realtime key, or the server has no Realtime (503). */
export type RealtimeAccess =
  | { readonly kind: "ready"; readonly secret: string; readonly model: string }
  | { readonly kind: "unavailable"; readonly detail: string }

export const mintRealtime = async (sessionId: string): Promise<RealtimeAccess> => {
  const response = await postProtected(`/session/token?session_id=${encodeURIComponent(sessionId)}`)
  if (response.status === 503) {
    return { kind: "unavailable", detail: await errorDetail(response) }
  }
  const token = await readJson(response, RealtimeToken)
  return { kind: "ready", secret: token.client_secret.value, model: token.model }
}

export const orchestrate = async (sessionId: string, studentText: string): Promise<string> => {
  const created = await readJson(await postProtected("/orchestrate", { session_id: sessionId, student_text: studentText }), JobCreated)
  return created.job_id
}

export const waitForJob = async (jobId: string): Promise<JobStatus> =>
  readJson(await postProtected(`/orchestrate/${encodeURIComponent(jobId)}/wait`), JobStatus)

/** The answer's speech as a byte stream (PCM16 LE mono 24 kHz), read while the server produces it. */
export const ttsStream = async (jobId: string, sessionId: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> => {
  const response = await ensureOk(await postProtected("/tts/stream", { job_id: jobId, session_id: sessionId }, signal))
  if (!response.body) throw new ApiError(response.status, "the audio response has no body")
  return response.body
}

export const escalate = async (sessionId: string, reason: string) =>
  readJson(await postProtected("/escalate", { session_id: sessionId, reason }), Escalated)

/** `GET /config`, read once per page load: it mints nothing, so asking it on load costs no token. */
let features: Promise<ServerFeatures> | null = null
export const serverFeatures = (): Promise<ServerFeatures> => {
  features ??= fetch("/config").then((response) => readJson(response, ServerFeatures))
  return features
}

/** A student token for Version A's LiveKit room, or null when this server has no LiveKit (503/404). */
export const livekitToken = async (sessionId: string) => {
  const response = await fetch(`/livekit/token?session_id=${encodeURIComponent(sessionId)}`, { headers: { "X-CSRF-Token": await csrf.get() } })
  if (response.status === 503 || response.status === 404) {
    return { kind: "unavailable" as const, detail: await errorDetail(response) }
  }
  return { kind: "ready" as const, ...(await readJson(response, LiveKitToken)) }
}

export interface JobHandlers {
  readonly onStatus: (status: JobStatus) => void
  readonly onSentence: (text: string) => void
  readonly onGuardrail: () => void
}

const parseEvent = <T>(decoder: Decoder<T>, event: Event): T | null => {
  if (!(event instanceof MessageEvent) || typeof event.data !== "string") return null
  const result = decodeJson(decoder, event.data)
  if (result.ok) return result.value
  console.warn(`unexpected ${event.type} event`, result.error)
  return null
}

/**
 * Follows a job over `GET /orchestrate/{id}/events` until it is finished (`done`, or `error`);
 * `guardrail` events say a sentence was rewritten or withheld.
 * The final state of a failed job, or of one whose event stream broke, comes from
 * `POST /orchestrate/{id}/wait`, so a dropped connection costs the live sentences, never the answer.
 */
export const followJob = (jobId: string, handlers: JobHandlers, signal: AbortSignal): Promise<JobStatus> =>
  new Promise((resolve, reject) => {
    const source = new EventSource(`/orchestrate/${encodeURIComponent(jobId)}/events`)
    const settle = (outcome: Promise<JobStatus>) => {
      source.close()
      signal.removeEventListener("abort", aborted)
      outcome.then(resolve, reject)
    }
    const aborted = () => settle(Promise.reject(new DOMException("aborted", "AbortError")))
    signal.addEventListener("abort", aborted, { once: true })
    source.addEventListener("status", (event) => {
      const status = parseEvent(JobStatus, event)
      if (status) handlers.onStatus(status)
    })
    source.addEventListener("sentence", (event) => {
      const sentence = parseEvent(SentenceEvent, event)
      if (sentence) handlers.onSentence(sentence.text)
    })
    source.addEventListener("guardrail", (event) => {
      if (parseEvent(GuardrailEvent, event)) handlers.onGuardrail()
    })
    source.addEventListener("done", (event) => {
      const status = parseEvent(JobStatus, event)
      settle(status ? Promise.resolve(status) : waitForJob(jobId))
    })
    // the job's own `error` event and a broken connection end the same way: its final state, from /wait
    source.addEventListener("error", () => settle(waitForJob(jobId)))
  })
