import { Effect, Stream } from "effect"
import { SpeechLocal } from "../../src/layers/local/SpeechLocal.ts"
import { Speech } from "../../src/services/Speech.ts"
import { check, type Row } from "../report.ts"
import { ms, summarize } from "../stats.ts"

const SECTION = "local speech (eSpeak NG, no keys)"
const SENTENCE = "Twenty five percent of eighty is twenty."

/** Time from asking to the first PCM chunk of a short sentence, with the WASM module already loaded. */
const firstChunk = (speech: Speech["Service"]) =>
  Effect.gen(function*() {
    const started = performance.now()
    yield* speech.synthesize(SENTENCE, "default").pipe(Stream.take(1), Stream.runDrain)
    return performance.now() - started
  })

/** Issue 3's warm first-chunk figure for the embedded TTS (target < 300 ms). */
export const runLocalSpeech = (turns: number) =>
  Effect.gen(function*() {
    const speech = yield* Speech
    yield* firstChunk(speech) // warm-up: the first call pays for nothing but the sentence
    const samples: Array<number> = []
    for (let turn = 0; turn < turns; turn++) samples.push(yield* firstChunk(speech))
    const summary = summarize(samples)
    const rows: ReadonlyArray<Row> = [{
      section: SECTION,
      metric: `first PCM chunk of a short sentence, warm, p50 (n=${turns})`,
      target: "< 300 ms",
      measured: `${ms(summary.p50)} (p99 ${ms(summary.p99)})`,
      verdict: check(summary.p50 < 300)
    }]
    return { rows, details: summary }
  }).pipe(Effect.provide(SpeechLocal))
