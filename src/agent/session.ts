import { type llm, type stt, type tts, type VAD, voice } from "@livekit/agents"
import type { Room } from "@livekit/rtc-node"
import { type Config, Effect, Layer } from "effect"
import { escalationMemory } from "../layers/memory/escalation.ts"
import { sessionsMemory } from "../layers/memory/sessions.ts"
import { type MissingProviderKeys, TutorProvidersLive } from "../layers/providers.ts"
import type { AgentRuntime, TutorUserData } from "./agents.ts"
import type { LiveKitConfig } from "./config.ts"
import { EnglishDispatchLive, roomChannelOf } from "./room.ts"
import { TeacherAccessLiveKit } from "./tokens.ts"
import { type AgentServices, publishStep, recordLine } from "./turns.ts"

/**
 * The services of one room's agent: the platform's providers and records, the room's data
 * channel, English dispatch and teacher tokens over the LiveKit project.
 */
export const agentLayer = (
  room: Room
): Layer.Layer<AgentServices, Config.ConfigError | MissingProviderKeys, LiveKitConfig> =>
  Layer.mergeAll(
    TutorProvidersLive,
    escalationMemory(),
    sessionsMemory(),
    roomChannelOf(room),
    EnglishDispatchLive,
    TeacherAccessLiveKit
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
