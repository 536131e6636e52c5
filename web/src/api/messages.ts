import { boolean, literal, nullable, number, object, optional, string, type Decoded } from "../lib/decode.ts"

/** Job status as `GET /orchestrate/{id}`, `/wait` and the `status` SSE event carry it (reference §2.4). */
export const JobStatus = object({
  job_id: string,
  status: literal("pending", "processing", "complete", "error"),
  subject: nullable(string),
  safe_text: nullable(string),
  tts_ready: boolean,
  error_message: nullable(string)
})
export type JobStatus = Decoded<typeof JobStatus>

export const JobCreated = object({ job_id: string })
export const SentenceEvent = object({ index: number, text: string })
/** A sentence the guardrail did not pass unchanged (the pipeline's `guardrail` event). */
export const GuardrailEvent = object({ index: number, action: literal("rewritten", "apology", "withheld") })

export const RealtimeToken = object({
  client_secret: object({ value: string }),
  session_id: string,
  model: string
})

export const Escalated = object({ teacher_ws_url: string, session_id: string })

export const LiveKitToken = object({ token: string, url: string })

/** `GET /config`: what this server can do, so the pages can say so before any click. */
export const ServerFeatures = object({ realtime: boolean, livekit: boolean })
export type ServerFeatures = Decoded<typeof ServerFeatures>

export const TranscriptMessage = object({ speaker: string, text: string, subject: nullable(string) })

/** Server → teacher WebSocket (reference §7.3 plus SPEC §4). */
export const TeacherType = object({ type: literal("connected", "transcript", "escalation", "teacher_hint", "pong") })
/** `livekit_url`: the room link of Version A's agent (src/agent/tokens.ts), beside the socket link. */
export const TeacherEscalation = object({ reason: string, teacher_ws_url: string, livekit_url: optional(string) })
export const TeacherHint = object({ text: string })

/** Teacher → student over `GET /session/{id}/events`. */
export const StudentType = object({ type: literal("inject", "escalation") })
export const StudentInject = object({ text: string })
export const StudentEscalation = object({ reason: string, teacher_ws_url: string })

/** LiveKit data topics of Version A (reference §6.2, §10.4). */
export const PipelineStepMessage = object({ type: literal("pipeline_step"), step: nullable(string) })

