/** Version B as a web client uses it: dispatch, follow the job, stream its speech, close. */
import { Effect, Schema } from "effect"
import { ClientError, exchange, type Next, send } from "./http.ts"
import type { BenchServer } from "./server.ts"

/** A distinct fake client address per simulated client (`X-Forwarded-For`), 10.0.0.0/8. */
export const makeAddresses = () => {
  let next = 0
  return () => {
    const n = ++next
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
  }
}

export interface Caller {
  /** where the server listens and how to get a session's credentials for it */
  readonly server: Pick<BenchServer, "origin" | "credentials">
  readonly address: string
}

const headers = (caller: Caller, sessionId: string) =>
  Effect.map(caller.server.credentials(sessionId), (pass) => ({
    authorization: `Bearer ${pass.bearer}`,
    "x-csrf-token": pass.csrf,
    "x-forwarded-for": caller.address
  }))

const JobId = Schema.Struct({ job_id: Schema.String })
const StatusEvent = Schema.Struct({ status: Schema.Literals(["pending", "processing", "complete", "error"]) })

const decodeJson = <A>(schema: Schema.Decoder<A>, text: string, what: string) =>
  Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
    Effect.mapError((error) => new ClientError({ message: `${what}: ${error.message}` }))
  )

const expectOk = (what: string, status: number, body = "") =>
  status === 200 ? Effect.void : Effect.fail(new ClientError({ message: `${what}: HTTP ${status} ${body.slice(0, 120)}` }))

/** `POST /orchestrate`; the times are the client's, from request start to the end of the answer. */
export const dispatch = (caller: Caller, sessionId: string, studentText: string) =>
  Effect.gen(function*() {
    const reply = yield* send(caller.server.origin, {
      method: "POST",
      path: "/orchestrate",
      headers: yield* headers(caller, sessionId),
      body: { session_id: sessionId, student_text: studentText }
    })
    yield* expectOk("POST /orchestrate", reply.status, reply.body)
    const { job_id } = yield* decodeJson(JobId, reply.body, "POST /orchestrate")
    return { jobId: job_id, startedAt: reply.startedAt, endedAt: reply.endedAt }
  })

/** Follows the job's SSE stream until it leaves `pending` (speech may start then); fails on `error`. */
export const awaitSpeakable = (caller: Caller, sessionId: string, jobId: string) =>
  Effect.gen(function*() {
    let buffered = ""
    let outcome: "speakable" | "error" | undefined
    const consume = (chunk: Buffer): Next => {
      buffered += chunk.toString("utf8")
      const blocks = buffered.split("\n\n")
      buffered = blocks.pop() ?? ""
      for (const block of blocks) {
        const lines = block.split("\n")
        const event = lines.find((line) => line.startsWith("event: "))?.slice(7)
        const data = lines.find((line) => line.startsWith("data: "))?.slice(6)
        if (event === "error") outcome = "error"
        if (event === "status" && data !== undefined) {
          const status = Schema.decodeUnknownOption(Schema.fromJsonString(StatusEvent))(data)
          if (status._tag === "Some" && status.value.status !== "pending") outcome = status.value.status === "error" ? "error" : "speakable"
        }
      }
      return outcome === undefined ? "more" : "stop"
    }
    const reply = yield* exchange(caller.server.origin, {
      method: "GET",
      path: `/orchestrate/${jobId}/events`,
      headers: yield* headers(caller, sessionId)
    }, consume)
    yield* expectOk("GET /orchestrate/{id}/events", reply.status)
    if (outcome !== "speakable") return yield* new ClientError({ message: `job ${jobId} ended in error` })
  })

/** `POST /tts/stream`; `onAudio` sees every chunk with its arrival time and may hang up early. */
export const streamSpeech = (caller: Caller, sessionId: string, jobId: string, onAudio: (chunk: Buffer, at: number) => Next) =>
  Effect.gen(function*() {
    const reply = yield* exchange(caller.server.origin, {
      method: "POST",
      path: "/tts/stream",
      headers: yield* headers(caller, sessionId),
      body: { job_id: jobId }
    }, onAudio)
    yield* expectOk("POST /tts/stream", reply.status)
    return reply
  })

export const closeSession = (caller: Caller, sessionId: string) =>
  Effect.gen(function*() {
    const reply = yield* send(caller.server.origin, {
      method: "POST",
      path: `/session/${encodeURIComponent(sessionId)}/close`,
      headers: yield* headers(caller, sessionId)
    })
    yield* expectOk("POST /session/{id}/close", reply.status, reply.body)
  })

export interface ServerTurn {
  readonly jobId: string
  /** monotonic ms */
  readonly startedAt: number
  readonly firstAudioAt: number | null
  readonly endedAt: number
  readonly audioBytes: number
}

/**
 * One spoken turn through the server as the web app runs it: dispatch, wait on the job's events
 * until it is processing, then stream the speech, which follows the sentences as they are released
 * (to its end, unless `onAudio` hangs up).
 */
export const serverTurn = (
  caller: Caller,
  sessionId: string,
  studentText: string,
  onAudio: (chunk: Buffer, at: number) => Next = () => "more"
) =>
  Effect.gen(function*() {
    const dispatched = yield* dispatch(caller, sessionId, studentText)
    yield* awaitSpeakable(caller, sessionId, dispatched.jobId)
    let firstAudioAt: number | null = null
    let audioBytes = 0
    const speech = yield* streamSpeech(caller, sessionId, dispatched.jobId, (chunk, at) => {
      firstAudioAt ??= at
      audioBytes += chunk.length
      return onAudio(chunk, at)
    })
    const turn: ServerTurn = {
      jobId: dispatched.jobId,
      startedAt: dispatched.startedAt,
      firstAudioAt,
      endedAt: speech.endedAt,
      audioBytes
    }
    return turn
  })
