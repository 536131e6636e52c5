/**
 * Time to the first audio byte of a 10-sentence answer: our pipelined turn (`answerTurn` with a
 * voice, and the same through the server) against the sequential design of the reference (whole
 * answer, then each sentence's guardrail in turn, then speech), alternating in the same run.
 */
import { Effect, Stream } from "effect"
import { answerTurn } from "../../src/tutor/answerTurn.ts"
import type { TurnLatency } from "../../src/tutor/events.ts"
import { guardSentence } from "../../src/tutor/guardrail.ts"
import { cutSentences } from "../../src/tutor/segmenter.ts"
import { DEFAULT_VOICE, Speech } from "../../src/services/Speech.ts"
import { Specialists } from "../../src/services/Specialists.ts"
import type { Caller } from "../api.ts"
import type { LoadGenerator } from "../loadGenerator.ts"
import { ClientError } from "../http.ts"
import { monotonicMs, type StubScript } from "../protocol.ts"
import { check, type Row } from "../report.ts"
import { pipelinedCriticalPathMs, QUESTION, sequentialCriticalPathMs, serverCriticalPathMs } from "../script.ts"
import { ms, type Summary, summarize } from "../stats.ts"

export interface PipelinedSample {
  readonly firstAudioMs: number
  /** the turn's own stage times */
  readonly latency: TurnLatency
}

const turnFailed = (message: string) => new ClientError({ message })

/** Ours, in process: the shared turn program over the live layers. */
export const pipelinedTurn = (sessionId: string) =>
  Effect.gen(function*() {
    const startedAt = monotonicMs()
    let firstAudioAt: number | null = null
    let latency: TurnLatency | null = null
    let failure: string | null = null
    yield* answerTurn({ sessionId, studentText: QUESTION, history: [] }, { voice: DEFAULT_VOICE }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.type === "audio") firstAudioAt ??= monotonicMs()
          if (event.type === "done") latency = event.latency
          if (event.type === "failed") failure = `${event.stage}: ${event.message}`
        })
      )
    )
    if (failure !== null) return yield* turnFailed(`pipelined turn failed at ${failure}`)
    if (firstAudioAt === null || latency === null) return yield* turnFailed("pipelined turn spoke no audio")
    const sample: PipelinedSample = { firstAudioMs: firstAudioAt - startedAt, latency }
    return sample
  })

/**
 * The reference's design on the same layers: classify, collect the whole answer, guardrail each
 * sentence in turn, then synthesise the safe text. Returns the time to its first audio byte.
 */
export const sequentialTurn = Effect.gen(function*() {
  const specialists = yield* Specialists
  const speech = yield* Speech
  const startedAt = monotonicMs()
  const { subject } = yield* specialists.classify(QUESTION, [])
  if (subject === "escalate") return yield* turnFailed("the classifier escalated the bench question")
  const answer = (yield* Stream.runCollect(specialists.answer(subject, QUESTION, []))).join("")
  const sentences = cutSentences(answer, true).sentences
  const guarded = yield* Effect.forEach(sentences, (sentence, index) => guardSentence(sentence, index))
  const first = yield* Stream.runHead(speech.synthesize(guarded.map((sentence) => sentence.text).join(" "), DEFAULT_VOICE))
  if (first._tag === "None") return yield* turnFailed("sequential turn spoke no audio")
  return monotonicMs() - startedAt
})

/**
 * Ours, through the server: dispatch → job events → `/tts/stream`, hanging up at the first audio
 * byte. The client is the load process, as a browser is elsewhere.
 */
export const serverFirstAudio = (caller: Caller, load: LoadGenerator, sessionId: string) =>
  Effect.gen(function*() {
    const turn = yield* load.spokenTurn(caller, { sessionId, question: QUESTION, untilFirstAudio: true })
    const first = turn.arrivals[0]
    return first === undefined ? yield* turnFailed("server turn spoke no audio") : first.at - turn.startedAt
  })

export interface FirstAudioResult {
  readonly rows: ReadonlyArray<Row>
  readonly details: {
    readonly criticalPathMs: { readonly pipelined: number; readonly viaServer: number; readonly sequential: number }
    readonly pipelined: Summary
    readonly pipelinedViaServer: Summary
    readonly sequential: Summary
    readonly overhead: Summary
    readonly overheadViaServer: Summary
    /** where the pipelined turns spent their time beyond the stub's latencies, per stage (p50) */
    readonly stageOverheadP50: Readonly<Record<string, number>>
  }
}

/** `turns` of each kind, interleaved, after one unmeasured warm-up of each. */
export const runFirstAudio = (caller: Caller, load: LoadGenerator, script: StubScript, turns: number) =>
  Effect.gen(function*() {
    const pipelined: Array<PipelinedSample> = []
    const viaServer: Array<number> = []
    const sequential: Array<number> = []
    for (let i = 0; i <= turns; i++) {
      const p = yield* pipelinedTurn(`bench-first-audio-${i}`)
      const s = yield* sequentialTurn
      const v = yield* serverFirstAudio(caller, load, `bench-first-audio-server-${i}`)
      if (i === 0) continue
      pipelined.push(p)
      sequential.push(s)
      viaServer.push(v)
    }
    const critical = pipelinedCriticalPathMs(script)
    const ours = summarize(pipelined.map((sample) => sample.firstAudioMs))
    const server = summarize(viaServer)
    const reference = summarize(sequential)
    const overhead = summarize(pipelined.map((sample) => sample.firstAudioMs - critical))
    const serverCritical = serverCriticalPathMs(script)
    const overheadViaServer = summarize(viaServer.map((ms) => ms - serverCritical))
    // the turn's stage marks against what the stub spends between them
    const stage = (pick: (latency: TurnLatency) => number | null) =>
      summarize(pipelined.flatMap(({ latency }) => {
        const value = pick(latency)
        return value === null ? [] : [value]
      })).p50
    // stage marks count from the turn's start; the stages overlap as the pipeline runs them
    const stageOverheadP50 = {
      inputGuardrailAndClassify: stage((l) => l.classifyMs - Math.max(script.moderationMs, script.classifierMs)),
      firstToken: stage((l) =>
        l.firstTokenMs === null ? null : l.firstTokenMs - Math.max(script.firstTokenMs, l.classifyMs)),
      firstSentence: stage((l) =>
        l.firstSentenceMs === null || l.firstTokenMs === null
          ? null
          : l.firstSentenceMs - l.firstTokenMs - script.chunkMs - script.moderationMs),
      firstAudio: stage((l) =>
        l.firstAudioMs === null || l.firstSentenceMs === null
          ? null
          : l.firstAudioMs - l.firstSentenceMs - Math.max(0, script.ttsMs - script.moderationMs)),
      consumer: summarize(pipelined.map((sample) => sample.firstAudioMs - (sample.latency.firstAudioMs ?? Number.NaN))).p50
    }
    const ratio = reference.p50 / ours.p50
    const ratioViaServer = reference.p50 / server.p50
    const bound = sequentialCriticalPathMs(script) / critical
    const section = `first audio (${script.sentences.length} sentences)`
    const rows: ReadonlyArray<Row> = [
      { section, metric: "pipelined, answerTurn p50", target: "—", measured: ms(ours.p50), verdict: "info" },
      { section, metric: "pipelined, via server p50", target: "—", measured: ms(server.p50), verdict: "info" },
      { section, metric: "sequential (reference style) p50", target: "—", measured: ms(reference.p50), verdict: "info" },
      {
        section,
        metric: "sequential / pipelined (answerTurn)",
        target: "≥ 3×",
        measured: `${ratio.toFixed(2)}× (stub-latency bound ${bound.toFixed(2)}×)`,
        verdict: check(ratio >= 3)
      },
      {
        section,
        metric: "sequential / pipelined (via server)",
        target: "≥ 3×",
        measured: `${ratioViaServer.toFixed(2)}×`,
        verdict: check(ratioViaServer >= 3)
      },
      {
        section: "pipeline overhead",
        metric: `first audio − stub latencies (${critical} ms), answerTurn p50`,
        target: "< 15 ms",
        measured: `${ms(overhead.p50)} (p99 ${ms(overhead.p99)}, n=${overhead.count})`,
        verdict: check(overhead.p50 < 15)
      },
      {
        section: "pipeline overhead",
        metric: `via server (dispatch, SSE, /tts/stream): first audio − ${serverCritical} ms p50`,
        target: "< 15 ms",
        measured: `${ms(overheadViaServer.p50)} (p99 ${ms(overheadViaServer.p99)})`,
        verdict: check(overheadViaServer.p50 < 15)
      }
    ]
    const result: FirstAudioResult = {
      rows,
      details: {
        criticalPathMs: { pipelined: critical, viaServer: serverCritical, sequential: sequentialCriticalPathMs(script) },
        pipelined: ours,
        pipelinedViaServer: server,
        sequential: reference,
        overhead,
        overheadViaServer,
        stageOverheadP50
      }
    }
    return result
  })
