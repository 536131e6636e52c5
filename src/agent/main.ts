import { cli, defineAgent, type JobContext, ServerOptions } from "@livekit/agents"
import * as openai from "@livekit/agents-plugin-openai"
import { RoomEvent } from "@livekit/rtc-node"
import { Config, Effect, Layer, ManagedRuntime, Option, Redacted, Schema } from "effect"
import { fileURLToPath } from "node:url"
import { liveConfig } from "../layers/live/config.ts"
import { Sessions } from "../services/Sessions.ts"
import { type AgentRuntime, EnglishAgent, OrchestratorAgent, returnFromEnglish } from "./agents.ts"
import { LiveKitConfig, readLiveKitSettings } from "./config.ts"
import { decodeHandback, EnglishJobJson, HANDBACK_TOPIC } from "./messages.ts"
import { agentLayer, makeTutorSession, NEEDS_DATABASE } from "./session.ts"
import { SessionState } from "./state.ts"
import { SharedDatabaseUrl } from "../layers/sql/database.ts"
import { ENGLISH_WORKER, ORCHESTRATOR_WORKER, sessionForRoom } from "./tokens.ts"

/**
 * Version A's LiveKit Agents worker: `AGENT_WORKER=english` runs `learning-english` (the OpenAI
 * Realtime English session), anything else `learning-orchestrator`. Both register with explicit
 * dispatch; the student token dispatches the orchestrator, the orchestrator the English worker.
 */
const workerConfig = Config.all({
  english: Config.String("AGENT_WORKER").pipe(Config.withDefault(""), Config.map((kind) => kind === "english")),
  healthPort: Config.option(Config.Port("AGENT_HEALTH_PORT")),
  orchestratorModel: Config.String("OPENAI_ORCHESTRATOR_MODEL").pipe(Config.withDefault("gpt-4o-mini"))
})

/** The reference's voices: `nova` for the pipeline, `shimmer` for the English Realtime session. */
const PIPELINE_VOICE = "nova"
const ENGLISH_VOICE = "shimmer"

/** The models' settings, read inside a job (never at import: job processes import this file too). */
const openAiSettings = Effect.gen(function*() {
  const live = yield* liveConfig
  const apiKey = yield* Option.match(live.openAiApiKey, {
    onSome: (key) => Effect.succeed(Redacted.value(key)),
    onNone: () => Effect.fail(new Error("Version A's voice pipeline needs OPENAI_API_KEY (speech-to-text, orchestrator, speech, Realtime)"))
  })
  const worker = yield* workerConfig
  return { apiKey, baseURL: live.openAiBaseUrl, models: live.models, orchestratorModel: worker.orchestratorModel }
})

/** One runtime per room for the shared programs, disposed with the job. */
const roomRuntime = async (ctx: JobContext): Promise<AgentRuntime> => {
  const settings = await Effect.runPromise(readLiveKitSettings)
  // a provider misconfiguration is fatal for the room: it dies loudly instead of speaking half-configured
  const runtime = ManagedRuntime.make(
    agentLayer(ctx.room).pipe(Layer.provide(Layer.succeed(LiveKitConfig, settings)), Layer.orDie)
  )
  ctx.addShutdownCallback(() => runtime.dispose())
  return runtime
}

const orchestratorEntry = async (ctx: JobContext) => {
  const openAi = await Effect.runPromise(openAiSettings)
  const runtime = await roomRuntime(ctx)
  await ctx.connect()
  const roomName = ctx.room.name ?? ""
  const state = new SessionState(sessionForRoom(roomName), roomName)
  // queued for the session record (learning_sessions with its room), never waited on
  await runtime.runPromise(Sessions.use((sessions) =>
    sessions.record(state.sessionId, { _tag: "Started", sessionToken: null, roomName })
  ))
  const { apiKey, baseURL } = openAi
  const session = makeTutorSession({
    userData: { state, runtime },
    stt: new openai.STT({ apiKey, baseURL, model: openAi.models.transcription }),
    llm: new openai.LLM({ apiKey, baseURL, model: openAi.orchestratorModel }),
    tts: new openai.TTS({ apiKey, baseURL, model: openAi.models.tts, voice: PIPELINE_VOICE })
  })
  ctx.room.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
    if (topic === HANDBACK_TOPIC && decodeHandback(payload)._tag === "Success") returnFromEnglish(session)
  })
  await session.start({ agent: new OrchestratorAgent(), room: ctx.room })
}

const englishEntry = async (ctx: JobContext) => {
  const openAi = await Effect.runPromise(openAiSettings)
  // the orchestrator dispatched this job with the session and the student's question
  const job = await Effect.runPromise(Schema.decodeUnknownEffect(EnglishJobJson)(ctx.job.metadata))
  const runtime = await roomRuntime(ctx)
  await ctx.connect()
  const state = new SessionState(job.sessionId, ctx.room.name ?? "")
  state.currentSubject = "english"
  const userData = { state, runtime }
  const session = makeTutorSession({
    userData,
    // text out, spoken by our TTS after the guardrail (EnglishAgent.ttsNode): the Realtime voice
    // would speak before any check could stand in its way
    llm: new openai.realtime.RealtimeModel({
      apiKey: openAi.apiKey,
      baseURL: openAi.baseURL,
      model: openAi.models.realtime,
      modalities: ["text"]
    }),
    tts: new openai.TTS({ apiKey: openAi.apiKey, baseURL: openAi.baseURL, model: openAi.models.tts, voice: ENGLISH_VOICE })
  })
  await session.start({ agent: new EnglishAgent(userData, () => ctx.shutdown("handed back to the orchestrator")), room: ctx.room })
  session.generateReply({ userInput: job.question })
}

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const { english } = await Effect.runPromise(workerConfig)
    await (english ? englishEntry(ctx) : orchestratorEntry(ctx))
  }
})

/** Refuses to start without a LiveKit project, naming what is missing, before LiveKit's CLI runs. */
const main = Effect.gen(function*() {
  const livekit = yield* readLiveKitSettings
  if (Option.isNone(yield* SharedDatabaseUrl)) return yield* Effect.fail(new Error(NEEDS_DATABASE))
  const worker = yield* workerConfig
  // `npm run agent` means a production worker; LiveKit's CLI wants the command spelled out
  if (process.argv.length <= 2) process.argv.push("start")
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: worker.english ? ENGLISH_WORKER : ORCHESTRATOR_WORKER,
      wsURL: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: Redacted.value(livekit.apiSecret),
      // the two workers may share a machine: each gets its own health port
      port: Option.getOrElse(worker.healthPort, () => worker.english ? 8082 : 8081)
    })
  )
})

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  Effect.runSync(
    main.pipe(
      Effect.catch((error) =>
        Effect.sync(() => {
          process.stderr.write(`npm run agent: ${error.message}\n`)
          process.exitCode = 1
        })
      )
    )
  )
}
