import { Effect, FileSystem, Schema } from "effect"
import { createHash } from "node:crypto"
import { SAFETY_CATEGORIES } from "../../../domain/safety.ts"

/** Everything the safety head tells apart: the safety categories, the subjects, and small talk. */
export const MODEL_LABELS = [...SAFETY_CATEGORIES, "math", "history", "english", "chat"] as const
export const ModelLabel = Schema.Literals(MODEL_LABELS)
export type ModelLabel = typeof ModelLabel.Type

/** One labelled line of `corpus/` (its README defines the format). */
export const CorpusLine = Schema.Struct({
  text: Schema.String.pipe(Schema.check(Schema.isNonEmpty())),
  previous: Schema.optionalKey(Schema.Array(Schema.String)),
  label: ModelLabel,
  lookalike: Schema.optionalKey(Schema.Boolean)
})
export type CorpusLine = typeof CorpusLine.Type

export class CorpusInvalid extends Schema.TaggedError<CorpusInvalid>()("CorpusInvalid", {
  file: Schema.String,
  line: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.file}:${this.line}: ${this.detail}`
  }
}

const decodeLine = Schema.decodeUnknownEffect(Schema.fromJsonString(CorpusLine))

/** The labelled lines of one JSON Lines file; a bad line is an error that names it. */
export const readCorpusFile = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const content = yield* fs.readFileString(file)
    const lines = content.split("\n")
    const decoded: Array<CorpusLine> = []
    for (const [index, raw] of lines.entries()) {
      if (raw.trim().length === 0) continue
      decoded.push(
        yield* decodeLine(raw).pipe(
          Effect.mapError((error) => new CorpusInvalid({ file, line: index + 1, detail: error.message }))
        )
      )
    }
    return decoded
  })

/** Every `.jsonl` file under the given files or folders, sorted by path, so runs are repeatable. */
export const readCorpus = (paths: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files: Array<string> = []
    for (const path of paths) {
      const info = yield* fs.stat(path)
      if (info.type === "Directory") {
        const entries = yield* fs.readDirectory(path, { recursive: true })
        files.push(...entries.filter((entry) => entry.endsWith(".jsonl")).map((entry) => `${path}/${entry}`))
      } else {
        files.push(path)
      }
    }
    const lines = yield* Effect.forEach(files.toSorted(), readCorpusFile)
    return lines.flat()
  })

/** Names the exact lines a head was trained on, so a head older than its corpus is caught. */
export const corpusDigest = (lines: ReadonlyArray<CorpusLine>): string =>
  createHash("sha256").update(lines.map((line) => JSON.stringify(line)).join("\n")).digest("hex")

/** What the model reads for a line: the student's recent messages and the latest, oldest first. */
export const windowText = (previous: ReadonlyArray<string>, text: string): string =>
  [...previous, text].map((message) => message.trim()).join(" \n ")

/** where a message turns to something else: sentence ends, and "also" / "btw" / "anyway" */
const CLAUSE_BREAK = /(?<=[.!?;])\s+|\s+(?:also|btw|anyway|oh and|and also)[,]?\s+/i
const MIN_CLAUSE_WORDS = 3
const MAX_CLAUSES = 4

/** The parts of a message that say different things, when it has more than one. */
export const clausesOf = (text: string): ReadonlyArray<string> => {
  const clauses = text.split(CLAUSE_BREAK).map((clause) => clause.trim())
    .filter((clause) => clause.split(/\s+/).length >= MIN_CLAUSE_WORDS)
  return clauses.length > 1 ? clauses.slice(0, MAX_CLAUSES) : []
}

/** One text the model reads, and how many of the student's messages it spans. */
export interface Reading {
  readonly text: string
  readonly turns: number
}

/**
 * Every reading the safety check takes of a message: the message alone, with the student's open
 * earlier messages (a disclosure split over two), and each of its clauses (a worry hidden after a
 * homework question). The most worrying reading counts.
 */
export const readingsOf = (text: string, previous: ReadonlyArray<string>): ReadonlyArray<Reading> => {
  const readings: Array<Reading> = [{ text, turns: 1 }]
  if (previous.length > 0) readings.push({ text: windowText(previous, text), turns: previous.length + 1 })
  for (const clause of clausesOf(text)) readings.push({ text: clause, turns: 1 })
  return readings.filter((reading, index) => readings.findIndex((other) => other.text === reading.text) === index)
}
