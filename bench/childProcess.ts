import { Effect, type Scope } from "effect"
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"

/**
 * `module` (next to this file) forked on the same Node with an IPC channel, its output on ours;
 * when the scope closes it is disconnected, which tells it to stop, and waited for.
 */
export const forkHelper = (module: string, args: ReadonlyArray<string> = []): Effect.Effect<ChildProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() =>
      fork(fileURLToPath(new URL(module, import.meta.url)), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    ),
    (child) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.disconnect()
      })
  )

/** The next IPC message from a child process, or `exited(code)` if it exits first. */
export const nextChildMessage = <E>(child: ChildProcess, exited: (code: number | null) => E): Effect.Effect<unknown, E> =>
  Effect.callback<unknown, E>((resume) => {
    const onMessage = (message: unknown) => {
      child.off("exit", onExit)
      resume(Effect.succeed(message))
    }
    const onExit = (code: number | null) => {
      child.off("message", onMessage)
      resume(Effect.fail(exited(code)))
    }
    child.once("message", onMessage)
    child.once("exit", onExit)
  })
