/**
 * `npm run bench`: the performance targets of SPEC §11, measured on loopback. The real Version B
 * server runs in this process over the LIVE provider layers (real OpenAI/Anthropic SDKs) pointed
 * at the provider stub, which runs in a child process at set latencies. Prints a table (target,
 * measured, pass/MISS) and writes bench/results.json. Short by default; `--full` for the long runs.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Duration, Effect, Layer } from "effect"
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { makeAddresses } from "./api.ts"
import { startFloorServer } from "./floorServer.ts"
import { startLoadGenerator } from "./loadGenerator.ts"
import { parseOptions, USAGE } from "./options.ts"
import { runFirstAudio } from "./phases/firstAudio.ts"
import { runLocalSpeech } from "./phases/localSpeech.ts"
import { runSafetyCheck } from "./phases/safetyCheck.ts"
import { studentTurns, withLeakCheck } from "./phases/memory.ts"
import { runOrchestrate } from "./phases/orchestrate.ts"
import { runRelay } from "./phases/relay.ts"
import { runSessions } from "./phases/sessions.ts"
import { machine, renderHelpers, renderMachine, renderTable, type Row } from "./report.ts"
import { answerAudioBytes, stubScript } from "./script.ts"
import { liveProviders, startServer } from "./server.ts"
import { settle } from "./settle.ts"
import { startStubHost } from "./stubHost.ts"

const RESULTS = fileURLToPath(new URL("./results.json", import.meta.url))

const phase = <A extends { readonly rows: ReadonlyArray<Row> }, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    // every phase starts on a quiet server
    yield* settle(Duration.seconds(60))
    yield* Console.log(`… ${name}`)
    const started = performance.now()
    const result = yield* effect
    yield* Console.log(renderTable(result.rows))
    yield* Console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
    return result
  })

const program = Effect.gen(function*() {
  const options = parseOptions(process.argv.slice(2))
  if (options === undefined) return yield* Console.log(USAGE)
  const mode = options.full ? "full run" : "short run (--full for the long counts)"
  const host = machine()
  yield* Console.log(renderMachine(host, mode))
  if (globalThis.gc === undefined) yield* Console.log("warning: run with --expose-gc (npm run bench does) for the leak check")

  const script = stubScript(options)
  const stub = yield* startStubHost(script)
  const load = yield* startLoadGenerator
  const helpers = { providerStub: stub.priority, loadGenerator: load.priority }
  yield* Console.log(renderHelpers(helpers, options.turnWorkers))
  const server = yield* startServer(stub.env, options.turnWorkers)
  const relayServer = yield* startServer(stub.stampedEnv, options.turnWorkers)
  const floor = yield* startFloorServer
  const nextAddress = makeAddresses()
  const audioBytes = answerAudioBytes(script)
  const caller = { server, address: nextAddress() }
  // the live layers of the in-process turns (each server builds its own)
  const providers = yield* Layer.build(liveProviders(stub.env))

  // the idle measurements first, then the load
  const firstAudio = yield* phase(
    "first audio: pipelined vs sequential",
    runFirstAudio(caller, load, script, options.firstAudioTurns).pipe(Effect.provideContext(providers))
  )
  const localSpeech = yield* phase("local speech: first chunk", runLocalSpeech(10))
  const safetyCheck = yield* phase("safety check", runSafetyCheck(100))
  const relay = yield* phase("/tts/stream relay", runRelay({ server: relayServer, address: nextAddress() }, load, stub, options.relayTurns))
  const orchestrate = yield* phase(
    "POST /orchestrate under load",
    runOrchestrate({ server, floor }, load, nextAddress, options.rates, options.rateSeconds, options.probes)
  )
  const sessionsPhase = runSessions(server, nextAddress, options.sessions, options.sessionTurns, audioBytes)
  // short: the session phase's turns are the leak check's; full: 10,000 turns of their own after it
  const { memory, sessions } = options.full
    ? yield* Effect.gen(function*() {
      const sessions = yield* phase("concurrent sessions", sessionsPhase)
      const { memory } = yield* phase(
        "memory",
        withLeakCheck(server, "", studentTurns(server, nextAddress, options.leakTurns, options.leakConcurrency, audioBytes)).pipe(
          Effect.map(({ memory }) => ({ rows: memory.rows, memory }))
        )
      )
      return { memory, sessions }
    })
    : yield* phase(
      "concurrent sessions, memory",
      withLeakCheck(server, ` of the session phase (short mode; --full runs ${options.leakTurns.toLocaleString("en")} more)`, sessionsPhase).pipe(
        Effect.map(({ memory, result }) => ({ rows: [...result.rows, ...memory.rows], memory, sessions: result }))
      )
    )

  const rows = [orchestrate, firstAudio, localSpeech, safetyCheck, relay, sessions, memory].flatMap((result) => result.rows)
  yield* Console.log(`\n${renderMachine(host, mode)}\n${renderHelpers(helpers, options.turnWorkers)}\n${renderTable(rows)}`)
  writeFileSync(RESULTS, JSON.stringify({
    machine: host,
    helpers,
    mode: options.full ? "full" : "short",
    options,
    stub: script,
    rows,
    details: {
      orchestrate: orchestrate.details,
      firstAudio: firstAudio.details,
      localSpeech: localSpeech.details,
      safetyCheck: safetyCheck.details,
      relay: relay.details,
      sessions: sessions.details,
      memory: memory.details
    }
  }, null, 2))
  yield* Console.log(`results: ${RESULTS}`)
}).pipe(Effect.scoped)

NodeRuntime.runMain(program)
