import { Context, type Effect, Schema } from "effect"
import type { ProviderError } from "./ProviderError.ts"

/** The one tool the Realtime model may call; the browser forwards it to `POST /orchestrate`. */
export const DISPATCH_TOOL_NAME = "dispatch_to_orchestrator"

export const RealtimeSession = Schema.Struct({
  /** ephemeral key the browser uses to open WebRTC to the provider */
  clientSecret: Schema.String,
  /** Unix seconds after which the key stops working */
  expiresAt: Schema.Number,
  model: Schema.String,
  voice: Schema.String
})
export type RealtimeSession = typeof RealtimeSession.Type

export class RealtimeNotConfigured extends Schema.TaggedError<RealtimeNotConfigured>()("RealtimeNotConfigured", {
  detail: Schema.String
}) {}

/** Mints ephemeral Realtime sessions for the browser (Version B). */
export class Realtime extends Context.Service<Realtime, {
  /** false when `mintSession` can only answer `RealtimeNotConfigured` (told to the page up front) */
  readonly available: boolean
  readonly mintSession: (sessionId: string) => Effect.Effect<RealtimeSession, ProviderError | RealtimeNotConfigured>
}>()("tutor/Realtime") {}
