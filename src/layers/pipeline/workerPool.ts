import { NodeWorker } from "@effect/platform-node"
import { Config, Effect, Layer, Schema, Stream } from "effect"
import { RpcClient } from "effect/rpc"
import { fork } from "node:child_process"
import { setPriority } from "node:os"
import { fileURLToPath } from "node:url"
import { TurnPipeline, type TurnProviders } from "../../services/TurnPipeline.ts"
import type { TurnEvent } from "../../tutor/events.ts"
import { turnPipelineInProcess } from "./inProcess.ts"
import { TurnRpcs } from "./rpc.ts"

export interface TurnWorkerOptions {
  /** worker processes */
  readonly size: number
  /** turns one worker answers at a time (they mostly wait for providers) */
  readonly turnsPerWorker?: number
  /** the workers' environment on top of this process's (their providers are configured from it) */
  readonly env?: Readonly<Record<string, string>>
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url))

/**
 * A worker's niceness: the HTTP process keeps the CPU whenever it has a request to answer, so a
 * saturated pool slows turns down, never the endpoints that accept and report them.
 */
export const WORKER_NICENESS = 10

/**
 * Turns answered by a pool of child processes (Effect RPC over IPC). A turn interrupted here
 * (cancelled job, server shutdown) is interrupted in its worker, which closes its provider calls.
 */
export const turnPipelineWorkers = (options: TurnWorkerOptions): Layer.Layer<TurnPipeline> =>
  Layer.effect(
    TurnPipeline,
    Effect.gen(function*() {
      const client = yield* RpcClient.make(TurnRpcs)
      return TurnPipeline.of({
        answer: (request) =>
          client.AnswerTurn(request).pipe(
            Stream.catch((error) =>
              Stream.succeed<TurnEvent>({ type: "failed", stage: "worker", message: `turn worker failed: ${error.message}` })
            )
          )
      })
    })
  ).pipe(
    Layer.provide(RpcClient.layerProtocolWorker({ size: options.size, concurrency: options.turnsPerWorker ?? 256 })),
    Layer.provide(NodeWorker.layer(() => {
      const child = fork(WORKER, [], { env: { ...process.env, ...options.env }, serialization: "advanced" })
      if (child.pid !== undefined) setPriority(child.pid, WORKER_NICENESS)
      return child
    })),
    Layer.orDie
  )

/** `workers` turn worker processes (with `env` on top of this process's), or none: turns in this process. */
export const turnPipeline = (
  workers: number,
  env?: Readonly<Record<string, string>>
): Layer.Layer<TurnPipeline, never, TurnProviders> =>
  workers === 0 ? turnPipelineInProcess : turnPipelineWorkers({ size: workers, ...(env === undefined ? {} : { env }) })

const WorkerCount = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/**
 * `TUTOR_TURN_WORKERS` (default 0): that many turn worker processes, or none and the turns run
 * in this process with the providers given here.
 */
export const TurnPipelineFromConfig: Layer.Layer<TurnPipeline, Config.ConfigError, TurnProviders> =
  Layer.unwrap(Effect.map(
    Config.schema(WorkerCount, "TUTOR_TURN_WORKERS").pipe(Config.withDefault(0)),
    (workers) => turnPipeline(workers)
  ))
