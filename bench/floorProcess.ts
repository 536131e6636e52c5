/**
 * Child process of the benchmark: the least any server on this machine could do for
 * `POST /orchestrate` — a bare `node:http` server that reads the body and answers a fixed job id,
 * with no framework and no work behind it. Measured under the same load as the real server, it
 * shows how much of a step's latency is the machine's (scheduling, loopback, the load process)
 * rather than the server's. Sends its port over IPC, then serves until disconnected.
 */
import { createServer } from "node:http"

let served = 0
const server = createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    const body = JSON.stringify({ job_id: `floor-${++served}` })
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    res.end(body)
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  process.send?.(typeof address === "object" && address !== null ? address.port : 0)
})
process.on("disconnect", () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
