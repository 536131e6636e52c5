import type { Room } from "livekit-client"

export interface JoinOptions {
  readonly url: string
  readonly token: string
  /** where remote audio elements go (a hidden box: they only need to be in the document) */
  readonly audio: HTMLElement
  /** where remote video elements go; without it video tracks are not attached */
  readonly video?: HTMLElement | undefined
  readonly onData?: ((topic: string | undefined, payload: Uint8Array) => void) | undefined
  readonly onDisconnected: () => void
}

/**
 * Joins a LiveKit room with the microphone on and every remote track attached, for the student
 * (Version A) and the escalated teacher alike. livekit-client is most of a LiveKit page's weight,
 * so it is imported here, when someone joins, and lands in its own chunk.
 */
export const joinRoom = async (options: JoinOptions): Promise<Room> => {
  const { Room, RoomEvent, Track } = await import("livekit-client")
  const room = new Room()
  room.on(RoomEvent.TrackSubscribed, (track) => {
    const box = track.kind === Track.Kind.Audio ? options.audio : track.kind === Track.Kind.Video ? options.video : undefined
    box?.append(track.attach())
  })
  room.on(RoomEvent.TrackUnsubscribed, (track) => {
    for (const element of track.detach()) element.remove()
  })
  const { onData } = options
  if (onData) room.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => onData(topic, payload))
  room.on(RoomEvent.Disconnected, options.onDisconnected)
  try {
    await room.connect(options.url, options.token)
    // no microphone (denied or absent) still lets the participant listen
    await room.localParticipant.setMicrophoneEnabled(true).catch(() => undefined)
    // browsers start remote audio only after a user gesture; joining is one
    await room.startAudio()
    return room
  } catch (failure) {
    // a half-joined room would keep its connection and handlers alive behind the error message
    await room.disconnect()
    throw failure
  }
}
