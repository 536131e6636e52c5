import type { ESpeakNgModule, WasmImports, WasmInstance, WasmModule } from "espeak-ng"
import { Context, Effect, Layer, Metric, Result } from "effect"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { ProviderError } from "../../../services/ProviderError.ts"
import { type Pcm16, parseWav } from "./wav.ts"

/**
 * eSpeak NG compiled to WebAssembly (npm `espeak-ng`, GPL-3.0, an optional dependency loaded
 * only when this layer is built). The package is the eSpeak command line, so each sentence is
 * one run of its `main` writing a WAV into the module's in-memory file system.
 *
 * Loading (compiling 18 MB of WebAssembly, unpacking the voice data) takes about half a second,
 * so it happens once per layer build. `main` cannot simply be called twice, though: the command
 * line keeps global state between runs (getopt's `optind` among others, so a second run ignores
 * its options). We therefore copy the module's memory right after loading and put that copy back
 * before every run: each sentence starts from a freshly loaded engine, at the cost of a 32 MB
 * copy (a few milliseconds).
 */
export class EspeakEngine extends Context.Service<EspeakEngine, {
  readonly synthesizeWav: (text: string, voice: string) => Effect.Effect<Pcm16, ProviderError>
}>()("tutor/local/EspeakEngine") {
  static readonly layer: Layer.Layer<EspeakEngine, ProviderError> = Layer.effect(
    EspeakEngine,
    Effect.gen(function*() {
      const engine = yield* load()
      return EspeakEngine.of({ synthesizeWav: (text, voice) => synthesize(engine, text, voice) })
    })
  )
}

/** how many times the WebAssembly module was loaded in this process (once per layer build) */
export const espeakLoads = Metric.counter("tutor_local_espeak_loads", {
  description: "eSpeak NG WebAssembly modules loaded",
  incremental: true
})

/** eSpeak voices the layer accepts by name; anything else (e.g. OpenAI's "alloy") speaks en-us */
const VOICES = new Set(["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"])
const DEFAULT_ESPEAK_VOICE = "en-us"

const INPUT_FILE = "/tutor-input.txt"
const OUTPUT_FILE = "/tutor-output.wav"

interface Engine {
  readonly module: ESpeakNgModule
  readonly malloc: (size: number) => number
  readonly stackSave: () => number
  readonly stackRestore: (pointer: number) => void
  readonly pristine: Uint8Array
  readonly errors: Array<string>
}

/** the subset of the global WebAssembly API used here; the project's lib has no DOM types */
interface WasmRuntime {
  compile(bytes: Uint8Array): Promise<WasmModule>
  readonly Instance: new(module: WasmModule, imports: WasmImports) => WasmInstance
}
const isWasmRuntime = (value: unknown): value is WasmRuntime =>
  typeof value === "object" && value !== null && "compile" in value && typeof value.compile === "function" &&
  "Instance" in value && typeof value.Instance === "function"

const unavailable = (detail: string) =>
  new ProviderError({ provider: "local", operation: "Speech.synthesize", reason: "unavailable", detail })

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** an exported WebAssembly function taking and returning i32 values */
const wasmFunction = (exports: Readonly<Record<string, unknown>>, name: string): ((...args: Array<number>) => number) | undefined => {
  const fn = exports[name]
  if (typeof fn !== "function") return undefined
  return (...args) => {
    const result: unknown = Reflect.apply(fn, undefined, args)
    return typeof result === "number" ? result : 0
  }
}

const load = Effect.fn("Speech.local.load")(function*() {
  const espeak = yield* Effect.tryPromise({
    try: () => import("espeak-ng"),
    catch: (cause) => unavailable(`the optional dependency espeak-ng is not installed (npm install espeak-ng): ${describe(cause)}`)
  })
  const runtime: unknown = Reflect.get(globalThis, "WebAssembly")
  if (!isWasmRuntime(runtime)) return yield* unavailable("this JavaScript runtime has no WebAssembly support")
  const compiled = yield* Effect.tryPromise({
    try: async () => {
      const wasmPath = join(dirname(createRequire(import.meta.url).resolve("espeak-ng")), "espeak-ng.wasm")
      return runtime.compile(await readFile(wasmPath))
    },
    catch: (cause) => unavailable(`could not load espeak-ng.wasm: ${describe(cause)}`)
  })
  const errors: Array<string> = []
  let exports: Readonly<Record<string, unknown>> = {}
  const module = yield* Effect.tryPromise({
    try: () =>
      espeak.default({
        noInitialRun: true,
        // eSpeak prints nothing useful on stdout when writing a file; stderr explains failures
        print: () => undefined,
        printErr: (line) => errors.push(line),
        instantiateWasm: (imports, receive) => {
          const instance = new runtime.Instance(compiled, imports)
          exports = instance.exports
          receive(instance, compiled)
          return instance.exports
        }
      }),
    catch: (cause) => unavailable(`eSpeak NG failed to start: ${describe(cause)}`)
  })
  const malloc = wasmFunction(exports, "malloc")
  const stackSave = wasmFunction(exports, "stackSave")
  const stackRestore = wasmFunction(exports, "stackRestore")
  if (malloc === undefined || stackSave === undefined || stackRestore === undefined) {
    return yield* unavailable("this espeak-ng build does not export malloc and the stack functions")
  }
  yield* Metric.update(espeakLoads, 1)
  return {
    module,
    malloc,
    stackSave,
    stackRestore: (pointer: number) => void stackRestore(pointer),
    pristine: module.HEAPU8.slice(),
    errors
  } satisfies Engine
})

const encoder = new TextEncoder()

/** writes argv into the module's heap and returns its address (the heap is reset before each run) */
const writeArgv = (engine: Engine, args: ReadonlyArray<string>): number => {
  const pointers = args.map((arg) => {
    const bytes = encoder.encode(`${arg}\0`)
    const pointer = engine.malloc(bytes.length)
    engine.module.HEAPU8.set(bytes, pointer)
    return pointer
  })
  const argv = engine.malloc((pointers.length + 1) * 4)
  pointers.forEach((pointer, i) => (engine.module.HEAPU32[argv / 4 + i] = pointer))
  engine.module.HEAPU32[argv / 4 + pointers.length] = 0
  return argv
}

const removeFile = (engine: Engine, path: string): void => {
  try {
    engine.module.FS.unlink(path)
  } catch {
    // absent after a failed run: nothing to clean up
  }
}

/** one run of eSpeak's main; synchronous, so concurrent callers never interleave inside it */
const runMain = (engine: Engine, text: string, voice: string): Uint8Array => {
  engine.module.HEAPU8.set(engine.pristine)
  engine.errors.length = 0
  const stack = engine.stackSave()
  try {
    engine.module.FS.writeFile(INPUT_FILE, text)
    const args = ["espeak-ng", "-v", VOICES.has(voice) ? voice : DEFAULT_ESPEAK_VOICE, "-w", OUTPUT_FILE, "-f", INPUT_FILE]
    const status = engine.module._main(args.length, writeArgv(engine, args))
    if (status !== 0) throw new Error(`exit status ${status}: ${engine.errors.join(" ")}`)
    return engine.module.FS.readFile(OUTPUT_FILE)
  } finally {
    // an exit() inside eSpeak throws through the WebAssembly frames and skips their epilogues
    engine.stackRestore(stack)
    removeFile(engine, INPUT_FILE)
    removeFile(engine, OUTPUT_FILE)
  }
}

const synthesize = Effect.fn("Speech.local.synthesizeWav")(function*(engine: Engine, text: string, voice: string) {
  const wav = yield* Effect.try({
    try: () => runMain(engine, text, voice),
    catch: (cause) =>
      new ProviderError({ provider: "local", operation: "Speech.synthesize", reason: "server_error", detail: `eSpeak NG failed: ${describe(cause)}` })
  })
  const parsed = parseWav(wav)
  if (Result.isFailure(parsed)) {
    return yield* new ProviderError({ provider: "local", operation: "Speech.synthesize", reason: "invalid_response", detail: `eSpeak NG wrote a bad WAV: ${parsed.failure}` })
  }
  return parsed.success
})
