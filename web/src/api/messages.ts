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

/** `POST /session`: the server opened the page's session (its credential is an HttpOnly cookie). */
export const OpenedSession = object({ session_id: string, csrf_token: string, csrf_ttl: number })
export const SentenceEvent = object({ index: number, text: string })
/** A sentence the guardrail did not pass unchanged (the pipeline's `guardrail` event). */
export const GuardrailEvent = object({ index: number, action: literal("rewritten", "apology", "withheld") })

export const RealtimeToken = object({
  client_secret: object({ value: string }),
  session_id: string,
  model: string
})

export const Escalated = object({ session_id: string, escalation_id: string })

export const LiveKitToken = object({ token: string, url: string })

/** `GET /config`: what this server can do, so the pages can say so before any click. */
export const ServerFeatures = object({ realtime: boolean, livekit: boolean })
export type ServerFeatures = Decoded<typeof ServerFeatures>

export const TranscriptMessage = object({ speaker: string, text: string, subject: nullable(string) })

/** How soon an escalation needs an adult: `urgent` means a child may be in danger now. */
export const Severity = literal("urgent", "standard")
export type Severity = Decoded<typeof Severity>

/** Server → teacher WebSocket (reference §7.3 plus SPEC §4). */
export const TeacherType = object({ type: literal("connected", "transcript", "escalation", "teacher_hint", "pong") })
/** `category` and `severity` are absent on escalations raised before the safety taxonomy. */
export const TeacherEscalation = object({
  escalation_id: string,
  reason: string,
  trigger: string,
  category: optional(string),
  severity: optional(Severity)
})
export type TeacherEscalation = Decoded<typeof TeacherEscalation>
export const TeacherHint = object({ text: string })

/** Teacher side → student over `GET /session/{id}/events`. */
export const StudentType = object({ type: literal("inject", "escalation", "teacher_joined", "fallback") })
export const StudentInject = object({ text: string })
export const StudentEscalation = object({ reason: string })
export const StudentFallback = object({ text: string })

/** LiveKit data topics of Version A (reference §6.2, §10.4). */
export const PipelineStepMessage = object({ type: literal("pipeline_step"), step: nullable(string) })

