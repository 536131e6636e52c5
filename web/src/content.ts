/** Every fixed string of the product UI (reference §10), kept in one place so pages and tests agree. */

export type Version = "a" | "b"
export type Subject = "math" | "history" | "english"

export const VERSION_TITLES: Record<Version, string> = {
  a: "Version A — LiveKit",
  b: "Version B — OpenAI Realtime"
}

export interface VersionCard {
  readonly version: Version
  readonly icon: string
  readonly title: string
  readonly features: ReadonlyArray<string>
  readonly infrastructure: string
}

export const VERSION_CARDS: ReadonlyArray<VersionCard> = [
  {
    version: "a",
    icon: "🔗",
    title: "Version A — LiveKit",
    features: [
      "Multi-participant WebRTC rooms",
      "Pipeline STT → LLM → TTS with GuardedAgent",
      "Native barge-in and VAD",
      "Teacher joins room with full audio/video",
      "OpenAI Realtime only for English specialist"
    ],
    infrastructure: "Infrastructure: 19 services"
  },
  {
    version: "b",
    icon: "⚡",
    title: "Version B — OpenAI Realtime Direct",
    features: [
      "Browser WebRTC directly to OpenAI",
      "Minimal infrastructure, fast setup",
      "Backend TTS streaming for guardrailed answers",
      "Filler phrases at 500ms/1500ms/3000ms",
      "Teacher observes via WebSocket"
    ],
    infrastructure: "Infrastructure: 16 services"
  }
]

/** Rows of the landing page's comparison table: feature, Version A, Version B. */
export const COMPARISON_ROWS: ReadonlyArray<readonly [string, string, string]> = [
  ["Latency (TTFB)", "~230ms (pipeline)", "~120ms (direct WebRTC)"],
  ["Safety / Guardrail", "Pre-TTS in GuardedAgent.tts_node", "Pre-TTS in /tts/stream"],
  ["English subject", "Separate Realtime AgentSession", "Same Realtime session"],
  ["Teacher escalation", "LiveKit JWT → audio/video room", "WebSocket → transcript only"],
  ["Barge-in", "Pipeline flush + VAD resume", "Realtime response cancel"],
  ["Filler audio", "Orchestrator speaks during routing", "500ms / 1500ms / 3000ms thresholds"],
  ["Infrastructure", "19 services (incl. LiveKit)", "16 services (no LiveKit)"]
]

export const TRADEOFF_TRIGGERS = ["english", "guardrail", "filler", "teacher", "barge-in"] as const
export type TradeoffTrigger = (typeof TRADEOFF_TRIGGERS)[number]

export const isTradeoffTrigger = (value: string | null): value is TradeoffTrigger =>
  TRADEOFF_TRIGGERS.some((trigger) => trigger === value)

export interface Tradeoff {
  readonly title: string
  readonly withLiveKit: ReadonlyArray<string>
  readonly withoutLiveKit: ReadonlyArray<string>
}

export const TRADEOFFS: Record<TradeoffTrigger, Tradeoff> = {
  english: {
    title: "English Question Routing",
    withLiveKit: ["Separate Realtime AgentSession spins up", "~230ms TTFB", "Isolated from pipeline agents"],
    withoutLiveKit: ["Realtime agent stays in control", "Calls dispatch_to_orchestrator tool", "No session switch overhead"]
  },
  guardrail: {
    title: "Content Safety Guardrail",
    withLiveKit: ["Pre-TTS: GuardedAgent.tts_node", "Buffers at sentence boundaries", "Intercepts before synthesis"],
    withoutLiveKit: ["Pre-TTS: backend /tts/stream", "Guardrail runs before streaming PCM", "tts_ready flag gates audio"]
  },
  filler: {
    title: "Filler While Thinking",
    withLiveKit: ["Orchestrator speaks during routing", "Pipeline TTS (same voice)", "Continuous audio"],
    withoutLiveKit: [
      "Realtime speaks filler phrases",
      "500ms → 1500ms → 3000ms thresholds",
      "Threshold counter (not string match)"
    ]
  },
  teacher: {
    title: "Teacher Escalation",
    withLiveKit: ["The teachers' inbox is alerted", "The teacher who claims it joins the room", "Full audio + video"],
    withoutLiveKit: ["The teachers' inbox is alerted", "The teacher who claims it sees the live transcript", "Can send the student messages"]
  },
  "barge-in": {
    title: "Barge-In / Interrupt",
    withLiveKit: ["Pipeline flush", "Audio queue cleared", "VAD resumes immediately"],
    withoutLiveKit: ["Realtime cancels response", "New turn_id issued", "Sub-100ms cancel"]
  }
}

export const FLOW_STEPS = [
  { id: "stt", label: "STT", versions: ["a"] },
  { id: "orchestrator", label: "Orchestrator (Haiku)", versions: ["a"] },
  { id: "specialist", label: "Specialist LLM", versions: ["a", "b"] },
  { id: "guardrail", label: "Guardrail", versions: ["a", "b"] },
  { id: "tts", label: "TTS", versions: ["a", "b"] }
] as const satisfies ReadonlyArray<{ id: string; label: string; versions: ReadonlyArray<Version> }>

export interface SuggestedQuestion {
  readonly subject: Subject
  readonly text: string
}

export const SUGGESTED_QUESTIONS: ReadonlyArray<SuggestedQuestion> = [
  { subject: "math", text: "What is 25% of 80?" },
  { subject: "math", text: "Solve 2x² + 5x - 3 = 0" },
  { subject: "history", text: "Why did World War I start?" },
  { subject: "history", text: "What was the Roman Empire?" },
  { subject: "english", text: "Help me improve this sentence" },
  { subject: "english", text: "Explain what a metaphor is" }
]

export const capitalise = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1)
