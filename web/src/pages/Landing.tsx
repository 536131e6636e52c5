import { useState } from "preact/hooks"
import { COMPARISON_ROWS, VERSION_CARDS } from "../content.ts"

export function Landing() {
  return (
    <main class="page">
      <header class="hero">
        <h1>Voice AI Tutor</h1>
        <p class="muted">Compare two architectures for voice AI tutoring. Choose a version to demo.</p>
      </header>
      <VersionSelector />
      <ArchitectureCompare />
    </main>
  )
}

function VersionSelector() {
  return (
    <div class="version-grid">
      {VERSION_CARDS.map((card) => (
        <article key={card.version} class={`card version-card version-${card.version}`}>
          <div class="version-icon" aria-hidden="true">{card.icon}</div>
          <h2>{card.title}</h2>
          <ul class="checks">
            {card.features.map((feature) => <li key={feature}>✓ {feature}</li>)}
          </ul>
          <p class="muted">{card.infrastructure}</p>
          <a class="button" href={`/student?v=${card.version}`}>Start Demo →</a>
        </article>
      ))}
    </div>
  )
}

/** Closed by default; while closed the table is not in the DOM (its headers repeat the card titles). */
function ArchitectureCompare() {
  const [open, setOpen] = useState(false)
  return (
    <section class="compare">
      <button type="button" class="button secondary" aria-expanded={open} aria-controls="comparison" onClick={() => setOpen(!open)}>
        Architecture Comparison {open ? "▲" : "▼"}
      </button>
      {open && (
        <div class="table-scroll" id="comparison">
          <table>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Version A — LiveKit</th>
                <th scope="col">Version B — OpenAI Realtime</th>
              </tr>
            </thead>
            <tbody>
              {COMPARISON_ROWS.map(([feature, a, b]) => (
                <tr key={feature}>
                  <th scope="row">{feature}</th>
                  <td>{a}</td>
                  <td>{b}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
