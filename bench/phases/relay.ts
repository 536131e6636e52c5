/**
 * `/tts/stream` relay delay: for every upstream PCM chunk, from the moment the stamping forwarder
 * sent it on toward the server to the moment the client had received its last byte. The client
 * is the load process, as a browser is elsewhere: a client in the server's process would read
 * only once the server's event loop had finished whatever it did next.
 */
import { Effect } from "effect"
import type { Caller } from "../api.ts"
import type { LoadGenerator } from "../loadGenerator.ts"
import type { Arrival } from "../loadProtocol.ts"
import { monotonicMs, type SendStamp } from "../protocol.ts"
import { check, type Row } from "../report.ts"
import { QUESTION } from "../script.ts"
import { ms, type Summary, summarize } from "../stats.ts"
import type { StubHost } from "../stubHost.ts"

export interface RelayDelay {
  readonly delay: number
  /** the first chunk of a speech response: it follows the provider's silence before the sentence */
  readonly opensResponse: boolean
}

/** Each stamped chunk against the first client read that covered its last byte. */
export const relayDelays = (stamps: ReadonlyArray<SendStamp>, arrivals: ReadonlyArray<Arrival>): Array<RelayDelay> => {
  const delays: Array<RelayDelay> = []
  let next = 0
  for (const stamp of stamps) {
    while (next < arrivals.length && (arrivals[next]?.endOffset ?? 0) < stamp.endOffset) next++
    const arrival = arrivals[next]
    if (arrival !== undefined) delays.push({ delay: arrival.at - stamp.sentAt, opensResponse: stamp.opensResponse })
  }
  return delays
}

/** Speech requests of the machine-floor measurement. */
const FLOOR_REQUESTS = 20

/**
 * The machine's own share of a sentence's first chunk: a bare `fetch` in the server's process
 * of the same speech response through the same forwarder, after the same silence, read by nobody
 * else. What it takes is waking an idle process and its CPU, none of the server's code.
 */
const bareFetchFirstChunk = (stub: StubHost) =>
  Effect.gen(function*() {
    yield* stub.takeStamps
    const readAt = yield* Effect.tryPromise(async () => {
      const response = await fetch(`${stub.stampedEnv.OPENAI_BASE_URL}/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stub.stampedEnv.OPENAI_API_KEY}` },
        body: JSON.stringify({ model: "tts-1", voice: "alloy", input: QUESTION, response_format: "pcm" })
      })
      const reader = response.body?.getReader()
      if (reader === undefined) return undefined
      await reader.read()
      const at = monotonicMs()
      while (!(await reader.read()).done) { /* the rest of the speech, unmeasured */ }
      return at
    }).pipe(Effect.orElseSucceed(() => undefined))
    const first = (yield* stub.takeStamps)[0]
    return readAt === undefined || first === undefined ? [] : [readAt - first.sentAt]
  })

export interface RelayResult {
  readonly rows: ReadonlyArray<Row>
  readonly details: {
    readonly chunks: number
    readonly unmatched: number
    readonly delay: Summary
    readonly withinSentence: Summary
    readonly sentenceStart: Summary
    readonly bareFetchSentenceStart: Summary
  }
}

/** `turns` spoken turns (after one warm-up) through a server whose OpenAI traffic passes the forwarder. */
export const runRelay = (caller: Caller, load: LoadGenerator, stub: StubHost, turns: number) =>
  Effect.gen(function*() {
    const delays: Array<RelayDelay> = []
    let chunks = 0
    for (let i = 0; i <= turns; i++) {
      yield* stub.takeStamps
      const { arrivals } = yield* load.spokenTurn(caller, {
        sessionId: `bench-relay-${i}`,
        question: QUESTION,
        untilFirstAudio: false
      })
      const stamps = yield* stub.takeStamps
      if (i === 0) continue
      chunks += stamps.length
      delays.push(...relayDelays(stamps, arrivals))
    }
    const floor = yield* Effect.forEach(Array.from({ length: FLOOR_REQUESTS }), () => bareFetchFirstChunk(stub))
    const delay = summarize(delays.map((relayed) => relayed.delay))
    const withinSentence = summarize(delays.filter((relayed) => !relayed.opensResponse).map((relayed) => relayed.delay))
    const sentenceStart = summarize(delays.filter((relayed) => relayed.opensResponse).map((relayed) => relayed.delay))
    const bareFetchSentenceStart = summarize(floor.flat())
    const section = "/tts/stream relay"
    const spread = (summary: Summary) => `p50 ${ms(summary.p50, 2)}, p99 ${ms(summary.p99, 2)}, max ${ms(summary.max, 2)}`
    const rows: ReadonlyArray<Row> = [
      {
        section,
        metric: `upstream chunk sent → client received (${delay.count} chunks)`,
        target: "within 1 ms",
        measured: spread(delay),
        verdict: check(delay.p99 <= 1)
      },
      { section, metric: `of which within a sentence (${withinSentence.count})`, target: "—", measured: spread(withinSentence), verdict: "info" },
      {
        section,
        metric: `of which a sentence's first chunk, after the provider's silence (${sentenceStart.count})`,
        target: "—",
        measured: spread(sentenceStart),
        verdict: "info"
      },
      {
        section,
        metric: `machine floor: the same first chunk to a bare fetch in the server's process (${bareFetchSentenceStart.count})`,
        target: "—",
        measured: spread(bareFetchSentenceStart),
        verdict: "info"
      }
    ]
    const result: RelayResult = {
      rows,
      details: { chunks, unmatched: chunks - delays.length, delay, withinSentence, sentenceStart, bareFetchSentenceStart }
    }
    return result
  })
