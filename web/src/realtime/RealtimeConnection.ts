import type { AudioOut } from "../audio/AudioOut.ts"
import { decode, decodeJson, literal, object, parseJson, string } from "../lib/decode.ts"

/** OpenAI's WebRTC call endpoint for ephemeral client secrets (GA Realtime API). */
const REALTIME_CALLS_URL = "https://api.openai.com/v1/realtime/calls"
const DATA_CHANNEL = "oai-events"
const TOOL_NAME = "dispatch_to_orchestrator"
const OPEN_TIMEOUT_MS = 15_000

export interface ToolCall {
  readonly callId: string
  readonly studentText: string
}

export interface RealtimeHandlers {
  readonly onUserTranscript: (text: string) => void
  readonly onVoiceTranscript: (text: string) => void
  readonly onToolCall: (call: ToolCall) => void
  /** server VAD heard the student start speaking */
  readonly onSpeechStarted: () => void
  readonly onClosed: (reason: string) => void
}

const Envelope = object({ type: string })
const Transcript = object({ transcript: string })
const FunctionCallItem = object({
  item: object({ type: literal("function_call"), name: string, call_id: string, arguments: string })
})
const DispatchArguments = object({ student_text: string })

/**
 * The browser's WebRTC session with OpenAI Realtime (Version B): microphone up, voice down
 * (through `AudioOut`, so it can be faded), JSON events both ways on the `oai-events` channel.
 */
export class RealtimeConnection {
  private responseActive = false
  private readonly peer: RTCPeerConnection
  private readonly channel: RTCDataChannel
  private readonly microphone: MediaStream | null

  private constructor(peer: RTCPeerConnection, channel: RTCDataChannel, microphone: MediaStream | null) {
    this.peer = peer
    this.channel = channel
    this.microphone = microphone
  }

  /** true when the student can speak; without a microphone the session still works typed */
  get hasMicrophone(): boolean {
    return this.microphone !== null
  }

  static async open(secret: string, model: string, audio: AudioOut, handlers: RealtimeHandlers): Promise<RealtimeConnection> {
    const peer = new RTCPeerConnection()
    peer.addEventListener("track", (event) => audio.attachRealtime(event.streams[0] ?? new MediaStream([event.track])))
    const microphone = await navigator.mediaDevices?.getUserMedia({ audio: true }).catch(() => null) ?? null
    if (microphone) for (const track of microphone.getTracks()) peer.addTrack(track, microphone)
    else peer.addTransceiver("audio", { direction: "recvonly" })
    const channel = peer.createDataChannel(DATA_CHANNEL)
    const connection = new RealtimeConnection(peer, channel, microphone)
    channel.addEventListener("message", (event: MessageEvent<unknown>) => {
      if (typeof event.data === "string") connection.receive(event.data, handlers)
    })
    try {
      const offer = await peer.createOffer()
      await peer.setLocalDescription(offer)
      const answer = await fetch(`${REALTIME_CALLS_URL}?model=${encodeURIComponent(model)}`, {
        method: "POST",
        body: offer.sdp ?? "",
        headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/sdp" }
      })
      if (!answer.ok) throw new Error(`OpenAI Realtime refused the call (HTTP ${answer.status})`)
      await peer.setRemoteDescription({ type: "answer", sdp: await answer.text() })
      await opened(channel)
    } catch (error) {
      connection.close()
      throw error
    }
    channel.addEventListener("close", () => handlers.onClosed("The Realtime session ended."))
    return connection
  }

  /** A typed question, sent as the student's turn; the model then calls the dispatch tool. */
  sendText(text: string): void {
    this.send({
      type: "conversation.item.create",
      item: { type: "message", role: "user", content: [{ type: "input_text", text }] }
    })
    this.send({ type: "response.create" })
  }

  /** Closes the tool call with the backend's answer, so the model knows what was said. */
  answerToolCall(callId: string, output: string): void {
    this.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: callId, output } })
  }

  /** Asks the voice for one response; ignored while it is already speaking one. */
  respond(instructions: string): void {
    if (this.responseActive) return
    this.responseActive = true
    this.send({ type: "response.create", response: { instructions, tool_choice: "none" } })
  }

  /** Stops whatever the voice is saying (a filler once the answer is here). */
  cancelResponse(): void {
    if (!this.responseActive) return
    this.send({ type: "response.cancel" })
    this.send({ type: "output_audio_buffer.clear" })
  }

  close(): void {
    this.channel.close()
    for (const track of this.microphone?.getTracks() ?? []) track.stop()
    this.peer.close()
  }

  private send(event: object): void {
    if (this.channel.readyState === "open") this.channel.send(JSON.stringify(event))
  }

  private receive(data: string, handlers: RealtimeHandlers): void {
    const event = parseJson(data)
    const envelope = decode(Envelope, event)
    if (!envelope.ok) return
    switch (envelope.value.type) {
      case "response.created":
        this.responseActive = true
        return
      case "response.done":
        this.responseActive = false
        return
      case "input_audio_buffer.speech_started":
        handlers.onSpeechStarted()
        return
      case "conversation.item.input_audio_transcription.completed": {
        const transcript = decode(Transcript, event)
        if (transcript.ok && transcript.value.transcript.trim()) handlers.onUserTranscript(transcript.value.transcript.trim())
        return
      }
      // GA name first, beta name second: both mean the voice finished saying something
      case "response.output_audio_transcript.done":
      case "response.audio_transcript.done": {
        const transcript = decode(Transcript, event)
        if (transcript.ok && transcript.value.transcript.trim()) handlers.onVoiceTranscript(transcript.value.transcript.trim())
        return
      }
      case "response.output_item.done": {
        const call = decode(FunctionCallItem, event)
        if (!call.ok || call.value.item.name !== TOOL_NAME) return
        const args = decodeJson(DispatchArguments, call.value.item.arguments)
        if (args.ok) handlers.onToolCall({ callId: call.value.item.call_id, studentText: args.value.student_text })
        else console.warn("dispatch_to_orchestrator: bad arguments", args.error)
        return
      }
      default:
        return
    }
  }
}

const opened = (channel: RTCDataChannel): Promise<void> =>
  new Promise((resolve, reject) => {
    if (channel.readyState === "open") return resolve()
    const timer = setTimeout(() => reject(new Error("The Realtime data channel did not open.")), OPEN_TIMEOUT_MS)
    channel.addEventListener("open", () => {
      clearTimeout(timer)
      resolve()
    }, { once: true })
  })
