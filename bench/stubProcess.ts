/**
 * Child process of the benchmark: the provider stub at the configured latencies, plus a
 * forwarder in front of it that stamps every speech chunk with the moment it is sent on. Running
 * apart keeps the stub's work off the measured server's event loop and out of its RSS.
 *
 * argv[2]: the {@link StubScript} as JSON. Speaks {@link ChildMessage} / {@link ParentMessage} over IPC.
 */
import { Schema } from "effect"
import { createServer, request as httpRequest } from "node:http"
import { startProviderStub } from "../test/stub/providerStub.ts"
import { type ChildMessage, monotonicMs, ParentMessage, type SendStamp, type StubEnv, StubScript } from "./protocol.ts"

const SPEECH_PATH = "/v1/audio/speech"

const script = Schema.decodeUnknownSync(StubScript)(JSON.parse(process.argv[2] ?? "null"))
const send = (message: ChildMessage) => process.send?.(message)

const stub = await startProviderStub()
const answer = script.sentences.join("")
const chunkChars = Math.max(...script.sentences.map((sentence) => sentence.length))
stub.configure("moderations", { latencyMs: script.moderationMs })
stub.configure("anthropicMessages", { latencyMs: script.classifierMs, reply: () => script.classifierReply })
// a chat stream opens with a role-only chunk, one chunk delay before the first text
stub.configure("chat", {
  latencyMs: Math.max(0, script.firstTokenMs - script.chunkMs),
  chunkDelayMs: script.chunkMs,
  chunkChars,
  reply: () => answer
})
stub.configure("speech", { latencyMs: script.ttsMs, chunkDelayMs: script.ttsChunkMs })

let stamps: Array<SendStamp> = []
let speechBytes = 0
const stubUrl = new URL(stub.url)

/** Passes every request on to the stub and its answer back, chunk by chunk. */
const forwarder = createServer((req, res) => {
  const upstream = httpRequest({
    host: stubUrl.hostname,
    port: stubUrl.port,
    method: req.method,
    path: req.url,
    headers: req.headers
  }, (reply) => {
    res.writeHead(reply.statusCode ?? 502, reply.headers)
    res.flushHeaders()
    const stamped = req.url?.split("?")[0] === SPEECH_PATH
    let opensResponse = true
    reply.on("data", (chunk: Buffer) => {
      if (stamped) {
        speechBytes += chunk.length
        stamps.push({ endOffset: speechBytes, sentAt: monotonicMs(), opensResponse })
        opensResponse = false
      }
      res.write(chunk)
    })
    reply.on("end", () => res.end())
    reply.on("error", () => res.destroy())
  })
  upstream.on("error", () => res.destroy())
  res.on("close", () => upstream.destroy())
  req.pipe(upstream)
})
await new Promise<void>((resolve) => forwarder.listen(0, "127.0.0.1", resolve))
const address = forwarder.address()
if (address === null || typeof address === "string") throw new Error("forwarder: not listening on a TCP port")
const forwarderPort = address.port

const stampedEnv: StubEnv = { ...stub.env, OPENAI_BASE_URL: `http://127.0.0.1:${forwarderPort}/v1` }
send({ type: "listening", env: stub.env, stampedEnv })

process.on("message", (raw) => {
  Schema.decodeUnknownSync(ParentMessage)(raw)
  // the offsets restart with every hand-over, so each measured stream counts from zero
  send({ type: "stamps", stamps })
  stamps = []
  speechBytes = 0
})
process.on("disconnect", () => {
  forwarder.closeAllConnections()
  forwarder.close()
  void stub.close().then(() => process.exit(0))
})
