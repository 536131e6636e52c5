import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Console, Duration, Effect, Layer, Logger, Option, Schema, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { writeFile } from "node:fs/promises"
import { text as readAll } from "node:stream/consumers"
import { PublicUrl, signInUrl } from "../http/teacherAuth.ts"
import { TracingLive } from "../layers/observability.ts"
import { databaseFromConfig } from "../layers/sql/database.ts"
import { teachersSql } from "../layers/sql/teachers.ts"
import { LINK_TTL } from "../layers/teacherAccounts.ts"
import { Email, Teachers } from "../services/Teachers.ts"
import { TutorProvidersLive } from "../layers/providers.ts"
import { DEFAULT_VOICE } from "../services/Speech.ts"
import { answerTurn, classifyTurn } from "../tutor/answerTurn.ts"
import type { TurnEvent } from "../tutor/events.ts"
import { toSentences } from "../tutor/segmenter.ts"
import { readCorpus } from "../layers/local/safety/corpus.ts"
import { formatScores, outcomeOf, score, TARGETS, verdicts } from "./eval.ts"
import { wavFile } from "./wav.ts"

const readStdin = Effect.promise(() => readAll(process.stdin))

const printLine = (value: unknown) => Console.log(JSON.stringify(value))

/** Audio goes to the WAV file; on the terminal an audio event is its size, not its bytes. */
const printable = (event: TurnEvent) =>
  event.type === "audio" ? { type: "audio", sentenceIndex: event.sentenceIndex, bytes: event.pcm.length } : event

const ask = Command.make(
  "ask",
  {
    question: Argument.String("question").pipe(
      Argument.withDescription("The question; read from stdin when left out"),
      Argument.optional
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print every event as a JSON line"), Flag.withDefault(false)),
    audio: Flag.Path("audio", { pathType: "file" }).pipe(
      Flag.withDescription("Write the spoken answer to this WAV file (24 kHz mono PCM16)"),
      Flag.optional
    ),
    voice: Flag.String("voice").pipe(Flag.withDefault(DEFAULT_VOICE))
  },
  Effect.fn("cli.ask")(function*({ audio, json, question, voice }) {
    const studentText = Option.isSome(question) ? question.value : (yield* readStdin).trim()
    if (studentText.length === 0) return yield* Effect.fail(new CliInputError({ detail: "no question given" }))
    const pcm: Array<Uint8Array> = []
    let failed = false
    yield* answerTurn(
      { sessionId: `cli-${process.pid}`, studentText, history: [] },
      Option.isSome(audio) ? { voice } : {}
    ).pipe(
      Stream.runForEach((event) => {
        if (event.type === "audio") pcm.push(event.pcm)
        if (event.type === "failed") failed = true
        if (json) return printLine(printable(event))
        switch (event.type) {
          case "classified":
            return Console.error(`[${event.subject}, confidence ${event.confidence.toFixed(2)}${event.fallback ? ", fallback" : ""}]`)
          case "sentence":
            return Console.log(event.text)
          case "escalation":
            return Console.error(`[escalated to a teacher: ${event.reason}]`)
          case "failed":
            return Console.error(`[failed at ${event.stage}: ${event.message}]`)
          default:
            return Effect.void
        }
      })
    )
    if (Option.isSome(audio)) {
      const path = audio.value
      yield* Effect.promise(() => writeFile(path, wavFile(pcm)))
      if (!json) yield* Console.error(`[audio written to ${path}]`)
    }
    if (failed) return yield* Effect.fail(new CliInputError({ detail: "the turn failed" }))
  }, Effect.provide(TutorProvidersLive))
).pipe(Command.withDescription("Ask the tutor one question and print its guarded answer"))

const ClassifyLine = Schema.fromJsonString(Schema.Struct({ text: Schema.String }))

/** A JSONL line with a `text` field, or the plain line itself. */
const questionOf = (line: string): string =>
  Option.match(Schema.decodeUnknownOption(ClassifyLine)(line), { onNone: () => line, onSome: ({ text }) => text })

const classify = Command.make(
  "classify",
  {},
  Effect.fn("cli.classify")(function*() {
    const questions = (yield* readStdin).split("\n").map((line) => line.trim()).filter((line) => line.length > 0)
    yield* Effect.forEach(questions, (line) =>
      Effect.gen(function*() {
        const text = questionOf(line)
        const routed = yield* classifyTurn(text, [])
        yield* printLine({ text, subject: routed.subject, confidence: routed.confidence })
      }), { discard: true })
  }, Effect.provide(TutorProvidersLive))
).pipe(Command.withDescription("Classify questions from stdin (one per line, or JSONL with a text field)"))

/** Small random pieces, like a model's deltas, so the segmenter is seen working on a live stream. */
const randomChunks = (text: string): Array<string> => {
  const chunks: Array<string> = []
  for (let i = 0; i < text.length;) {
    const size = 1 + Math.floor(Math.random() * 5)
    chunks.push(text.slice(i, i + size))
    i += size
  }
  return chunks
}

const segment = Command.make(
  "segment",
  {},
  Effect.fn("cli.segment")(function*() {
    const text = yield* readStdin
    yield* toSentences(Stream.fromIterable(randomChunks(text))).pipe(
      Stream.runForEach((sentence) => printLine({ sentence }))
    )
  })
).pipe(Command.withDescription("Cut text from stdin into sentences, fed in small random chunks"))

/** A share in [0, 1] given on the command line, defaulting to the product's target. */
const ratioFlag = (name: string, target: number) =>
  Flag.Finite(name).pipe(
    Flag.withDescription(`with --check, the floor (default: the target, ${target})`),
    Flag.withDefault(target)
  )

const evaluate = Command.make(
  "eval",
  {
    paths: Argument.String("file").pipe(
      Argument.withDescription("Labelled JSON Lines files or folders of them (corpus/README.md)"),
      Argument.atLeast(1)
    ),
    check: Flag.Boolean("check").pipe(
      Flag.withDescription("Exit with an error when a floor given below (or a target) is missed"),
      Flag.withDefault(false)
    ),
    minEscalateRecall: ratioFlag("min-escalate-recall", TARGETS.escalateRecall),
    minCategoryRecall: ratioFlag("min-category-recall", TARGETS.categoryRecall),
    maxLookalikeFalse: ratioFlag("max-lookalike-false", TARGETS.lookalikeFalseEscalations),
    minSubjectAccuracy: ratioFlag("min-subject-accuracy", TARGETS.subjectAccuracy)
  },
  Effect.fn("cli.eval")(function*(options) {
    const lines = yield* readCorpus(options.paths)
    const judged = yield* Effect.forEach(lines, (line, index) => Effect.map(outcomeOf(line, index), (outcome) => ({ line, outcome })))
    const scores = score(judged)
    yield* Console.log(formatScores(scores))
    const targets = verdicts(scores)
    yield* Console.log(["", "targets:", ...targets.map(({ met, target }) => `${met ? "pass" : "MISS"}  ${target}`)].join("\n"))
    const floors = verdicts(scores, {
      escalateRecall: options.minEscalateRecall,
      categoryRecall: options.minCategoryRecall,
      lookalikeFalseEscalations: options.maxLookalikeFalse,
      subjectAccuracy: options.minSubjectAccuracy
    })
    if (options.check && floors.some(({ met }) => !met)) {
      const missed = floors.filter(({ met }) => !met).map(({ target }) => target).join("; ")
      return yield* Effect.fail(new CliInputError({ detail: `floors missed: ${missed}` }))
    }
  }, Effect.provide(TutorProvidersLive))
).pipe(Command.withDescription("Measure routing and safety on labelled lines, through the tutor's own turn program"))

class CliInputError extends Schema.TaggedError<CliInputError>()("CliInputError", { detail: Schema.String }) {
  override get message(): string {
    return this.detail
  }
}

/** Teacher accounts live in the server's database: `DATABASE_URL`, else the embedded one under TUTOR_DATA_DIR. */
const TeacherAccounts = teachersSql.pipe(Layer.provide(databaseFromConfig))

const emailFlag = Flag.String("email").pipe(Flag.withDescription("The teacher's email (their account name)"))

const decodeEmail = (email: string) =>
  Schema.decodeUnknownEffect(Email)(email).pipe(
    Effect.mapError(() => new CliInputError({ detail: `not an email address: ${email}` }))
  )

const printLink = (token: string) =>
  Effect.gen(function*() {
    const url = signInUrl(yield* PublicUrl, token)
    yield* Console.log(`One-time sign-in link (valid ${Duration.format(LINK_TTL)}, works once): ${url}`)
  })

const teacherAdd = Command.make(
  "add",
  {
    name: Flag.String("name").pipe(Flag.withDescription("The teacher's name, as other teachers see it")),
    email: emailFlag,
    admin: Flag.Boolean("admin").pipe(
      Flag.withDescription("May open any session without claiming it (for a safeguarding lead)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cli.teacher.add")(function*({ admin, email, name }) {
    if (name.trim().length === 0) return yield* new CliInputError({ detail: "--name must not be empty" })
    const teachers = yield* Teachers
    const added = yield* teachers.add({ name, email: yield* decodeEmail(email), role: admin ? "admin" : "teacher" })
    yield* Console.log(`Added ${added.teacher.name} <${added.teacher.email}> (${added.teacher.role}).`)
    yield* printLink(added.link.token)
  }, Effect.provide(TeacherAccounts))
).pipe(Command.withDescription("Create a teacher account and print its one-time sign-in link"))

const teacherList = Command.make(
  "list",
  {},
  Effect.fn("cli.teacher.list")(function*() {
    const list = yield* (yield* Teachers).list
    if (list.length === 0) return yield* Console.log("No teacher accounts yet: add one with `tutor teacher add`.")
    for (const teacher of list) yield* Console.log(`${teacher.email}\t${teacher.role}\t${teacher.name}`)
  }, Effect.provide(TeacherAccounts))
).pipe(Command.withDescription("List the teacher accounts"))

const teacherRemove = Command.make(
  "remove",
  { email: emailFlag },
  Effect.fn("cli.teacher.remove")(function*({ email }) {
    yield* (yield* Teachers).remove(yield* decodeEmail(email))
    yield* Console.log(`Removed ${email}: its sign-in links and sessions no longer work (its audit rows stay).`)
  }, Effect.provide(TeacherAccounts))
).pipe(Command.withDescription("Remove a teacher account"))

const teacherLink = Command.make(
  "link",
  { email: emailFlag },
  Effect.fn("cli.teacher.link")(function*({ email }) {
    const link = yield* (yield* Teachers).issueLink(yield* decodeEmail(email))
    yield* printLink(link.token)
  }, Effect.provide(TeacherAccounts))
).pipe(Command.withDescription("Print a new one-time sign-in link for a teacher"))

const teacher = Command.make("teacher").pipe(
  Command.withDescription("Teacher accounts: add, list, remove, and new sign-in links"),
  Command.withSubcommands([teacherAdd, teacherList, teacherRemove, teacherLink])
)

const tutor = Command.make("tutor").pipe(
  Command.withDescription("Voice AI Tutor from the terminal"),
  Command.withSubcommands([ask, classify, segment, evaluate, teacher])
)

tutor.pipe(
  Command.run({ version: "0.1.0" }),
  // the providers (and their start-up table) only for the commands that answer or judge turns
  Effect.provide(Layer.mergeAll(NodeServices.layer, TracingLive)),
  // stdout carries answers and JSON lines only; every diagnostic, start-up errors included, goes to stderr
  // an expected failure (bad input, unknown teacher) is one plain line; only a defect gets its trace
  Effect.tapCause((cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.void
    const failure = Cause.findErrorOption(cause)
    return failure._tag === "Some" && failure.value instanceof Error
      ? Console.error(`error: ${failure.value.message}`)
      : Console.error(Cause.pretty(cause))
  }),
  Effect.provideService(Logger.LogToStderr, true),
  (program) => NodeRuntime.runMain(program, { disableErrorReporting: true })
)
