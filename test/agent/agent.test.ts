import { voice } from "@livekit/agents"
import { ReadableStream } from "node:stream/web"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { TokenVerifier } from "livekit-server-sdk"
import { describe, expect, it } from "vitest"
import {
  conversationOf,
  EnglishAgent,
  EnglishRelayAgent,
  HistoryAgent,
  MathAgent,
  OrchestratorAgent,
  returnFromEnglish
} from "../../src/agent/agents.ts"
import { LiveKitConfig, MissingLiveKitSettings, readLiveKitSettings } from "../../src/agent/config.ts"
import {
  decodeHandback,
  decodePipelineStep,
  decodeTranscript,
  handbackData,
  HANDBACK_TOPIC,
  PIPELINE_STEPS_TOPIC,
  pipelineStepData,
  TRANSCRIPT_TOPIC,
  transcriptData
} from "../../src/agent/messages.ts"
import { SessionState } from "../../src/agent/state.ts"
import {
  mintStudentToken,
  ORCHESTRATOR_WORKER,
  roomForSession,
  sessionForRoom,
  studentTokenResponse
} from "../../src/agent/tokens.ts"
import { Escalation } from "../../src/services/Escalation.ts"
import { Sessions } from "../../src/services/Sessions.ts"
import { testSafety } from "../../src/layers/test/safety.ts"
import { ESCALATION_SENTENCE } from "../../src/tutor/answerTurn.ts"
import { SAFETY_REPLY } from "../../src/tutor/safety.ts"
import { type Harness, LIVEKIT, startTutor } from "./harness.ts"

const QUESTION = "What is 25% of 80?"
const HISTORY_QUESTION = "When did World War II end?"

const SECRET = "test-secret-that-is-long-enough-for-hs256"
const verify = (jwt: string) => new TokenVerifier(LIVEKIT.apiKey, SECRET).verify(jwt)

const steps = (harness: Harness) =>
  harness.published.filter((data) => data.topic === PIPELINE_STEPS_TOPIC).flatMap((data) => {
    const decoded = decodePipelineStep(data.payload)
    return decoded._tag === "Success" ? [decoded.success.step] : []
  })

const withTutor = async (options: Parameters<typeof startTutor>[0], body: (harness: Harness) => Promise<void>) => {
  const harness = await startTutor(options)
  try {
    await body(harness)
  } finally {
    await harness.close()
  }
}

describe("Version A agent, text-only sessions", () => {
  it("a disclosure is escalated by the safety check before the orchestrator's LLM reads it", () =>
    withTutor({
      // an LLM asked anything would fail the test: it has no scripted response
      llm: [],
      safety: testSafety({ concern: (text) => text.includes("hits me") ? "abuse_neglect" : undefined })
    }, async (harness) => {
      const result = await harness.session.run({ userInput: "my dad hits me when he is angry" }).wait()
      const said = result.events.filter(voice.testing.isChatMessageEvent).map((event) => event.item.textContent)
      expect(said).toEqual([`${SAFETY_REPLY.abuse_neglect} ${ESCALATION_SENTENCE}`])
      // the LLM greeted the student when the session started, and never read the disclosure
      const read = harness.llm.contexts.flatMap((context) => context.items.flatMap((item) => item.type === "message" ? [item.textContent] : []))
      expect(read.join(" ")).not.toContain("hits me")
      expect(harness.state.escalated).toBe(true)
      const pending = await harness.runtime.runPromise(Escalation.use((escalation) => escalation.pending("s-test")))
      expect(pending[0]).toMatchObject({
        trigger: "flagged_input",
        finding: { category: "abuse_neglect", severity: "urgent" }
      })
    }))

  it("routes a math question to the math agent, whose guarded Specialists answer is what is said and stored", () =>
    withTutor({
      llm: [
        { input: QUESTION, toolCalls: [{ name: "route_to_math", args: { question: QUESTION } }] },
        { input: `"Routing to math specialist for: ${QUESTION}"`, content: "Great question! Let me get our math specialist." }
      ],
      specialists: {
        answer: () => [{ text: "25% of 80 is 20. Only a stupid " }, { text: "student would get this wrong. Keep practising!" }]
      },
      guardrail: {
        flag: (text) => text.includes("stupid") ? ["harassment"] : undefined,
        rewrite: () => "Everyone gets this wrong sometimes."
      }
    }, async (harness) => {
      const result = await harness.session.run({ userInput: QUESTION }).wait()
      result.expect.containsFunctionCall({ name: "route_to_math", args: { question: QUESTION } })
      result.expect.containsFunctionCallOutput({ output: `"Routing to math specialist for: ${QUESTION}"` })
      result.expect.containsAgentHandoff({ newAgentType: MathAgent })
      expect(harness.session.currentAgent).toBeInstanceOf(MathAgent)

      const said = result.events.filter(voice.testing.isChatMessageEvent).map((event) => event.item.textContent)
      const answer = "25% of 80 is 20. Everyone gets this wrong sometimes. Keep practising!"
      expect(said).toEqual(["Great question! Let me get our math specialist.", answer])
      // the history the session keeps is the safe text
      const history = harness.session.history.items.flatMap((item) => item.type === "message" ? [item.textContent] : [])
      expect(history.join(" ")).not.toContain("stupid")

      const transcript = await harness.runtime.runPromise(Sessions.use((sessions) => sessions.transcript("s-test")))
      expect(transcript.map((turn) => [turn.speaker, turn.text])).toContainEqual(["tutor", answer])
      expect(steps(harness)).toEqual(expect.arrayContaining(["orchestrator", "specialist", "guardrail", "tts", null]))
      expect(harness.state.currentSubject).toBe("math")
      expect(harness.state.pendingHandovers).toBe(0)
    }))

  it("lets the math agent only hand back; a confident question for another subject goes back to the orchestrator", () =>
    withTutor({
      llm: [
        { input: QUESTION, toolCalls: [{ name: "route_to_math", args: { question: QUESTION } }] },
        { input: `"Routing to math specialist for: ${QUESTION}"`, content: "Let me get our math specialist." }
      ],
      specialists: {
        classify: (text) =>
          text === HISTORY_QUESTION
            ? { subject: "history", confidence: 0.9, raw: "history" }
            : { subject: "math", confidence: 0.9, raw: "math" },
        answer: () => [{ text: "It is 20." }]
      }
    }, async (harness) => {
      const math = new MathAgent()
      expect(Object.keys(math.toolCtx.functionTools)).toEqual(["route_back_to_orchestrator"])
      expect(Object.keys(new HistoryAgent().toolCtx.functionTools)).toEqual(["route_back_to_orchestrator"])
      expect(Object.keys(new OrchestratorAgent().toolCtx.functionTools).sort()).toEqual(
        ["escalate_to_teacher", "route_to_english", "route_to_history", "route_to_math"]
      )

      await harness.session.run({ userInput: QUESTION }).wait()
      const result = await harness.session.run({ userInput: HISTORY_QUESTION }).wait()
      result.expect.containsFunctionCall({ name: "route_back_to_orchestrator" })
      result.expect.containsFunctionCallOutput({ output: "\"Returning to orchestrator\"" })
      result.expect.containsAgentHandoff({ newAgentType: OrchestratorAgent })
      // the math specialist said nothing about history: it was never asked
      expect(result.events.filter(voice.testing.isChatMessageEvent)).toEqual([])
      expect(harness.session.currentAgent).toBeInstanceOf(OrchestratorAgent)
      expect(harness.state.currentSubject).toBeNull()
      // the orchestrator answered the handed-back question at once, with the whole conversation
      expect(harness.state.pendingHandovers).toBe(0)
      const heard = harness.llm.contexts.at(-1)
      expect(heard && conversationOf(heard.items).map((turn) => turn.text)).toEqual(
        [QUESTION, "Let me get our math specialist.", "It is 20.", HISTORY_QUESTION]
      )
    }))

  const ESCALATION_LLM: ReadonlyArray<voice.testing.FakeLLMResponse> = [
    { input: "I want a real teacher", toolCalls: [{ name: "escalate_to_teacher", args: { reason: "Student asked for a teacher" } }] },
    { input: "\"Escalating to teacher. Reason: Student asked for a teacher\"", content: "A teacher is on the way." }
  ]

  it("escalates with the reference's tool result and an escalation event for the teachers' inbox, with no link in it", () =>
    withTutor({ llm: ESCALATION_LLM }, async (harness) => {
      const result = await harness.session.run({ userInput: "I want a real teacher" }).wait()
      result.expect.containsFunctionCallOutput({ output: "\"Escalating to teacher. Reason: Student asked for a teacher\"" })
      expect(harness.state.escalated).toBe(true)

      const pending = await harness.runtime.runPromise(Escalation.use((escalation) => escalation.pending("s-test")))
      expect(pending).toHaveLength(1)
      expect(pending[0]).toMatchObject({ sessionId: "s-test", reason: "Student asked for a teacher", trigger: "classifier", claimedBy: null })
      // teachers get the room from the inbox once they claim it; nothing in the event grants access
      expect(JSON.stringify(pending[0])).not.toContain("token")
      expect(steps(harness)).toEqual(expect.arrayContaining(["orchestrator", null]))
    }))

  it("rewrites a flagged sentence of the orchestrator's own reply before it is spoken", () =>
    withTutor({
      llm: [{ input: "hello", content: "Hi there, you idiot. What shall we learn today?" }],
      guardrail: { flag: (text) => text.includes("idiot") ? ["harassment"] : undefined, rewrite: () => "Hi there!" }
    }, async (harness) => {
      const result = await harness.session.run({ userInput: "hello" }).wait()
      expect(result.expect.containsMessage({ role: "assistant" }).event().item.textContent).toBe(
        "Hi there! What shall we learn today?"
      )
    }))

  it("dispatches the English worker into the room, stays quiet while it talks, and takes the student back", () =>
    withTutor({
      llm: [
        { input: "Fix my grammar", toolCalls: [{ name: "route_to_english", args: { question: "Fix my grammar" } }] },
        { input: "\"Routing to English specialist for: Fix my grammar\"", content: "Our English specialist will join you." }
      ]
    }, async (harness) => {
      const result = await harness.session.run({ userInput: "Fix my grammar" }).wait()
      result.expect.containsAgentHandoff({ newAgentType: EnglishRelayAgent })
      expect(harness.dispatched).toEqual([{ room: "tutor-s-test", job: { sessionId: "s-test", question: "Fix my grammar" } }])
      expect(harness.state).toMatchObject({ currentSubject: "english", pendingHandovers: 0 })
      expect(harness.session.input.audioEnabled).toBe(false)

      const handback = decodeHandback(handbackData({ type: "handback", subject: "english" }).payload)
      expect(handback._tag).toBe("Success")
      expect(returnFromEnglish(harness.session)).toBe(true)
      await harness.session.run({ userInput: "thanks" }).wait()
      expect(harness.session.currentAgent).toBeInstanceOf(OrchestratorAgent)
      expect(harness.session.input.audioEnabled).toBe(true)
      expect(returnFromEnglish(harness.session)).toBe(false)
    }))

  it("tells the orchestrator when the English worker cannot be dispatched, and changes nothing", () =>
    withTutor({
      englishDown: true,
      llm: [{ input: "Fix my grammar", toolCalls: [{ name: "route_to_english", args: { question: "Fix my grammar" } }] }]
    }, async (harness) => {
      const result = await harness.session.run({ userInput: "Fix my grammar" }).wait()
      result.expect.containsFunctionCallOutput({ isError: true })
      expect(harness.session.currentAgent).toBeInstanceOf(OrchestratorAgent)
      expect(harness.state).toMatchObject({ currentSubject: null, pendingHandovers: 0 })
    }))

  it("keeps the English agent to its one tool", () =>
    withTutor({ llm: [] }, async (harness) => {
      const agent = new EnglishAgent({ runtime: harness.runtime, state: harness.state }, () => undefined)
      expect(Object.keys(agent.toolCtx.functionTools)).toEqual(["route_back_to_orchestrator"])
    }))

  it("the English agent's text reaches its TTS only through the guardrail: a flagged sentence is never spoken", () =>
    withTutor({
      llm: [],
      guardrail: {
        flag: (text) => text.includes("stupid") ? ["harassment"] : undefined,
        rewrite: () => "Everyone makes this mistake sometimes."
      }
    }, async (harness) => {
      let heard = ""
      class Listening extends EnglishAgent {
        protected override async speak(text: ReadableStream<string>) {
          for await (const chunk of text) heard += chunk
          return null
        }
      }
      const agent = new Listening({ runtime: harness.runtime, state: harness.state }, () => undefined)
      // the Realtime model's text, as it streams in
      await agent.ttsNode(ReadableStream.from(["Its is wrong here. Only a stupid ", "student would write that. Use it's."]), {})
      expect(heard).toBe("Its is wrong here. Everyone makes this mistake sometimes. Use it's.")
    }))

  it("the student's words to the English Realtime session pass the safety check: a disclosure is escalated and answered kindly", () =>
    withTutor({
      llm: [],
      safety: testSafety({ concern: (text) => text.includes("hits me") ? "abuse_neglect" : undefined })
    }, async (harness) => {
      const agent = new EnglishAgent({ runtime: harness.runtime, state: harness.state }, () => undefined)
      expect(await agent.safetyOf("what is a metaphor")).toBeUndefined()
      const said = await agent.safetyOf("my stepdad hits me when i get words wrong")
      expect(said?.at(0)).toBe(SAFETY_REPLY.abuse_neglect)
      expect(said?.at(-1)).toBe(ESCALATION_SENTENCE)
      const pending = await harness.runtime.runPromise(Escalation.use((escalation) => escalation.pending(harness.state.sessionId)))
      expect(pending.map((record) => [record.trigger, record.finding?.category])).toEqual([["flagged_input", "abuse_neglect"]])
    }))
})

describe("student token", () => {
  const withLiveKit = Effect.provide(Layer.succeed(LiveKitConfig, LIVEKIT))

  it("joins the session's own room, dispatches the orchestrator worker and is accepted by TokenVerifier", async () => {
    const minted = await Effect.runPromise(studentTokenResponse({ session_id: "abc-123" }).pipe(withLiveKit))
    expect(minted).toMatchObject({ url: LIVEKIT.url, room: "tutor-abc-123" })
    expect(minted.identity).toMatch(/^student-\d+$/)
    const claims = await verify(minted.token)
    expect(claims.sub).toBe(minted.identity)
    expect(claims.video).toMatchObject({
      roomJoin: true,
      room: "tutor-abc-123",
      canPublish: true,
      canSubscribe: true,
      canPublishData: true
    })
    expect(claims.roomConfig?.agents?.map((agent) => agent.agentName)).toEqual([ORCHESTRATOR_WORKER])
    const other = await Effect.runPromise(mintStudentToken("other").pipe(withLiveKit))
    expect(other.room).not.toBe(minted.room)
  })

  it("refuses a session id that cannot name a room", async () => {
    for (const query of [{ session_id: "../x" }, { session_id: "" }, {}, { session_id: 7 }]) {
      const exit = await Effect.runPromiseExit(studentTokenResponse(query).pipe(withLiveKit))
      expect(Exit.isFailure(exit)).toBe(true)
    }
  })

  it("maps sessions to rooms and back", () => {
    expect(roomForSession("abc")).toBe("tutor-abc")
    expect(sessionForRoom("tutor-abc")).toBe("abc")
    expect(sessionForRoom("tutor-room")).toBe("room")
    expect(sessionForRoom("elsewhere")).toBe("elsewhere")
  })
})

describe("LiveKit settings", () => {
  it("names every missing variable", async () => {
    const exit = await Effect.runPromiseExit(readLiveKitSettings.pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ LIVEKIT_API_KEY: "k", LIVEKIT_URL: " " })))
    ))
    expect(exit).toEqual(Exit.fail(new MissingLiveKitSettings({ missing: ["LIVEKIT_URL", "LIVEKIT_API_SECRET"] })))
  })
})

describe("data messages", () => {
  const text = (payload: Uint8Array) => new TextDecoder().decode(payload)

  it("builds the reference's pipeline-step and transcript payloads", () => {
    expect(pipelineStepData("orchestrator")).toEqual({
      topic: "pipeline-steps",
      payload: new TextEncoder().encode("{\"type\":\"pipeline_step\",\"step\":\"orchestrator\"}")
    })
    expect(JSON.parse(text(pipelineStepData(null).payload))).toEqual({ type: "pipeline_step", step: null })
    const line = transcriptData({ speaker: "tutor", text: "It is 20.", subject: "math" })
    expect(line.topic).toBe(TRANSCRIPT_TOPIC)
    expect(JSON.parse(text(line.payload))).toEqual({ speaker: "tutor", text: "It is 20.", subject: "math" })
    expect(PIPELINE_STEPS_TOPIC).toBe("pipeline-steps")
    expect(handbackData({ type: "handback", subject: "english" }).topic).toBe(HANDBACK_TOPIC)
  })

  it("decodes what it builds and rejects anything else", () => {
    for (const step of ["stt", "orchestrator", "specialist", "guardrail", "tts", null] as const) {
      const decoded = decodePipelineStep(pipelineStepData(step).payload)
      expect(decoded._tag === "Success" && decoded.success.step).toBe(step)
    }
    const encoder = new TextEncoder()
    expect(decodePipelineStep(encoder.encode("{\"type\":\"pipeline_step\",\"step\":\"llm\"}"))._tag).toBe("Failure")
    expect(decodeTranscript(encoder.encode("{\"speaker\":\"teacher\",\"text\":\"x\",\"subject\":null}"))._tag).toBe("Failure")
    expect(decodeHandback(encoder.encode("not json"))._tag).toBe("Failure")
  })
})

describe("session counters", () => {
  it("start at zero, stack routings, and never consume below zero", () => {
    const state = new SessionState("s", "tutor-s")
    expect(state).toMatchObject({ turnCount: 0, escalated: false, currentSubject: null, pendingHandovers: 0 })
    expect(state.shouldSkipTurn()).toBe(false)
    expect(state.consumeSkip()).toBe(false)
    expect(state.pendingHandovers).toBe(0)
    state.currentSubject = "math"
    state.markRouting()
    state.markRouting()
    expect(state).toMatchObject({ currentSubject: "math", pendingHandovers: 2 })
    expect(state.consumeSkip()).toBe(true)
    expect(state.shouldSkipTurn()).toBe(true)
    expect(state.consumeSkip()).toBe(true)
    expect(state.shouldSkipTurn()).toBe(false)
    expect(state.consumeSkip()).toBe(false)
    expect(state.pendingHandovers).toBe(0)
    expect([state.countStudentTurn(), state.countStudentTurn()]).toEqual([1, 2])
  })
})
