import { voice } from "@livekit/agents"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { HistoryAgent, MathAgent, OrchestratorAgent } from "../../src/agent/agents.ts"
import { decodePipelineStep, PIPELINE_STEPS_TOPIC } from "../../src/agent/messages.ts"
import { Sessions } from "../../src/services/Sessions.ts"
import { type Harness, startTutor } from "./harness.ts"

const QUESTION = "What is 25% of 80?"

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
})
