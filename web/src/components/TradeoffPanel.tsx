import { TRADEOFFS, type TradeoffTrigger } from "../content.ts"

/** Explains how A and B differ at the moment the student just hit. */
export function TradeoffPanel({ trigger, onDismiss }: { trigger: TradeoffTrigger; onDismiss?: () => void }) {
  const tradeoff = TRADEOFFS[trigger]
  return (
    <section class="card tradeoff" data-testid="tradeoff-panel" data-trigger={trigger} aria-live="polite">
      <header class="tradeoff-header">
        <span>⚡ How this works differently here</span>
        {onDismiss && (
          <button type="button" class="icon-button" data-testid="tradeoff-dismiss" aria-label="Dismiss" onClick={onDismiss}>
            ✕
          </button>
        )}
      </header>
      <h2 class="tradeoff-title">{tradeoff.title}</h2>
      <div class="tradeoff-columns">
        <TradeoffColumn heading="WITH LIVEKIT" items={tradeoff.withLiveKit} />
        <TradeoffColumn heading="WITHOUT LIVEKIT" items={tradeoff.withoutLiveKit} />
      </div>
    </section>
  )
}

function TradeoffColumn({ heading, items }: { heading: string; items: ReadonlyArray<string> }) {
  return (
    <div>
      <h3 class="tradeoff-column-heading">{heading}</h3>
      <ul class="bullets">
        {items.map((item) => <li key={item}>{item}</li>)}
      </ul>
    </div>
  )
}
