import { llm, voice } from "@livekit/agents"
import { Effect, type ManagedRuntime, Stream } from "effect"
import { randomUUID } from "node:crypto"
import type { AudioFrame } from "@livekit/rtc-node"
import type { ReadableStream } from "node:stream/web"
import { z } from "zod"
import type { AnswerSubject, ConversationTurn } from "../services/Specialists.ts"
import { handbackData, type PipelineStep } from "./messages.ts"
import { RoomChannel } from "./room.ts"
import type { SessionState } from "./state.ts"
import {
  type AgentServices,
  escalateToTeacher,
  guardText,
  handBack,
  publishStep,
  type ReplyPart,
  RETURNING_RESULT,
  routeToSpecialist,
  safetyFirst,
  specialistReply
} from "./turns.ts"

/** Runs the shared programs inside LiveKit's callbacks; built once per room at the job's entry. */
export type AgentRuntime = ManagedRuntime.ManagedRuntime<AgentServices, never>

/** The session's `userData`: shared by every agent of the room and kept across handoffs. */
export interface TutorUserData {
  readonly state: SessionState
  readonly runtime: AgentRuntime
  readonly confidenceThreshold?: number
}

type NodeChunk = llm.ChatChunk | string

/** What an agent answers with; the base class decides how it reaches LiveKit. */
type Reply =
  /** raw model output: its text is guarded here, its tool calls pass through */
  | { readonly _tag: "Model"; readonly step: PipelineStep; readonly output: Stream.Stream<NodeChunk, unknown, AgentServices> }
  /** the shared turn program's output, guarded there */
  | { readonly _tag: "Turn"; readonly parts: Stream.Stream<ReplyPart, never, AgentServices> }

/** The student's and tutor's messages of a chat context, oldest first (tool items left out). */
export const conversationOf = (items: ReadonlyArray<llm.ChatItem>): Array<ConversationTurn> =>
  items.flatMap((item): Array<ConversationTurn> => {
    if (item.type !== "message" || (item.role !== "user" && item.role !== "assistant")) return []
    const text = item.textContent?.trim()
    return text ? [{ role: item.role === "user" ? "student" : "tutor", text }] : []
  })

/**
 * The utterance a reply answers and the conversation before it — only when the chat ends with
 * the student's message; a reply to a tool's output has no question of its own.
 */
export const pendingQuestion = (items: ReadonlyArray<llm.ChatItem>) => {
  // configuration and handoff markers are bookkeeping, not something anyone said
  const last = items.findLast((item) => item.type !== "agent_config_update" && item.type !== "agent_handoff")
  if (last === undefined || last.type !== "message" || last.role !== "user") return undefined
  const turns = conversationOf(items)
  const question = turns.at(-1)
  return question === undefined ? undefined : { question: question.text, history: turns.slice(0, -1) }
}

/** What a newly activated agent inherits: the conversation, without the old agent's instructions and tools. */
const conversationContext = (history: llm.ChatContext) =>
  history.copy({ excludeFunctionCall: true, excludeInstructions: true, excludeHandoff: true, excludeConfigUpdate: true })

/** Sentences become one spoken text: a space between them, as the student would read them. */
const spaced = <E, R>(sentences: Stream.Stream<string, E, R>) =>
  Stream.map(sentences, (sentence, index) => index === 0 ? sentence : ` ${sentence}`)

const toolCallChunk = (name: string): llm.ChatChunk => ({
  id: randomUUID(),
  delta: {
    role: "assistant",
    toolCalls: [llm.FunctionCall.create({ callId: `call_${randomUUID()}`, name, args: "{}" })]
  }
})

/** Model text goes through the guardrail; tool calls are held back and follow the safe text. */
const guardModelOutput = (state: SessionState, step: PipelineStep, output: Stream.Stream<NodeChunk, unknown, AgentServices>) =>
  Stream.unwrap(Effect.gen(function*() {
    yield* publishStep(step)
    const toolCalls: Array<llm.ChatChunk> = []
    const text = output.pipe(
      Stream.map((chunk): ReadonlyArray<string> => {
        if (typeof chunk === "string") return [chunk]
        const delta = chunk.delta
        if (delta === undefined) return []
        if (delta.toolCalls?.length) {
          const { extra } = delta
          toolCalls.push({ ...chunk, delta: { role: delta.role, toolCalls: delta.toolCalls, ...(extra === undefined ? {} : { extra }) } })
        }
        return delta.content ? [delta.content] : []
      }),
      Stream.flattenIterable
    )
    return Stream.concat(
      spaced(guardText(state, text)),
      Stream.suspend(() =>
        toolCalls.length === 0
          ? Stream.fromEffect(publishStep(null)).pipe(Stream.drain)
          : Stream.fromIterable(toolCalls)
      )
    )
  }))

const turnOutput = (parts: Stream.Stream<ReplyPart, never, AgentServices>): Stream.Stream<NodeChunk, never, AgentServices> => {
  let said = 0
  return Stream.map(parts, (part): NodeChunk => {
    if (part._tag === "HandBack") return toolCallChunk(ROUTE_BACK)
    return said++ === 0 ? part.text : ` ${part.text}`
  })
}

/**
 * Base of the tutor's agents: whatever they say comes out of an Effect stream run on the room's
 * runtime, and model text can only leave through the shared guardrail. The override is the LLM
 * node, so what is spoken, shown in the transcript and kept in the history is the same safe text.
 */
export abstract class GuardedAgent extends voice.Agent<TutorUserData> {
  protected abstract reply(chatCtx: llm.ChatContext, toolCtx: llm.ToolContext, modelSettings: voice.ModelSettings): Reply | null

  override async llmNode(
    chatCtx: llm.ChatContext,
    toolCtx: llm.ToolContext,
    modelSettings: voice.ModelSettings
  ): Promise<ReadableStream<NodeChunk> | null> {
    const reply = this.reply(chatCtx, toolCtx, modelSettings)
    const { runtime, state } = this.session.userData
    const output = reply === null
      ? Stream.empty
      : reply._tag === "Model"
      ? guardModelOutput(state, reply.step, reply.output)
      : turnOutput(reply.parts)
    // cancelling the ReadableStream (barge-in) interrupts the whole Effect pipeline upstream
    return runtime.runPromise(Stream.toReadableStreamEffect(output))
  }

  /** An utterance handed over to this agent is answered at once, not after the next user turn. */
  override async onEnter(): Promise<void> {
    if (this.session.userData.state.shouldSkipTurn()) this.session.generateReply()
  }
}

const ROUTE_BACK = "route_back_to_orchestrator"

const ORCHESTRATOR_INSTRUCTIONS = [
  "You are the orchestrator of an AI tutoring service for school students: math, history and English.",
  "Greet students warmly, understand what they need and route every subject question with a tool:",
  "route_to_math, route_to_history or route_to_english, passing the student's question as they asked it.",
  "Use escalate_to_teacher when the student asks for a human, is upset, or the request is unsafe.",
  "NEVER answer subject questions yourself. Always use a routing tool.",
  "When a routing tool has run, acknowledge briefly in one short sentence",
  "(for example: \"Great question about percentages! Let me connect you with our math specialist.\")."
].join(" ")

/** Routes the student; it never answers a subject question itself. */
export class OrchestratorAgent extends GuardedAgent {
  constructor(options: { readonly chatCtx?: llm.ChatContext } = {}) {
    super({
      instructions: ORCHESTRATOR_INSTRUCTIONS,
      ...(options.chatCtx === undefined ? {} : { chatCtx: options.chatCtx }),
      tools: {
        route_to_math: routeTool("math", (chatCtx) => new MathAgent({ chatCtx })),
        route_to_history: routeTool("history", (chatCtx) => new HistoryAgent({ chatCtx })),
        route_to_english: routeTool("english", (chatCtx) => new EnglishRelayAgent({ chatCtx })),
        escalate_to_teacher: llm.tool({
          description: "Bring in a human teacher (the student asks for one, is distressed, or the request is unsafe).",
          parameters: z.object({ reason: z.string().describe("why a teacher is needed") }),
          execute: async ({ reason }, { ctx }: llm.ToolOptions<TutorUserData>) =>
            ctx.userData.runtime.runPromise(escalateToTeacher(ctx.userData.state, reason))
        })
      }
    })
  }

  protected reply(chatCtx: llm.ChatContext, toolCtx: llm.ToolContext, modelSettings: voice.ModelSettings): Reply {
    const pending = pendingQuestion(chatCtx.items)
    const { state } = this.session.userData
    // answering the student (not a tool's output) settles an utterance handed back to us
    if (pending !== undefined) state.consumeSkip()
    const model = Stream.unwrap(
      Effect.promise(() => voice.Agent.default.llmNode(this, chatCtx, toolCtx, modelSettings)).pipe(
        Effect.map((upstream) =>
          upstream === null ? Stream.empty : Stream.fromReadableStream({ evaluate: () => upstream, onError: (error) => error })
        )
      )
    )
    // a new utterance passes the safety check before the LLM (a provider) reads it
    const output = pending === undefined ? model : Stream.unwrap(
      Effect.map(
        safetyFirst(state, pending.question, pending.history),
        (said): Stream.Stream<NodeChunk, unknown, AgentServices> => said === undefined ? model : spaced(Stream.fromIterable(said))
      )
    )
    return { _tag: "Model", step: "orchestrator", output }
  }

  override async onEnter(): Promise<void> {
    if (this.session.userData.state.shouldSkipTurn()) {
      this.session.generateReply()
      return
    }
    this.session.generateReply({ instructions: "Greet the student briefly and ask what they would like to learn." })
  }
}

function routeTool(subject: AnswerSubject, next: (chatCtx: llm.ChatContext) => voice.Agent<TutorUserData>) {
  return llm.tool({
    description: `Send the student's ${subject} question to the ${subject} specialist.`,
    parameters: z.object({ question: z.string().describe("the student's question, as they asked it") }),
    execute: async ({ question }, { ctx }: llm.ToolOptions<TutorUserData>) => {
      const { runtime, state } = ctx.userData
      const routed = await runtime.runPromise(Effect.result(routeToSpecialist(state, subject, question)))
      // the model hears why and can tell the student; nothing was changed
      if (routed._tag === "Failure") throw new llm.ToolError(routed.failure.message)
      return llm.handoff({ agent: next(conversationContext(ctx.session.history)), returns: routed.success })
    }
  })
}

/** The only way out of a specialist: back to the orchestrator (no specialist-to-specialist routes). */
function routeBackTool() {
  return llm.tool({
    description: "Hand the student back to the orchestrator when they ask about another subject.",
    execute: async (_args, { ctx }: llm.ToolOptions<TutorUserData>) => {
      const { runtime, state } = ctx.userData
      const result = await runtime.runPromise(handBack(state))
      return llm.handoff({ agent: new OrchestratorAgent({ chatCtx: conversationContext(ctx.session.history) }), returns: result })
    }
  })
}

/**
 * A subject specialist: its answers come from the shared Specialists service through the shared
 * turn program, never from a prompt of its own. A confident question about another subject makes
 * it call `route_back_to_orchestrator`.
 */
abstract class SpecialistAgent extends GuardedAgent {
  abstract readonly subject: AnswerSubject

  protected reply(chatCtx: llm.ChatContext): Reply | null {
    const pending = pendingQuestion(chatCtx.items)
    // a reply to our own hand-back: the orchestrator takes it from here
    if (pending === undefined) return null
    const { confidenceThreshold, state } = this.session.userData
    return {
      _tag: "Turn",
      parts: specialistReply(state, {
        subject: this.subject,
        question: pending.question,
        history: pending.history,
        handedOver: state.consumeSkip(),
        ...(confidenceThreshold === undefined ? {} : { confidenceThreshold })
      })
    }
  }
}

export class MathAgent extends SpecialistAgent {
  readonly subject = "math"
  constructor(options: { readonly chatCtx?: llm.ChatContext } = {}) {
    super({
      instructions: "You are a math tutor. Help students with their math questions. " +
        "When the student asks about something other than math, use the route_back_to_orchestrator tool.",
      ...(options.chatCtx === undefined ? {} : { chatCtx: options.chatCtx }),
      tools: { [ROUTE_BACK]: routeBackTool() }
    })
  }
}

export class HistoryAgent extends SpecialistAgent {
  readonly subject = "history"
  constructor(options: { readonly chatCtx?: llm.ChatContext } = {}) {
    super({
      instructions: "You are a history tutor. Help students with their history questions. " +
        "When the student asks about something other than history, use the route_back_to_orchestrator tool.",
      ...(options.chatCtx === undefined ? {} : { chatCtx: options.chatCtx }),
      tools: { [ROUTE_BACK]: routeBackTool() }
    })
  }
}

/**
 * Holds the orchestrator's session quiet while the `learning-english` worker, a separate OpenAI
 * Realtime session in the same room, talks with the student; its microphone input is paused so
 * the student is not answered twice. The English worker's hand-back message ends it.
 */
export class EnglishRelayAgent extends GuardedAgent {
  constructor(options: { readonly chatCtx?: llm.ChatContext } = {}) {
    super({
      instructions: "The English specialist is talking with the student in this room. Stay silent.",
      ...(options.chatCtx === undefined ? {} : { chatCtx: options.chatCtx })
    })
  }

  protected reply(): null {
    return null
  }

  override async onEnter(): Promise<void> {
    // the English worker answers the routed question itself, from its dispatch metadata
    this.session.userData.state.consumeSkip()
    this.session.input.setAudioEnabled(false)
  }

  override async onExit(): Promise<void> {
    this.session.input.setAudioEnabled(true)
  }
}

/** The English worker handed back: the orchestrator takes the student again (no answer is owed). */
export const returnFromEnglish = (session: voice.AgentSession<TutorUserData>): boolean => {
  if (!(session.currentAgent instanceof EnglishRelayAgent)) return false
  session.userData.state.currentSubject = null
  session.updateAgent(new OrchestratorAgent({ chatCtx: conversationContext(session.history) }))
  return true
}

/**
 * The `learning-english` worker's agent: an OpenAI Realtime session that answers in text
 * (`modalities: ["text"]`), never in its own voice: every sentence passes the shared guardrail
 * before the session's TTS speaks it, as for the other agents. Its only tool hands the student
 * back to the orchestrator's session.
 */
export class EnglishAgent extends voice.Agent<TutorUserData> {
  private readonly room: TutorUserData
  private readonly onTranscript = (event: voice.UserInputTranscribedEvent) => {
    if (!event.isFinal || event.transcript.trim().length === 0) return
    void this.safetyOf(event.transcript).then((said) => {
      if (said === undefined) return
      // whatever the Realtime model began to answer is dropped: the child hears the safety reply
      this.session.interrupt()
      this.session.say(said.join(" "))
    })
  }

  /**
   * @param room the room's runtime and state (also before the session has started)
   * @param leave ends this worker's job once the student is handed back
   */
  constructor(room: TutorUserData, leave: () => void) {
    super({
      instructions: "You are an English tutor helping students with writing, grammar, and literature. " +
        "Provide helpful, encouraging feedback. Use route_back_to_orchestrator when done.",
      tools: {
        [ROUTE_BACK]: llm.tool({
          description: "Hand the student back to the orchestrator when the English question is done.",
          execute: async (_args, { ctx }: llm.ToolOptions<TutorUserData>) => {
            const { runtime, state } = ctx.userData
            state.currentSubject = null
            await runtime.runPromise(RoomChannel.use((room) => room.publish(handbackData({ type: "handback", subject: "english" }))))
            // leave after this turn: the orchestrator's session has the student again
            setImmediate(leave)
            return RETURNING_RESULT
          }
        })
      }
    })
    this.room = room
  }

  override async ttsNode(
    text: ReadableStream<string> | AsyncIterable<string>,
    modelSettings: voice.ModelSettings
  ): Promise<ReadableStream<AudioFrame> | null> {
    return this.speak(await this.guarded(text), modelSettings)
  }

  /**
   * The student's speech reaches the Realtime model directly, so its transcript gets the same
   * local safety check as every other utterance, as soon as it is final.
   */
  override async onEnter(): Promise<void> {
    this.session.on(voice.AgentSessionEventTypes.UserInputTranscribed, this.onTranscript)
  }

  override async onExit(): Promise<void> {
    this.session.off(voice.AgentSessionEventTypes.UserInputTranscribed, this.onTranscript)
  }

  /** The safety check on one final transcript: the sentences to say when it escalated (a teacher is told), else none. */
  async safetyOf(transcript: string): Promise<ReadonlyArray<string> | undefined> {
    const { runtime, state } = this.room
    const history = conversationOf(this.chatCtx.items).slice(-4)
    return runtime.runPromise(safetyFirst(state, transcript, history))
  }

  /** The model's text as the student may hear it: guarded sentence by sentence, failing closed. */
  guarded(text: ReadableStream<string> | AsyncIterable<string>): Promise<ReadableStream<string>> {
    const { runtime, state } = this.room
    const safe = spaced(guardText(state, Stream.fromAsyncIterable(text, (error) => error)))
    return runtime.runPromise(Stream.toReadableStreamEffect(safe))
  }

  /** The session's TTS; a seam so a test can hear what would be spoken. */
  protected speak(text: ReadableStream<string>, modelSettings: voice.ModelSettings): Promise<ReadableStream<AudioFrame> | null> {
    return voice.Agent.default.ttsNode(this, text, modelSettings)
  }
}
