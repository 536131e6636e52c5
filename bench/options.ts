import { parseArgs } from "node:util"
import { Schema } from "effect"

/** Everything a run can be told from the command line; every number has a short and a full default. */
export interface BenchOptions {
  readonly full: boolean
  readonly classifierMs: number
  readonly firstTokenMs: number
  readonly chunkMs: number
  readonly moderationMs: number
  readonly ttsMs: number
  readonly ttsChunkMs: number
  readonly sentences: number
  readonly rates: ReadonlyArray<number>
  readonly rateSeconds: number
  /** extra rates tried between the highest held and the lowest missed */
  readonly probes: number
  readonly firstAudioTurns: number
  readonly relayTurns: number
  readonly sessions: number
  readonly sessionTurns: number
  readonly leakTurns: number
  readonly leakConcurrency: number
  /** the server's turn worker processes (`TUTOR_TURN_WORKERS`); 0 answers turns on its event loop */
  readonly turnWorkers: number
}

export const USAGE = `npm run bench -- [--full] [--classifier-ms 150] [--first-token-ms 300] [--chunk-ms 30]
  [--moderation-ms 80] [--tts-ms 120] [--tts-chunk-ms 10] [--sentences 10] [--rates 50,200,500]
  [--rate-seconds 3|10] [--probes 1|4] [--first-audio-turns 8|20] [--relay-turns 3|10]
  [--sessions 500] [--session-turns 3] [--leak-turns 10000 (--full only)] [--leak-concurrency 100]
  [--turn-workers 1]`

const flags = {
  full: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
  "classifier-ms": { type: "string" },
  "first-token-ms": { type: "string" },
  "chunk-ms": { type: "string" },
  "moderation-ms": { type: "string" },
  "tts-ms": { type: "string" },
  "tts-chunk-ms": { type: "string" },
  sentences: { type: "string" },
  rates: { type: "string" },
  "rate-seconds": { type: "string" },
  probes: { type: "string" },
  "first-audio-turns": { type: "string" },
  "relay-turns": { type: "string" },
  sessions: { type: "string" },
  "session-turns": { type: "string" },
  "leak-turns": { type: "string" },
  "leak-concurrency": { type: "string" },
  "turn-workers": { type: "string" }
} as const

const NonNegative = Schema.NumberFromString.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const decodeNumber = Schema.decodeUnknownSync(NonNegative)

/** `undefined` when `--help` was asked for. */
export const parseOptions = (argv: ReadonlyArray<string>): BenchOptions | undefined => {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: false })
  if (values.help) return undefined
  const full = values.full
  const number = (value: string | undefined, short: number, long = short) =>
    value === undefined ? (full ? long : short) : decodeNumber(value)
  return {
    full,
    classifierMs: number(values["classifier-ms"], 150),
    firstTokenMs: number(values["first-token-ms"], 300),
    chunkMs: number(values["chunk-ms"], 30),
    moderationMs: number(values["moderation-ms"], 80),
    ttsMs: number(values["tts-ms"], 120),
    ttsChunkMs: number(values["tts-chunk-ms"], 10),
    sentences: Math.max(1, Math.round(number(values.sentences, 10))),
    rates: (values.rates ?? "50,200,500").split(",").map((rate) => decodeNumber(rate.trim())).filter((rate) => rate > 0),
    rateSeconds: number(values["rate-seconds"], 3, 10),
    probes: number(values.probes, 1, 4),
    firstAudioTurns: number(values["first-audio-turns"], 8, 20),
    relayTurns: number(values["relay-turns"], 3, 10),
    sessions: number(values.sessions, 500),
    sessionTurns: number(values["session-turns"], 3),
    leakTurns: number(values["leak-turns"], 10_000),
    leakConcurrency: Math.max(1, number(values["leak-concurrency"], 100)),
    turnWorkers: Math.round(number(values["turn-workers"], 1))
  }
}
