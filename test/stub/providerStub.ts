/**
 * A loopback HTTP server that speaks the OpenAI and Anthropic wire formats, so the live layers can
 * be driven through the real SDKs with no network. Tests, the benchmark and the CLI test configure
 * each route at run time: latency before the first byte, chunking, scripted content and faults.
 *
 * Point the SDKs at it with `stub.env` (OPENAI_BASE_URL ends in `/v1`, ANTHROPIC_BASE_URL does not,
 * exactly like the real services).
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export type RouteName = "moderations" | "chat" | "speech" | "realtimeClientSecret" | "anthropicMessages"

const ROUTES: ReadonlyArray<readonly [path: string, route: RouteName]> = [
  ["/v1/moderations", "moderations"],
  ["/v1/chat/completions", "chat"],
  ["/v1/audio/speech", "speech"],
  ["/v1/realtime/client_secrets", "realtimeClientSecret"],
  ["/v1/messages", "anthropicMessages"]
]

/**
 * What goes wrong with a response. Chunk counts refer to content chunks (text deltas, PCM
 * slices); protocol preambles such as Anthropic's `message_start` are always sent first.
 */
export type Fault =
  /** an HTTP error with the provider's error body; `retryAfterMs` becomes the `retry-after-ms` header */
  | { readonly kind: "status"; readonly status: number; readonly retryAfterMs?: number }
  /** accept the request and never answer */
  | { readonly kind: "hang" }
  /** 200 with a body that is not JSON (or an SSE event that is not JSON, after one good chunk) */
  | { readonly kind: "invalidJson" }
  /** 200 with valid JSON of the wrong shape (for audio: a JSON document instead of PCM) */
  | { readonly kind: "unexpectedShape" }
  /** send `afterChunks` chunks, then destroy the socket */
  | { readonly kind: "cut"; readonly afterChunks: number }
  /** send `afterChunks` chunks, then go silent with the connection open */
  | { readonly kind: "stall"; readonly afterChunks: number }

export const Faults = {
  status: (status: number, retryAfterMs = 1): Fault => ({ kind: "status", status, retryAfterMs }),
  serverError: (retryAfterMs = 1): Fault => ({ kind: "status", status: 500, retryAfterMs }),
  rateLimited: (retryAfterMs = 1): Fault => ({ kind: "status", status: 429, retryAfterMs }),
  hang: { kind: "hang" },
  invalidJson: { kind: "invalidJson" },
  unexpectedShape: { kind: "unexpectedShape" },
  cut: (afterChunks = 1): Fault => ({ kind: "cut", afterChunks }),
  stall: (afterChunks = 1): Fault => ({ kind: "stall", afterChunks })
} as const satisfies Record<string, Fault | ((...args: ReadonlyArray<number>) => Fault)>

/** What a scripted response function is given: the prompt the stub extracted and the raw body. */
export interface ScriptedRequest {
  /** last user message (chat, messages), `input` (moderations, speech), instructions (realtime) */
  readonly prompt: string
  readonly body: unknown
  /** 0-based number of this call on its route */
  readonly index: number
}

interface CommonRouteSettings {
  /** delay before the status line, i.e. before the first byte (default 0) */
  readonly latencyMs: number
  /** delay between two streamed chunks (default 0) */
  readonly chunkDelayMs: number
  /** fault applied to every call (default none) */
  readonly fault: Fault | undefined
  /** the next `count` calls fail with `fault`; later calls follow the rest of the settings */
  readonly failFirst: { readonly count: number; readonly fault: Fault } | undefined
}

export interface TextRouteSettings extends CommonRouteSettings {
  /** default: a two-sentence answer quoting the prompt */
  readonly reply: (request: ScriptedRequest) => string
  /** characters per streamed text delta (default 8) */
  readonly chunkChars: number
}

export interface SpeechRouteSettings extends CommonRouteSettings {
  /** default: {@link stubPcm} of the input */
  readonly audio: (request: ScriptedRequest) => Uint8Array
  /** bytes per streamed PCM chunk (default 4096, as the reference relayed) */
  readonly chunkBytes: number
}

export interface ModerationVerdict {
  /** OpenAI category names, e.g. `violence`, `self-harm/intent` */
  readonly flagged: ReadonlyArray<string>
  /** scores to report; flagged categories default to 0.9, the others to 0.0001 */
  readonly scores?: Readonly<Record<string, number>>
}

export interface ModerationRouteSettings extends CommonRouteSettings {
  /** default: nothing is flagged */
  readonly moderate: (input: string) => ModerationVerdict
}

export interface RealtimeRouteSettings extends CommonRouteSettings {
  /** default: `ek_stub_<index>`, valid for 10 minutes */
  readonly secret: (request: ScriptedRequest) => { readonly value: string; readonly expiresAt: number }
}

export interface RouteSettings {
  readonly moderations: ModerationRouteSettings
  readonly chat: TextRouteSettings
  readonly speech: SpeechRouteSettings
  readonly realtimeClientSecret: RealtimeRouteSettings
  readonly anthropicMessages: TextRouteSettings
}

/** How the stub's side of an exchange ended. */
export type RequestOutcome = "completed" | "client_closed" | "cut"

export interface RecordedRequest {
  readonly route: RouteName
  readonly index: number
  readonly method: string
  readonly path: string
  /** lower-case header names; repeated headers joined with ", " */
  readonly headers: Readonly<Record<string, string>>
  /** parsed JSON body (the raw text when it is not JSON) */
  readonly body: unknown
  /** resolves when the exchange ends; `client_closed` means the client hung up first */
  readonly settled: Promise<RequestOutcome>
}

export interface ProviderStubApi {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string
  /** configuration for the live layers: stub keys and both base URLs */
  readonly env: {
    readonly OPENAI_API_KEY: string
    readonly ANTHROPIC_API_KEY: string
    readonly OPENAI_BASE_URL: string
    readonly ANTHROPIC_BASE_URL: string
  }
  /** merges `settings` into the route's; a `failFirst` starts counting afresh; `fault: undefined` clears the fault */
  readonly configure: <R extends RouteName>(route: R, settings: Partial<RouteSettings[R]>) => void
  /** restores every route's defaults and forgets recorded requests (and who waited for them) */
  readonly reset: () => void
  readonly requests: (route: RouteName) => ReadonlyArray<RecordedRequest>
  /** resolves once the route has received its `index`-th request (0-based) */
  readonly received: (route: RouteName, index?: number) => Promise<RecordedRequest>
  readonly close: () => Promise<void>
}

export interface ProviderStubOptions {
  /** 0 (default) picks a free port */
  readonly port?: number
  readonly host?: string
}

export const STUB_KEYS = { openai: "sk-stub-openai", anthropic: "sk-ant-stub" } as const

const MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic"
] as const

/**
 * Deterministic PCM for `text`: 10 ms of a quiet 16-bit LE sawtooth per character, so tests can
 * compare bytes exactly and the benchmark gets audio proportional to the sentence.
 */
export const stubPcm = (text: string): Uint8Array => {
  const samples = Math.max(1, text.length) * 240
  const view = new DataView(new ArrayBuffer(samples * 2))
  for (let i = 0; i < samples; i++) view.setInt16(i * 2, ((i % 100) - 50) * 40, true)
  return new Uint8Array(view.buffer)
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

const defaultReply = ({ prompt }: ScriptedRequest): string =>
  `Here is the stub's answer to "${prompt.slice(0, 60)}". It has two sentences.`

const common: CommonRouteSettings = { latencyMs: 0, chunkDelayMs: 0, fault: undefined, failFirst: undefined }

const defaultSettings = (): RouteSettings => ({
  moderations: { ...common, moderate: () => ({ flagged: [] }) },
  chat: { ...common, reply: defaultReply, chunkChars: 8 },
  speech: { ...common, audio: ({ prompt }) => stubPcm(prompt), chunkBytes: 4096 },
  realtimeClientSecret: {
    ...common,
    secret: ({ index }) => ({ value: `ek_stub_${index}`, expiresAt: nowSeconds() + 600 })
  },
  anthropicMessages: { ...common, reply: defaultReply, chunkChars: 8 }
})

// ---------------------------------------------------------------------------------------------
// small helpers over untyped JSON

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const field = (u: unknown, key: string): unknown => (isRecord(u) ? u[key] : undefined)

const stringField = (u: unknown, key: string): string | undefined => {
  const value = field(u, key)
  return typeof value === "string" ? value : undefined
}

/** text of a message's `content`: a string, or the text parts of an array */
const contentText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content.map((part) => stringField(part, "text") ?? "").join("")
    : ""

const lastUserText = (messages: unknown): string => {
  if (!Array.isArray(messages)) return ""
  const users = messages.filter((m) => field(m, "role") === "user")
  return contentText(field(users.at(-1), "content"))
}

const promptOf = (route: RouteName, body: unknown): string => {
  switch (route) {
    case "chat":
    case "anthropicMessages":
      return lastUserText(field(body, "messages"))
    case "moderations":
    case "speech": {
      const input = field(body, "input")
      return typeof input === "string" ? input : Array.isArray(input) ? input.map(String).join("\n") : ""
    }
    case "realtimeClientSecret":
      return stringField(field(body, "session"), "instructions") ?? ""
  }
}

const chunkText = (text: string, size: number): Array<string> => {
  const chunks: Array<string> = []
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
  return chunks
}

const chunkBytes = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const chunks: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return chunks
}

const sse = (data: unknown, event?: string): string =>
  `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`

// ---------------------------------------------------------------------------------------------
// response bodies per wire format

/** A streamed body: protocol preamble, the content chunks a fault may cut, protocol epilogue. */
interface Frames {
  readonly contentType: string
  readonly preamble: ReadonlyArray<string>
  readonly content: ReadonlyArray<string | Uint8Array>
  readonly epilogue: ReadonlyArray<string>
  /** an event that parses as JSON but has the wrong shape, in this format */
  readonly unexpected: string
  /** an event whose data is not JSON, in this format */
  readonly garbage: string
}

const openAiChatFrames = (id: string, model: string, deltas: ReadonlyArray<string>): Frames => {
  const chunk = (delta: Record<string, string>, finishReason: string | null) =>
    sse({
      id,
      object: "chat.completion.chunk",
      created: nowSeconds(),
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }]
    })
  return {
    contentType: "text/event-stream",
    preamble: [chunk({ role: "assistant", content: "" }, null)],
    content: deltas.map((content) => chunk({ content }, null)),
    epilogue: [
      chunk({}, "stop"),
      // what the API sends last when the request asks for stream_options.include_usage
      sse({
        id,
        object: "chat.completion.chunk",
        created: nowSeconds(),
        model,
        choices: [],
        usage: { prompt_tokens: 12, completion_tokens: deltas.length, total_tokens: 12 + deltas.length }
      }),
      "data: [DONE]\n\n"
    ],
    unexpected: sse({ unexpected: true }),
    garbage: "data: {\"choices\": [oops\n\n"
  }
}

const anthropicFrames = (id: string, model: string, deltas: ReadonlyArray<string>): Frames => ({
  contentType: "text/event-stream",
  preamble: [
    sse({
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 1 }
      }
    }, "message_start"),
    sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start"),
    sse({ type: "ping" }, "ping")
  ],
  content: deltas.map((text) =>
    sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }, "content_block_delta")
  ),
  epilogue: [
    sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
    sse({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: deltas.length }
    }, "message_delta"),
    sse({ type: "message_stop" }, "message_stop")
  ],
  unexpected: sse({ unexpected: true }, "content_block_delta"),
  garbage: "event: content_block_delta\ndata: {\"type\": oops\n\n"
})

/** Any bytes are valid PCM, so the JSON faults never reach audio framing: the speech route answers them with a JSON document. */
const speechFrames = (audio: Uint8Array, size: number): Frames => ({
  contentType: "audio/pcm",
  preamble: [],
  content: chunkBytes(audio, size),
  epilogue: [],
  unexpected: "",
  garbage: ""
})

const moderationBody = (id: string, model: string, inputs: ReadonlyArray<string>, moderate: (input: string) => ModerationVerdict) => ({
  id,
  model,
  results: inputs.map((input) => {
    const verdict = moderate(input)
    const categories: Record<string, boolean> = {}
    const scores: Record<string, number> = {}
    const appliedTypes: Record<string, Array<string>> = {}
    for (const name of MODERATION_CATEGORIES) {
      const flagged = verdict.flagged.includes(name)
      categories[name] = flagged
      scores[name] = verdict.scores?.[name] ?? (flagged ? 0.9 : 0.0001)
      appliedTypes[name] = ["text"]
    }
    return {
      flagged: verdict.flagged.length > 0,
      categories,
      category_scores: scores,
      category_applied_input_types: appliedTypes
    }
  })
})

const errorBody = (route: RouteName, status: number) => {
  const message = `stub fault: HTTP ${status}`
  if (route === "anthropicMessages") {
    const type = status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error"
    return { type: "error", error: { type, message } }
  }
  const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error"
  return { error: { message, type, param: null, code: null } }
}

// ---------------------------------------------------------------------------------------------
// the server

const readBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const parts: Array<Buffer> = []
    req.on("data", (part: Buffer) => parts.push(part))
    req.on("error", reject)
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8")
      try {
        const parsed: unknown = JSON.parse(text)
        resolve(parsed)
      } catch {
        resolve(text)
      }
    })
  })

const flattenHeaders = (req: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return headers
}

/**
 * Resolves `true` at `deadline` (a `performance.now()` time), or `false` as soon as the client
 * hangs up. Deadlines rather than delays, so the stub's own work (reading the body, writing the
 * previous chunk) is part of the latency it was set to, not added to it; the timer is asked for
 * the whole milliseconds left because Node's timers fire about half a millisecond late.
 */
const pauseUntil = (deadline: number, res: ServerResponse): Promise<boolean> =>
  new Promise((resolve) => {
    if (res.destroyed) return resolve(false)
    const wait = Math.floor(deadline - performance.now())
    if (wait <= 0) return resolve(true)
    const onClose = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      res.off("close", onClose)
      resolve(true)
    }, wait)
    res.once("close", onClose)
  })

/** Writes one chunk and waits until it is handed to the socket (or the socket is gone). */
const write = (res: ServerResponse, chunk: string | Uint8Array): Promise<boolean> =>
  new Promise((resolve) => {
    if (res.destroyed) return resolve(false)
    const onClose = () => resolve(false)
    res.once("close", onClose)
    res.write(chunk, (error) => {
      res.off("close", onClose)
      resolve(error === undefined || error === null)
    })
  })

/** Writes the chunks `delayMs` apart, the first one now. */
const writeAll = async (res: ServerResponse, chunks: ReadonlyArray<string | Uint8Array>, delayMs: number): Promise<boolean> => {
  const start = performance.now()
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0 && delayMs > 0 && !(await pauseUntil(start + i * delayMs, res))) return false
    if (!(await write(res, chunk))) return false
  }
  return true
}

export const startProviderStub = (options: ProviderStubOptions = {}): Promise<ProviderStubApi> => {
  let settings = defaultSettings()
  const failFirstLeft = new Map<RouteName, number>()
  const recorded = new Map<RouteName, Array<RecordedRequest>>()
  const waiters = new Map<RouteName, Array<{ readonly index: number; readonly resolve: (r: RecordedRequest) => void }>>()

  const record = (request: RecordedRequest) => {
    const list = recorded.get(request.route) ?? []
    list.push(request)
    recorded.set(request.route, list)
    const pending = waiters.get(request.route) ?? []
    waiters.set(request.route, pending.filter((w) => w.index !== request.index))
    for (const w of pending) if (w.index === request.index) w.resolve(request)
  }

  const faultFor = (route: RouteName): Fault | undefined => {
    const { failFirst, fault } = settings[route]
    const left = failFirstLeft.get(route) ?? 0
    if (failFirst !== undefined && left > 0) {
      failFirstLeft.set(route, left - 1)
      return failFirst.fault
    }
    return fault
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  /** The socket is destroyed on purpose: remember that before the close event reports it. */
  const cut = (res: ServerResponse, markCut: () => void) => {
    markCut()
    res.socket?.destroy()
  }

  const respondFrames = async (res: ServerResponse, frames: Frames, fault: Fault | undefined, delayMs: number, markCut: () => void) => {
    res.writeHead(200, { "content-type": frames.contentType, "cache-control": "no-cache" })
    res.flushHeaders()
    switch (fault?.kind) {
      case "cut":
      case "stall": {
        const sent = await writeAll(res, [...frames.preamble, ...frames.content.slice(0, fault.afterChunks)], delayMs)
        if (sent && fault.kind === "cut") cut(res, markCut)
        return
      }
      case "invalidJson": {
        if (await writeAll(res, [...frames.preamble, ...frames.content.slice(0, 1), frames.garbage], delayMs)) res.end()
        return
      }
      case "unexpectedShape": {
        if (await writeAll(res, [...frames.preamble, frames.unexpected], delayMs)) res.end()
        return
      }
      default: {
        if (await writeAll(res, [...frames.preamble, ...frames.content, ...frames.epilogue], delayMs)) res.end()
      }
    }
  }

  /** Non-streamed JSON answers, with the faults that make sense for a single document. */
  const respondDocument = async (res: ServerResponse, body: unknown, fault: Fault | undefined, markCut: () => void) => {
    switch (fault?.kind) {
      case "invalidJson":
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{\"id\": \"broken\", ")
        return
      case "unexpectedShape":
        return sendJson(res, 200, { unexpected: true })
      case "cut":
      case "stall": {
        const text = JSON.stringify(body)
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        const sent = await write(res, text.slice(0, Math.floor(text.length / 2)))
        if (sent && fault.kind === "cut") cut(res, markCut)
        return
      }
      default:
        return sendJson(res, 200, body)
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const arrived = performance.now()
    const path = (req.url ?? "/").split("?")[0] ?? "/"
    const route = ROUTES.find(([p]) => p === path)?.[1]
    const body = await readBody(req)
    if (route === undefined || req.method !== "POST") {
      return sendJson(res, 404, { error: { message: `stub: no route ${req.method} ${path}`, type: "not_found" } })
    }

    let settle: (outcome: RequestOutcome) => void = () => undefined
    const settled = new Promise<RequestOutcome>((resolve) => {
      settle = resolve
    })
    let wasCut = false
    res.once("close", () => settle(wasCut ? "cut" : res.writableFinished ? "completed" : "client_closed"))
    const markCut = () => {
      wasCut = true
    }

    const index = recorded.get(route)?.length ?? 0
    record({ route, index, method: req.method, path, headers: flattenHeaders(req), body, settled })

    const { chunkDelayMs: delayMs, latencyMs } = settings[route]
    const fault = faultFor(route)
    if (!(await pauseUntil(arrived + latencyMs, res))) return
    if (fault?.kind === "hang") return
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfterMs === undefined
        ? {}
        : { "retry-after-ms": String(fault.retryAfterMs) }
      return sendJson(res, fault.status, errorBody(route, fault.status), headers)
    }

    const scripted: ScriptedRequest = { prompt: promptOf(route, body), body, index }
    const model = stringField(body, "model") ?? "stub-model"
    const streamed = field(body, "stream") === true
    switch (route) {
      case "chat": {
        const { chunkChars, reply } = settings.chat
        const text = reply(scripted)
        const id = `chatcmpl-stub-${index}`
        if (streamed) return respondFrames(res, openAiChatFrames(id, model, chunkText(text, chunkChars)), fault, delayMs, markCut)
        return respondDocument(res, {
          id,
          object: "chat.completion",
          created: nowSeconds(),
          model,
          choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop", logprobs: null }],
          usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }
        }, fault, markCut)
      }
      case "anthropicMessages": {
        const { chunkChars, reply } = settings.anthropicMessages
        const text = reply(scripted)
        const id = `msg_stub_${index}`
        if (streamed) return respondFrames(res, anthropicFrames(id, model, chunkText(text, chunkChars)), fault, delayMs, markCut)
        return respondDocument(res, {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [{ type: "text", text }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 4 }
        }, fault, markCut)
      }
      case "moderations": {
        const input = field(body, "input")
        const inputs = Array.isArray(input) ? input.map(String) : [scripted.prompt]
        return respondDocument(res, moderationBody(`modr-stub-${index}`, model, inputs, settings.moderations.moderate), fault, markCut)
      }
      case "speech": {
        const { audio, chunkBytes: size } = settings.speech
        if (fault?.kind === "invalidJson" || fault?.kind === "unexpectedShape") {
          return sendJson(res, 200, { unexpected: true })
        }
        return respondFrames(res, speechFrames(audio(scripted), size), fault, delayMs, markCut)
      }
      case "realtimeClientSecret": {
        const { expiresAt, value } = settings.realtimeClientSecret.secret(scripted)
        const session = field(body, "session")
        return respondDocument(res, {
          value,
          expires_at: expiresAt,
          session: { ...(isRecord(session) ? session : {}), id: `sess_stub_${index}`, object: "realtime.session" }
        }, fault, markCut)
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })

  // idempotent, so a test may close the stub early and still let its scope release it
  let closed: Promise<void> | undefined
  const close = (): Promise<void> =>
    closed ??= new Promise((resolve, reject) => {
      server.close((error) => (error === undefined ? resolve() : reject(error)))
      // hung and stalled exchanges would otherwise keep the server open forever
      server.closeAllConnections()
    })

  const api = (address: AddressInfo): ProviderStubApi => {
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`
    return {
      url,
      env: {
        OPENAI_API_KEY: STUB_KEYS.openai,
        ANTHROPIC_API_KEY: STUB_KEYS.anthropic,
        OPENAI_BASE_URL: `${url}/v1`,
        ANTHROPIC_BASE_URL: url
      },
      configure: (route, update) => {
        settings = { ...settings, [route]: { ...settings[route], ...update } }
        if (update.failFirst !== undefined) failFirstLeft.set(route, update.failFirst.count)
      },
      reset: () => {
        settings = defaultSettings()
        failFirstLeft.clear()
        recorded.clear()
        waiters.clear()
      },
      requests: (route) => [...(recorded.get(route) ?? [])],
      received: (route, index = 0) => {
        const existing = recorded.get(route)?.[index]
        if (existing !== undefined) return Promise.resolve(existing)
        return new Promise((resolve) => {
          waiters.set(route, [...(waiters.get(route) ?? []), { index, resolve }])
        })
      },
      close
    }
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      const address = server.address()
      if (address === null || typeof address === "string") {
        reject(new Error("provider stub: not listening on a TCP port"))
      } else {
        resolve(api(address))
      }
    })
  })
}

/** The stub as an Effect resource: started on acquire, closed when the scope (or layer) ends. */
export class ProviderStub extends Context.Service<ProviderStub, ProviderStubApi>()("test/ProviderStub") {
  static readonly acquire = (options: ProviderStubOptions = {}): Effect.Effect<ProviderStubApi, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.promise(() => startProviderStub(options)),
      (stub) => Effect.promise(() => stub.close())
    )

  static readonly layer: Layer.Layer<ProviderStub> = Layer.effect(ProviderStub, ProviderStub.acquire())
}
