import { Effect, type Scope } from "effect"
import { createConnection, createServer, type Server, type Socket } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** stops listening and cuts every open connection: the database looks gone */
  readonly close: Effect.Effect<void>
  /** listens again on the same port */
  readonly open: Effect.Effect<void>
}

/**
 * A loopback TCP proxy to `target` that a test can take down and bring back, so the database
 * can be made unreachable without touching the server behind it.
 */
export const tcpProxy = (target: { readonly host: string; readonly port: number }): Effect.Effect<TcpProxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    const sockets = new Set<Socket>()
    const track = (socket: Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const makeServer = () =>
      createServer((client) => {
        const upstream = createConnection(target)
        track(client)
        track(upstream)
        client.pipe(upstream)
        upstream.pipe(client)
        client.on("close", () => upstream.destroy())
        upstream.on("close", () => client.destroy())
      })
    const listen = (server: Server, port: number) =>
      Effect.callback<number>((resume) => {
        server.listen(port, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(address !== null && typeof address === "object" ? address.port : port))
        })
      })
    const stop = (server: Server) =>
      Effect.callback<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })

    let server = makeServer()
    const port = yield* listen(server, 0)
    yield* Effect.addFinalizer(() => server.listening ? stop(server) : Effect.void)
    return {
      port,
      close: Effect.suspend(() => stop(server)),
      open: Effect.suspend(() => {
        server = makeServer()
        return Effect.asVoid(listen(server, port))
      })
    }
  })
