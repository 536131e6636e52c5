import { type llm, type stt, type tts, type VAD, voice } from "@livekit/agents"
import type { Room } from "@livekit/rtc-node"
import { Config, Effect, Layer } from "effect"
import { TracingLive } from "../layers/observability.ts"
import { type MissingProviderKeys, TutorProvidersLive } from "../layers/providers.ts"
import { type DatabaseError, postgresDatabase } from "../layers/sql/database.ts"
import { sqlRecords } from "../layers/sql/index.ts"
import type { Escalation } from "../services/Escalation.ts"
import type { Sessions } from "../services/Sessions.ts"
import type { AgentRuntime, TutorUserData } from "./agents.ts"
import type { LiveKitConfig } from "./config.ts"
import { EnglishDispatchLive, roomChannelOf } from "./room.ts"
import { type AgentServices, publishStep, recordLine } from "./turns.ts"

/** Connections per room: LISTEN holds one, the audit writer and the reads share the rest. */
const ROOM_CONNECTIONS = 3

/** Why the agent will not run without the server's database. */
export const NEEDS_DATABASE =
  "Version A's agent needs DATABASE_URL, the PostgreSQL the server uses: escalations must reach the teachers' inbox, " +
  "and kept in this process's memory they would reach nobody"

/**
 * The room's records and escalations, in the server's PostgreSQL (`DATABASE_URL`): the session
 * is in the same tables, and an escalation reaches the teachers' inbox through LISTEN/NOTIFY.
 * Never the embedded PGlite: its directory belongs to the server process.
 */
const roomRecords: Layer.Layer<Escalation | Sessions, DatabaseError | Config.ConfigError> = Layer.unwrap(
  Effect.map(Config.Redacted("DATABASE_URL"), (url) =>
    sqlRecords(postgresDatabase({ url, maxConnections: ROOM_CONNECTIONS }), { version: "a" }))
)

/**
 * The services of one room's agent: the platform's providers and records, the room's data
 * channel and English dispatch. Teachers get their way in from the server's inbox, not from here.
 */
export const agentLayer = (
  room: Room
): Layer.Layer<AgentServices, Config.ConfigError | MissingProviderKeys | DatabaseError, LiveKitConfig> =>
  Layer.mergeAll(
    TutorProvidersLive,
    roomRecords,
    roomChannelOf(room),
    EnglishDispatchLive
  ).pipe(
    // the room's turns are traced like Version B's, flushed when the room's runtime is disposed
    Layer.provideMerge(TracingLive)
  )

export interface TutorSessionOptions {
  readonly userData: TutorUserData
  readonly llm: llm.LLM | llm.RealtimeModel
  readonly stt?: stt.STT
  readonly tts?: tts.TTS
  /** `null` for text-only sessions (tests); omitted → LiveKit's local VAD */
  readonly vad?: VAD | null
}

/** Fire-and-forget on the room's runtime: records never block speech, and failures are logged. */
const background = (runtime: AgentRuntime, effect: Effect.Effect<void, never, AgentServices>) => {
  runtime.runFork(effect.pipe(Effect.catchCause((cause) => Effect.logWarning("agent record failed", cause))))
}

/**
 * An AgentSession wired to the room's records: every committed message (the safe text, as
 * spoken) becomes a transcript line for the session, its teachers and the room, and the student
 * starting to speak lights the STT stage. Components are parameters, so tests run without plugins.
 */
export const makeTutorSession = (options: TutorSessionOptions): voice.AgentSession<TutorUserData> => {
  const { runtime, state } = options.userData
  const textOnly = options.vad === null
  const session = new voice.AgentSession<TutorUserData>({
    llm: options.llm,
    userData: options.userData,
    ...(options.stt === undefined ? {} : { stt: options.stt }),
    ...(options.tts === undefined ? {} : { tts: options.tts }),
    ...(options.vad === undefined ? {} : { vad: options.vad }),
    ...(textOnly ? { turnHandling: { turnDetection: null } } : {})
  })
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
    if (item.type !== "message" || (item.role !== "user" && item.role !== "assistant")) return
    const text = item.textContent?.trim()
    if (!text) return
    if (item.role === "user") state.countStudentTurn()
    background(runtime, recordLine(state, item.role === "user" ? "student" : "tutor", text, state.currentSubject))
  })
  session.on(voice.AgentSessionEventTypes.UserStateChanged, ({ newState }) => {
    if (newState === "speaking") background(runtime, publishStep("stt"))
  })
  return session
}
