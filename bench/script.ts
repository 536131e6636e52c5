/** The turn every measurement asks for, and what the stub takes to answer it. */
import { stubPcm } from "../test/stub/providerStub.ts"
import type { BenchOptions } from "./options.ts"
import type { StubScript } from "./protocol.ts"

/** A history question: the classifier (Anthropic) and the specialist (OpenAI chat) are separate stub routes. */
export const QUESTION = "Why did the Roman Empire fall?"

/** `count` sentences of the same length, so each is exactly one streamed chunk. */
const answerSentences = (count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, i) =>
    `Point ${String(i + 1).padStart(2, "0")} of the answer explains one small idea in plain words. `)

export const stubScript = (options: BenchOptions): StubScript => ({
  classifierMs: options.classifierMs,
  firstTokenMs: options.firstTokenMs,
  chunkMs: options.chunkMs,
  moderationMs: options.moderationMs,
  ttsMs: options.ttsMs,
  ttsChunkMs: options.ttsChunkMs,
  classifierReply: "history 0.95",
  sentences: answerSentences(options.sentences)
})

/** PCM bytes of the whole spoken answer (the stub speaks 10 ms per character). */
export const answerAudioBytes = (script: StubScript): number =>
  script.sentences.reduce((sum, sentence) => sum + stubPcm(sentence.trim()).length, 0)

/**
 * The stub's own latencies before the first audio byte of the pipelined turn: the specialist
 * starts on the local guess while the classifier and the input moderation run (the bench question
 * is guessed and confirmed as history), so the longest of the three counts; its text is complete
 * one chunk after the first token (the text after a sentence proves it complete); then the
 * sentence's moderation and its speech run side by side (speculative speech), the longer counts.
 */
export const pipelinedCriticalPathMs = (script: StubScript): number =>
  Math.max(script.moderationMs, script.classifierMs, script.firstTokenMs + script.chunkMs) +
  Math.max(script.moderationMs, script.ttsMs)

/**
 * The same through the server: the client asks for the speech (`/tts/stream`) of sentences the
 * guardrail has released, so the first sentence's moderation and speech follow one another.
 */
export const serverCriticalPathMs = (script: StubScript): number =>
  Math.max(script.moderationMs, script.classifierMs, script.firstTokenMs + script.chunkMs) + script.moderationMs +
  script.ttsMs

/**
 * The same for the sequential design: classify, the whole answer (the last sentence, then the
 * finish chunk and `[DONE]`, one chunk delay each), every sentence's moderation, speech.
 */
export const sequentialCriticalPathMs = (script: StubScript): number =>
  script.classifierMs + script.firstTokenMs + (script.sentences.length + 1) * script.chunkMs +
  script.sentences.length * script.moderationMs + script.ttsMs
