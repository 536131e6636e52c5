import { initializeLogger, type llm, voice } from "@livekit/agents"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import type { Safety } from "../../src/services/Safety.ts"
import { testSafety } from "../../src/layers/test/safety.ts"
import { escalationMemory } from "../../src/layers/memory/escalation.ts"
import { sessionsMemory } from "../../src/layers/memory/sessions.ts"
import { type GuardrailScript, testGuardrail } from "../../src/layers/test/guardrail.ts"
import { type SpecialistsScript, testSpecialists } from "../../src/layers/test/specialists.ts"
import { testSpeech } from "../../src/layers/test/speech.ts"
import { type AgentRuntime, OrchestratorAgent, type TutorUserData } from "../../src/agent/agents.ts"
import type { LiveKitSettings } from "../../src/agent/config.ts"
import type { EnglishJob, OutgoingData } from "../../src/agent/messages.ts"
import { EnglishDispatch, EnglishUnavailable, RoomChannel } from "../../src/agent/room.ts"
import { makeTutorSession } from "../../src/agent/session.ts"
import { SessionState } from "../../src/agent/state.ts"
import { roomForSession } from "../../src/agent/tokens.ts"

// LiveKit's logger must exist before any session is built (LIVEKIT_NOTES §2.1)
initializeLogger({ pretty: false, level: "silent" })

export const LIVEKIT: LiveKitSettings = {
  url: "ws://127.0.0.1:7880",
  apiKey: "test-key",
  apiSecret: Redacted.make("test-secret-that-is-long-enough-for-hs256")
}

/** LiveKit's FakeLLM, also keeping every chat context it was asked about (to see what the orchestrator heard). */
export class RecordingFakeLLM extends voice.testing.FakeLLM {
  readonly contexts: Array<llm.ChatContext> = []
  override chat(options: Parameters<voice.testing.FakeLLM["chat"]>[0]): llm.LLMStream {
    this.contexts.push(options.chatCtx.copy())
    return super.chat(options)
  }
}

export interface Harness {
  readonly session: voice.AgentSession<TutorUserData>
  readonly state: SessionState
  readonly runtime: AgentRuntime
  /** every data packet the agent published to the room, in order */
  readonly published: Array<OutgoingData>
  readonly dispatched: Array<{ readonly room: string; readonly job: EnglishJob }>
  readonly llm: RecordingFakeLLM
  readonly close: () => Promise<void>
}

export interface HarnessOptions {
  readonly llm: ReadonlyArray<voice.testing.FakeLLMResponse>
  readonly specialists?: SpecialistsScript
  readonly guardrail?: GuardrailScript
  /** the safety check; scripted clear schoolwork unless given (e.g. the real model) */
  readonly safety?: Layer.Layer<Safety>
  readonly englishDown?: boolean
  readonly sessionId?: string
}

/**
 * A text-only tutor session: LiveKit's fake LLM for the orchestrator, the platform's scriptable
 * test layers for Guardrail/Specialists/Speech (the same ones the HTTP tests use), in-memory
 * Escalation/Sessions, and recorders in place of the room and the English dispatch.
 */
export const startTutor = async (options: HarnessOptions): Promise<Harness> => {
  const published: Array<OutgoingData> = []
  const dispatched: Array<{ readonly room: string; readonly job: EnglishJob }> = []
  const room = Layer.succeed(RoomChannel, RoomChannel.of({ publish: (data) => Effect.sync(() => void published.push(data)) }))
  const english = Layer.succeed(
    EnglishDispatch,
    EnglishDispatch.of({
      dispatch: (roomName, job) =>
        options.englishDown === true
          ? Effect.fail(new EnglishUnavailable({ detail: "no English worker registered" }))
          : Effect.sync(() => void dispatched.push({ room: roomName, job }))
    })
  )
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      testGuardrail(options.guardrail),
      options.safety ?? testSafety(),
      testSpecialists(options.specialists),
      testSpeech(),
      escalationMemory(),
      sessionsMemory(),
      room,
      english
    )
  )
  const sessionId = options.sessionId ?? "s-test"
  const state = new SessionState(sessionId, roomForSession(sessionId))
  const fakeLlm = new RecordingFakeLLM([...options.llm])
  const session = makeTutorSession({ userData: { state, runtime }, llm: fakeLlm, vad: null })
  await session.start({ agent: new OrchestratorAgent() })
  return {
    session,
    state,
    runtime,
    published,
    dispatched,
    llm: fakeLlm,
    close: async () => {
      await session.close()
      await runtime.dispose()
    }
  }
}
