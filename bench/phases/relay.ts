/**
 * `/tts/stream` relay delay: for every upstream PCM chunk, from the moment the stamping forwarder
 * sent it on toward the server to the moment the client had received its last byte.
 */
import { Effect } from "effect"
import { type Caller, serverTurn } from "../api.ts"
import type { SendStamp } from "../protocol.ts"
import { check, type Row } from "../report.ts"
import { QUESTION } from "../script.ts"
import { ms, type Summary, summarize } from "../stats.ts"
import type { StubHost } from "../stubHost.ts"

interface Arrival {
  readonly endOffset: number
  readonly at: number
}

/** Each stamped chunk against the first client read that covered its last byte. */
export const relayDelays = (stamps: ReadonlyArray<SendStamp>, arrivals: ReadonlyArray<Arrival>): Array<number> => {
  const delays: Array<number> = []
  let next = 0
  for (const stamp of stamps) {
    while (next < arrivals.length && (arrivals[next]?.endOffset ?? 0) < stamp.endOffset) next++
    const arrival = arrivals[next]
    if (arrival !== undefined) delays.push(arrival.at - stamp.sentAt)
  }
  return delays
}

export interface RelayResult {
  readonly rows: ReadonlyArray<Row>
  readonly details: { readonly chunks: number; readonly unmatched: number; readonly delay: Summary }
}

/** `turns` spoken turns (after one warm-up) through a server whose OpenAI traffic passes the forwarder. */
export const runRelay = (caller: Caller, stub: StubHost, turns: number) =>
  Effect.gen(function*() {
    const delays: Array<number> = []
    let chunks = 0
    for (let i = 0; i <= turns; i++) {
      yield* stub.takeStamps
      const arrivals: Array<Arrival> = []
      let received = 0
      yield* serverTurn(caller, `bench-relay-${i}`, QUESTION, (chunk, at) => {
        received += chunk.length
        arrivals.push({ endOffset: received, at })
        return "more"
      })
      const stamps = yield* stub.takeStamps
      if (i === 0) continue
      chunks += stamps.length
      delays.push(...relayDelays(stamps, arrivals))
    }
    const delay = summarize(delays)
    const rows: ReadonlyArray<Row> = [{
      section: "/tts/stream relay",
      metric: `upstream chunk sent → client received (${delay.count} chunks)`,
      target: "within 1 ms",
      measured: `p50 ${ms(delay.p50, 2)}, p99 ${ms(delay.p99, 2)}, max ${ms(delay.max, 2)}`,
      verdict: check(delay.p99 <= 1)
    }]
    const result: RelayResult = { rows, details: { chunks, unmatched: chunks - delays.length, delay } }
    return result
  })
