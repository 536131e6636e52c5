import { Effect } from "effect"
import type { ChildProcess } from "node:child_process"

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
